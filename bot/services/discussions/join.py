"""The persistent "Join the discussion" button: lets a member into a gated thread once their status covers it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import discord

from bot.domain import Work
from bot.errors import NotFound, UserError
from bot.replies import reply
from bot.services.discussions import render
from bot.services.statuses import StatusButton, status_buttons
from bot.spoilers import BookAndFilm, BookUpTo, Film, SeriesUpTo, WholeBook, reason_hidden
from bot.store import Discussion
from bot.ui import PersistentButton, buttons_view
from bot.when import format_when

if TYPE_CHECKING:
    from bot.client import BookClubBot


def scope_buttons(d: Discussion, works: Mapping[int, Work]) -> list[StatusButton]:
    """Return the status buttons that can bring a member up to a discussion's scope."""
    match d.scope:
        case BookUpTo(book_id=book_id) | WholeBook(book_id=book_id):
            book = works.get(book_id)
            return status_buttons(book) if book else []
        case BookAndFilm(book_id=book_id, film_id=film_id):
            book, film = works.get(book_id), works.get(film_id)
            return status_buttons(book, film) if book else []
        case Film(film_id=work_id) | SeriesUpTo(series_id=work_id):
            return [StatusButton(work_id, "watched")] if work_id in works else []
    return []


class JoinButton(
    PersistentButton,
    custom_id="bookclub:discussion:join:{discussion_id:int}",
    label="Join the discussion",
    style=discord.ButtonStyle.primary,
):
    """Let a member into a discussion's thread once their status covers its scope; else say what to mark."""

    discussion_id: int

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
