"""Buttons of the `/book` commands."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.checks import ensure_organizer
from bot.errors import UserError
from bot.lookup import italic, work_label
from bot.replies import edit_reply
from bot.ui import Persistent

if TYPE_CHECKING:
    from bot.client import BookClubBot

log = logging.getLogger(__name__)


class RemoveWorkButton(Persistent[discord.ui.Button[Any]], custom_id="bookclub:catalog:remove:{work_id:int}"):
    """Confirms `/book remove`; checks again that the one pressing it is an organizer."""

    def __init__(self, work_id: int) -> None:
        self.work_id = work_id
        super().__init__(
            discord.ui.Button(
                label="Remove it",
                style=discord.ButtonStyle.danger,
                custom_id=self.ids.format(work_id=work_id),
            )
        )

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Delete the work; statuses, history and discussions go with it (their events and timers too)."""
        await ensure_organizer(interaction)
        guild = interaction.guild
        assert guild is not None
        work = await interaction.client.store.catalog.get(guild.id, self.work_id)
        if work is None:
            raise UserError("That title is already gone from the catalog.")
        await interaction.response.defer()  # ending its discussions' events takes Discord calls
        if not await interaction.client.catalog.remove_title(guild, self.work_id):
            raise UserError("That title is already gone from the catalog.")
        log.info("Guild %s work %s removed by %s", guild.id, self.work_id, interaction.user.id)
        await edit_reply(
            interaction, content=f"Removed {italic(work_label(work))} from the catalog.", view=None
        )
