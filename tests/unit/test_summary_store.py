"""Stored summaries, daily usage and opt-outs; /privacy forget covers them."""

from datetime import timedelta

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
