"""Scopes from `/discussion schedule` options and reading plans (pure logic)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain import Work, WorkKind
from bot.errors import UserError
from bot.services.discussions.scopes import build_scope, plan_sessions, split_evenly
from bot.spoilers import BookAndFilm, BookUpTo, Film, SeriesUpTo, WholeBook
from cogs.discussions._cog import describe_offsets, parse_offsets, parse_questions

BOOK = Work(
    1,
    WorkKind.BOOK,
    "The Salt Road",
    chapters=23,
    parts=("One", "Two", "Three"),
    part_last_chapters=(8, 16, 23),
)
FILM = Work(2, WorkKind.FILM, "The Salt Road", year=2024, adapts_work_id=1)
SERIES = Work(3, WorkKind.SERIES, "Salt", episodes=8)
PARIS = ZoneInfo("Europe/Paris")


def test_split_evenly_matches_the_issue_example():
    assert split_evenly(23, 4) == [6, 12, 18, 23]
    assert split_evenly(30, 4) == [8, 15, 23, 30]
    assert split_evenly(3, 3) == [1, 2, 3]


@pytest.mark.parametrize(
    ("kind", "main", "screen", "up_to", "expected"),
    [
        ("chapter", BOOK, None, 6, BookUpTo(1, chapter=6)),
        ("part", BOOK, None, 2, BookUpTo(1, part=2)),
        ("book", BOOK, FILM, None, WholeBook(1)),
        ("screen", BOOK, FILM, None, Film(2)),
        ("screen", SERIES, None, 3, SeriesUpTo(3, 3)),
        ("book_vs_film", BOOK, FILM, None, BookAndFilm(1, 2)),
    ],
)
def test_build_scope(kind, main, screen, up_to, expected):
    assert build_scope(kind, main, screen, up_to)[0] == expected


@pytest.mark.parametrize(
    ("kind", "main", "screen", "up_to", "needle"),
    [
        ("chapter", BOOK, None, 24, "has 23 chapters"),
        ("chapter", BOOK, None, None, "up_to"),
        ("part", BOOK, None, 4, "has 3 parts"),
        ("book", FILM, None, None, "needs a book"),
        ("screen", SERIES, None, 9, "has 8 episodes"),
        ("screen", FILM, None, 2, "is a film"),
        ("book_vs_film", BOOK, None, None, "no single adaptation"),
    ],
)
def test_build_scope_explains_bad_options(kind, main, screen, up_to, needle):
    with pytest.raises(UserError) as err:
        build_scope(kind, main, screen, up_to)
    assert needle in err.value.message


def test_plan_keeps_local_wall_time_across_a_dst_change():
    first = datetime(2027, 3, 19, 18, 0, tzinfo=UTC)  # Friday 19:00 in Paris (winter time)
    planned = plan_sessions(BOOK, 3, "part", first, 7, PARIS)
    assert [p.scope for p in planned] == [BookUpTo(1, part=1), BookUpTo(1, part=2), BookUpTo(1, part=3)]
    assert [p.opens_at.astimezone(PARIS).hour for p in planned] == [19, 19, 19]
    assert planned[2].opens_at == datetime(2027, 4, 2, 17, 0, tzinfo=UTC)  # summer time: UTC+2


def test_plan_refuses_what_it_cannot_split():
    first = datetime(2027, 1, 1, 18, tzinfo=UTC)
    with pytest.raises(UserError, match="at most 3 sessions by part"):
        plan_sessions(BOOK, 4, "part", first, 7, PARIS)
    with pytest.raises(UserError, match="no chapter count"):
        plan_sessions(Work(9, WorkKind.BOOK, "Untold"), 2, "ch", first, 7, PARIS)


def test_questions_and_reminder_offsets():
    assert parse_questions(" Who? ; ;Why? ") == ("Who?", "Why?")
    assert parse_offsets("24h, 1h") == [1440, 60]
    assert parse_offsets("2d,30m") == [2880, 30]
    assert parse_offsets("none") == []
    assert describe_offsets((1440, 60)) == "1 d and 1 h before"
    with pytest.raises(UserError, match="like `24h, 1h`"):
        parse_offsets("soon")


def test_reminders_mention_at_most_90_members_per_message_and_names_stay_plain():
    from bot.services.discussions import render
    from bot.store import Discussion

    sneaky = Work(1, WorkKind.BOOK, "<@42> and @everyone", chapters=23)
    d = Discussion(
        1,
        7,
        1,
        BookUpTo(1, chapter=6),
        "x",
        ("Q?",),
        datetime(2027, 1, 1, tzinfo=UTC),
        datetime(2027, 1, 1, 2, tzinfo=UTC),
        None,
        None,
        None,
        None,
        "scheduled",
        None,
    )
    users = list(range(1000, 1200))
    messages = render.reminder_messages(d, {1: sneaky}, users)
    assert [len(chunk) for _, chunk in messages] == [90, 90, 20]
    assert [uid for _, chunk in messages for uid in chunk] == users
    for text, chunk in messages:
        assert len(text) <= 2000
        assert {int(m) for m in re.findall(r"<@(\d+)>", text)} == set(chunk)
    assert "<@42>" not in render.thread_name(d, {1: sneaky}) and "<@42>" not in render.event_name(
        d, {1: sneaky}
    )
