"""Timers fire once across processes: claims, leases and shard filters, on SQLite and on PostgreSQL.

Each "process" is its own `Database` (a connection or pool) on the test's one database, with its own
scheduler and owner id, as two bot processes would be.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.client import BookClubBot, scheduler_lease, scheduler_poll, served_shards
from bot.scheduler import (
    FIRST_RETRY,
    HANDLER_TIMEOUT,
    LEASE,
    MAX_ATTEMPTS,
    MIN_LEASE,
    RENEW_BELOW,
    Scheduler,
    lease_limits,
)
from bot.settings import load_settings
from bot.store import Database, ShardFilter, Store, Timer
from bot.store.timers import TimerRepository
from fakediscord import FakeClock

START = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
EVENT = "test.fire"


def guild_on_shard(shard: int, count: int, n: int = 0) -> int:
    """Return a guild id that Discord routes to `shard` of `count` (its bits above 22 decide)."""
    return ((1_000_000 + n) * count + shard) << 22


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=START, settle_seconds=0)


OpenStore = Callable[[], Awaitable[Store]]


@pytest.fixture
async def processes(open_database, clock) -> AsyncIterator[OpenStore]:
    """Open one store per call, each on its own connection to the test's database, migrated once."""
    opened: list[Database] = []

    async def open_store() -> Store:
        db = await open_database()
        if not opened:
            await db.migrate()
        opened.append(db)
        return Store.build(db, clock)

    yield open_store
    for db in opened:
        await db.close()


def settle_all(clock: FakeClock, *schedulers: Scheduler) -> None:
    """Let each step of `clock.advance` wait for every scheduler, as the e2e harness does for one."""

    async def settle(_quiet: float) -> None:
        for scheduler in schedulers:
            await scheduler.wait_idle()

    clock.settler = settle


async def schedule_many(timers: TimerRepository, guilds: list[int], per_guild: int, due_at: datetime) -> None:
    for guild in guilds:
        for i in range(per_guild):
            await timers.upsert(guild, EVENT, f"{guild}:{i}", due_at, {})


# --- The repository ----------------------------------------------------------------------------------


async def test_concurrent_claims_never_hand_one_timer_to_two_owners(processes):
    stores = [await processes() for _ in range(3)]
    guilds = [guild_on_shard(0, 1, n) for n in range(10)]
    await schedule_many(stores[0].timers, guilds, 12, START)

    claimed: dict[str, list[int]] = {}

    async def claim_until_none(store: Store, owner: str) -> None:
        mine = claimed.setdefault(owner, [])
        while batch := await store.timers.claim_due(START, owner, LEASE, limit=7):
            mine.extend(t.id for t in batch)
            assert all(t.claimed_by == owner and t.claimed_until == START + LEASE for t in batch)
            await asyncio.sleep(0)

    await asyncio.gather(*(claim_until_none(s, f"owner-{i}") for i, s in enumerate(stores)))
    every = [i for ids in claimed.values() for i in ids]
    assert len(every) == 120
    assert len(set(every)) == 120, "a timer was claimed twice"
    # Claimed timers are no longer due for anyone, however often they ask.
    assert await stores[1].timers.claim_due(START + timedelta(minutes=1), "late", LEASE) == []


async def test_a_live_lease_is_kept_and_an_expired_one_is_taken_over(processes, clock):
    store = await processes()
    timers = store.timers
    await timers.upsert(7 << 22, EVENT, "k", START, {})
    [held] = await timers.claim_due(START, "dead", LEASE)
    assert await timers.next_due_at() == START + LEASE  # next relevant when the lease lapses

    just_before = START + LEASE - timedelta(microseconds=1)
    assert await timers.claim_due(just_before, "alive", LEASE) == []
    [taken] = await timers.claim_due(START + LEASE, "alive", LEASE)
    assert (taken.id, taken.claimed_by, taken.claimed_until) == (held.id, "alive", START + 2 * LEASE)
    # The dead owner's late finish or retry must not touch the timer the survivor now holds.
    assert await timers.finish(held, "dead") is False
    assert await timers.retry(held, START + timedelta(days=1), "dead") is False
    assert await timers.renew(held, "dead", START + 3 * LEASE) is None
    assert await timers.finish(taken, "alive") is True
    assert await timers.for_guild(7 << 22) == []


