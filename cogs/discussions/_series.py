"""Discussion series: the scheduler's timer that creates each meeting as an ordinary discussion, ahead of time.

One durable timer per series (`discussion.series`, key = the series id) is due `lead_days` before the
series' next meeting. It creates every meeting that has come within the lead time, through the same
`DiscussionService.create` as `/discussion schedule` (event, timers, reminders, thread), moves the
series past it and re-arms itself for the next one. A meeting Discord will not take (the server's 100
upcoming events, the club's setup) is skipped and the organizers are told once, not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord

from bot.domain import Work
from bot.errors import NotFound, UserError
from bot.locks import KeyedLocks
from bot.replies import send
from bot.services.discussions import EventLimitReached, check_events_permission
from bot.services.discussions.runner import announcement_channel
from bot.spoilers import Scope, describe_scope, scope_to_str
from bot.store import Discussion, NewDiscussion, Series
from bot.text import strip_mentions
from bot.when import format_when, local_instant, zone_of
from cogs.discussions._recurrence import Recurrence

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.scheduler import Scheduler
    from bot.services.discussions import DiscussionService
    from bot.store import Store
    from bot.store.timers import Timer

log = logging.getLogger(__name__)

SERIES = "discussion.series"
# How far ahead a new series checks that no meeting falls in a daylight-saving gap or overlap.
CHECK_AHEAD = timedelta(days=2 * 366)


def recurrence_of(s: Series) -> Recurrence:
    """Return a stored series' rule."""
    hour, minute = (int(x) for x in s.local_time.split(":"))
    return Recurrence(s.kind, s.weekday, s.step, time(hour, minute))


def scope_text(scope: Scope, works: Mapping[int, Work]) -> str:
    """Return a series' scope in bold, escaped, naming titles and numbers only (as event names do)."""
    return f"**{discord.utils.escape_markdown(strip_mentions(describe_scope(scope, works)))}**"


def rough_instant(day: date, rule: Recurrence, zone: ZoneInfo) -> datetime:
    """Return when a meeting on `day` starts in UTC, even on a day whose clock time DST skips or repeats."""
    return datetime.combine(day, rule.at).replace(tzinfo=zone).astimezone(UTC)


def first_meeting(rule: Recurrence, zone: ZoneInfo, now: datetime) -> tuple[date, datetime]:
    """Return the first meeting still to come (its local date and instant); refuse a rule DST would break.

    Every meeting of the next two years must be a clock time that exists once in the club's zone: a
    meeting at 02:30 on the night the clocks change is refused now, as `/discussion schedule` would.
    """
    today = now.astimezone(zone).date()
    first = rule.first_on_or_after(today)
    if rough_instant(first, rule, zone) <= now:
        first = rule.first_on_or_after(today + timedelta(days=1))
    day = first
    while rough_instant(day, rule, zone) - now <= CHECK_AHEAD:
        naive = datetime.combine(day, rule.at)
        try:
            local_instant(naive, zone)
        except UserError:
            later = (naive + timedelta(hours=1)).strftime("%H:%M")
            raise UserError(
                f"On {day:%A} {day.day} {day:%B %Y} the clocks in {zone.key} skip or repeat "
                f"{rule.at:%H:%M} for daylight saving time, so that meeting could not be placed. "
                f"Pick another time of day, e.g. `{later}`."
            ) from None
        day = rule.after(day)
    return first, local_instant(datetime.combine(first, rule.at), zone)


@dataclass(frozen=True)
class Skipped:
    """A meeting the series could not create, and why (shown to organizers)."""

    on: date
    reason: str


@dataclass(frozen=True)
class CatchUp:
    """What one run of a series did: the discussions it created and the meetings it had to skip."""

    made: tuple[Discussion, ...] = ()
    skipped: tuple[Skipped, ...] = ()


