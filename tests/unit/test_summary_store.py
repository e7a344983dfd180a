"""Stored summaries, summary jobs, daily usage and opt-outs; /privacy forget covers them."""

import asyncio
from datetime import timedelta

import pytest

from bot.store import (
    AlreadySummarizing,
    BudgetSpent,
    CoolingDown,
    JobOutcome,
    OverBudget,
    Store,
    SummaryJob,
)

GUILD = 111111111111111111
THREAD = 555555555555555555
ALICE = 333333333333333333
BOB = 444444444444444444


async def save(store, body="**Main points**\n- x [1]", authors=(ALICE,), last=900):
    return await store.summaries.save(
        GUILD,
        THREAD,
        spoiler_scope="none",
        model="m",
        body=body,
        refs={1: 800},
        last_message_id=last,
        message_count=10,
        left_out=2,
        author_ids=authors,
    )


async def test_a_thread_keeps_one_summary_replaced_by_the_next(store, clock):
    assert await store.summaries.get(GUILD, THREAD) is None
    first = await save(store)
    assert (first.body, first.refs, first.last_message_id, first.left_out) == (
        "**Main points**\n- x [1]",
        {1: 800},
        900,
        2,
    )
    clock.advance(timedelta(minutes=5))
    second = await save(store, body="newer", authors=(BOB,), last=950)
    assert second.body == "newer" and second.last_message_id == 950 and second.updated_at == clock.now()
    assert await store.summaries.get(GUILD, THREAD) == second
    rows = await store.db.fetch_all("SELECT user_id FROM summary_authors ORDER BY user_id")
    assert [r["user_id"] for r in rows] == [ALICE, BOB]  # both drew on it
    assert await store.summaries.discard(GUILD, THREAD)
    assert await store.summaries.get(GUILD, THREAD) is None
    assert await store.db.fetch_all("SELECT * FROM summary_authors") == []


async def test_usage_adds_up_per_club_and_day(store, clock):
    await store.summaries.add_usage(GUILD, 100, 20)
    await store.summaries.add_usage(GUILD, 50, 5)
    await store.summaries.add_usage(GUILD + 1, 7, 0)
    today = await store.summaries.usage_today(GUILD)
    assert (today.calls, today.prompt_tokens, today.completion_tokens, today.tokens) == (2, 150, 25, 175)
    clock.advance(timedelta(days=1))
    assert (await store.summaries.usage_today(GUILD)).tokens == 0


async def test_opt_outs_are_per_member_everywhere(store):
    assert await store.summaries.set_opt_out(ALICE, True)
    assert not await store.summaries.set_opt_out(ALICE, True)
    assert await store.summaries.opted_out([ALICE, BOB]) == {ALICE}
    assert await store.summaries.opted_out(range(1, 1200)) == set()  # more ids than one query may bind
    assert await store.summaries.set_opt_out(ALICE, False)
    assert await store.summaries.opted_out([ALICE]) == set()


async def test_forget_deletes_the_opt_out_and_the_summaries_drawing_on_the_member(store):
    await store.summaries.set_opt_out(BOB, True)
    await save(store, authors=(ALICE,))
    alice = await store.privacy.count(ALICE)
    assert (alice.summaries, alice.summary_opt_out) == (1, 0)
    removed_bob = await store.privacy.forget(BOB)
    assert (removed_bob.summary_opt_out, removed_bob.summaries) == (1, 0)
    assert await store.summaries.get(GUILD, THREAD) is not None  # not Bob's
    removed = await store.privacy.forget(ALICE)
    assert removed.summaries == 1
    assert await store.summaries.get(GUILD, THREAD) is None
    assert (await store.privacy.count(ALICE)).total == 0


# -- jobs: the cooldown, one job per member and thread, and the tokens held, claimed before any call ------
COOLDOWN = timedelta(minutes=5)
DAILY = 10_000
OTHER_THREAD = THREAD + 1


async def begin(store, user=ALICE, thread=THREAD, daily=DAILY):
    return await store.summaries.begin_job(GUILD, user, thread, cooldown=COOLDOWN, daily_tokens=daily)


async def test_of_many_simultaneous_claims_exactly_one_gets_the_job(store):
    results = await asyncio.gather(*(begin(store) for _ in range(8)), return_exceptions=True)
    jobs = [r for r in results if isinstance(r, SummaryJob)]
    refused = [r for r in results if isinstance(r, AlreadySummarizing)]
    assert len(jobs) == 1 and len(refused) == 7
    assert all(r.job == jobs[0] for r in refused)
    assert jobs[0].running and (jobs[0].user_id, jobs[0].thread_id) == (ALICE, THREAD)
    assert len(await store.summaries.jobs_of(GUILD, ALICE)) == 1


async def test_a_running_job_blocks_its_member_and_its_thread_only(store):
    job = await begin(store)
    with pytest.raises(AlreadySummarizing) as other_thread:
        await begin(store, thread=OTHER_THREAD)  # the same member, another thread
    with pytest.raises(AlreadySummarizing) as other_member:
        await begin(store, user=BOB)  # another member, the same thread
    assert other_thread.value.job == job and other_member.value.job == job
    assert (await begin(store, user=BOB, thread=OTHER_THREAD)).running  # neither: free
    await store.summaries.end_job(job.id, failed=False)
    assert (await begin(store, user=BOB + 1)).thread_id == THREAD  # the thread is free once it ended