async def test_finish_retry_and_renew_by_a_non_owner_do_nothing(processes):
    store = await processes()
    timers = store.timers
    await timers.upsert(1 << 22, EVENT, "k", START, {})
    [mine] = await timers.claim_due(START, "me", LEASE)
    assert await timers.finish(mine, "someone-else") is False
    assert await timers.retry(mine, START + timedelta(hours=1), "someone-else") is False
    assert await timers.renew(mine, "someone-else", START + 2 * LEASE) is None
    [still] = await timers.for_guild(1 << 22)
    assert (still.claimed_by, still.due_at, still.attempts, still.version) == ("me", START, 0, mine.version)

    renewed = await timers.renew(mine, "me", START + 2 * LEASE)
    assert renewed is not None and renewed.claimed_until == START + 2 * LEASE
    assert await timers.retry(mine, START + timedelta(hours=1), "me") is True
    [retried] = await timers.for_guild(1 << 22)
    assert (retried.claimed_by, retried.claimed_until, retried.attempts) == (None, None, 1)
    assert retried.due_at == START + timedelta(hours=1)


async def test_moving_a_claimed_timer_keeps_the_move_and_frees_it(processes):
    store = await processes()
    timers = store.timers
    await timers.upsert(1 << 22, EVENT, "k", START, {})
    [claimed] = await timers.claim_due(START, "me", LEASE)
    await timers.upsert(1 << 22, EVENT, "k", START + timedelta(minutes=5), {"moved": True})
    assert await timers.finish(claimed, "me") is False  # the handler's finish keeps the moved timer
    [moved] = await timers.for_guild(1 << 22)
    assert (moved.due_at, moved.payload, moved.claimed_by) == (
        START + timedelta(minutes=5),
        {"moved": True},
        None,
    )
    assert await timers.next_due_at() == START + timedelta(minutes=5)
    [again] = await timers.claim_due(START + timedelta(minutes=5), "other", LEASE)
    assert again.version == claimed.version + 1


async def test_shard_filters_claim_only_their_guilds_timers(processes):
    store = await processes()
    timers = store.timers
    by_shard = {shard: [guild_on_shard(shard, 4, n) for n in range(3)] for shard in range(4)}
    for shard, guilds in by_shard.items():
        await schedule_many(timers, guilds, 2, START + timedelta(minutes=shard))

    low = ShardFilter(4, (0, 2))
    assert await timers.next_due_at(low) == START
    assert await timers.next_due_at(ShardFilter(4, (3,))) == START + timedelta(minutes=3)
    claimed = await timers.claim_due(START + timedelta(hours=1), "low", LEASE, low)
    assert {t.guild_id for t in claimed} == {*by_shard[0], *by_shard[2]}
    assert len(claimed) == 12
    assert await timers.next_due_at(low) == START + timedelta(hours=1) + LEASE
    rest = await timers.claim_due(START + timedelta(hours=1), "rest", LEASE)
    assert {t.guild_id for t in rest} == {*by_shard[1], *by_shard[3]}


def test_a_shard_filter_routes_as_discord_does():
    guild = 81384788765712384  # Discord's example snowflake
    assert ShardFilter(16, ((guild >> 22) % 16,)).serves(guild)
    assert not ShardFilter(16, (((guild >> 22) + 1) % 16,)).serves(guild)
    with pytest.raises(ValueError, match="between 0 and 3"):
        ShardFilter(4, (4,))
    with pytest.raises(ValueError, match="between 0 and 3"):
        ShardFilter(4, ())


