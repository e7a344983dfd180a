"""Buttons of the `/book` commands."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.checks import ensure_organizer
from bot.errors import UserError
from bot.lookup import italic, work_label
from bot.replies import edit_reply
from bot.ui import PersistentButton

if TYPE_CHECKING:
    from bot.client import BookClubBot

log = logging.getLogger(__name__)


class RemoveWorkButton(
    PersistentButton,
    custom_id="bookclub:catalog:remove:{work_id:int}",
    label="Remove it",
    style=discord.ButtonStyle.danger,
):
    """Confirms `/book remove`; checks again that the one pressing it is an organizer."""

    work_id: int

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
