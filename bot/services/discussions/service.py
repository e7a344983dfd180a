"""Creating and removing discussions: validation, storage, the scheduled event and the timers."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord

from bot.domain import Work
from bot.errors import NotConfigured, NotFound, UserError
from bot.locks import KeyedLocks
from bot.services.discussions import render
from bot.services.discussions.interest import InterestTracker
from bot.services.discussions.runner import DiscussionRunner, discussion_channel
from bot.services.discussions.scopes import ReadingPlan
from bot.spoilers import scope_to_str
from bot.store import Discussion, GuildSettings, NewDiscussion
from bot.when import format_when

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.scheduler import Scheduler
    from bot.services.gateway import Gateway
    from bot.store import Store

log = logging.getLogger(__name__)

DEFAULT_MINUTES = 90
# Discord's "Maximum number of uncompleted guild scheduled events reached (100)".
MAX_EVENTS_REACHED = 30038


class EventLimitReached(UserError):
    """Discord refused an event: the server already has 100 upcoming ones, so nothing was scheduled."""


def mode_label(mode: str, channel: discord.abc.GuildChannel) -> str:
    """Say what kind of thread a discussion gets: forum posts are always public (tagged)."""
    if isinstance(channel, discord.ForumChannel):
        return "tagged forum post"
    return "gated (private) thread" if mode == "gated" else "tagged (public) thread"


def check_events_permission(guild: discord.Guild) -> None:
    """Raise unless the bot may create the scheduled events that mirror discussions."""
    perms = guild.me.guild_permissions
    if not (perms.create_events or perms.manage_events):
        raise NotConfigured(
            "I need the Create Events permission to put discussions in the server's Events; ask a server admin."
        )


class DiscussionService:
    """Schedule and remove discussions for any feature; the runner carries them through their life."""

    def __init__(self, store: Store, scheduler: Scheduler, clock: Clock, gateway: Gateway) -> None:
        self.store = store
        self.clock = clock
        self.runner = DiscussionRunner(store, scheduler, clock, gateway)
        self.interest = InterestTracker(store, gateway, self.runner)
        # Serialises work that must happen once per key (e.g. scheduling a date poll's winner). Per-guild
        # keys, so in-process is safe across processes (a guild's events and timers run in its shard's
        # process); what the lock orders is written to the database, so a crash loses nothing.
        self.locks = KeyedLocks()

    async def where(
        self, guild: discord.Guild
    ) -> tuple[GuildSettings, discord.TextChannel | discord.ForumChannel]:
        """Return the club's settings and discussion channel, or explain what blocks scheduling."""
        settings = await self.store.guilds.get(guild.id)
        channel = discussion_channel(guild, settings)
        check_events_permission(guild)
        return settings, channel

    async def current_work(self, guild_id: int, works: Mapping[int, Work], kind: str = "book") -> Work:
        """Return the club's current book (or, for a screen scope, its current film or series)."""
        settings = await self.store.guilds.get(guild_id)
        wanted = settings.current_adaptation_id if kind == "screen" else settings.current_book_id
        work = works.get(wanted) if wanted else None
        if work is None:
            raise NotConfigured(
                "The club has no current book: name one with `title:`, or choose it with `/book current`."
            )
        return work

    async def create(self, guild: discord.Guild, items: Sequence[NewDiscussion]) -> list[Discussion]:
        """Store discussions, create their events and timers; undo everything if any step fails."""
        settings = await self.store.guilds.get(guild.id)
        channel = discussion_channel(guild, settings)
        works = await self.store.catalog.works(guild.id)
        made = await self.store.discussions.create_many(guild.id, items)
        events: list[discord.ScheduledEvent] = []
        try:
            for d in made:
                event = await self.runner.create_event(guild, d, works, channel)
                events.append(event)
                await self.store.discussions.set_event(d.id, event.id)
                await self.runner.schedule_timers(d)
        except Exception as exc:
            for d in made:
                await self.runner.cancel_timers(d)
                await self.store.discussions.delete(guild.id, d.id)
            for event in events:
                try:
                    await event.delete()
                except discord.HTTPException:
                    log.warning("Could not remove event %s after a failed schedule", event.id, exc_info=True)
            if isinstance(exc, discord.HTTPException) and exc.code == MAX_EVENTS_REACHED:
                raise EventLimitReached(
                    "Discord allows 100 upcoming events per server and this one has reached it, so nothing was "
                    "scheduled. Cancel some, or schedule fewer sessions."
                ) from exc
            raise
        return [d for d in [await self.store.discussions.get(guild.id, d.id) for d in made] if d is not None]

    async def schedule_once(
        self, guild: discord.Guild, item: NewDiscussion, *, key: str
    ) -> tuple[Discussion, bool]:
        """Schedule `item` unless a discussion already starts at its time; return it and whether it is new.

        `key` names what asks (e.g. a poll), so two presses at once cannot both create one.
        """
        async with self.locks(key):
            for d in await self.store.discussions.active(guild.id):
                if d.opens_at == item.opens_at:
                    return d, False
            (made,) = await self.create(guild, [item])
            return made, True

    async def reschedule(
        self, guild: discord.Guild, d: Discussion, opens_at: datetime, length: timedelta
    ) -> Discussion:
        """Move a scheduled discussion, its reminders, timers and event; refuse one that opened meanwhile."""
        if d.state != "scheduled":
            raise UserError(f"Discussion `{d.id}` is {d.state}: only a scheduled one can be moved.")
        if not await self.store.discussions.reschedule(guild.id, d.id, opens_at, opens_at + length):
            raise UserError(f"Discussion `{d.id}` opened meanwhile: it can no longer be moved.")
        await self.store.discussions.forget_reminders(d.id)
        moved = await self.store.discussions.get(guild.id, d.id)
        if moved is None:
            raise UserError(f"Discussion `{d.id}` was removed meanwhile.")
        await self.runner.schedule_timers(moved)
        await self.runner.move_event(guild, moved)
        return moved

    async def open_now(self, guild: discord.Guild, d: Discussion) -> Discussion:
        """Open a scheduled discussion right away, keeping its end time; return it as opened."""
        if d.state != "scheduled":
            raise UserError(f"Discussion `{d.id}` is {d.state}: only a scheduled one can be opened early.")
        discussion_channel(guild, await self.store.guilds.get(guild.id))  # explains a missing channel first
        await self.runner.cancel_timers(d, keep_close=True)
        await self.store.discussions.set_opens_at(guild.id, d.id, self.clock.now())
        opened = await self.runner.open(guild.id, d.id)
        if opened.state != "open" or opened.thread_id is None:
            # Called off (or closed) while opening: say what it is, not where a thread would have been.
            raise UserError(f"Discussion `{d.id}` is {opened.state} now, so it was not opened.")
        return opened

    async def set_reminder_times(self, guild_id: int, offsets: Sequence[int]) -> tuple[int, ...]:
        """Save the club's reminder offsets (minutes before) and move its scheduled discussions' reminders."""
        saved = await self.store.discussions.set_reminder_offsets(guild_id, offsets)
        for d in await self.store.discussions.active(guild_id):
            if d.state == "scheduled":
                await self.runner.schedule_timers(d)
        return saved

    async def schedule_plan(
        self, guild: discord.Guild, plan: ReadingPlan, created_by: int
    ) -> tuple[Work, list[Discussion]] | None:
        """Schedule a confirmed reading plan; None if every session of it is already scheduled."""
        settings = await self.store.guilds.get(guild.id)
        works = await self.store.catalog.works(guild.id)
        book = works.get(plan.book_id)
        if book is None:
            raise NotFound("That book is no longer in the catalog.")
        if plan.first <= self.clock.now():
            raise UserError("The plan's first session has already passed: run `/discussion plan` again.")
        planned = plan.sessions_for(book, ZoneInfo(settings.timezone))
        existing = {
            (scope_to_str(d.scope), d.opens_at) for d in await self.store.discussions.active(guild.id)
        }
        if all((scope_to_str(p.scope), p.opens_at) in existing for p in planned):
            return None
        items = [
            NewDiscussion(
                work_id=book.id,
                scope=p.scope,
                title=book.title,
                opens_at=p.opens_at,
                closes_at=p.opens_at + timedelta(minutes=plan.minutes),
                created_by=created_by,
            )
            for p in planned
        ]
        return book, await self.create(guild, items)

    async def wind_down(
        self, guild: discord.Guild, work_id: int, doomed: Sequence[Discussion], works: Mapping[int, Work]
    ) -> None:
        """End the discussions of a title the catalog service just removed.

        The database deleted the discussions about the work with it (a foreign key cascade); one whose
        scope only names it (a film in "book vs film") is deleted here, since its scope would point at
        nothing. Their events, timers and open threads live outside the database, so they end here.
        """
        for d in doomed:
            if d.work_id != work_id:
                await self.store.discussions.delete(guild.id, d.id)
            await self.runner.retire(guild, d, works)
        if doomed:
            log.info(
                "Work %s removed in guild %s with discussions %s", work_id, guild.id, [d.id for d in doomed]
            )

    def confirmation(
        self,
        d: Discussion,
        works: Mapping[int, Work],
        settings: GuildSettings,
        channel: discord.TextChannel | discord.ForumChannel,
    ) -> str:
        """Return what an organizer is told once a discussion is scheduled."""
        return (
            f"Scheduled discussion `{d.id}` of {render.scope_line(d, works)}: opens {format_when(d.opens_at)}, "
            f"closes {format_when(d.closes_at)}, as a {mode_label(settings.spoiler_mode, channel)} in "
            f"{channel.mention}. It is in the server's Events; reminders go to members with a status for it "
            "and to those who mark the event Interested."
        )