async def test_release_hands_back_only_that_owners_claims(processes):
    store = await processes()
    timers = store.timers
    await schedule_many(timers, [1 << 22], 4, START)
    await timers.claim_due(START, "a", LEASE, limit=3)
    await timers.claim_due(START, "b", LEASE)
    assert await timers.release("a") == 3
    held = Counter(t.claimed_by for t in await timers.for_guild(1 << 22))
    assert held == {None: 3, "b": 1}
    assert await timers.release_every_claim() == 1
    assert all(t.claimed_by is None for t in await timers.for_guild(1 << 22))


async def test_taking_over_a_lapsed_claim_whose_handler_started_counts_a_failed_attempt(processes):
    store = await processes()
    timers = store.timers
    await schedule_many(timers, [1 << 22], 2, START)
    started, waiting = await timers.claim_due(START, "dead", LEASE)
    assert (started.attempts, started.started) == (0, False)
    begun = await timers.begin(started, "dead")
    assert begun is not None and (begun.started, begun.claimed_until) == (True, START + LEASE)
    # The dead process ran the first timer's handler; the second waited behind it, never started.
    taken = {t.key: t for t in await timers.claim_due(START + LEASE, "alive", LEASE)}
    assert (taken[started.key].attempts, taken[started.key].started) == (1, False)
    assert taken[waiting.key].attempts == 0
    assert await timers.begin(begun, "dead") is None  # the dead owner can no longer mark it
    # A second death mid-handler counts again.
    await timers.begin(taken[started.key], "alive", START + 2 * LEASE)
    [again] = await timers.claim_due(START + 3 * LEASE, "third", LEASE, limit=1)
    assert (again.key, again.attempts) == (started.key, 2)


async def test_a_released_claim_is_claimed_again_with_its_attempts_unchanged(processes):
    store = await processes()
    timers = store.timers
    await timers.upsert(1 << 22, EVENT, "k", START, {})
    [claimed] = await timers.claim_due(START, "stopping", LEASE)
    await timers.begin(claimed, "stopping")  # its handler was cut off by the clean stop
    assert await timers.release("stopping") == 1
    [freed] = await timers.for_guild(1 << 22)
    assert (freed.claimed_by, freed.started, freed.attempts) == (None, False, 0)
    [reclaimed] = await timers.claim_due(START + LEASE, "next", LEASE)
    assert reclaimed.attempts == 0


async def test_a_retry_or_a_move_clears_the_started_mark(processes):
    store = await processes()
    timers = store.timers
    await schedule_many(timers, [1 << 22], 2, START)
    retried, moved = await timers.claim_due(START, "me", LEASE)
    for timer in (retried, moved):
        await timers.begin(timer, "me")
    assert await timers.retry(retried, START, "me") is True
    await timers.upsert(1 << 22, EVENT, moved.key, START, {})
    again = await timers.claim_due(START + LEASE, "other", LEASE)
    assert sorted((t.key, t.attempts) for t in again) == [(retried.key, 1), (moved.key, 0)]


async def test_taking_back_a_killed_processs_claims_at_start_counts_started_handlers(processes):
    store = await processes()
    timers = store.timers
    await schedule_many(timers, [1 << 22], 2, START)
    started, waiting = await timers.claim_due(START, "killed", LEASE)
    await timers.begin(started, "killed")
    assert await timers.release_every_claim() == 2  # what a SQLite bot does at start
    after = {t.key: t for t in await timers.for_guild(1 << 22)}
    assert (after[started.key].attempts, after[waiting.key].attempts) == (1, 0)
    assert not any(t.started or t.claimed_by for t in after.values())


# --- Schedulers in two processes ---------------------------------------------------------------------


def recorder(ran: list[Timer], *, yields: int = 3) -> Callable[[Timer], Awaitable[None]]:
    async def handler(timer: Timer) -> None:
        for _ in range(yields):  # let the other process's scheduler interleave
            await asyncio.sleep(0)
        ran.append(timer)

    return handler


