"""Date polls: candidate times read in the club's zone, shown in each member's, tallied, and decided."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.spoilers import WholeBook
from tests.e2e.test_polls import eventually, poll_message

# The e2e clock starts on Monday 2026-11-02 18:00 UTC (19:00 in Paris).
TUESDAY_8PM = datetime(2026, 11, 3, 19, 0, tzinfo=UTC)
FRIDAY_7PM = datetime(2026, 11, 6, 18, 0, tzinfo=UTC)
SATURDAY_10AM = datetime(2026, 11, 7, 9, 0, tzinfo=UTC)


def stamp(when: datetime) -> str:
    return f"<t:{int(when.timestamp())}:F>"


async def test_date_poll_reads_times_in_the_club_zone_and_picks_the_favourite(
    club, clock, admin, harness, store
):
    alice, bob, carol = club.member("alice"), club.member("bob"), club.member("carol")
    await admin.slash("club setup", timezone="Europe/Paris")
    reply = await admin.slash(
        "poll dates",
        question="When do we discuss Emma?",
        times="next Friday 7pm; Saturday 10am; tomorrow 20:00",
        duration="1d",
    )
    assert "Date poll #1 posted with 3 times" in reply.content, reply.content
    message = poll_message(club, club.default_channel)
    assert [a["poll_media"]["text"] for a in message.payload["poll"]["answers"]] == [
        "Tue 03 Nov 2026, 20:00 (Europe/Paris)",
        "Fri 06 Nov 2026, 19:00 (Europe/Paris)",
        "Sat 07 Nov 2026, 10:00 (Europe/Paris)",
    ]
    assert message.payload["poll"]["allow_multiselect"] is True
    info = club.bot_messages(club.default_channel)[-1]
    for when in (TUESDAY_8PM, FRIDAY_7PM, SATURDAY_10AM):
        assert stamp(when) in info.embed["description"]

    await alice.vote(message, 2)
    await bob.vote(message, 2)
    await bob.vote(message, 3)
    await carol.vote(message, 1)
    service = harness.bot.get_cog("Polls").service
    await eventually(lambda: _stored(store, 4), what="the four votes")
    await service.tallies.flush()
    tally = next(f for f in info.embed["fields"] if f["name"].startswith("Votes so far"))
    assert tally["name"] == "Votes so far (3 members)"
    assert tally["value"].splitlines()[0] == f"**2** votes (50%) · {stamp(FRIDAY_7PM)} 🏆"
    info_edits = [
        r
        for r in club.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
        if str(info.id) in r.path
    ]
    assert 1 <= len(info_edits) < 4  # four votes, debounced into fewer edits
    assert not [
        r
        for r in club.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
        if str(message.id) in r.path
    ]

    await clock.advance(timedelta(days=1))
    [poll] = await store.polls.recent(club.guild.id)
    poll = await store.polls.get(poll.id)
    assert not poll.is_open and poll.winner_position == 2
    assert poll.option(2).starts_at == FRIDAY_7PM
    results = club.bot_messages(club.default_channel)[-1]
    assert f"Winner: **{stamp(FRIDAY_7PM)}" in results.embed["description"]
    assert f"give `{stamp(FRIDAY_7PM)}` as its time" in results.embed["description"]


async def _stored(store, n):
    row = await store.db.fetch_one("SELECT COUNT(*) FROM poll_votes")
    return row[0] == n


@pytest.mark.parametrize(
    ("times", "duration", "expected"),
    [
        ("2026-11-01 19:00; Friday 7pm", "1d", "already passed"),
        ("Friday 7pm; Friday 19:00", "1d", "are the same time"),
        ("Friday 7pm; whenever", "1d", "could not read"),
        ("Friday 7pm", "1d", "at least 2 times"),
        ("tomorrow 20:00; Friday 7pm", "2d", "would close after the earliest time"),
    ],
)
async def test_bad_times_are_explained_and_nothing_is_written(
    club, admin, harness, store, times, duration, expected
):
    await admin.slash("club setup", timezone="Europe/Paris")
    reply = await admin.slash("poll dates", question="When?", times=times, duration=duration)
    assert reply.ephemeral and expected in reply.content, reply.content
    assert await store.polls.recent(club.guild.id) == []


async def test_the_winning_time_schedules_the_discussion(
    club, clock, admin, catalog, harness, store, announcements
):
    import re

    talk = club.text_channel("book-talk")
    setup = await admin.slash(
        "club setup", timezone="Europe/Paris", discussions=talk, announcements=announcements
    )
    assert setup.content.startswith("Saved."), setup.content
    await admin.slash(
        "poll dates",
        question="When do we discuss Frankenstein?",
        times="Friday 7pm; Saturday 10am",
        duration="1d",
    )
    message = poll_message(club, club.default_channel)
    for name in ("alice", "bob"):
        await club.member(name).vote(message, 2)
    await club.member("carol").vote(message, 1)
    await eventually(lambda: _stored(store, 3), what="the votes")
    await clock.advance(timedelta(days=1))  # the scheduler closes the poll
    results = club.bot_messages(club.default_channel)[-1]
    pasted = re.search(r"give `(<t:\d+:F>)` as its time", results.embed["description"]).group(1)
    assert pasted == stamp(SATURDAY_10AM)
    [poll] = await store.polls.recent(club.guild.id)
    assert [b.custom_id for b in results.buttons] == [f"bookclub:poll:schedule:{poll.id}"]

    # A member may not schedule; nothing is written and no event appears.
    refused = await club.member("alice").click(results, "Schedule the discussion")
    assert refused.ephemeral and "Only organizers" in refused.content, refused.content
    assert await store.discussions.active(club.guild.id) == []
    assert club.scheduled_events() == []

    # Without a current book the organizer is told what to set first, and nothing is written.
    unset = await admin.click(results, "Schedule the discussion")
    assert unset.ephemeral and "no current book" in unset.content, unset.content
    assert await store.discussions.active(club.guild.id) == [] and club.scheduled_events() == []

    # The organizer's press schedules the whole current book at exactly the winning time.
    await admin.slash("book current", book=f"#{catalog['frank']}")
    scheduled = await admin.click(results, "Schedule the discussion")
    assert scheduled.ephemeral, scheduled.content
    (discussion,) = await store.discussions.active(club.guild.id)
    assert scheduled.content.startswith(f"Scheduled discussion `{discussion.id}` of "), scheduled.content
    assert stamp(SATURDAY_10AM) in scheduled.content and talk.mention in scheduled.content
    assert discussion.opens_at == SATURDAY_10AM
    assert discussion.closes_at == SATURDAY_10AM + timedelta(minutes=90)
    assert discussion.scope == WholeBook(catalog["frank"]) and discussion.state == "scheduled"
    (event,) = club.scheduled_events()
    assert int(event["id"]) == discussion.event_id
    assert datetime.fromisoformat(event["scheduled_start_time"]) == SATURDAY_10AM
    timers = {(t.event, t.key, t.due_at) for t in await store.timers.for_guild(club.guild.id)}
    assert ("discussion.open", str(discussion.id), SATURDAY_10AM) in timers

    # A second press (or a restart, then a press) says it is scheduled already and makes nothing new.
    await harness.restart()
    again = await admin.click(results, "Schedule the discussion")
    assert f"Already scheduled: discussion `{discussion.id}`" in again.content, again.content
    store = harness.store
    assert len(await store.discussions.active(club.guild.id)) == 1
    assert len(club.scheduled_events()) == 1

    # The discussion then opens at the winning time like any other.
    await clock.advance(SATURDAY_10AM - clock.now())
    await eventually(
        lambda: _state(store, club.guild.id, discussion.id, "open"), what="the discussion to open"
    )


async def _state(store, guild_id, discussion_id, state):
    found = await store.discussions.get(guild_id, discussion_id)
    return found is not None and found.state == state
