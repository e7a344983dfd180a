"""The catalog's multi-step operations, one owner each: making a title current, finishing, removing.

`/book current`, `/book finish`, `/book remove` and a poll's "make the winner our current pick" button
all come here, so the rules (moving on means the club finished what it was on) hold whichever way an
organizer takes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Final

from bot.domain import Work, WorkKind
from bot.errors import NotConfigured, NotFound
from bot.store import CatalogRepository, DiscussionRepository, GuildSettingsRepository, ReviewRepository

if TYPE_CHECKING:
    import discord

    from bot.services.discussions import DiscussionService

log = logging.getLogger(__name__)


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""Leave this slot (book or adaptation) as it is."""


@dataclass(frozen=True)
class CurrentChange:
    """What making a title current did: the new current pair and what the club finished by moving on."""

    book_id: int | None
    adaptation_id: int | None
    finished: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class CatalogService:
    """Change the club's current titles, record finishing them and remove titles, one way each."""

    catalog: CatalogRepository
    guilds: GuildSettingsRepository
    reviews: ReviewRepository
    discussions_store: DiscussionRepository
    discussions: DiscussionService

    async def make_current(
        self,
        guild_id: int,
        *,
        book_id: int | _Keep | None = KEEP,
        adaptation_id: int | _Keep | None = KEEP,
    ) -> CurrentChange:
        """Set the current book and/or adaptation; the titles that stop being current count as finished.

        Moving on to another book means the club finished the one before (for `/club history`).
        """
        before = await self.guilds.get(guild_id)
        book = before.current_book_id if book_id is KEEP else book_id
        adaptation = before.current_adaptation_id if adaptation_id is KEEP else adaptation_id
        await self.guilds.update(guild_id, current_book_id=book, current_adaptation_id=adaptation)
        finished: list[int] = []
        for previous in (before.current_book_id, before.current_adaptation_id):
            if previous is None or previous in (book, adaptation) or previous in finished:
                continue
            if await self.catalog.get(guild_id, previous) is not None:  # removed titles have no history
                await self.reviews.mark_finished(guild_id, previous)
                finished.append(previous)
        log.info(
            "Guild %s current titles set to %s and %s; finished %s", guild_id, book, adaptation, finished
        )
        return CurrentChange(book, adaptation, tuple(finished))

    async def make_winner_current(self, guild_id: int, work_id: int) -> tuple[Work, CurrentChange]:
        """Make a poll's winning title current in its slot, approving it first if it was a suggestion."""
        await self.catalog.approve(guild_id, work_id)  # a no-op when already approved
        work = await self.catalog.get(guild_id, work_id)
        if work is None:
            raise NotFound("The winning title is no longer in the catalog.")
        if work.kind is WorkKind.BOOK:
            change = await self.make_current(guild_id, book_id=work.id)
        else:
            change = await self.make_current(guild_id, adaptation_id=work.id)
        return work, change

    async def finish(self, guild_id: int, works: Mapping[int, Work], work: Work | None = None) -> list[Work]:
        """Record that the club finished `work`, or by default its current book and adaptation."""
        if work is not None:
            finished = [work]
        else:
            settings = await self.guilds.get(guild_id)
            ids = (settings.current_book_id, settings.current_adaptation_id)
            finished = [works[i] for i in ids if i is not None and i in works]
            if not finished:
                raise NotConfigured("The club has no current book: name the title with `title:`.")
        for each in finished:
            await self.reviews.mark_finished(guild_id, each.id)
        return finished

    async def remove_title(self, guild: discord.Guild, work_id: int) -> bool:
        """Remove a title and wind down its discussions; False if it was already gone.

        The database deletes what is recorded about the title with it (foreign key cascades); the
        discussions' events, timers and open threads live outside it, so the discussion service ends
        them once the delete succeeded.
        """
        works = await self.catalog.works(guild.id)
        doomed = await self.discussions_store.active_for_work(guild.id, work_id)
        if not await self.catalog.remove(guild.id, work_id):
            return False
        await self.discussions.wind_down(guild, work_id, doomed, works)
        return True