async def test_two_processes_run_each_due_timer_exactly_once(processes, clock):
    first, second = await processes(), await processes()
    guilds = [guild_on_shard(0, 1, n) for n in range(20)]
    await schedule_many(first.timers, guilds, 10, START)
    ran: list[Timer] = []
    schedulers = [
        Scheduler(s.timers, clock, owner=f"p{i}", claim_batch=15) for i, s in enumerate((first, second))
    ]
    who: Counter[str] = Counter()
    for scheduler in schedulers:
        owner = scheduler.owner

        async def handler(timer: Timer, owner: str = owner) -> None:
            await asyncio.sleep(0.001)
            who[owner] += 1
            ran.append(timer)

        scheduler.on(EVENT, handler)
    settle_all(clock, *schedulers)
    for scheduler in schedulers:
        scheduler.start()
    for scheduler in schedulers:
        await scheduler.wait_idle(within=60)
    await clock.advance(timedelta(minutes=1))  # any pass still to come finds nothing
    counts = Counter(t.key for t in ran)
    assert len(counts) == 200
    assert set(counts.values()) == {1}, [k for k, n in counts.items() if n > 1]
    assert sum(s.runs for s in schedulers) == 200
    assert set(who) == {"p0", "p1"}, who  # both took part, in small batches
    for guild in guilds:
        assert await first.timers.for_guild(guild) == []
    for scheduler in schedulers:
        await scheduler.stop()


async def test_shard_processes_run_only_their_guilds_timers(processes, clock):
    first, second = await processes(), await processes()
    guilds = [guild_on_shard(shard, 2, n) for shard in (0, 1) for n in range(5)]
    await schedule_many(first.timers, guilds, 3, START + timedelta(minutes=1))
    ran: dict[int, list[Timer]] = {0: [], 1: []}
    schedulers = []
    for shard, store in enumerate((first, second)):
        scheduler = Scheduler(store.timers, clock, shards=ShardFilter(2, (shard,)))
        scheduler.on(EVENT, recorder(ran[shard]))
        schedulers.append(scheduler)
    settle_all(clock, *schedulers)
    for scheduler in schedulers:
        scheduler.start()
    await clock.advance(timedelta(minutes=1))
    for shard in (0, 1):
        assert len(ran[shard]) == 15
        assert {(t.guild_id >> 22) % 2 for t in ran[shard]} == {shard}
    assert Counter(t.key for t in ran[0] + ran[1]) == Counter(
        {f"{g}:{i}": 1 for g in guilds for i in range(3)}
    )
    for scheduler in schedulers:
        await scheduler.stop()


async def test_a_dead_processs_timer_runs_in_its_replacement_once_the_lease_lapses(processes, clock):
    dead, replacement = await processes(), await processes()
    guild = guild_on_shard(1, 2)
    await dead.timers.upsert(guild, EVENT, "k", START, {})
    await dead.timers.claim_due(START, "dead-process", LEASE, ShardFilter(2, (1,)))  # then SIGKILLed
    ran: list[Timer] = []
    scheduler = Scheduler(replacement.timers, clock, shards=ShardFilter(2, (1,)))
    scheduler.on(EVENT, recorder(ran))
    settle_all(clock, scheduler)
    scheduler.start()
    await scheduler.wait_idle()
    assert ran == []  # the lease is live: the dead process might still be running it
    assert clock.pending_sleepers == [START + LEASE]  # it sleeps until the lease lapses, no polling
    await clock.advance(LEASE - timedelta(seconds=1))
    assert ran == []
    await clock.advance(timedelta(seconds=1))
    assert [t.key for t in ran] == ["k"]
    assert await replacement.timers.for_guild(guild) == []
    await scheduler.stop()


SHORT_LEASE = timedelta(seconds=8)  # as the multi-process e2e tests give their bot processes


