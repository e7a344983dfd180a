"""Discussion series end to end: meetings created ahead by the scheduler, DST, stop, restart, the event limit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.spoilers import WholeBook
from tests.e2e.test_discussions import setup_club

PARIS = ZoneInfo("Europe/Paris")
SERIES = "discussion.series"


@pytest.fixture
def discussions_channel(club):
    """The text channel where discussion threads open."""
    return club.text_channel("book-talk")


@pytest.fixture
async def reading(admin, catalog, announcements, discussions_channel):
    """A club in Paris time whose current book is The Lantern Keeper."""
    await setup_club(admin, discussions_channel, announcements, mode="tagged")
    reply = await admin.slash("book current", book=f"#{catalog['lantern']}")
    assert not reply.content.startswith("I"), reply.content
    return catalog["lantern"]


async def series_discussions(store, guild_id: int) -> list:
    rows = await store.db.fetch_all(
        "SELECT id FROM discussions WHERE guild_id = ? ORDER BY opens_at", (guild_id,)
    )
    return [await store.discussions.get(guild_id, r["id"]) for r in rows]


async def test_monthly_series_keeps_19h_paris_across_the_dst_change(
    club, clock, harness, store, admin, reading, announcements, error_log
):
    await clock.set(datetime(2027, 2, 10, 12, 0, tzinfo=UTC))
    reply = await admin.slash("discussion series start", when="first Thursday, 19:00")
    assert reply.ephemeral
    assert reply.content.startswith(
        "Started series `1`: **The Lantern Keeper (whole book)**, the first Thursday"
    ), reply.content
    assert "the first Thursday of each month at 19:00 (Europe/Paris time" in reply.content
    march_4 = datetime(2027, 3, 4, 18, 0, tzinfo=UTC)  # 19:00 in Paris, winter time (UTC+1)
    assert f"<t:{int(march_4.timestamp())}:F>" in reply.content
    assert f"<t:{int((march_4 - timedelta(days=14)).timestamp())}:F>" in reply.content  # created then
    assert await store.discussions.active(club.guild.id) == [] and club.scheduled_events() == []

    # Two weeks ahead, to the minute, the scheduler creates the meeting as an ordinary discussion.
    await clock.set(march_4 - timedelta(days=14, minutes=1))
    assert await store.discussions.active(club.guild.id) == []
    await clock.advance(timedelta(minutes=1))
    (first,) = await store.discussions.active(club.guild.id)
    assert first.opens_at == march_4 and first.closes_at == march_4 + timedelta(minutes=90)
    assert first.scope == WholeBook(reading) and first.created_by == admin.id
    (event,) = club.scheduled_events()
    assert datetime.fromisoformat(event["scheduled_start_time"]) == march_4
    assert event["name"] == "Discussion: The Lantern Keeper (whole book)"

    # Clocks go forward on 28 March 2027: 1 April's meeting is still 19:00 in Paris, now 17:00 UTC.
    april_1 = datetime(2027, 4, 1, 17, 0, tzinfo=UTC)
    await clock.set(april_1 - timedelta(days=14))
    second = (await series_discussions(store, club.guild.id))[-1]
    assert second.id != first.id and second.opens_at == april_1
    assert (first.opens_at.hour - second.opens_at.hour) == 1  # UTC differs by an hour ...
    assert (
        first.opens_at.astimezone(PARIS).time() == second.opens_at.astimezone(PARIS).time()
    )  # ... local does not
    assert second.opens_at.astimezone(PARIS).hour == 19
    assert len(club.scheduled_events()) == 2
    # The first meeting ran as any discussion does: a thread opened and closed.
    assert (await store.discussions.get(club.guild.id, first.id)).state == "closed"
    (timer,) = [t for t in await store.timers.for_guild(club.guild.id) if t.event == SERIES]
    assert timer.due_at == datetime(2027, 5, 6, 17, 0, tzinfo=UTC) - timedelta(days=14)
    listed = await admin.slash("discussion series list")
    assert (
        "`1` **The Lantern Keeper (whole book)**: the first Thursday of each month at 19:00"
        in listed.embed["description"]
    )
    assert not error_log.records


async def test_every_two_weeks_survives_a_restart_and_stop_keeps_what_was_made(
    club, clock, harness, admin, alice, reading, announcements, error_log
):
    # Monday 2 November 2026, 19:00 in Paris: today's 18:30 has passed, so the first meeting is 9 November.
    reply = await admin.slash(
        "discussion series start", when="every 2 weeks on Monday 18:30", lead="10 days", duration=60
    )
    nov_9 = datetime(2026, 11, 9, 17, 30, tzinfo=UTC)
    assert "every 2 weeks on Monday at 18:30" in reply.content and "10 days ahead" in reply.content
    store = harness.store
    (first,) = await store.discussions.active(club.guild.id)  # already within the lead time
    assert first.opens_at == nov_9 and first.closes_at == nov_9 + timedelta(minutes=60)
    assert f"Created now: discussion `{first.id}`" in reply.content

    await clock.set(nov_9 + timedelta(days=14) - timedelta(days=10))
    made = await series_discussions(store, club.guild.id)
    assert [d.opens_at for d in made] == [nov_9, nov_9 + timedelta(days=14)]

    await harness.restart()
    store = harness.store
    await clock.set(nov_9 + timedelta(days=28) - timedelta(days=10))
    made = await series_discussions(store, club.guild.id)
    assert [d.opens_at for d in made] == [nov_9 + timedelta(days=14 * i) for i in range(3)]

    # A member cannot stop it; an organizer can, and what was created stays as it was.
    refused = await alice.slash("discussion series stop", series=1)
    assert refused.ephemeral and "Only organizers" in refused.content
    stopped = await admin.slash("discussion series stop", series=1)
    assert stopped.ephemeral and "Series `1` has ended" in stopped.content
    again = await admin.slash("discussion series stop", series=1)
    assert "already ended" in again.content
    before = [(d.id, d.state, d.opens_at) for d in await series_discussions(store, club.guild.id)]
    assert [s for _, s, _ in before] == ["closed", "closed", "scheduled"]
    assert not [t for t in await store.timers.for_guild(club.guild.id) if t.event == SERIES]
    await clock.set(nov_9 + timedelta(days=42) - timedelta(days=10))
    after = await series_discussions(store, club.guild.id)
    assert [d.opens_at for d in after] == [o for _, _, o in before]  # nothing new
    # The last meeting created before the stop took place as planned: its thread opened and closed.
    assert [d.state for d in after] == ["closed"] * 3 and len(club.scheduled_events()) == 3
    listed = await admin.slash("discussion series list")
    assert "No series is running" in listed.content
    assert not error_log.records


async def test_at_discords_100_event_limit_the_series_tells_organizers_once_and_creates_nothing(
    club, clock, harness, store, admin, reading, announcements, error_log
):
    # Other events fill the server's Events list to Discord's limit of 100 upcoming ones.
    start = clock.now() + timedelta(days=300)
    for i in range(100):
        await harness.bot.http.create_guild_scheduled_event(
            club.guild.id,
            name=f"Meetup {i}",
            privacy_level=2,
            entity_type=3,
            entity_metadata={"location": "Library"},
            scheduled_start_time=(start + timedelta(hours=i)).isoformat(),
            scheduled_end_time=(start + timedelta(hours=i, minutes=30)).isoformat(),
        )
    reply = await admin.slash("discussion series start", when="every Monday 18:30", lead="3 weeks")
    assert reply.ephemeral and "Not created: 3 meeting(s)" in reply.content, reply.content
    assert "100 upcoming events" in reply.content
    notices = [m for m in club.bot_messages(announcements) if "100 upcoming events" in m.content]
    assert len(notices) == 1
    assert "Organizers: I did not create the meeting of" in notices[0].content
    assert "series `1` (**The Lantern Keeper (whole book)**, every Monday at 18:30)" in notices[0].content
    assert not notices[0].pinged

    # Weeks pass at the limit: the series moves on meeting by meeting, quietly, and never retries one.
    await clock.advance(timedelta(days=21))
    notices = [m for m in club.bot_messages(announcements) if "100 upcoming events" in m.content]
    assert len(notices) == 1
    assert await store.discussions.active(club.guild.id) == []
    assert len(club.scheduled_events()) == 100
    timers = await store.timers.for_guild(club.guild.id)
    assert [t.event for t in timers] == [SERIES] and timers[0].attempts == 0
    (series,) = await store.series.running(club.guild.id)
    assert series.next_on.isoformat() == "2026-12-21"  # six meetings skipped, none retried
    assert not error_log.records


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"when": "first Thrusday 19:00"}, "I don't know the weekday `thrusday`"),
        ({"when": "fifth Thursday 19:00"}, "Not every month has a fifth"),
        ({"when": "every 13 weeks on Monday 19:00"}, "every 1 to 12 weeks"),
        ({"when": "first Thursday 19:00", "lead": "10 weeks"}, "1 day to 8 weeks ahead, not 70 days"),
        ({"when": "last Sunday 2:30am"}, "skip or repeat 02:30 for daylight saving time"),
        ({"when": "first Thursday"}, "has no time of day"),
    ],
)
async def test_bad_input_is_refused_and_writes_nothing(
    club, harness, store, admin, reading, options, expected
):
    reply = await admin.slash("discussion series start", **options)
    assert reply.ephemeral and expected in reply.content, reply.content
    assert await store.series.running(club.guild.id) == []
    assert await store.timers.for_guild(club.guild.id) == []
    assert club.scheduled_events() == []


async def test_no_current_book_is_refused(
    club, harness, store, admin, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    reply = await admin.slash("discussion series start", when="first Thursday 19:00")
    assert reply.ephemeral and "The club has no current book" in reply.content
    assert (await store.db.fetch_one("SELECT COUNT(*) FROM discussion_series"))[0] == 0
    assert await store.timers.for_guild(club.guild.id) == []


async def test_a_series_whose_timer_was_lost_gets_it_back_on_restart(club, clock, harness, admin, reading):
    await admin.slash("discussion series start", when="last Friday 7pm")
    store = harness.store
    (timer,) = [t for t in await store.timers.for_guild(club.guild.id) if t.event == SERIES]
    # As after a handler failed every retry: the scheduler dropped the timer.
    await harness.bot.scheduler.cancel(club.guild.id, SERIES, timer.key)
    assert await harness.store.timers.for_guild(club.guild.id) == []
    await harness.restart()
    for _ in range(200):  # on_ready runs once the gateway says so
        found = [t for t in await harness.store.timers.for_guild(club.guild.id) if t.event == SERIES]
        if found:
            break
        await asyncio.sleep(0.01)
    (again,) = found
    assert again.due_at == timer.due_at
