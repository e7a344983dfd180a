"""Everything a discussion does on Discord: its event, timers, reminders, thread, joining and closing.

Each step checks the discussion's recorded state first, so the scheduler may run it again after a crash
or a restart: the thread is found again by its marker, the event by its id, a reminder is claimed in the
database before it is sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

import discord

from bot.domain import State, Work
from bot.errors import NotConfigured, UserError
from bot.forums import is_tag_refusal, missing_tag_message, post_tags
from bot.locks import KeyedLocks
from bot.replies import send, send_dm
from bot.services.discussions import render
from bot.services.discussions.join import JoinButton, scope_buttons
from bot.spoilers import may_see, reason_hidden, scope_work_ids
from bot.store import Discussion, GuildSettings
from bot.store.discussions import DiscussionMode, OfferOutcome
from bot.store.timers import Timer
from bot.ui import buttons_view

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.scheduler import Scheduler
    from bot.services.gateway import Gateway
    from bot.store import Store

log = logging.getLogger(__name__)

OPEN = "discussion.open"
CLOSE = "discussion.close"
REMIND = "discussion.remind"

# A thread left idle this long archives itself; the close timer archives it anyway at the end.
THREAD_ARCHIVE_MINUTES: Final[Literal[10080]] = 10080
# Statuses that make a discussion worth a reminder (DNF: the member gave up on it).
RELEVANT_STATES = frozenset(State) - {State.DNF}
# Messages that are a member's own post in a thread (not joins, pins or other system messages).
POSTS = frozenset({discord.MessageType.default, discord.MessageType.reply})
# Member look-ups a reminder runs at once (discord.py waits out the rate limit beyond that).
REMINDER_MEMBER_FETCHES = 8


def discussion_channel(
    guild: discord.Guild, settings: GuildSettings
) -> discord.TextChannel | discord.ForumChannel:
    """Return the channel discussions open in, or explain what the organizers must set up."""
    channel = guild.get_channel(settings.discussion_channel_id) if settings.discussion_channel_id else None
    if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
        raise NotConfigured(
            "The club has no discussion channel I can use: an organizer can set one with "
            "`/club setup discussions:`."
        )
    gated = settings.spoiler_mode == "gated"
    if gated and isinstance(channel, discord.ForumChannel):
        raise NotConfigured(
            "Gated mode needs private threads, which forum channels do not have: pick a text channel with "
            "`/club setup discussions:`."
        )
    perms = channel.permissions_for(guild.me)
    needed = ["view_channel", "send_messages_in_threads", "manage_threads"]
    needed.append("send_messages" if isinstance(channel, discord.ForumChannel) else "create_public_threads")
    if gated:
        needed.append("create_private_threads")
    missing = [n.replace("_", " ").title() for n in needed if not getattr(perms, n)]
    if missing:
        raise NotConfigured(
            f"I need {', '.join(missing)} in {channel.mention} to open discussions there; ask a server admin."
        )
    if isinstance(channel, discord.ForumChannel):
        # A forum that requires a tag the club lacks is refused here, before anything is scheduled or opened.
        post_tags(channel, settings.discussion_tag_id)
    return channel


def announcement_channel(guild: discord.Guild, settings: GuildSettings) -> discord.abc.Messageable | None:
    """Return where reminders and openings are announced: the announcement channel, else the discussion one."""
    for cid in (settings.announcement_channel_id, settings.discussion_channel_id):
        channel = guild.get_channel(cid) if cid else None
        if isinstance(channel, discord.TextChannel):
            return channel
    return None


class DiscussionRunner:
    """Carry discussions through their life on Discord; the cog's commands and the scheduler both call it."""

    def __init__(self, store: Store, scheduler: Scheduler, clock: Clock, gateway: Gateway) -> None:
        self.store = store
        self.repo = store.discussions
        self.scheduler = scheduler
        self.clock = clock
        self.gateway = gateway
        # One lock per discussion being opened or closed, freed afterwards (ids only grow). In-process is
        # safe: a discussion's timers and events run in the process of its guild's shard, and its state
        # (scheduled, open, closed) is in the database, not in the lock.
        self._locks = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- timers ------------------------------------------------------------------------------------

    async def schedule_timers(self, d: Discussion) -> None:
        """(Re)schedule a discussion's opening, closing and reminders; only ids go in payloads."""
        scheduler = self.scheduler
        payload = {"discussion_id": d.id}
        await scheduler.schedule(d.guild_id, OPEN, key=str(d.id), due_at=d.opens_at, payload=payload)
        await scheduler.schedule(d.guild_id, CLOSE, key=str(d.id), due_at=d.closes_at, payload=payload)
        await scheduler.cancel_prefix(d.guild_id, REMIND, f"{d.id}:")
        now = self.clock.now()
        for minutes in await self.repo.reminder_offsets(d.guild_id):
            due = d.opens_at - timedelta(minutes=minutes)
            if due > now:
                await scheduler.schedule(
                    d.guild_id,
                    REMIND,
                    key=f"{d.id}:{minutes}",
                    due_at=due,
                    payload={**payload, "minutes": minutes},
                )

    async def cancel_timers(self, d: Discussion, *, keep_close: bool = False) -> None:
        """Drop a discussion's pending timers."""
        scheduler = self.scheduler
        await scheduler.cancel(d.guild_id, OPEN, str(d.id))
        await scheduler.cancel_prefix(d.guild_id, REMIND, f"{d.id}:")
        if not keep_close:
            await scheduler.cancel(d.guild_id, CLOSE, str(d.id))

    async def _timer_discussion(self, timer: Timer) -> Discussion | None:
        return await self.repo.get(timer.guild_id, int(timer.payload["discussion_id"]))

    # -- the scheduled event -----------------------------------------------------------------------

    async def create_event(
        self,
        guild: discord.Guild,
        d: Discussion,
        works: Mapping[int, Work],
        channel: discord.abc.GuildChannel,
    ) -> discord.ScheduledEvent:
        """Create the EXTERNAL scheduled event mirroring a discussion (location: the discussion channel)."""
        location = f"#{channel.name} · {channel.jump_url}"
        return await guild.create_scheduled_event(
            name=render.event_name(d, works),
            description=render.event_description(d, works, f"#{channel.name}"),
            start_time=d.opens_at,
            end_time=d.closes_at,
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
            location=location[:100] if len(location) <= 100 else f"#{channel.name}"[:100],
        )

    async def _event(self, guild: discord.Guild, d: Discussion) -> discord.ScheduledEvent | None:
        if d.event_id is None:
            return None
        try:
            return await guild.fetch_scheduled_event(d.event_id)
        except discord.NotFound:
            return None

    async def move_event(self, guild: discord.Guild, d: Discussion) -> None:
        """Move a still-scheduled event to the discussion's new times."""
        event = await self._event(guild, d)
        if event is not None and event.status is discord.EventStatus.scheduled:
            await event.edit(start_time=d.opens_at, end_time=d.closes_at)

    async def start_event(self, guild: discord.Guild, d: Discussion) -> None:
        """Mark the event active (Discord may have started it on its own at the start time)."""
        event = await self._event(guild, d)
        if event is not None and event.status is discord.EventStatus.scheduled:
            await event.start()

    async def end_event(self, guild: discord.Guild, d: Discussion) -> None:
        """Finish the event: an active one completes, one that never started is cancelled."""
        event = await self._event(guild, d)
        if event is None:
            return
        if event.status is discord.EventStatus.active:
            await event.end()
        elif event.status is discord.EventStatus.scheduled:
            await event.cancel()

    # -- reminders ---------------------------------------------------------------------------------

    async def relevant_members(self, d: Discussion) -> list[int]:
        """Return whom a reminder mentions: a status on a scope work or Interested, reminders not off."""
        statuses = self.store.statuses
        users: set[int] = set(await self.store.participation.interested(d.id))
        for work_id in scope_work_ids(d.scope):
            users.update(
                r.user_id
                for r in await statuses.for_work(d.guild_id, work_id)
                if r.status.state in RELEVANT_STATES
            )
        users -= await self.repo.reminders_off(d.guild_id)
        return sorted(users)

    async def reachable_members(
        self, guild: discord.Guild, channels: Sequence[discord.abc.GuildChannel], user_ids: Sequence[int]
    ) -> list[int]:
        """Return those of `user_ids` still in the guild who can see every one of `channels`, in order."""

        async def reachable(user_id: int) -> bool:
            async with limit:
                try:
                    # Fetched, not cached: without the members intent the cache hears of no one leaving.
                    member = await guild.fetch_member(user_id)
                except discord.NotFound:
                    return False  # left the server
                except discord.HTTPException as exc:
                    log.warning(
                        "Could not check member %s for a reminder (%s); mentioning them", user_id, exc
                    )
                    return True
            return all(c.permissions_for(member).view_channel for c in channels)

        limit = asyncio.Semaphore(REMINDER_MEMBER_FETCHES)
        keep = await asyncio.gather(*(reachable(u) for u in user_ids))
        return [u for u, ok in zip(user_ids, keep, strict=True) if ok]

    async def remind(self, timer: Timer) -> None:
        """Send one reminder, at most once, mentioning exactly the members it concerns."""
        d = await self._timer_discussion(timer)
        if d is None or d.state != "scheduled":
            return
        guild = self.gateway.get_guild(d.guild_id)
        if guild is None:
            return
        settings = await self.store.guilds.get(d.guild_id)
        channel = announcement_channel(guild, settings)
        if channel is None:
            log.warning("No channel for reminders in guild %s; discussion %s", d.guild_id, d.id)
            return
        if not await self.repo.claim_reminder(d.id, int(timer.payload["minutes"])):
            return
        works = await self.store.catalog.works(d.guild_id)
        # A mention is for members who can read the reminder and then the discussion itself.
        cid = settings.discussion_channel_id
        where = (channel, guild.get_channel(cid) if cid else None)
        seen_in = [c for c in where if isinstance(c, discord.abc.GuildChannel)]
        users = await self.reachable_members(guild, seen_in, await self.relevant_members(d))
        for text, chunk in render.reminder_messages(d, works, users):
            await send(
                channel,
                text,
                allowed_mentions=discord.AllowedMentions(
                    users=[discord.Object(u) for u in chunk], everyone=False, roles=False, replied_user=False
                ),
            )

    # -- opening -----------------------------------------------------------------------------------

    async def open_from_timer(self, timer: Timer) -> None:
        """Open a discussion whose time has come (or came during downtime)."""
        d = await self._timer_discussion(timer)
        if d is None:
            return
        try:
            await self.open(d.guild_id, d.id)
        except NotConfigured as exc:
            # Retrying cannot fix the club's settings: tell the organizers once and leave it scheduled.
            log.warning("Discussion %s in guild %s cannot open: %s", d.id, d.guild_id, exc.message)
            guild = self.gateway.get_guild(d.guild_id)
            channel = announcement_channel(guild, await self.store.guilds.get(d.guild_id)) if guild else None
            if channel is not None:
                await send(
                    channel,
                    f"I could not open discussion `{d.id}`: {exc.message} "
                    f"Then an organizer can open it with `/discussion open-now discussion:{d.id}`.",
                )

    async def open(self, guild_id: int, discussion_id: int) -> Discussion:
        """Open the thread for a discussion, once, whatever happened to an earlier attempt."""
        async with self._locks(discussion_id):
            d = await self.repo.get(guild_id, discussion_id)
            if d is None or d.state not in ("scheduled", "opening"):
                if d is None:
                    raise UserError("That discussion no longer exists.")
                return d
            guild = self.gateway.get_guild(guild_id)
            if guild is None:
                raise RuntimeError(f"guild {guild_id} is not available")
            settings = await self.store.guilds.get(guild_id)
            # Only an attempt that found the discussion already 'opening' can find a thread made earlier.
            resumed = d.state == "opening"
            if d.state == "scheduled":
                channel = discussion_channel(guild, settings)
                mode: DiscussionMode = (
                    "tagged" if isinstance(channel, discord.ForumChannel) else settings.spoiler_mode
                )
                # Recorded before any Discord call: a re-run knows a thread may already exist.
                await self.repo.start_opening(d.guild_id, d.id, channel.id, mode)
                d = await self.repo.get(guild_id, discussion_id)
                assert d is not None
            works = await self.store.catalog.works(guild_id)
            thread = await self._find_or_create_thread(
                guild, d, works, resumed=resumed, tag_id=settings.discussion_tag_id
            )
            await self.repo.mark_open(d.guild_id, d.id, thread.id)
            opened = await self.repo.get(guild_id, discussion_id)
            assert opened is not None
            log.info("Opened discussion %s in guild %s (thread %s)", d.id, guild_id, thread.id)
        # Recorded as open already: a failure below must not make the scheduler run the opening again.
        try:
            await self._announce_opening(guild, settings, opened, works, thread)
        except discord.HTTPException:
            log.warning("Could not announce the opening of discussion %s", d.id, exc_info=True)
        try:
            await self.start_event(guild, opened)
        except discord.HTTPException:
            log.warning("Could not start the event of discussion %s", d.id, exc_info=True)
        if opened.mode == "gated":
            self.offer_to_interested(guild_id, opened.id)
        return opened

    async def _find_or_create_thread(
        self,
        guild: discord.Guild,
        d: Discussion,
        works: Mapping[int, Work],
        *,
        resumed: bool,
        tag_id: int | None,
    ) -> discord.Thread:
        channel = guild.get_channel(d.channel_id) if d.channel_id else None
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise NotConfigured(f"The channel discussion {d.id} was opening in is gone.")
        thread = await self._existing_thread(guild, d, channel) if resumed else None
        gated = d.mode == "gated"
        view = buttons_view(*scope_buttons(d, works))
        content = render.first_message(d, works, gated)
        if thread is None:
            name = render.thread_name(d, works)
            if isinstance(channel, discord.ForumChannel):
                made = await self._create_post(d, channel, name, content, view, tag_id)
                await self.repo.record_thread(d.id, made.thread.id)
                return made.thread
            thread = await channel.create_thread(
                name=name,
                type=discord.ChannelType.private_thread if gated else discord.ChannelType.public_thread,
                invitable=False,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
            await self.repo.record_thread(d.id, thread.id)
            await send(thread, content, view=view)
        elif not isinstance(channel, discord.ForumChannel) and not await self._has_first_message(thread):
            await send(thread, content, view=view)
        return thread

    async def _create_post(
        self,
        d: Discussion,
        forum: discord.ForumChannel,
        name: str,
        content: str,
        view: discord.ui.View,
        tag_id: int | None,
    ) -> discord.channel.ThreadWithMessage:
        """Open the discussion's forum post with the club's tag; a refused tag is for organizers to fix."""
        try:
            tags = post_tags(forum, tag_id)
            return await forum.create_thread(
                name=name,
                content=content,
                view=view,
                applied_tags=tags,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
        except NotConfigured:
            await self.repo.abandon_opening(d.guild_id, d.id)
            raise
        except discord.HTTPException as exc:
            if not is_tag_refusal(exc):
                raise
            # Discord made no post, so nothing is left half-open: back to scheduled, and retrying cannot help.
            log.warning("Discord refused the tags of discussion %s's post: %s", d.id, exc)
            await self.repo.abandon_opening(d.guild_id, d.id)
            raise NotConfigured(f"Discord refused the post: {missing_tag_message(forum, tag_id)}") from exc

    async def _existing_thread(
        self, guild: discord.Guild, d: Discussion, channel: discord.TextChannel | discord.ForumChannel
    ) -> discord.Thread | None:
        """Return the thread an earlier attempt made: by its recorded id, else by the marker in its name."""
        if d.thread_id is not None:
            try:
                found = guild.get_thread(d.thread_id) or await guild.fetch_channel(d.thread_id)
            except discord.NotFound:
                found = None
            if isinstance(found, discord.Thread):
                return found
        me = guild.me.id
        for thread in await guild.active_threads():
            if (
                thread.parent_id == channel.id
                and thread.owner_id == me
                and render.has_marker(thread.name, d.id)
            ):
                await self.repo.record_thread(d.id, thread.id)
                return thread
        return None

    async def _has_first_message(self, thread: discord.Thread) -> bool:
        me = thread.guild.me.id
        async for message in thread.history(limit=5, oldest_first=True):
            if message.author.id == me:
                return True
        return False

    async def _announce_opening(
        self,
        guild: discord.Guild,
        settings: GuildSettings,
        d: Discussion,
        works: Mapping[int, Work],
        thread: discord.Thread,
    ) -> None:

        channel = announcement_channel(guild, settings)
        if channel is None:
            return
        gated = d.mode == "gated"
        view = buttons_view(JoinButton(d.id)) if gated else None
        await send(channel, render.opening_announcement(d, works, gated, thread.id), view=view)

    # -- closing -----------------------------------------------------------------------------------

    async def close_from_timer(self, timer: Timer) -> None:
        """Close a discussion at its end time."""
        d = await self._timer_discussion(timer)
        if d is not None:
            await self.close(d.guild_id, d.id)

    async def close(self, guild_id: int, discussion_id: int, *, cancelled: bool = False) -> Discussion | None:
        """Post the closing note, archive and lock the thread, complete the event; safe to run twice."""
        d = await self.repo.get(guild_id, discussion_id)
        if d is None or d.state in ("closed", "cancelled"):
            return d
        if d.state == "opening":
            d = await self.open(guild_id, discussion_id)  # finish what a crash interrupted, then close
        guild = self.gateway.get_guild(guild_id)
        if guild is None:
            raise RuntimeError(f"guild {guild_id} is not available")
        async with self._locks(discussion_id):
            works = await self.store.catalog.works(guild_id)
            if d.thread_id is not None:
                await self._close_thread(guild, d, works, cancelled)
            await self.repo.mark_closed(d.guild_id, d.id)
        await self.cancel_timers(d)
        try:
            await self.end_event(guild, d)
        except discord.HTTPException:
            log.warning("Could not end the event of discussion %s", d.id, exc_info=True)
        log.info("Closed discussion %s in guild %s", d.id, guild_id)
        return await self.repo.get(guild_id, discussion_id)

    async def _close_thread(
        self,
        guild: discord.Guild,
        d: Discussion,
        works: Mapping[int, Work],
        cancelled: bool,
        *,
        attendance: bool = True,
    ) -> None:
        assert d.thread_id is not None
        try:
            thread = guild.get_thread(d.thread_id) or await guild.fetch_channel(d.thread_id)
        except discord.NotFound:
            return  # deleted by someone: nothing to archive
        if not isinstance(thread, discord.Thread) or thread.locked:
            return
        if attendance:
            await self._record_posters(d, thread)
        await send(thread, render.closing_note(d, works, cancelled))
        await thread.edit(archived=True, locked=True)

    async def _record_posters(self, d: Discussion, thread: discord.Thread) -> None:
        """Record who posted in the thread (authors only: no message content is needed or kept)."""
        posters: set[int] = set()
        try:
            async for message in thread.history(limit=None, oldest_first=True):
                if not message.author.bot and message.type in POSTS:
                    posters.add(message.author.id)
        except discord.HTTPException:
            # Attendance is a count for the club, not worth failing the close over; what was read is kept.
            log.warning("Could not read the whole thread of discussion %s", d.id, exc_info=True)
        await self.store.participation.record_posters(d.id, posters)

    async def cancel(self, guild: discord.Guild, d: Discussion) -> Discussion | None:
        """Call off a discussion: before it opens its event is cancelled; once open, it is closed early."""
        if d.state in ("opening", "open"):
            return await self.close(guild.id, d.id, cancelled=True)
        if not await self.repo.mark_cancelled(d.guild_id, d.id):
            return await self.repo.get(guild.id, d.id)
        await self.cancel_timers(d)
        try:
            await self.end_event(guild, d)
        except discord.HTTPException:
            log.warning("Could not cancel the event of discussion %s", d.id, exc_info=True)
        return await self.repo.get(guild.id, d.id)

    async def retire(self, guild: discord.Guild, d: Discussion, works: Mapping[int, Work]) -> None:
        """Wind down on Discord a discussion whose row is gone: its timers, its event, its open thread.

        Its work was removed from the catalog, so nothing will close it later; each step is logged on
        failure instead of raised, so one lost permission does not keep the others from happening.
        """
        await self.cancel_timers(d)
        try:
            await self.end_event(guild, d)
        except discord.HTTPException:
            log.warning("Could not end the event of removed discussion %s", d.id, exc_info=True)
        if d.thread_id is not None:
            try:
                # The row is gone with its title, so there is no attendance to keep.
                await self._close_thread(guild, d, works, cancelled=True, attendance=False)
            except discord.HTTPException:
                log.warning("Could not close the thread of removed discussion %s", d.id, exc_info=True)

    # -- joining -----------------------------------------------------------------------------------

    async def add_member(self, guild: discord.Guild, d: Discussion, user_id: int) -> discord.Thread:
        """Add a member (whose status was checked) to the discussion's thread."""
        if d.thread_id is None:
            raise UserError("That discussion's thread is not open yet.")
        try:
            thread = guild.get_thread(d.thread_id) or await guild.fetch_channel(d.thread_id)
        except discord.NotFound as exc:
            raise UserError("That discussion's thread was deleted; ask an organizer.") from exc
        if not isinstance(thread, discord.Thread):
            raise UserError("That discussion's thread was deleted; ask an organizer.")
        if thread.archived and not thread.locked:
            await thread.edit(archived=False)
        await thread.add_user(discord.Object(user_id))
        await self.store.participation.record_let_in(d.id, user_id)
        return thread

    def status_changed(self, guild_id: int, user_id: int, work_ids: tuple[int, ...]) -> None:
        """Offer open gated discussions a member's new status now covers (runs in the background)."""
        gated = self.repo.known_gated_work_ids(guild_id)
        if gated is not None and gated.isdisjoint(work_ids):
            return  # the common case, answered from memory: no open gated discussion names these works
        self._background(self._offer(guild_id, user_id, set(work_ids)))

    def _background(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _offer(self, guild_id: int, user_id: int, work_ids: set[int]) -> None:
        try:
            if work_ids.isdisjoint(await self.repo.open_gated_work_ids(guild_id)):
                return
            candidates = [
                d for d in await self.repo.open_gated(guild_id) if work_ids & set(scope_work_ids(d.scope))
            ]
            if not candidates:
                return
            guild = self.gateway.get_guild(guild_id)
            if guild is None:
                return
            works = await self.store.catalog.works(guild_id)
            statuses = await self.store.statuses.for_member(guild_id, user_id)
            reachable = True
            for d in candidates:
                if not may_see(statuses, d.scope, works) or d.thread_id is None:
                    continue
                if await self._is_thread_member(guild, d.thread_id, user_id):
                    continue
                # One offer per member and discussion, claimed first: a second status change (or a
                # concurrent one) finds it taken and sends nothing.
                if not await self.repo.claim_offer(d.id, user_id):
                    continue
                if reachable:
                    outcome = await self._send_offer(guild, d, works, user_id)
                    if outcome is None:
                        continue
                    reachable = outcome == "sent"
                else:
                    # Discord's 50007/50278 is about the member, not the discussion: no second try now.
                    outcome = "unreachable"
                await self.repo.record_offer(d.id, user_id, outcome)
        except discord.HTTPException:
            log.warning(
                "Could not offer discussions to user %s in guild %s", user_id, guild_id, exc_info=True
            )
        except Exception:
            log.exception("Offering discussions to user %s in guild %s failed", user_id, guild_id)

    def offer_to_interested(
        self, guild_id: int, discussion_id: int, user_ids: Sequence[int] | None = None
    ) -> None:
        """DM interested members (all, or `user_ids`) an open gated discussion's offer (in the background).

        Runs at the opening, for a member who marks Interested while it is open, and after a restart; the
        claims make every run after the first send nothing twice.
        """
        self._background(self._offer_to_interested(guild_id, discussion_id, user_ids))

    async def _offer_to_interested(
        self, guild_id: int, discussion_id: int, only: Sequence[int] | None = None
    ) -> None:
        """DM each interested member the join offer, or only what to mark first."""
        try:
            d = await self.repo.get(guild_id, discussion_id)
            guild = self.gateway.get_guild(guild_id)
            if d is None or d.state != "open" or d.mode != "gated" or d.thread_id is None or guild is None:
                return
            works = await self.store.catalog.works(guild_id)
            interested = await self.store.participation.interested(d.id)
            for user_id in interested if only is None else [u for u in only if u in interested]:
                statuses = await self.store.statuses.for_member(guild_id, user_id)
                reason = reason_hidden(statuses, d.scope, works)
                if reason is None:
                    if await self._is_thread_member(guild, d.thread_id, user_id):
                        continue
                    # The same one claim per member and discussion as offers after a status change.
                    if not await self.repo.claim_offer(d.id, user_id):
                        continue
                    outcome = await self._send_offer(
                        guild, d, works, user_id, render.interested_offer(guild, d, works)
                    )
                    if outcome is not None:
                        await self.repo.record_offer(d.id, user_id, outcome)
                elif await self.store.participation.claim_hint(d.id, user_id):
                    # Nothing from the thread, only the scope and what to mark; the offer follows the status.
                    await self._send_hint(guild, d, works, user_id, reason)
        except discord.HTTPException:
            log.warning("Could not offer discussion %s to interested members", discussion_id, exc_info=True)
        except Exception:
            log.exception("Offering discussion %s to interested members failed", discussion_id)

    async def _send_hint(
        self, guild: discord.Guild, d: Discussion, works: Mapping[int, Work], user_id: int, reason: str
    ) -> None:
        try:
            user = self.gateway.get_user(user_id) or await self.gateway.fetch_user(user_id)
            await send_dm(user, render.interested_hint(guild, d, works, reason))
        except discord.HTTPException:
            log.warning("Could not tell user %s what discussion %s needs", user_id, d.id, exc_info=True)

    async def _send_offer(
        self,
        guild: discord.Guild,
        d: Discussion,
        works: Mapping[int, Work],
        user_id: int,
        text: str | None = None,
    ) -> OfferOutcome | None:
        """DM a member the join offer they claimed; None (the claim given back) when it failed for now."""
        try:
            user = self.gateway.get_user(user_id) or await self.gateway.fetch_user(user_id)
            sent = await send_dm(
                user,
                text or render.status_offer(guild, d, works),
                view=buttons_view(JoinButton(d.id)),
            )
        except discord.HTTPException:
            await self.repo.release_offer(d.id, user_id)
            log.warning(
                "Could not offer discussion %s to user %s; their next status change tries again",
                d.id,
                user_id,
                exc_info=True,
            )
            return None
        # Not delivered (send_dm logged why): they press "Join the discussion" on the announcement instead,
        # and `/discussion list` counts them for the organizers.
        return "sent" if sent is not None else "unreachable"

    async def _is_thread_member(self, guild: discord.Guild, thread_id: int, user_id: int) -> bool:
        thread = guild.get_thread(thread_id)
        if thread is None:
            return False
        try:
            await thread.fetch_member(user_id)
        except discord.NotFound:
            return False
        return True

    async def drain(self) -> None:
        """Wait for background offers (for a clean shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