@pytest.mark.parametrize(
    ("lease", "handler_timeout", "renew_below"),
    [
        (LEASE, HANDLER_TIMEOUT, RENEW_BELOW),  # the default keeps 5 min and 7 min
        (timedelta(hours=1), HANDLER_TIMEOUT, RENEW_BELOW),
        (timedelta(minutes=10), 200.0, timedelta(minutes=5)),
        (SHORT_LEASE, 8 / 3, timedelta(seconds=4)),
        (MIN_LEASE, 1.0, timedelta(seconds=1.5)),
    ],
)
def test_a_short_lease_scales_the_handler_timeout_and_the_renewal_threshold_down(
    lease, handler_timeout, renew_below
):
    timeout, below = lease_limits(lease)
    assert timeout == pytest.approx(handler_timeout)
    assert below == renew_below
    # A handler that starts with more than `below` of its claim left ends (or is cut off) before it lapses.
    assert timedelta(seconds=timeout) < below < lease
    assert below - timedelta(seconds=timeout) >= min(timedelta(minutes=2), lease / 6) - timedelta(
        microseconds=1
    )


async def test_a_lease_shorter_than_the_minimum_is_refused(processes, clock):
    store = await processes()
    with pytest.raises(ValueError, match="at least 3 s"):
        Scheduler(store.timers, clock, lease=MIN_LEASE - timedelta(milliseconds=1))
    assert Scheduler(store.timers, clock, lease=MIN_LEASE).handler_timeout == pytest.approx(1.0)


async def test_a_short_lease_cuts_a_hung_handler_off_within_a_third_of_it(processes, clock):
    store = await processes()
    await store.timers.upsert(1 << 22, EVENT, "k", START, {})
    entered = asyncio.Event()

    async def hangs(timer: Timer) -> None:
        entered.set()
        await asyncio.Event().wait()  # a request to Discord that never answers

    scheduler = Scheduler(store.timers, clock, lease=timedelta(seconds=3))
    scheduler.on(EVENT, hangs)
    loop = asyncio.get_running_loop()
    began = loop.time()
    scheduler.start()
    await asyncio.wait_for(entered.wait(), 5)
    # Idle again only once the handler was cut off and its retry stored (the default would take 5 min).
    await scheduler.wait_idle(within=5)
    took = loop.time() - began
    assert 0.9 <= took < 2, f"cut off after {took:.2f} s, not a third of the 3 s lease"
    [retried] = await store.timers.for_guild(1 << 22)
    assert (retried.attempts, retried.claimed_by, retried.due_at) == (1, None, START + FIRST_RETRY)
    await scheduler.stop()


async def test_a_timer_a_killed_process_was_running_is_taken_over_after_a_short_lease(processes, clock):
    dying, replacement = await processes(), await processes()
    guild = guild_on_shard(1, 2)
    await dying.timers.upsert(guild, EVENT, "k", START, {})
    entered = asyncio.Event()

    async def hangs(timer: Timer) -> None:
        entered.set()
        await asyncio.Event().wait()

    killed = Scheduler(dying.timers, clock, owner="killed", shards=ShardFilter(2, (1,)), lease=SHORT_LEASE)
    killed.on(EVENT, hangs)
    killed.start()
    await asyncio.wait_for(entered.wait(), 5)
    # Killed mid-handler: its connection is gone, so its claim cannot be handed back and must lapse.
    await dying.db.close()
    await killed.stop()
    [held] = await replacement.timers.for_guild(guild)
    assert (held.claimed_by, held.claimed_until) == ("killed", START + SHORT_LEASE)

    ran: list[Timer] = []
    scheduler = Scheduler(replacement.timers, clock, shards=ShardFilter(2, (1,)), lease=SHORT_LEASE)
    scheduler.on(EVENT, recorder(ran))
    settle_all(clock, scheduler)
    scheduler.start()
    await scheduler.wait_idle()
    assert ran == []  # the claim is live: the killed process might still be running it
    assert clock.pending_sleepers == [START + SHORT_LEASE]
    await clock.advance(SHORT_LEASE - timedelta(milliseconds=1))
    assert ran == []
    await clock.advance(timedelta(milliseconds=1))
    assert [(t.key, t.claimed_by) for t in ran] == [("k", scheduler.owner)]
    assert ran[0].claimed_until == START + 2 * SHORT_LEASE
    assert await replacement.timers.for_guild(guild) == []
    await scheduler.stop()