async def test_the_cooldown_counts_jobs_that_called_the_model_from_when_they_started(store, clock):
    job = await begin(store)
    await store.summaries.spend(job.id, GUILD, 100, 20)
    clock.advance(timedelta(minutes=2))
    assert await store.summaries.end_job(job.id, failed=False) is JobOutcome.DONE
    assert await store.summaries.end_job(job.id, failed=True) is None  # ended already: unchanged
    with pytest.raises(CoolingDown) as cooling:
        await begin(store, thread=OTHER_THREAD)
    assert cooling.value.until == job.started_at + COOLDOWN
    clock.advance(timedelta(minutes=3))
    second = await begin(store)
    await store.summaries.spend(second.id, GUILD, 10, 1)
    assert await store.summaries.end_job(second.id, failed=True) is JobOutcome.FAILED  # it spent: it counts
    with pytest.raises(CoolingDown):
        await begin(store)
    assert (await begin(store, user=BOB)).user_id == BOB  # per member


async def test_a_job_without_a_model_call_releases_the_cooldown(store):
    job = await begin(store)
    await store.summaries.reserve_tokens(job.id, 500, daily_tokens=DAILY)
    assert await store.summaries.end_job(job.id, failed=True) is JobOutcome.RELEASED
    ended = await store.summaries.job(job.id)
    assert ended is not None and not ended.running and ended.reserved_tokens == 0
    again = await begin(store)  # no cooldown, nothing held
    assert await store.summaries.end_job(again.id, failed=False) is JobOutcome.RELEASED  # no new messages
    assert (await begin(store)).running


async def test_held_tokens_count_against_the_day_until_spent_or_freed(store):
    alice = await begin(store)
    await store.summaries.reserve_tokens(alice.id, 6_000, daily_tokens=DAILY)
    bob = await begin(store, user=BOB, thread=OTHER_THREAD)
    with pytest.raises(OverBudget) as over:
        await store.summaries.reserve_tokens(bob.id, 4_001, daily_tokens=DAILY)
    assert over.value.tokens_left == 4_000
    await store.summaries.reserve_tokens(bob.id, 4_000, daily_tokens=DAILY)
    with pytest.raises(BudgetSpent) as spent:  # everything is held: a third job is refused at once
        await begin(store, user=BOB + 1, thread=OTHER_THREAD + 1)
    assert (spent.value.spent, spent.value.held) == (0, 10_000)

    # A call's tokens move from what the job holds to what the club spent, in one step.
    await store.summaries.spend(alice.id, GUILD, 900, 100)
    job = await store.summaries.job(alice.id)
    assert job is not None and (job.calls, job.tokens, job.reserved_tokens) == (1, 1_000, 5_000)
    usage = await store.summaries.usage_today(GUILD)
    assert (usage.calls, usage.tokens) == (1, 1_000)
    # Ending frees the rest: 1,000 spent and bob's 4,000 held leave 5,000.
    await store.summaries.end_job(alice.id, failed=False)
    third = await begin(store, user=BOB + 1, thread=OTHER_THREAD + 1)
    with pytest.raises(OverBudget) as over:
        await store.summaries.reserve_tokens(third.id, 5_001, daily_tokens=DAILY)
    assert over.value.tokens_left == 5_000
    await store.summaries.end_job(bob.id, failed=False)
    await store.summaries.end_job(third.id, failed=False)
    with pytest.raises(BudgetSpent) as spent:  # spent is spent, whoever asks
        await begin(store, user=BOB + 2, daily=1_000)
    assert (spent.value.spent, spent.value.held) == (1_000, 0)


async def test_jobs_left_running_by_a_stopped_bot_are_ended_at_start_and_keep_their_cooldown(
    store, clock, open_database
):
    job = await begin(store)
    await store.summaries.reserve_tokens(job.id, 2_000, daily_tokens=DAILY)
    await store.db.close()  # the bot stops mid-job; the next one opens the same database
    db = await open_database()
    try:
        reopened = Store.build(db, clock)
        with pytest.raises(AlreadySummarizing):  # stored: it outlives the process...
            await reopened.summaries.begin_job(GUILD, BOB, THREAD, cooldown=COOLDOWN, daily_tokens=DAILY)
        clock.advance(timedelta(minutes=1))
        assert await reopened.summaries.end_interrupted() == 1  # ...until the start ends it
        assert await reopened.summaries.end_interrupted() == 0
        ended = await reopened.summaries.job(job.id)
        assert ended is not None
        assert (ended.outcome, ended.reserved_tokens, ended.ended_at) == (
            JobOutcome.INTERRUPTED,
            0,
            clock.now(),
        )
        with pytest.raises(CoolingDown) as cooling:  # not "already running", but still cooling down
            await reopened.summaries.begin_job(GUILD, ALICE, THREAD, cooldown=COOLDOWN, daily_tokens=DAILY)
        assert cooling.value.until == job.started_at + COOLDOWN
        assert (
            await reopened.summaries.begin_job(GUILD, BOB, THREAD, cooldown=COOLDOWN, daily_tokens=DAILY)
        ).running
    finally:
        await db.close()


async def test_forget_deletes_the_members_summary_requests(store):
    job = await begin(store)
    await store.summaries.end_job(job.id, failed=False)
    await begin(store, user=BOB)
    assert (await store.privacy.count(ALICE)).summary_requests == 1
    removed = await store.privacy.forget(ALICE)
    assert removed.summary_requests == 1
    assert await store.summaries.jobs_of(GUILD, ALICE) == []
    assert len(await store.summaries.jobs_of(GUILD, BOB)) == 1
