"""What organizers type into /poll: durations, answers, and long titles fitted into answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import UserError
from cogs.polls._input import fit_answers, parse_duration, split_answers


@pytest.mark.parametrize(
    ("text", "hours"),
    [("24h", 24), ("3d", 72), ("1w 2d", 216), ("36", 36), ("2 days 6 hours", 54), ("32d", 768), ("1h", 1)],
)
def test_durations_in_whole_hours(text: str, hours: int) -> None:
    assert parse_duration(text) == timedelta(hours=hours)


@pytest.mark.parametrize("text", ["0h", "33d", "5w", "769"])
def test_durations_outside_discords_range_are_refused(text: str) -> None:
    with pytest.raises(UserError, match="1 hour to 32 days"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["", "soon", "30 minutes", "3d tomorrow"])
def test_unreadable_durations_are_refused(text: str) -> None:
    with pytest.raises(UserError, match="could not read"):
        parse_duration(text)


def test_answers_split_and_trimmed() -> None:
    assert split_answers(" Emma ;Dracula;  The   Secret History") == ["Emma", "Dracula", "The Secret History"]


def test_long_titles_are_shortened_but_stay_distinct() -> None:
    long = "The Extraordinarily Long and Winding Title of a Book, Volume"
    answers = fit_answers([long + " One", long + " Two", "Emma"])
    assert all(len(a) <= 55 for a in answers)
    assert len({a.casefold() for a in answers}) == 3
    assert answers[0].endswith("…") and answers[1].endswith("#2") and answers[2] == "Emma"


def test_times_sorted_and_written_in_the_club_zone() -> None:
    from datetime import UTC, datetime

    from cogs.polls._input import parse_times, time_answer

    now = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
    times = parse_times("2026-11-06 19:00; 2026-11-03 20:00", "Europe/Paris", now, now + timedelta(hours=12))
    assert times == [datetime(2026, 11, 3, 19, 0, tzinfo=UTC), datetime(2026, 11, 6, 18, 0, tzinfo=UTC)]
    assert time_answer(times[0], "Europe/Paris") == "Tue 03 Nov 2026, 20:00 (Europe/Paris)"