@pytest.mark.parametrize(
    ("first_takes", "renewed"), [(timedelta(seconds=5), True), (timedelta(seconds=3), False)]
)
async def test_a_short_leases_claim_is_renewed_once_less_than_half_of_it_is_left(
    processes, clock, first_takes, renewed
):
    store = await processes()
    await schedule_many(store.timers, [1 << 22], 2, START)
    ran: list[tuple[str, datetime | None]] = []

    async def slow(timer: Timer) -> None:
        if timer.key.endswith(":0"):
            await clock.advance(first_takes, settle=0)
        ran.append((timer.key, timer.claimed_until))

    scheduler = Scheduler(store.timers, clock, lease=SHORT_LEASE)
    scheduler.on(EVENT, slow)
    scheduler.start()
    await scheduler.wait_idle()
    second_until = START + first_takes + SHORT_LEASE if renewed else START + SHORT_LEASE
    assert ran == [(f"{1 << 22}:0", START + SHORT_LEASE), (f"{1 << 22}:1", second_until)]
    await scheduler.stop()


async def test_a_clean_stop_hands_back_a_running_timer_at_once(processes, clock):
    stopping, replacement = await processes(), await processes()
    await stopping.timers.upsert(1 << 22, EVENT, "k", START, {})
    entered = asyncio.Event()

    async def hangs(timer: Timer) -> None:
        entered.set()
        await asyncio.Event().wait()

    first = Scheduler(stopping.timers, clock, owner="first")
    first.on(EVENT, hangs)
    first.start()
    await asyncio.wait_for(entered.wait(), 5)
    [held] = await replacement.timers.for_guild(1 << 22)
    assert held.claimed_by == "first"
    await first.stop()
    [freed] = await replacement.timers.for_guild(1 << 22)
    assert (freed.claimed_by, freed.claimed_until) == (None, None)

    ran: list[Timer] = []
    second = Scheduler(replacement.timers, clock, owner="second")
    second.on(EVENT, recorder(ran))
    second.start()
    await second.wait_idle()
    assert [t.key for t in ran] == ["k"]  # at once, without waiting out a lease
    await second.stop()


@pytest.mark.parametrize("poll", [timedelta(seconds=15), None])
async def test_a_timer_another_process_schedules_is_found_by_the_poll(processes, clock, poll):
    serving, other = await processes(), await processes()
    guild = guild_on_shard(0, 2)
    ran: list[Timer] = []
    scheduler = Scheduler(serving.timers, clock, shards=ShardFilter(2, (0,)), poll=poll)
    scheduler.on(EVENT, recorder(ran))
    settle_all(clock, scheduler)
    scheduler.start()
    await scheduler.wait_idle()
    # The process serving shard 1 schedules a timer for a shard-0 guild: no wake-up reaches `serving`.
    await Scheduler(other.timers, clock, shards=ShardFilter(2, (1,))).schedule(
        guild, EVENT, key="k", due_at=START + timedelta(minutes=1)
    )
    await clock.advance(timedelta(minutes=1, seconds=15))
    if poll is None:
        assert ran == []  # without the poll it would wait for a wake-up that never comes
    else:
        assert [(t.key, t.guild_id) for t in ran] == [("k", guild)]
    await scheduler.stop()