class SeriesRunner:
    """Create series meetings when their lead time comes; the cog's commands and the scheduler both call it."""

    def __init__(self, store: Store, service: DiscussionService, scheduler: Scheduler, clock: Clock) -> None:
        self.store = store
        self.service = service
        self.scheduler = scheduler
        self.clock = clock
        self.gateway = service.runner.gateway
        # Per series, in-process: a series' timers run in the process of its guild's shard, and where it
        # is (`next_on`) is in the database, so a restart carries on without the lock.
        self._locks = KeyedLocks()

    async def arm(self, s: Series) -> None:
        """Schedule the series' timer for its next meeting's creation (only its id in the payload)."""
        settings = await self.store.guilds.get(s.guild_id)
        due = rough_instant(s.next_on, recurrence_of(s), zone_of(settings.timezone)) - timedelta(
            days=s.lead_days
        )
        await self.scheduler.schedule(
            s.guild_id, SERIES, key=str(s.id), due_at=due, payload={"series_id": s.id}
        )

    async def rearm_all(self) -> None:
        """Give every running series a timer again (one dropped after failing retries, say)."""
        for s in await self.store.series.running():
            if await self.store.timers.get(s.guild_id, SERIES, str(s.id)) is None:
                try:
                    await self.arm(s)
                except UserError:
                    log.warning("Series %s in guild %s cannot be armed", s.id, s.guild_id, exc_info=True)

    async def run_from_timer(self, timer: Timer) -> None:
        """Create the meetings whose lead time has come (after downtime too), then re-arm."""
        await self.catch_up(timer.guild_id, int(timer.payload["series_id"]))

    async def stop(self, guild_id: int, series_id: int) -> bool:
        """Stop a series and drop its timer; meetings already created stay as they are."""
        async with self._locks(series_id):
            stopped = await self.store.series.stop(guild_id, series_id)
            await self.scheduler.cancel(guild_id, SERIES, str(series_id))
            return stopped

    async def catch_up(self, guild_id: int, series_id: int) -> CatchUp:
        """Create every meeting of the series now within its lead time; say what was made and skipped."""
        async with self._locks(series_id):
            s = await self.store.series.get(guild_id, series_id)
            if s is None or s.stopped:
                return CatchUp()
            guild = self.gateway.get_guild(guild_id)
            if guild is None:
                raise RuntimeError(f"guild {guild_id} is not available")
            settings = await self.store.guilds.get(guild_id)
            zone = zone_of(settings.timezone)
            rule = recurrence_of(s)
            lead = timedelta(days=s.lead_days)
            made: list[Discussion] = []
            skips: list[Skipped] = []
            while True:
                now = self.clock.now()
                on = s.next_on
                rough = rough_instant(on, rule, zone)
                if rough - lead > now:
                    break
                made_now: Discussion | None = None
                skipped: Skipped | None = None
                if rough <= now:
                    # Its time passed while the bot was away: an event cannot start in the past.
                    log.info("Series %s in guild %s: the meeting of %s passed uncreated", s.id, guild_id, on)
                else:
                    try:
                        made_now = await self._create(
                            guild, s, local_instant(datetime.combine(on, rule.at), zone)
                        )
                    except EventLimitReached:
                        skipped = Skipped(
                            on,
                            "Discord allows 100 upcoming events per server and this one has reached it: "
                            "cancel or end some events to make room",
                        )
                    # The club's setup (channel, permission), a DST change the zone's rules moved, a removed title.
                    except UserError as exc:
                        skipped = Skipped(on, exc.message.rstrip("."))
                noticed: bool | None = None
                if made_now is not None:
                    made.append(made_now)
                    noticed = False
                elif skipped is not None:
                    skips.append(skipped)
                    log.warning("Series %s in guild %s skipped %s: %s", s.id, guild_id, on, skipped.reason)
                    if not s.noticed:
                        await self._tell_organizers(guild, s, rule, zone, skipped)
                        noticed = True
                if not await self.store.series.advance(s.id, on, rule.after(on), noticed=noticed):
                    break
                again = await self.store.series.get(guild_id, series_id)
                if again is None:
                    break
                s = again
            if not s.stopped:
                await self.arm(s)
            return CatchUp(tuple(made), tuple(skips))

    async def _create(self, guild: discord.Guild, s: Series, opens_at: datetime) -> Discussion:
        """Create one meeting as an ordinary discussion, unless an earlier run of this timer already did."""
        works = await self.store.catalog.works(guild.id)
        work = works.get(s.work_id)
        if work is None:
            raise NotFound("The series' book is no longer in the catalog")
        for d in await self.store.discussions.active(guild.id):
            same_scope = scope_to_str(d.scope) == scope_to_str(s.scope)
            if d.opens_at == opens_at and d.work_id == s.work_id and same_scope:
                return d
        check_events_permission(guild)
        item = NewDiscussion(
            work_id=work.id,
            scope=s.scope,
            title=work.title,
            opens_at=opens_at,
            closes_at=opens_at + timedelta(minutes=s.minutes),
            created_by=s.created_by,
        )
        (d,) = await self.service.create(guild, [item])
        log.info("Series %s in guild %s created discussion %s", s.id, guild.id, d.id)
        return d

    async def _tell_organizers(
        self, guild: discord.Guild, s: Series, rule: Recurrence, zone: ZoneInfo, skipped: Skipped
    ) -> None:
        """Post, once per stretch of failures, why a meeting was not created."""
        channel = announcement_channel(guild, await self.store.guilds.get(guild.id))
        if channel is None:
            log.warning("No channel to tell the organizers of guild %s about series %s", guild.id, s.id)
            return
        works = await self.store.catalog.works(guild.id)
        when = format_when(rough_instant(skipped.on, rule, zone))
        await send(
            channel,
            f"Organizers: I did not create the meeting of {when} of series `{s.id}` ({scope_text(s.scope, works)}, "
            f"{rule.describe()}). {skipped.reason}; the series carries on with its next meeting, and I will not "
            "repeat this message until a meeting is created again.",
        )
