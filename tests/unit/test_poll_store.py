"""The poll repository: native votes, reconciliation, ranked ballots, nominations, forgetting, and shards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from schema import column_names

from bot.domain import WorkKind
from bot.errors import UserError
from bot.scheduler import Scheduler
from bot.store import IntegrityError, NewOption, NewWork, PollClosed, PollKind, RoundKinds, ShardFilter
from cogs.polls._service import Debouncer, PollService

GUILD = 111111111111111111
ALICE = 333333333333333333
BOB = 444444444444444444
CHANNEL = 555


async def native_poll(store, clock, message_id=9001):
    poll_id = await store.polls.create(
        GUILD,
        PollKind.NATIVE,
        channel_id=CHANNEL,
        question="Next book?",
        options=[NewOption("Emma", "Emma"), NewOption("Dracula", "Dracula")],
        closes_at=clock.now() + timedelta(hours=24),
        created_by=ALICE,
    )
    await store.polls.set_messages(poll_id, message_id=message_id, info_message_id=message_id + 1)
    return poll_id


async def test_votes_recorded_by_message_until_close(store, clock):
    poll_id = await native_poll(store, clock)
    assert await store.polls.add_vote(9001, 1, ALICE)
    assert not await store.polls.add_vote(9001, 1, ALICE)  # a repeated event changes nothing
    assert await store.polls.add_vote(9001, 2, BOB)
    assert not await store.polls.add_vote(4242, 1, BOB)  # not a poll of ours
    assert await store.polls.remove_vote(9001, 2, BOB)
    assert await store.polls.vote_counts(poll_id) == {1: 1}
    assert await store.polls.close(poll_id, {1: 1}, winner_position=1)
    assert not await store.polls.close(poll_id, {1: 5}, winner_position=2)  # idempotent
    assert not await store.polls.add_vote(9001, 2, BOB)  # closed: ignored
    poll = await store.polls.get(poll_id)
    assert not poll.is_open and poll.winner_position == 1
    assert [o.final_votes for o in poll.options] == [1, 0]


async def test_replace_votes_makes_store_equal_discord(store, clock):
    poll_id = await native_poll(store, clock)
    await store.polls.add_vote(9001, 1, ALICE)
    await store.polls.add_vote(9001, 2, BOB)
    added, removed = await store.polls.replace_votes(poll_id, {1: {ALICE, BOB}, 2: set()})
    assert (added, removed) == (1, 1)
    assert await store.polls.votes(poll_id) == {1: {ALICE, BOB}}


async def test_ballots_replace_and_refuse_bad_input(store, clock):
    poll_id = await store.polls.create(
        GUILD,
        PollKind.RANKED,
        channel_id=CHANNEL,
        question="Ranked",
        options=[NewOption(t, t) for t in "ABC"],
        closes_at=clock.now() + timedelta(days=1),
    )
    await store.polls.set_ballot(poll_id, ALICE, [2, 1])
    await store.polls.set_ballot(poll_id, ALICE, [3])
    await store.polls.set_ballot(poll_id, BOB, [1, 2, 3])
    assert await store.polls.ballot(poll_id, ALICE) == [3]
    assert sorted(await store.polls.ballots(poll_id)) == [[1, 2, 3], [3]]
    assert await store.polls.voters(poll_id) == 2
    with pytest.raises(UserError, match="only once"):
        await store.polls.set_ballot(poll_id, ALICE, [1, 1])
    with pytest.raises(UserError, match="does not have"):
        await store.polls.set_ballot(poll_id, ALICE, [4])
    assert await store.polls.ballot(poll_id, ALICE) == [3]  # nothing written
    await store.polls.close(poll_id, {}, winner_position=3)
    with pytest.raises(PollClosed):
        await store.polls.set_ballot(poll_id, BOB, [2])
    assert await store.polls.ballot(poll_id, BOB) == [1, 2, 3]


async def test_nominations_merge_duplicates_and_one_round_at_a_time(store, clock):
    emma = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma"))
    rnd = await store.nominations.open_round(GUILD, RoundKinds.BOOKS, ALICE)
    with pytest.raises(UserError, match="already open"):
        await store.nominations.open_round(GUILD, RoundKinds.ANY, BOB)
    assert await store.nominations.nominate(rnd.id, emma, ALICE, "Witty.")
    assert not await store.nominations.nominate(rnd.id, emma, BOB, "Short chapters.")
    [nom] = await store.nominations.nominations(rnd.id)
    assert [p.user_id for p in nom.pitches] == [ALICE, BOB]
    assert (await store.nominations.current_round(GUILD)).id == rnd.id
    assert await store.nominations.close_round(rnd.id)
    with pytest.raises(UserError, match="closed"):
        await store.nominations.nominate(rnd.id, emma, ALICE, "again")


async def test_forget_covers_votes_ballots_pitches_and_authorship(store, clock):
    poll_id = await native_poll(store, clock)
    await store.polls.add_vote(9001, 1, ALICE)
    await store.polls.add_vote(9001, 2, BOB)
    ranked = await store.polls.create(
        GUILD,
        PollKind.RANKED,
        channel_id=CHANNEL,
        question="Ranked",
        options=[NewOption(t, t) for t in "AB"],
        closes_at=clock.now() + timedelta(days=1),
        created_by=ALICE,
    )
    await store.polls.set_ballot(ranked, ALICE, [1, 2])
    emma = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma"))
    rnd = await store.nominations.open_round(GUILD, RoundKinds.ANY, ALICE)
    await store.nominations.nominate(rnd.id, emma, ALICE, "Witty.")
    before = await store.privacy.count(ALICE)
    assert (before.poll_votes, before.ranked_ballots, before.nominations) == (1, 2, 1)
    assert (before.rounds_opened, before.polls_created) == (1, 2)
    assert await store.privacy.forget(ALICE) == before
    assert (await store.privacy.count(ALICE)).total == 0
    assert await store.polls.votes(poll_id) == {2: {BOB}}
    # No column anywhere still holds Alice's id.
    for table in ("polls", "poll_votes", "poll_ballots", "nomination_rounds", "nomination_pitches"):
        columns = await column_names(store.db, table)
        for column in columns:
            row = await store.db.fetch_one(
                f"SELECT COUNT(*) FROM {table} WHERE CAST({column} AS TEXT) = ?", (str(ALICE),)
            )
            assert row[0] == 0, (table, column)


async def test_one_poll_per_message(store, clock):
    await native_poll(store, clock, message_id=77)
    with pytest.raises(IntegrityError):
        await native_poll(store, clock, message_id=77)


async def test_apply_votes_keeps_event_order_in_one_transaction(store, clock):
    from bot.store import VoteOp

    poll_id = await native_poll(store, clock)
    now = clock.now()
    ops = [
        VoteOp(True, 9001, 1, ALICE, now),
        VoteOp(True, 9001, 2, BOB, now),
        VoteOp(False, 9001, 1, ALICE, now),  # alice changes her mind...
        VoteOp(True, 9001, 2, ALICE, now),
        VoteOp(False, 9001, 2, BOB, now),
        VoteOp(True, 9001, 1, BOB, now),
        VoteOp(True, 4242, 1, BOB, now),  # a message that is not one of our polls
    ]
    await store.polls.apply_votes(ops)
    assert await store.polls.votes(poll_id) == {1: {BOB}, 2: {ALICE}}


# Two guilds on the two shards of two: Discord routes a guild to shard (guild_id >> 22) % count.
SHARD_0_GUILD = 1000 << 22
SHARD_1_GUILD = 1001 << 22


async def open_poll(store, clock, guild_id, kind, message_id):
    poll_id = await store.polls.create(
        guild_id,
        kind,
        channel_id=CHANNEL,
        question="Next book?",
        options=[NewOption("Emma", "Emma"), NewOption("Dracula", "Dracula")],
        closes_at=clock.now() + timedelta(days=1),
        created_by=ALICE,
    )
    await store.polls.set_messages(poll_id, message_id=message_id, info_message_id=message_id + 1)
    return poll_id


async def test_open_polls_of_some_shards_are_only_their_guilds(store, clock):
    low = await open_poll(store, clock, SHARD_0_GUILD, PollKind.NATIVE, 100)
    high = await open_poll(store, clock, SHARD_1_GUILD, PollKind.NATIVE, 200)
    ranked_high = await open_poll(store, clock, SHARD_1_GUILD, PollKind.RANKED, 300)
    assert [p.id for p in await store.polls.open_polls()] == [low, high, ranked_high]
    assert [p.id for p in await store.polls.open_polls(shards=ShardFilter(2, (0,)))] == [low]
    assert [p.id for p in await store.polls.open_polls([PollKind.RANKED], ShardFilter(2, (1,)))] == [
        ranked_high
    ]
    assert [p.id for p in await store.polls.open_polls([PollKind.NATIVE], ShardFilter(2, (0, 1)))] == [
        low,
        high,
    ]


@pytest.mark.parametrize(
    ("shards", "redrawn"), [(None, "both"), (ShardFilter(2, (0,)), "low"), (ShardFilter(2, (1,)), "high")]
)
async def test_the_start_redraws_only_the_ranked_polls_of_this_process_shards(store, clock, shards, redrawn):
    low = await open_poll(store, clock, SHARD_0_GUILD, PollKind.RANKED, 100)
    high = await open_poll(store, clock, SHARD_1_GUILD, PollKind.RANKED, 200)
    service = PollService(
        None, store=store, scheduler=Scheduler(store.timers, clock), clock=clock, shards=shards
    )
    drawn: list[int] = []

    async def redraw(poll_id: int) -> None:
        drawn.append(poll_id)

    service.tallies = Debouncer(redraw, interval=0)
    await service.reconcile_open()
    await service.tallies.flush()
    assert sorted(drawn) == {"both": [low, high], "low": [low], "high": [high]}[redrawn]
