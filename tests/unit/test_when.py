"""Natural-language meeting times, read in the club's zone, with daylight-saving traps explained."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import UserError
from bot.when import format_when, parse_when

# Monday 2 November 2026, 18:00 UTC (19:00 in Paris, 13:00 in New York).
NOW = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("next Friday 7pm", "Europe/Paris", datetime(2026, 11, 6, 18, 0, tzinfo=UTC)),
        ("Friday 7 pm", "America/New_York", datetime(2026, 11, 7, 0, 0, tzinfo=UTC)),
        ("2026-12-04 19:30", "Europe/Paris", datetime(2026, 12, 4, 18, 30, tzinfo=UTC)),
        ("in 3 days at 18:00", "Europe/Paris", datetime(2026, 11, 5, 17, 0, tzinfo=UTC)),
        ("tomorrow 8pm", "America/New_York", datetime(2026, 11, 4, 1, 0, tzinfo=UTC)),
        ("tomorrow 8pm", "UTC", datetime(2026, 11, 3, 20, 0, tzinfo=UTC)),
        # Summer time in Paris is UTC+2: the same wall-clock time is an hour earlier in UTC.
        ("2027-06-10 19:30", "Europe/Paris", datetime(2027, 6, 10, 17, 30, tzinfo=UTC)),
        ("<t:1796000000>", "Europe/Paris", datetime.fromtimestamp(1796000000, UTC)),
        ("<t:1796000000:F>", "America/New_York", datetime.fromtimestamp(1796000000, UTC)),
    ],
)
def test_reads_times_in_the_club_zone(text, tz, expected):
    assert parse_when(text, tz, NOW) == expected


def test_relative_to_the_injected_now_not_the_machine_clock():
    later = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)  # a Monday
    assert parse_when("tomorrow 8pm", "UTC", later) == datetime(2030, 1, 8, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "tz", "needle"),
    [
        # Paris springs forward at 02:00 on 28 March 2027; New York on 14 March 2027.
        ("2027-03-28 02:30", "Europe/Paris", "does not exist in Europe/Paris"),
        ("2027-03-14 02:15", "America/New_York", "does not exist in America/New_York"),
        # And they fall back on 31 October and 7 November 2027.
        ("2027-10-31 02:30", "Europe/Paris", "happens twice in Europe/Paris"),
        ("2027-11-07 01:30", "America/New_York", "happens twice in America/New_York"),
    ],
)
def test_daylight_saving_gaps_and_overlaps_are_refused_with_an_example(text, tz, needle):
    with pytest.raises(UserError) as err:
        parse_when(text, tz, NOW)
    assert needle in err.value.message
    assert "e.g. `" in err.value.message


def test_the_hour_next_to_a_dst_change_is_fine():
    assert parse_when("2027-03-28 03:30", "Europe/Paris", NOW) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert parse_when("2027-10-31 03:30", "Europe/Paris", NOW) == datetime(2027, 10, 31, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("whenever suits", "could not read"),
        ("", "Say when"),
        ("friday", "no time of day"),
        ("yesterday 8pm", "already passed"),
        ("2026-11-02 18:59", "already passed"),
        ("<t:1700000000:F>", "already passed"),
        ("2062-01-01 19:00", "more than two years away"),
    ],
)
def test_unusable_times_say_what_to_type(text, needle):
    with pytest.raises(UserError) as err:
        parse_when(text, "Europe/Paris", NOW)
    assert needle in err.value.message
    assert "next Friday 7pm" in err.value.message or "e.g." in err.value.message


def test_member_text_cannot_break_the_reply_markup():
    with pytest.raises(UserError) as err:
        parse_when("`@everyone` soon", "UTC", NOW)
    # The member's backticks are replaced, so their text stays inside one code span (no ping, no markup).
    assert "`'@everyone' soon`" in err.value.message


def test_format_when_uses_discord_timestamps():
    when = datetime(2026, 11, 6, 18, 0, tzinfo=UTC)
    unix = int(when.timestamp())
    assert format_when(when) == f"<t:{unix}:F> (<t:{unix}:R>)"


def test_naive_now_is_a_programming_error():
    with pytest.raises(ValueError, match="aware"):
        parse_when("tomorrow 8pm", "UTC", datetime(2026, 11, 2, 18, 0))
