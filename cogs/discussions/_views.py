"""Persistent buttons: "Join the discussion" and a reading plan's confirmation (state from ids and the database)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.checks import ensure_organizer
from bot.errors import NotAllowed, NotFound, UserError
from bot.replies import edit_reply, reply
from bot.spoilers import reason_hidden
from bot.ui import ReportsErrors
from bot.when import format_when
from cogs.discussions import _render as render
from cogs.discussions._runner import buttons_view, scope_buttons

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from cogs.discussions._cog import DiscussionCog


def _cog(interaction: discord.Interaction[BookClubBot]) -> DiscussionCog:
    cog = interaction.client.get_cog("DiscussionCog")
    if cog is None:
        raise UserError("Discussions are switched off on this bot.")
    return cog  # type: ignore[return-value]


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
        thread = await _cog(interaction).runner.add_member(guild, d, interaction.user.id)
        await reply(
            interaction, f"You're in: <#{thread.id}>. Enjoy the discussion of {render.scope_line(d, works)}."
        )


class PlanButton(
    ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=(
        r"bookclub:discussion:plan:(?P<book>\d+):(?P<sessions>\d+):(?P<by>ch|pt):(?P<first>\d+):"
        r"(?P<every>\d+):(?P<minutes>\d+)"
    ),
):
    """Confirm a reading plan; everything it needs is in its custom id, so it works after a restart."""

    def __init__(self, book_id: int, sessions: int, by: str, first: int, every: int, minutes: int) -> None:
        self.args = (book_id, sessions, by, first, every, minutes)
        super().__init__(
            discord.ui.Button(
                label=f"Schedule all {sessions}",
                style=discord.ButtonStyle.success,
                custom_id=f"bookclub:discussion:plan:{book_id}:{sessions}:{by}:{first}:{every}:{minutes}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PlanButton:
        """Rebuild the button from its custom id."""
        return cls(
            int(match["book"]),
            int(match["sessions"]),
            match["by"],
            int(match["first"]),
            int(match["every"]),
            int(match["minutes"]),
        )

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Schedule every session of the plan (organizers only), then replace the button with the result."""
        await ensure_organizer(interaction)
        if interaction.guild is None:
            raise NotAllowed("This button only works inside a server.")
        await interaction.response.defer()
        text = await _cog(interaction).schedule_plan(interaction, *self.args)
        await edit_reply(interaction, content=text, view=None)
