"""The club's calendar file: members import it, re-import it after changes, and learn nothing from it early."""

from __future__ import annotations

from datetime import timedelta

import pytest
from calendar_view import QUESTIONS, SECRETS, events_by_uid, parse
from markdown_view import rendered


@pytest.fixture
def discussions_channel(club):
    """The text channel where discussion threads open."""
    return club.text_channel("book-talk")


async def setup_club(admin, discussions_channel, announcements):
    reply = await admin.slash(
        "club setup",
        timezone="Europe/Paris",
        discussions=discussions_channel,
        announcements=announcements,
        spoiler_mode="tagged",
    )
    assert reply.content.startswith("Saved."), reply.content


async def test_calendar_file_keeps_entries_stable_across_changes_and_clock_changes(
    club, clock, harness, store, admin, alice, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    lantern, film = f"#{catalog['lantern']}", f"#{catalog['lantern_film']}"
    await admin.slash(
        "discussion schedule",
        when="next Friday 7pm",
        scope="chapter",
        up_to=10,
        title=lantern,
        questions=QUESTIONS,
    )
    await admin.slash("discussion schedule", when="2026-11-20 19:00", scope="screen", title=film)
    # Paris moves to summer time on 28 March 2027: 19:00 there is then 17:00 UTC, not 18:00.
    await admin.slash(
        "discussion schedule", when="2027-04-02 19:00", scope="book", title=lantern, questions=QUESTIONS
    )
    friday, screening, spring = await store.discussions.active(club.guild.id)

    first = await alice.slash("club calendar file")
    assert first.ephemeral
    assert "3 discussions (3 still to come or under way), times in Europe/Paris" in rendered(first.content)
    cal = parse(first)
    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Paris"
    before = events_by_uid(cal)
    assert len(before) == 3
    by_id = {int(uid.split("-")[2].split("@")[0]): e for uid, e in before.items()}
    for d in (friday, screening, spring):
        start = by_id[d.id].decoded("DTSTART")
        assert (start.hour, start.minute, str(start.tzinfo)) == (19, 0, "Europe/Paris"), d.id
        assert start == d.opens_at
        assert by_id[d.id].decoded("DTEND") == d.closes_at
        assert str(by_id[d.id]["STATUS"]) == "CONFIRMED"
        assert int(by_id[d.id]["SEQUENCE"]) == 0
    assert spring.opens_at.utcoffset() is not None
    assert spring.opens_at.astimezone(by_id[spring.id].decoded("DTSTART").tzinfo).utcoffset() == timedelta(
        hours=2
    )
    assert "The Lantern Keeper, up to ch. 10" in str(by_id[friday.id]["SUMMARY"])
    text = cal.to_ical().decode()
    for secret in SECRETS:  # the questions are spoilers: they stay in Discord, behind markup
        assert secret not in text

    # Moved, and called off: a re-import replaces the entries the app already has (same UID, higher SEQUENCE).
    await admin.slash("discussion reschedule", discussion=friday.id, when="next Saturday 18:00")
    await admin.slash("discussion cancel", discussion=screening.id)
    again = events_by_uid(parse(await alice.slash("club calendar file")))
    assert again.keys() == before.keys()
    moved = next(e for uid, e in again.items() if uid.endswith(f"-{friday.id}@bookclub-bot"))
    called_off = next(e for uid, e in again.items() if uid.endswith(f"-{screening.id}@bookclub-bot"))
    untouched = next(e for uid, e in again.items() if uid.endswith(f"-{spring.id}@bookclub-bot"))
    assert int(moved["SEQUENCE"]) > 0 and moved.decoded("DTSTART").hour == 18
    assert str(called_off["STATUS"]) == "CANCELLED" and int(called_off["SEQUENCE"]) > 0
    assert int(untouched["SEQUENCE"]) == 0 and str(untouched["STATUS"]) == "CONFIRMED"

    # Once the first one opens, its entry links to the thread where it happens.
    await clock.advance(timedelta(days=6))
    thread = next(t for t in club.threads_in(discussions_channel))
    opened = events_by_uid(parse(await alice.slash("club calendar file")))
    live = next(e for uid, e in opened.items() if uid.endswith(f"-{friday.id}@bookclub-bot"))
    assert str(live["URL"]).endswith(f"/{club.guild.id}/{thread.id}")


async def test_calendar_file_with_nothing_scheduled_says_what_to_do(club, admin, alice, catalog):
    reply = await alice.slash("club calendar file")
    assert reply.ephemeral and not reply.message.attachments
    assert "/discussion schedule" in rendered(reply.content)
