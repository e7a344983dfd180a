"""The persistent button that confirms a reading plan (everything it needs is in its custom id)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.checks import ensure_organizer
from bot.errors import NotAllowed
from bot.replies import edit_reply
from bot.ui import Part, ReportsErrors

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from cogs.discussions._cog import DiscussionCog


DISCUSSIONS: Part[DiscussionCog] = Part("discussions", missing="Discussions are switched off on this bot.")


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
        text = await DISCUSSIONS.of(interaction.client).schedule_plan(interaction, *self.args)
        await edit_reply(interaction, content=text, view=None)
