"""Interested on discussion events (RSVP) and attendance: reminders, join offers, counts and forgetting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from markdown_view import rendered

from tests.e2e.test_discussions import (
    FRIDAY_7PM,
    QUESTIONS,
    SECRETS,
    assert_no_leak,
    setup_club,
)


@pytest.fixture
def discussions_channel(club):
    """The text channel where discussion threads open."""
    return club.text_channel("book-talk")


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Wait until an async check of the database holds (the bot writes in its own tasks)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def store_of(harness):
    assert harness.store is not None
    return harness.store


async def schedule(admin, catalog, *, scope="chapter", up_to=10):
    options = {"up_to": up_to} if up_to else {}
    reply = await admin.slash(
        "discussion schedule",
        when="next Friday 7pm",
        scope=scope,
        title=f"#{catalog['lantern']}",
        questions=QUESTIONS,
        **options,
    )
    assert reply.content.startswith("Scheduled"), reply.content
    assert "Interested" in reply.content


def event_of(club, d):
    return next(e for e in club.scheduled_events() if int(e["id"]) == d.event_id)


async def test_interest_added_while_the_bot_was_offline_is_reconciled_after_a_restart(
    club, clock, harness, admin, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    await schedule(admin, catalog)
    (d,) = await store_of(harness).discussions.active(club.guild.id)
    event = event_of(club, d)
    # Members who never used the bot: discord.py has none of them cached (no members intent).
    alice, bob = club.member("alice"), club.member("bob")
    await alice.mark_interested(event)
    await eventually(
        lambda: _interested_is(harness, d.id, {alice.id}), "alice's Interested, heard live on the gateway"
    )

    await harness.stop()
    # While the bot is away: more than one page of members mark Interested, alice takes hers back.
    readers = [club.member(f"reader{i:03}") for i in range(104)]
    for member in [bob, *readers]:
        await member.mark_interested(event)
    await alice.unmark_interested(event)
    await harness.restart()

    expected = {bob.id} | {r.id for r in readers}
    await eventually(lambda: _interested_is(harness, d.id, expected), "the reconciliation", timeout=10)
    pages = club.requests_to("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}/users")
    assert len(pages) >= 2 and all(int(p.query.get("limit", 0)) == 100 for p in pages)
    listed = await bob.slash("discussion list")
    assert "105 interested" in listed.embed["description"]
    # A discussion that ended keeps its count: later clicks on its completed event change nothing.
    await clock.advance(FRIDAY_7PM + timedelta(minutes=91) - clock.now())
    await alice.mark_interested(event)
    await club.settle()
    assert await _interested_is(harness, d.id, expected)


async def _interested_is(harness, discussion_id: int, expected: set[int]) -> bool:
    return set(await store_of(harness).participation.interested(discussion_id)) == expected


async def test_reminders_mention_interested_members_and_status_holders_only(
    club, clock, harness, admin, alice, bob, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements, mode="tagged")
    carol, dave, erin = club.member("carol"), club.member("dave"), club.member("erin")
    await alice.slash("status set", title=f"#{catalog['lantern']}", state="reading", progress="3")
    await schedule(admin, catalog)
    (d,) = await store_of(harness).discussions.active(club.guild.id)
    event = event_of(club, d)
    # bob: interested, no status; erin: interested but reminders off; dave: interested, then not; carol: nothing.
    await erin.slash("discussion reminders", setting="off")
    for member in (bob, dave, erin):
        await member.mark_interested(event)
    await dave.unmark_interested(event)
    await eventually(lambda: _interested_is(harness, d.id, {bob.id, erin.id}), "the Interested clicks")

    await clock.advance(FRIDAY_7PM - timedelta(hours=24) - clock.now())
    reminder = club.bot_messages(announcements)[-1]
    assert reminder.content.startswith("Reminder:")
    assert set(reminder.pinged_ids) == {alice.id, bob.id}
    for member in (admin, carol, dave, erin):
        assert club.pings_of(member) == []


async def test_gated_opening_offers_interested_members_by_dm_and_tells_the_rest_only_what_to_mark(
    club, clock, harness, admin, alice, bob, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    carol = club.member("carol")
    book = f"#{catalog['lantern']}"
    await alice.slash("status set", title=book, state="read")
    await bob.slash("status set", title=book, state="reading", progress="4")
    await schedule(admin, catalog)
    (d,) = await store_of(harness).discussions.active(club.guild.id)
    for member in (alice, bob, carol):
        await member.mark_interested(event_of(club, d))
    await eventually(lambda: _interested_is(harness, d.id, {alice.id, bob.id, carol.id}), "the clicks")

    await clock.advance(FRIDAY_7PM - clock.now())
    (thread,) = club.threads_in(discussions_channel)
    await club.wait_until(
        lambda: all(_dm(club, m) is not None for m in (alice, bob, carol)), what="the DMs at the opening"
    )
    offer = _dm(club, alice)
    assert "you're interested in is open" in offer.content
    assert "The Lantern Keeper, up to ch. 10" in offer.content
    assert [b.label for b in offer.buttons] == ["Join the discussion"]
    for member, need in ((bob, "up to chapter 10"), (carol, "up to chapter 10")):
        hint = _dm(club, member)
        assert need in hint.content and "/status set" in hint.content, hint.content
        assert hint.buttons == [] and f"<#{thread.id}>" not in hint.content
        assert not any(s in hint.content for s in SECRETS)
    assert_no_leak(club, [admin, alice, bob, carol])
    offers = await store_of(harness).db.fetch_all(
        "SELECT user_id, outcome FROM discussion_offers WHERE discussion_id = ?", (d.id,)
    )
    assert [(r["user_id"], r["outcome"]) for r in offers] == [(alice.id, "sent")]

    # A restart goes over the interested members again and sends nothing twice.
    await harness.restart()
    await club.settle()
    dms_before = {m.name: len(_dms(club, m)) for m in (alice, bob, carol)}
    assert dms_before == {"alice": 1, "bob": 1, "carol": 1}
    # Interested once it is open: told at once. Then bob catches up and gets the offer, once.
    dave = club.member("dave")
    await dave.mark_interested(event_of(club, d))
    await club.wait_until(lambda: _dm(club, dave) is not None, what="dave's hint")
    assert "up to chapter 10" in _dm(club, dave).content and _dm(club, dave).buttons == []
    await bob.slash("status set", title=book, state="reading", progress="12")
    await club.wait_until(lambda: "now covers" in _dm(club, bob).content, what="bob's offer")
    joined = await bob.click(_dm(club, bob), "Join the discussion")
    assert f"<#{thread.id}>" in joined.content and bob.id in thread.thread_members
    await bob.slash("status set", title=book, state="read")
    await club.settle()
    assert len(_dms(club, bob)) == 2
    assert carol.id not in thread.thread_members
    assert_no_leak(club, [admin, alice, bob, carol, dave])


def _dms(club, member):
    channel = club.world.dm_between(club.world.bot_user.id, member.id)
    return [m for m in club.messages_in(channel) if m.from_bot] if channel else []


def _dm(club, member):
    found = _dms(club, member)
    return found[-1] if found else None


async def test_attendance_counts_after_a_close_in_stats_and_history_and_forget_removes_them(
    club, clock, harness, admin, alice, bob, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    carol, erin = club.member("carol"), club.member("erin")
    book = f"#{catalog['lantern']}"
    for member in (alice, bob, carol):
        await member.slash("status set", title=book, state="read")
    await schedule(admin, catalog)
    (d,) = await store_of(harness).discussions.active(club.guild.id)
    for member in (alice, erin):
        await member.mark_interested(event_of(club, d))
    await eventually(lambda: _interested_is(harness, d.id, {alice.id, erin.id}), "the clicks")

    await clock.advance(FRIDAY_7PM - clock.now())
    (thread,) = club.threads_in(discussions_channel)
    post = club.bot_messages(announcements)[-1]
    # alice and bob are let in; alice and bob post; carol is let in and only reads; erin never comes.
    for member in (alice, bob, carol):
        await member.click(post, "Join the discussion")
    await alice.say(thread, "The ending of chapter 9 got me.")
    await alice.say(thread, "And the keeper's letters.")
    await bob.say(thread, "Same here.")
    await clock.advance(timedelta(minutes=90))
    assert thread.locked

    expected = "3 let in, 3 took part"
    stats = await alice.slash("club stats")
    text = rendered(stats.embed["description"])
    assert (
        stats.ephemeral and "The Lantern Keeper, up to ch. 10" in text and f"2 interested, {expected}" in text
    )
    assert "you took part" in text
    assert "You took part in 1 of these 1 discussion" in stats.embed["footer"]["text"]
    erin_sees = await erin.slash("club stats")
    assert "you were interested" in rendered(erin_sees.embed["description"])
    assert "You took part in 0 of these 1" in erin_sees.embed["footer"]["text"]
    history = await admin.slash("club history")
    (field,) = history.embed["fields"]
    assert field["name"] == "Recent discussions" and f"2 interested, {expected}" in field["value"]
    # Counts only: nobody's name or mention appears where others look.
    for shown in (stats.embed, erin_sees.embed, history.embed):
        flat = str(shown)
        assert not any(m.name in flat or str(m.id) in flat for m in (alice, bob, carol, erin))
    rows = await store_of(harness).db.fetch_all(
        "SELECT user_id, let_in, posted FROM discussion_attendance WHERE discussion_id = ? ORDER BY user_id",
        (d.id,),
    )
    by_member = {r["user_id"]: (r["let_in"], r["posted"]) for r in rows}
    assert by_member == {alice.id: (1, 1), bob.id: (1, 1), carol.id: (1, 0)}

    ask = await alice.slash("privacy forget")
    assert "Interested" in rendered(ask.content) and "took part" in rendered(ask.content)
    done = await alice.click(ask.message, "Yes, delete my data")
    assert rendered(done.content).startswith("Done.")
    store = store_of(harness)
    assert (await store.privacy.count(alice.id)).total == 0
    left = await store.db.fetch_all(
        "SELECT user_id FROM discussion_interest UNION ALL SELECT user_id FROM discussion_attendance"
    )
    assert alice.id not in {r["user_id"] for r in left}
    after = await bob.slash("club stats")
    assert "1 interested, 2 let in, 2 took part" in rendered(after.embed["description"])