async def test_a_timer_whose_turn_comes_late_in_the_lease_is_renewed_first(processes, clock):
    store = await processes()
    await schedule_many(store.timers, [1 << 22], 2, START)
    ran: list[tuple[str, datetime | None]] = []

    async def slow(timer: Timer) -> None:
        if timer.key.endswith(":0"):
            await clock.advance(LEASE - timedelta(minutes=1), settle=0)  # the first took most of the lease
        ran.append((timer.key, timer.claimed_until))

    scheduler = Scheduler(store.timers, clock)
    scheduler.on(EVENT, slow)
    scheduler.start()
    await scheduler.wait_idle()
    later = START + LEASE - timedelta(minutes=1)
    assert ran == [(f"{1 << 22}:0", START + LEASE), (f"{1 << 22}:1", later + LEASE)]
    await scheduler.stop()


def test_the_bot_filters_timers_by_its_shards_and_polls_only_a_shared_store():
    assert served_shards(None, None) is None  # as many shards as Discord recommends, all here
    assert served_shards(4, None) is None
    assert served_shards(4, [0, 1, 2, 3]) is None
    assert served_shards(16, [3, 0, 1, 2]) == ShardFilter(16, (0, 1, 2, 3))
    settings = load_settings({})
    assert scheduler_poll(settings, shared=False) is None
    assert scheduler_poll(settings, shared=True) == timedelta(seconds=15)
    off = load_settings({"SCHEDULER_POLL_SECONDS": "0"})
    assert scheduler_poll(off, shared=True) is None


async def test_the_bot_gives_its_scheduler_the_lease_setting():
    db = await Database.open(":memory:")
    try:
        for env, lease in (({}, LEASE), ({"SCHEDULER_LEASE_SECONDS": "8"}, SHORT_LEASE)):
            settings = load_settings({"DISCORD_TOKEN": "x.y.z", **env})
            assert scheduler_lease(settings) == lease
            bot = BookClubBot(settings=settings, store=Store.build(db, FakeClock(start=START)))
            assert bot.scheduler.lease == lease
            assert bot.scheduler.handler_timeout == pytest.approx(lease.total_seconds() / 3)
    finally:
        await db.close()


async def test_a_timer_that_kills_its_process_every_time_is_dropped_after_the_most_attempts(processes, clock):
    store = await processes()
    guild = guild_on_shard(0, 1)
    await store.timers.upsert(guild, EVENT, "poison", START, {})
    await store.timers.upsert(guild, EVENT, "healthy", START + timedelta(seconds=1), {})
    lease = timedelta(seconds=3)
    entered: list[int] = []

    async def dies(timer: Timer) -> None:
        if timer.key == "poison":
            entered.append(timer.attempts)
            await asyncio.Event().wait()  # the process dies here; the test stops it without handing back

    ran: list[str] = []
    for life in range(MAX_ATTEMPTS + 1):
        db = await processes()
        scheduler = Scheduler(db.timers, clock, owner=f"life-{life}", lease=lease)
        scheduler.on(EVENT, dies if life < MAX_ATTEMPTS else recorder_keys(ran))
        scheduler.start()
        if life < MAX_ATTEMPTS:
            await wait_for_length(entered, life + 1)
            # SIGKILL: nothing is handed back (the owner's claims stay until their lease lapses).
            scheduler._claimed = False
            await scheduler.stop()
            await db.db.close()
            await clock.advance(lease, settle=0)
        else:
            await scheduler.wait_idle()
            await scheduler.stop()
    assert entered == list(range(MAX_ATTEMPTS))  # each takeover counted the death before it
    # The last process drops the poison timer without running it and runs the rest.
    assert ran == ["healthy"]
    assert await store.timers.for_guild(guild) == []


def recorder_keys(ran: list[str]) -> Callable[[Timer], Awaitable[None]]:
    async def handler(timer: Timer) -> None:
        ran.append(timer.key)

    return handler


async def wait_for_length(items: list[int], length: int, within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while len(items) < length:
        if loop.time() > deadline:
            raise TimeoutError(f"only {len(items)} of {length} handler runs began")
        await asyncio.sleep(0.005)
