"""Posting polls, recording votes as they arrive, reconciling after downtime, and closing polls."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import NotFound
from bot.locks import BackgroundRun, KeyedLocks
from bot.replies import send
from bot.store import NewOption, Poll, PollKind, ShardFilter, Store, VoteOp
from bot.text import shorten
from cogs.polls import _render
from cogs.polls._input import fit_answers
from cogs.polls._rankedchoice import Count, Round, count

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from bot.clock import Clock
    from bot.scheduler import Scheduler

log = logging.getLogger(__name__)

CLOSE_EVENT = "poll.close"
POLL_ALREADY_ENDED = 520001
TALLY_INTERVAL = 3.0  # seconds between two edits of one poll's tally, whatever the vote rate


class Debouncer:
    """Run an async refresh per key at most once every `interval` seconds, always ending with the latest.

    The first change refreshes at once; changes during the following interval collapse into one
    refresh at its end. Real (monotonic) time on purpose: this paces Discord's rate limits, not the club's
    calendar.
    """

    def __init__(self, refresh: Callable[[int], Awaitable[None]], interval: float = TALLY_INTERVAL) -> None:
        self._refresh = refresh
        self.interval = interval
        # In memory on purpose: a poll's votes all reach the one process running its guild's shard, so
        # the debounce is per poll and safe across processes. A crash loses only redraws, never votes
        # (they are in the database), and `PollService.reconcile_open` redraws every open tally at start.
        self._dirty: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self.refreshes = 0

    def touch(self, key: int) -> None:
        """Note that `key` changed."""
        self._dirty.add(key)
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._run(key), name=f"bookclub-tally-{key}")

    async def _run(self, key: int) -> None:
        try:
            while key in self._dirty:
                self._dirty.discard(key)
                try:
                    await self._refresh(key)
                    self.refreshes += 1
                except Exception:
                    log.exception("Could not refresh the tally of poll %s", key)
                await asyncio.sleep(self.interval)
        finally:
            self._tasks.pop(key, None)

    async def flush(self) -> None:
        """Wait for pending refreshes (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    def cancel(self) -> None:
        """Stop every pending refresh."""
        for task in self._tasks.values():
            task.cancel()


class PollService:
    """Everything polls do with Discord and the database, shared by commands, buttons and timers."""

    def __init__(
        self,
        bot: BookClubBot,
        *,
        store: Store,
        scheduler: Scheduler,
        clock: Clock,
        results_view: Callable[[Poll], discord.ui.View | None] | None = None,
        shards: ShardFilter | None = None,
    ) -> None:
        self.bot = bot
        self.store = store
        self.scheduler = scheduler
        self.clock = clock
        self.results_view = results_view
        # The shards whose guilds this process serves (None: every guild); only their polls are reconciled here.
        self.shards = shards
        # Per poll message, freed once no task uses it; in-process is enough because a poll's events and
        # timers run in the process of its guild's shard, and the writes they order are in the database.
        self._locks = KeyedLocks()
        self.tallies = Debouncer(self._refresh_tally)
        self.reconciling = BackgroundRun(self.reconcile_open, name="bookclub-poll-reconcile")
        self.vote_events = 0
        # Date polls show a live tally in the bot's info message: message id -> poll id. Rebuilt from
        # the polls table by `reconcile_open` at every start; only the process of the poll's shard needs it.
        self._tallied: dict[int, int] = {}
        # Vote events not yet written: a crash loses them, and the reconciliation with Discord's own
        # voters at the next start restores them (Discord keeps the votes, not the bot).
        self._pending: list[VoteOp] = []
        self._write_lock = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None
        self.votes_written = 0

    def _lock(self, message_id: int) -> asyncio.Lock:
        return self._locks(message_id)

    # -- posting ---------------------------------------------------------------------------------
    async def post_native(
        self,
        channel: discord.abc.Messageable,
        guild_id: int,
        *,
        question: str,
        labels: Sequence[str],
        duration: timedelta,
        multiple: bool,
        created_by: int,
        work_ids: Sequence[int | None] | None = None,
        kind: PollKind = PollKind.NATIVE,
        round_id: int | None = None,
        starts: Sequence[datetime] | None = None,
    ) -> Poll:
        """Post a Discord poll and the bot's info message beside it, and schedule its close.

        A vote in the instant between the post and its id being stored is picked up by the reconciliation
        that precedes the final count.
        """
        channel_id = getattr(channel, "id", 0)
        answers = fit_answers(labels)
        options = [
            NewOption(
                label,
                answer,
                work_ids[i] if work_ids else None,
                starts[i] if starts else None,
            )
            for i, (label, answer) in enumerate(zip(labels, answers, strict=True))
        ]
        closes_at = self.clock.now() + duration
        poll_id = await self.store.polls.create(
            guild_id,
            kind,
            channel_id=channel_id,
            question=question,
            options=options,
            closes_at=closes_at,
            allow_multiple=multiple,
            created_by=created_by,
            round_id=round_id,
        )
        native = discord.Poll(question=shorten(question, 300), duration=duration, multiple=multiple)
        for answer in answers:
            native.add_answer(text=answer)
        try:
            message = await send(channel, poll=native)
        except Exception:
            await self.store.polls.delete(poll_id)
            raise
        await self.store.polls.set_messages(poll_id, message_id=message.id)
        if kind is PollKind.DATES:
            self._tallied[message.id] = poll_id
        # The scheduler must know before the info post, so a failure there still closes the poll.
        await self.scheduler.schedule(
            guild_id, CLOSE_EVENT, key=str(poll_id), due_at=closes_at, payload={"poll_id": poll_id}
        )
        poll = await self._get(poll_id)
        try:
            info = await send(
                channel, embed=_render.info_embed(poll), reference=message, mention_author=False
            )
        except discord.HTTPException:
            # The poll is live and its votes are kept; only the full-text companion is missing.
            log.warning("Poll %s: could not post its info message", poll_id, exc_info=True)
            return poll
        await self.store.polls.set_messages(poll_id, info_message_id=info.id)
        return await self._get(poll_id)

    async def post_ranked(
        self,
        channel: discord.abc.Messageable,
        guild_id: int,
        *,
        question: str,
        labels: Sequence[str],
        work_ids: Sequence[int | None],
        duration: timedelta,
        created_by: int,
        round_id: int | None = None,
        view_for: Callable[[int], discord.ui.View],
    ) -> Poll:
        """Post a ranked-choice poll with its persistent "Rank your choices" button."""
        options = [
            NewOption(label, shorten(label, 100), work_id)
            for label, work_id in zip(labels, work_ids, strict=True)
        ]
        closes_at = self.clock.now() + duration
        poll_id = await self.store.polls.create(
            guild_id,
            PollKind.RANKED,
            channel_id=getattr(channel, "id", 0),
            question=question,
            options=options,
            closes_at=closes_at,
            created_by=created_by,
            round_id=round_id,
        )
        poll = await self._get(poll_id)
        try:
            message = await send(channel, embed=_render.ranked_embed(poll, 0), view=view_for(poll_id))
        except Exception:
            await self.store.polls.delete(poll_id)
            raise
        await self.store.polls.set_messages(poll_id, message_id=message.id)
        await self.scheduler.schedule(
            guild_id, CLOSE_EVENT, key=str(poll_id), due_at=closes_at, payload={"poll_id": poll_id}
        )
        return await self._get(poll_id)

    async def _get(self, poll_id: int) -> Poll:
        poll = await self.store.polls.get(poll_id)
        if poll is None:
            raise NotFound(f"Poll #{poll_id} no longer exists.")
        return poll

    # -- votes from the gateway ------------------------------------------------------------------
    # Each vote event is queued and written at once by one writer task; events that arrive while a write
    # is in flight go into the next transaction together. A vote is in SQLite milliseconds after its
    # event, and a burst costs one transaction per write instead of one per vote. Should the process
    # die with votes still queued, the reconciliation at the next start (and before any final count)
    # takes them from Discord's voter lists.
    async def vote_added(self, message_id: int, answer_id: int, user_id: int) -> None:
        """Record a vote the moment Discord reports it."""
        await self._queue(True, message_id, answer_id, user_id)

    async def vote_removed(self, message_id: int, answer_id: int, user_id: int) -> None:
        """Forget a vote the moment Discord reports its removal."""
        await self._queue(False, message_id, answer_id, user_id)

    async def _queue(self, added: bool, message_id: int, answer_id: int, user_id: int) -> None:
        self.vote_events += 1
        lock = self._locks.peek(message_id)
        if lock is not None and lock.locked():
            async with lock:  # Discord's voters are being read: this newer event must land after them
                pass
        self._pending.append(VoteOp(added, message_id, answer_id, user_id, self.clock.now()))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued(), name="bookclub-poll-votes")
        if message_id in self._tallied:
            self.tallies.touch(self._tallied[message_id])

    async def _write_queued(self) -> None:
        while self._pending:
            await self.flush_votes()

    async def flush_votes(self) -> None:
        """Write every queued vote event now, in order, in one transaction."""
        async with self._write_lock:
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                await self.store.polls.apply_votes(batch)
            except Exception:
                # Not retried blindly: the reconciliation with Discord's voters restores them.
                log.exception(
                    "Could not store %d poll vote events; reconciliation will restore them", len(batch)
                )
                return
            self.votes_written += len(batch)

    async def _discord_voters(self, message: discord.Message) -> dict[int, set[int]]:
        assert message.poll is not None
        truth: dict[int, set[int]] = {}
        for answer in message.poll.answers:
            # vote_count is only approximate while a poll is open, and discord.py stops paging at it:
            # ask for every page until Discord returns an empty one.
            truth[answer.id] = {u.id async for u in answer.voters(limit=sys.maxsize)}
        return truth

    async def _fetch(self, poll: Poll) -> discord.Message:
        assert poll.message_id is not None
        channel = self.bot.get_partial_messageable(poll.channel_id, guild_id=poll.guild_id)
        return await channel.fetch_message(poll.message_id)

    async def reconcile(self, poll: Poll) -> tuple[int, int]:
        """Make the stored votes of an open Discord poll equal Discord's; return (added, removed)."""
        assert poll.message_id is not None
        async with self._lock(poll.message_id):
            await self.flush_votes()  # events seen before Discord's list is read are older than it
            message = await self._fetch(poll)
            if message.poll is None:
                return 0, 0
            truth = await self._discord_voters(message)
            changed = await self.store.polls.replace_votes(poll.id, truth)
        if any(changed):
            log.info("Poll %s reconciled with Discord: %d votes added, %d removed", poll.id, *changed)
        return changed

    async def reconcile_open(self) -> None:
        """Reconcile every open Discord poll of this process's guilds (after a start or a reconnect).

        Another process's guilds are its own: their votes reach only it, so it alone reconciles and redraws them.
        """
        now = self.clock.now()
        for poll in await self.store.polls.open_polls([PollKind.NATIVE, PollKind.DATES], self.shards):
            if poll.kind is PollKind.DATES and poll.message_id is not None:
                self._tallied[poll.message_id] = poll.id
            if poll.closes_at <= now:
                continue  # its close timer runs (late) and reconciles before the final count
            try:
                await self.reconcile(poll)
                if poll.kind is PollKind.DATES:
                    self.tallies.touch(poll.id)
            except discord.NotFound:
                log.warning("Poll %s: its message is gone; keeping the votes recorded so far", poll.id)
            except discord.HTTPException:
                log.warning("Poll %s: could not reconcile with Discord now", poll.id, exc_info=True)
        # A ballot cast just before a crash may have been stored while its tally redraw was still
        # waiting in the debouncer: redraw every open ranked poll once, so none keeps a stale count.
        for poll in await self.store.polls.open_polls([PollKind.RANKED], self.shards):
            if poll.closes_at > now:
                self.tallies.touch(poll.id)

    def start_reconciling(self) -> None:
        """Reconcile in the background, once at a time."""
        self.reconciling.start()

    async def stop_reconciling(self) -> None:
        """Cancel a reconciliation still running (at shutdown, before the database closes); it resumes on start."""
        await self.reconciling.stop()

    # -- tallies --------------------------------------------------------------------------------------
    async def _refresh_tally(self, poll_id: int) -> None:
        poll = await self.store.polls.get(poll_id)
        if poll is None or not poll.is_open or poll.message_id is None:
            return
        await self.flush_votes()
        channel = self.bot.get_partial_messageable(poll.channel_id)
        if poll.kind is PollKind.RANKED:
            ballots = await self.store.polls.voters(poll_id)
            await channel.get_partial_message(poll.message_id).edit(embed=_render.ranked_embed(poll, ballots))
        elif poll.kind is PollKind.DATES and poll.info_message_id is not None:
            # The bot's own info message, never the poll message: Discord does not allow editing a poll.
            counts = await self.store.polls.vote_counts(poll_id)
            voters = await self.store.polls.voters(poll_id)
            embed = _render.info_embed(poll, tally=(counts, voters))
            await channel.get_partial_message(poll.info_message_id).edit(embed=embed)

    # -- closing --------------------------------------------------------------------------------------
    async def close(self, poll_id: int) -> Poll:
        """End a poll, store its final counts and post the results; safe to run twice."""
        poll = await self._get(poll_id)
        if not poll.is_open or poll.message_id is None:
            return poll
        async with self._lock(poll.message_id):
            poll = await self._get(poll_id)
            if not poll.is_open:
                return poll
            await self.flush_votes()
            if poll.kind is PollKind.RANKED:
                return await self._close_ranked(poll)
            return await self._close_native(poll)

    async def _close_native(self, poll: Poll) -> Poll:
        try:
            message = await self._fetch(poll)
        except discord.NotFound:
            log.warning("Poll %s: its message was deleted; closing with the votes recorded", poll.id)
            message = None
        if message is not None and message.poll is not None:
            if not message.poll.is_finalised():
                try:
                    message = await message.end_poll()
                except discord.HTTPException as exc:
                    if exc.code != POLL_ALREADY_ENDED:
                        raise
                    message = await self._fetch(poll)
            await self.store.polls.replace_votes(poll.id, await self._discord_voters(message))
        counts = await self.store.polls.vote_counts(poll.id)
        top = max(counts.values(), default=0)
        leaders = [p for p, n in counts.items() if n == top and top]
        await self.store.polls.close(
            poll.id, counts, winner_position=leaders[0] if len(leaders) == 1 else None
        )
        if poll.message_id is not None:
            self._tallied.pop(poll.message_id, None)
        closed = await self._get(poll.id)
        voters = await self.store.polls.voters(poll.id)
        if closed.info_message_id is not None:  # the bot's own message may change; the poll may not
            with contextlib.suppress(discord.HTTPException):
                info = self.bot.get_partial_messageable(closed.channel_id).get_partial_message(
                    closed.info_message_id
                )
                await info.edit(embed=_render.info_embed(closed, tally=(counts, voters)))
        await self._post_results(closed, embed=_render.results_embed(closed, counts, voters))
        return closed

    async def _close_ranked(self, poll: Poll) -> Poll:
        ballots = await self.store.polls.ballots(poll.id)
        result = count([o.position for o in poll.options], ballots)
        await self.store.polls.close(
            poll.id,
            {p: n for p, n in (result.rounds[0].votes.items() if result.rounds else ())},
            winner_position=result.winner,
            result=json.dumps(count_to_json(result)),
        )
        closed = await self._get(poll.id)
        if closed.message_id is not None:
            with contextlib.suppress(discord.HTTPException):
                message = self.bot.get_partial_messageable(closed.channel_id).get_partial_message(
                    closed.message_id
                )
                embed = _render.ranked_embed(closed, result.ballots)
                embed.title = (embed.title or "").replace("Rank your choices:", "Closed:", 1)
                await message.edit(embed=embed, view=None)
        image = await asyncio.to_thread(_render.rounds_png, [o.label for o in closed.options], result)
        file = discord.File(fp=io.BytesIO(image), filename=f"poll-{closed.id}-rounds.png")
        embed = _render.ranked_results_embed(closed, result)
        embed.set_image(url=f"attachment://{file.filename}")
        await self._post_results(closed, embed=embed, files=[file])
        return closed

    async def _post_results(
        self, poll: Poll, *, embed: discord.Embed, files: Sequence[discord.File] = ()
    ) -> None:
        view = self.results_view(poll) if self.results_view else None
        channel = self.bot.get_partial_messageable(poll.channel_id, guild_id=poll.guild_id)
        reference = (
            channel.get_partial_message(poll.message_id).to_reference(fail_if_not_exists=False)
            if poll.message_id
            else None
        )
        try:
            await send(
                channel, embed=embed, files=files, view=view, reference=reference, mention_author=False
            )
        except discord.HTTPException:
            log.warning("Poll %s closed, but its results could not be posted", poll.id, exc_info=True)


def count_to_json(result: Count[int]) -> dict[str, Any]:
    """Store a count's rounds as JSON (candidate keys become strings)."""
    return {
        "winner": result.winner,
        "ballots": result.ballots,
        "rounds": [
            {
                **{k: v for k, v in asdict(r).items() if k not in ("votes", "transfers")},
                "votes": {str(c): n for c, n in r.votes.items()},
                "transfers": {("exhausted" if c is None else str(c)): n for c, n in r.transfers.items()},
            }
            for r in result.rounds
        ],
    }


def count_from_json(candidates: Sequence[int], data: dict[str, Any]) -> Count[int]:
    """Rebuild a stored count, so results stay as counted even after members' ballots are forgotten."""

    def key(text: str) -> int | None:
        return None if text == "exhausted" else int(text)

    rounds = tuple(
        Round(
            number=r["number"],
            votes={int(c): n for c, n in r["votes"].items()},
            exhausted=r["exhausted"],
            eliminated=r["eliminated"],
            transfers={key(c): n for c, n in r["transfers"].items()},
            tie_break=r["tie_break"],
        )
        for r in data["rounds"]
    )
    return Count(tuple(candidates), data["ballots"], rounds, data["winner"])
