"""The persistent button that confirms a reading plan (everything it needs is in its custom id)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.checks import ensure_organizer
from bot.errors import NotAllowed
from bot.replies import edit_reply
from bot.ui import Part, Persistent

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from cogs.discussions._cog import DiscussionCog


DISCUSSIONS: Part[DiscussionCog] = Part("discussions", missing="Discussions are switched off on this bot.")


class PlanButton(
    Persistent[discord.ui.Button[Any]],
    custom_id="bookclub:discussion:plan:{book_id:int}:{sessions:int}:{by:ch|pt}:{first:int}:{every:int}:{minutes:int}",
):
    """Confirm a reading plan; everything it needs is in its custom id, so it works after a restart."""

    def __init__(self, book_id: int, sessions: int, by: str, first: int, every: int, minutes: int) -> None:
        self.args = (book_id, sessions, by, first, every, minutes)
        super().__init__(
            discord.ui.Button(
                label=f"Schedule all {sessions}",
                style=discord.ButtonStyle.success,
                custom_id=self.ids.format(
                    book_id=book_id, sessions=sessions, by=by, first=first, every=every, minutes=minutes
                ),
            )
        )

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Schedule every session of the plan (organizers only), then replace the button with the result."""
        await ensure_organizer(interaction)
        if interaction.guild is None:
            raise NotAllowed("This button only works inside a server.")
        await interaction.response.defer()
        text = await DISCUSSIONS.of(interaction.client).schedule_plan(interaction, *self.args)
        await edit_reply(interaction, content=text, view=None)
