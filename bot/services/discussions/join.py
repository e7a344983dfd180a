"""The persistent "Join the discussion" button: lets a member into a gated thread once their status covers it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import NotFound, UserError
from bot.replies import reply
from bot.services.discussions import render
from bot.services.discussions.runner import buttons_view, scope_buttons
from bot.spoilers import reason_hidden
from bot.ui import ReportsErrors
from bot.when import format_when

if TYPE_CHECKING:
    from bot.client import BookClubBot


class JoinButton(
    ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"bookclub:discussion:join:(?P<discussion_id>\d+)",
):
    """Let a member into a discussion's thread once their status covers its scope; else say what to mark."""

    def __init__(self, discussion_id: int) -> None:
        self.discussion_id = discussion_id
        super().__init__(
            discord.ui.Button(
                label="Join the discussion",
                style=discord.ButtonStyle.primary,
                custom_id=f"bookclub:discussion:join:{discussion_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> JoinButton:
        """Rebuild the button from its custom id (works after a restart)."""
        return cls(int(match["discussion_id"]))

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Check the member's status against the scope, then add them or explain."""
        store = interaction.client.store
        d = await store.discussions.find(self.discussion_id)
        if d is None:
            raise NotFound("That discussion no longer exists.")
        if d.state in ("scheduled", "opening"):
            raise UserError(f"That discussion opens {format_when(d.opens_at)}: come back then.")
        if d.state != "open":
            raise UserError("That discussion has ended.")
        works = await store.catalog.works(d.guild_id)
        statuses = await store.statuses.for_member(d.guild_id, interaction.user.id)
        reason = reason_hidden(statuses, d.scope, works)
        if reason is not None:
            buttons = scope_buttons(d, works)
            hint = (
                " Mark it with the buttons below (or `/status set`), then press Join again."
                if buttons
                else ""
            )
            await reply(interaction, f"{reason}{hint}", view=buttons_view(*buttons) if buttons else None)
            return
        guild = interaction.client.get_guild(d.guild_id)
        if guild is None:
            raise UserError("I can't reach that server right now; try again in a moment.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        thread = await interaction.client.discussions.runner.add_member(guild, d, interaction.user.id)
        await reply(
            interaction, f"You're in: <#{thread.id}>. Enjoy the discussion of {render.scope_line(d, works)}."
        )
