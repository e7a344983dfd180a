"""Series date arithmetic: the Nth and last weekday of a month, every N weeks, and reading the rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.errors import UserError
from cogs.discussions._recurrence import (
    DEFAULT_LEAD_DAYS,
    LAST,
    Recurrence,
    nth_weekday,
    parse_lead,
    parse_recurrence,
)
from cogs.discussions._series import first_meeting

MON, THU, FRI, SUN = 0, 3, 4, 6
PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("year", "month", "weekday", "n", "expected"),
    [
        (2027, 3, THU, 1, date(2027, 3, 4)),
        (2027, 4, THU, 1, date(2027, 4, 1)),  # the month starts on a Thursday
        (2027, 4, THU, 4, date(2027, 4, 22)),
        (2026, 12, MON, 2, date(2026, 12, 14)),
        (2027, 3, SUN, LAST, date(2027, 3, 28)),  # Europe's spring DST change
        (2027, 10, SUN, LAST, date(2027, 10, 31)),  # the month ends on that weekday
        (2028, 2, TUE := 1, LAST, date(2028, 2, 29)),  # leap day
        (2027, 2, FRI, LAST, date(2027, 2, 26)),
    ],
)
def test_nth_and_last_weekday(year, month, weekday, n, expected):
    assert nth_weekday(year, month, weekday, n) == expected
    assert expected.weekday() == weekday


def test_no_fifth_weekday():
    with pytest.raises(ValueError):
        nth_weekday(2027, 3, THU, 5)


def test_monthly_dates_roll_over_the_year():
    rule = Recurrence("monthly", THU, 1, time(19))
    assert rule.first_on_or_after(date(2026, 11, 2)) == date(2026, 11, 5)
    assert rule.first_on_or_after(date(2026, 11, 6)) == date(2026, 12, 3)
    assert rule.dates(date(2026, 12, 3), 4) == [
        date(2026, 12, 3),
        date(2027, 1, 7),
        date(2027, 2, 4),
        date(2027, 3, 4),
    ]


def test_last_weekday_dates():
    rule = Recurrence("monthly", FRI, LAST, time(19, 30))
    assert rule.first_on_or_after(date(2027, 1, 30)) == date(2027, 2, 26)
    assert rule.after(date(2027, 2, 26)) == date(2027, 3, 26)


def test_every_n_weeks_keeps_the_weekday_and_phase():
    rule = Recurrence("weekly", MON, 2, time(18, 30))
    first = rule.first_on_or_after(date(2026, 11, 4))  # a Wednesday
    assert first == date(2026, 11, 9)
    assert rule.dates(first, 4) == [
        date(2026, 11, 9),
        date(2026, 11, 23),
        date(2026, 12, 7),
        date(2026, 12, 21),
    ]
    assert Recurrence("weekly", MON, 1, time(9)).first_on_or_after(date(2026, 11, 9)) == date(2026, 11, 9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("first Thursday, 19:00", Recurrence("monthly", THU, 1, time(19))),
        ("first Thursday of the month at 7pm", Recurrence("monthly", THU, 1, time(19))),
        ("every 3rd Monday 18:30", Recurrence("monthly", MON, 3, time(18, 30))),
        ("last Friday 7:30 pm", Recurrence("monthly", FRI, LAST, time(19, 30))),
        ("every 2 weeks on Monday 18:30", Recurrence("weekly", MON, 2, time(18, 30))),
        ("every other thursday 19h", Recurrence("weekly", THU, 2, time(19))),
        ("every Thursday 12am", Recurrence("weekly", THU, 1, time(0))),
        ("Weekly on Sundays at 10:15", Recurrence("weekly", SUN, 1, time(10, 15))),
    ],
)
def test_reading_rules(text, expected):
    assert parse_recurrence(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("first Thrusday 19:00", "I don't know the weekday `thrusday`"),
        ("fifth Thursday 19:00", "Not every month has a fifth"),
        ("5th Thursday 19:00", "Not every month has a fifth"),
        ("every 13 weeks on Monday 18:00", "every 1 to 12 weeks, not every 13"),
        ("every 0 weeks on Monday 18:00", "every 1 to 12 weeks, not every 0"),
        ("first Thursday", "has no time of day"),
        ("first Thursday 25:00", "is not a time of day"),
        ("first Monday and Thursday 19:00", "one weekday"),
        ("first Thursday every 2 weeks 19:00", "not both"),
        ("every 19:00", "Say which weekday"),
    ],
)
def test_refusals_say_what_is_wrong(text, message):
    with pytest.raises(UserError, match=message):
        parse_recurrence(text)


def test_describe():
    assert parse_recurrence("first Thursday 19:00").describe() == "the first Thursday of each month at 19:00"
    assert parse_recurrence("last friday 7pm").describe() == "the last Friday of each month at 19:00"
    assert parse_recurrence("every 2 weeks monday 18:30").describe() == "every 2 weeks on Monday at 18:30"
    assert parse_recurrence("every monday 18:30").describe() == "every Monday at 18:30"


def test_lead_time():
    assert parse_lead(None) == DEFAULT_LEAD_DAYS == 14
    assert parse_lead("3 weeks") == 21
    assert parse_lead("10d") == 10
    for text, message in (("9 weeks", "1 day to 8 weeks"), ("0 days", "1 day to 8 weeks"), ("soon", "like")):
        with pytest.raises(UserError, match=message):
            parse_lead(text)


def test_first_meeting_is_still_to_come_and_keeps_local_time_across_dst():
    rule = parse_recurrence("first Thursday 19:00")
    # Thursday 4 March 2027, 19:00 in Paris (UTC+1) is 18:00 UTC; a minute later it has passed.
    on, at = first_meeting(rule, PARIS, datetime(2027, 3, 4, 17, 0, tzinfo=UTC))
    assert (on, at) == (date(2027, 3, 4), datetime(2027, 3, 4, 18, 0, tzinfo=UTC))
    on, at = first_meeting(rule, PARIS, datetime(2027, 3, 4, 18, 1, tzinfo=UTC))
    assert (on, at) == (date(2027, 4, 1), datetime(2027, 4, 1, 17, 0, tzinfo=UTC))  # summer time: UTC+2
    weekly = parse_recurrence("every 2 weeks on Thursday 19:00")
    on, _ = first_meeting(weekly, PARIS, datetime(2027, 3, 4, 18, 1, tzinfo=UTC))
    assert on == date(2027, 3, 11)  # the next Thursday, not two weeks on


def test_a_meeting_in_the_dst_gap_is_refused():
    with pytest.raises(UserError, match=r"Sunday 28 March 2027 .* skip or repeat 02:30"):
        first_meeting(parse_recurrence("last Sunday 2:30am"), PARIS, datetime(2027, 1, 1, tzinfo=UTC))
    with pytest.raises(UserError, match="October"):
        first_meeting(parse_recurrence("last Sunday 2:30am"), PARIS, datetime(2027, 4, 1, tzinfo=UTC))
