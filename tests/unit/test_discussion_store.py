"""The discussions repository: state transitions name the state they expect, settings and opt-outs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.domain import WorkKind
from bot.spoilers import BookAndFilm, BookUpTo
from bot.store import NewDiscussion, NewWork

GUILD = 111111111111111111
ALICE = 333333333333333333
START = datetime(2026, 11, 6, 18, 0, tzinfo=UTC)


async def _book(store) -> int:
    return await store.catalog.add(
        GUILD, NewWork(WorkKind.BOOK, "The Salt Road", "R. Vane", 2020, chapters=24)
    )


async def test_create_many_keeps_order_scope_and_questions(store):
    book = await _book(store)
    made = await store.discussions.create_many(
        GUILD,
        [
            NewDiscussion(
                book,
                BookUpTo(book, chapter=6 * (i + 1)),
                f"Session {i + 1}",
                START + timedelta(weeks=i),
                START + timedelta(weeks=i, minutes=90),
                ("Who?", "Why?"),
                created_by=ALICE,
            )
            for i in range(4)
        ],
    )
    assert [d.scope for d in made] == [BookUpTo(book, chapter=c) for c in (6, 12, 18, 24)]
    assert made[0].questions == ("Who?", "Why?") and made[0].state == "scheduled"
    assert [d.id for d in await store.discussions.active(GUILD)] == [d.id for d in made]


async def test_transitions_happen_once_and_only_from_the_expected_state(store):
    book = await _book(store)
    d = await store.discussions.create(
        GUILD, NewDiscussion(book, BookAndFilm(book, book), "Compare", START, START + timedelta(hours=1))
    )
    assert not await store.discussions.reschedule(  # another guild's id moves nothing
        GUILD + 1, d.id, START + timedelta(days=1), START + timedelta(days=1, hours=2)
    )
    assert await store.discussions.reschedule(
        GUILD, d.id, START + timedelta(days=1), START + timedelta(days=1, hours=2)
    )
    assert await store.discussions.start_opening(GUILD, d.id, 99, "gated")
    assert not await store.discussions.start_opening(GUILD, d.id, 99, "gated")  # a re-run: already opening
    assert not await store.discussions.reschedule(GUILD, d.id, START, START + timedelta(hours=1))
    await store.discussions.record_thread(d.id, 555)
    assert (await store.discussions.by_thread(GUILD, 555)).state == "opening"
    assert await store.discussions.mark_open(GUILD, d.id, 555)
    assert not await store.discussions.mark_open(GUILD, d.id, 555)
    assert not await store.discussions.mark_cancelled(GUILD, d.id)  # opened: it can only be closed
    assert [x.id for x in await store.discussions.open_gated(GUILD)] == [d.id]
    assert await store.discussions.mark_closed(GUILD, d.id)
    assert not await store.discussions.mark_closed(GUILD, d.id)
    final = await store.discussions.get(GUILD, d.id)
    assert (final.state, final.thread_id, final.channel_id, final.mode) == ("closed", 555, 99, "gated")
    assert await store.discussions.active(GUILD) == []


async def test_reminder_offsets_default_and_set_per_club(store):
    assert await store.discussions.reminder_offsets(GUILD) == (1440, 60)
    assert await store.discussions.set_reminder_offsets(GUILD, [30, 2880, 30]) == (2880, 30)
    assert await store.discussions.reminder_offsets(GUILD) == (2880, 30)
    assert await store.discussions.reminder_offsets(GUILD + 1) == (1440, 60)


async def test_reminder_opt_out_is_forgotten_with_the_member(store):
    await store.discussions.set_reminders_off(GUILD, ALICE, True)
    await store.discussions.set_reminders_off(GUILD, ALICE, True)
    assert await store.discussions.reminders_off(GUILD) == {ALICE}
    assert (await store.privacy.count(ALICE)).reminder_optouts == 1
    removed = await store.privacy.forget(ALICE)
    assert removed.reminder_optouts == 1
    assert await store.discussions.reminders_off(GUILD) == set()


async def test_one_join_offer_per_member_and_discussion_and_forget_removes_it(store):
    from bot.store.discussions import OfferCounts

    book = await _book(store)
    d = await store.discussions.create(
        GUILD, NewDiscussion(book, BookUpTo(book, chapter=6), "Early", START, START + timedelta(hours=1))
    )
    bob, carol = ALICE + 1, ALICE + 2
    offers = store.discussions
    assert await offers.claim_offer(d.id, ALICE) and not await offers.claim_offer(d.id, ALICE)
    assert await offers.offer_counts(d.id) == OfferCounts()  # claimed, not sent yet: counted as neither
    await offers.record_offer(d.id, ALICE, "sent")
    assert await offers.claim_offer(d.id, bob)
    await offers.record_offer(d.id, bob, "unreachable")
    assert not await offers.claim_offer(d.id, bob)  # Discord's 50007/50278 is final for this offer
    assert await offers.claim_offer(d.id, carol)
    await offers.release_offer(d.id, carol)  # failed for a passing reason: free to try again
    assert await offers.claim_offer(d.id, carol)
    await offers.release_offer(d.id, ALICE)  # a delivered offer is never given back
    assert await offers.offer_counts(d.id) == OfferCounts(sent=1, unreachable=1)
    assert (await store.privacy.forget(bob)).discussion_offers == 1
    assert await offers.offer_counts(d.id) == OfferCounts(sent=1, unreachable=0)


async def test_every_status_write_reaches_the_listeners_once(store):
    from bot.domain import State
    from bot.store import StatusUpdate

    book = await _book(store)
    heard = []
    store.statuses.listeners.append(lambda g, u, works: heard.append((g, u, works)))
    await store.statuses.set(GUILD, ALICE, StatusUpdate(book, State.READING), source="command")
    await store.statuses.set_many(GUILD, ALICE, [StatusUpdate(book, State.READ)], source="import")
    assert heard == [(GUILD, ALICE, (book,)), (GUILD, ALICE, (book,))]


async def test_open_gated_works_kept_in_memory_follow_every_transition(store):
    book = await _book(store)
    film = await store.catalog.add(GUILD, NewWork(WorkKind.FILM, "The Salt Road", "A. Director", 2024))
    repo = store.discussions
    assert await repo.open_gated_work_ids(GUILD) == frozenset()
    assert repo.known_gated_work_ids(GUILD) == frozenset()  # asked once, then answered from memory
    d = await repo.create(
        GUILD, NewDiscussion(book, BookAndFilm(book, film), "Compare", START, START + timedelta(hours=1))
    )
    assert repo.known_gated_work_ids(GUILD) is None  # a write forgets what was kept
    assert await repo.start_opening(GUILD, d.id, 99, "gated")
    assert await repo.open_gated_work_ids(GUILD) == frozenset()  # opening is not open yet
    assert await repo.mark_open(GUILD, d.id, 555)
    assert await repo.open_gated_work_ids(GUILD) == {book, film}
    assert await repo.open_gated_work_ids(GUILD + 1) == frozenset()  # per guild
    assert await repo.mark_closed(GUILD, d.id)
    assert await repo.open_gated_work_ids(GUILD) == frozenset()
    tagged = await repo.create(
        GUILD, NewDiscussion(book, BookUpTo(book, chapter=6), "Early", START, START + timedelta(hours=1))
    )
    assert await repo.start_opening(GUILD, tagged.id, 99, "tagged") and await repo.mark_open(
        GUILD, tagged.id, 556
    )
    assert await repo.open_gated_work_ids(GUILD) == frozenset()  # tagged threads need no offer
    gated = await repo.create(
        GUILD, NewDiscussion(book, BookUpTo(book, chapter=6), "Early", START, START + timedelta(hours=1))
    )
    assert await repo.start_opening(GUILD, gated.id, 99, "gated") and await repo.mark_open(
        GUILD, gated.id, 557
    )
    assert await repo.open_gated_work_ids(GUILD) == {book}
    await repo.delete(GUILD, gated.id)
    assert await repo.open_gated_work_ids(GUILD) == frozenset()


async def test_a_read_that_raced_a_transition_is_not_kept(store):
    book = await _book(store)
    repo = store.discussions
    d = await repo.create(
        GUILD, NewDiscussion(book, BookUpTo(book, chapter=6), "Early", START, START + timedelta(hours=1))
    )
    assert await repo.start_opening(GUILD, d.id, 99, "gated")
    reading = asyncio.ensure_future(repo.open_gated_work_ids(GUILD))  # starts its query, then waits
    await asyncio.sleep(0)
    assert await repo.mark_open(GUILD, d.id, 555)
    await reading
    assert await repo.open_gated_work_ids(GUILD) == {book}


async def test_attendance_is_one_row_per_member_whether_let_in_posting_or_both(store):
    from bot.store import ParticipationCounts

    book = await _book(store)
    d = await store.discussions.create(
        GUILD, NewDiscussion(book, BookUpTo(book, chapter=6), "Early", START, START + timedelta(hours=1))
    )
    bob = ALICE + 1
    await store.participation.add_interest(d.id, ALICE)
    await store.participation.record_let_in(d.id, ALICE)
    await store.participation.record_let_in(d.id, ALICE)  # let in again: still one row
    await store.participation.record_posters(d.id, [ALICE, bob, bob])
    counts = await store.participation.counts([d.id])
    assert counts[d.id] == ParticipationCounts(interested=1, let_in=1, took_part=2)
    own = await store.participation.own_part(bob, [d.id])
    assert own[d.id].took_part and not own[d.id].let_in and not own[d.id].interested
