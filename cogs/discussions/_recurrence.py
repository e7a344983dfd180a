"""When a series meets: "first Thursday 19:00", "last Friday 7pm", "every 2 weeks on Monday 18:30".

Pure date arithmetic on local dates; the clock time is applied in the club's zone only when a meeting is
made (`bot.when.local_instant`), so a meeting keeps its local time across daylight-saving changes.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal

from bot.errors import UserError
from bot.text import code_span

RecurrenceKind = Literal["weekly", "monthly"]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_WEEKS = 12
LAST = -1
EXAMPLES = "`first Thursday 19:00`, `last Friday 7pm` or `every 2 weeks on Monday 18:30`"

_WEEKDAY_NAMES = {
    **{name.lower(): i for i, name in enumerate(WEEKDAYS)},
    **{name.lower() + "s": i for i, name in enumerate(WEEKDAYS)},
    **{name.lower()[:3]: i for i, name in enumerate(WEEKDAYS)},
    "tue": 1,
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "last": LAST,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "5th": 5,
}
_ORDINAL_NAMES = {1: "first", 2: "second", 3: "third", 4: "fourth", LAST: "last"}
# Words that carry no meaning of their own here ("on the first Thursday of the month, at 19:00").
_FILLER = frozenset(
    {"at", "on", "the", "of", "a", "month", "months", "monthly", "each", "in", "every", "and"}
)
_TIME = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)(?=\s|$|,)"
    r"|\b(?P<h24>\d{1,2})(?::|h)(?P<m24>\d{2})\b"
    r"|\b(?P<hh>\d{1,2})h\b"
)
_TOKEN = re.compile(r"\d+(?:st|nd|rd|th)?|[a-z]+")


@dataclass(frozen=True)
class Recurrence:
    """A meeting rule: weekly (every `step` weeks) or monthly (the `step`th weekday, or the last)."""

    kind: RecurrenceKind
    weekday: int  # Monday = 0
    step: int
    at: time

    def first_on_or_after(self, day: date) -> date:
        """Return the first meeting date on or after `day` (weekly: the phase starts there)."""
        if self.kind == "weekly":
            return day + timedelta(days=(self.weekday - day.weekday()) % 7)
        found = nth_weekday(day.year, day.month, self.weekday, self.step)
        if found >= day:
            return found
        year, month = _next_month(day.year, day.month)
        return nth_weekday(year, month, self.weekday, self.step)

    def after(self, meeting: date) -> date:
        """Return the meeting date that follows the one on `meeting`."""
        if self.kind == "weekly":
            return meeting + timedelta(weeks=self.step)
        year, month = _next_month(meeting.year, meeting.month)
        return nth_weekday(year, month, self.weekday, self.step)

    def dates(self, start: date, count: int) -> list[date]:
        """Return `count` meeting dates from the one on `start`."""
        out = [start]
        while len(out) < count:
            out.append(self.after(out[-1]))
        return out

    def describe(self) -> str:
        """Say the rule back: "the first Thursday of each month at 19:00", "every 2 weeks on Monday at 18:30"."""
        day = WEEKDAYS[self.weekday]
        at = self.at.strftime("%H:%M")
        if self.kind == "monthly":
            return f"the {_ORDINAL_NAMES[self.step]} {day} of each month at {at}"
        if self.step == 1:
            return f"every {day} at {at}"
        return f"every {self.step} weeks on {day} at {at}"


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """Return the `n`th `weekday` (Monday = 0) of a month, 1 to 4, or the last one for `n` = -1."""
    if n == LAST:
        last_day = calendar.monthrange(year, month)[1]
        end = date(year, month, last_day)
        return end - timedelta(days=(end.weekday() - weekday) % 7)
    if not 1 <= n <= 4:
        raise ValueError(f"every month has a 1st to 4th weekday, not a {n}th")
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _shown(text: str) -> str:
    return code_span(text.strip()[:60] or "(empty)")


def _read_time(text: str) -> tuple[time, str]:
    """Return the clock time in `text` and the text without it."""
    match = _TIME.search(text)
    if match is None:
        raise UserError(f"{_shown(text)} has no time of day. Add one, e.g. {EXAMPLES}.")
    if match.group("ampm"):
        hour, minute = int(match.group("h")), int(match.group("m") or 0)
        if not 1 <= hour <= 12:
            raise UserError(
                f"{_shown(match.group(0))} is not a time of day: use 1 to 12 with am/pm, or 0:00 to 23:59."
            )
        hour = hour % 12 + (12 if match.group("ampm").startswith("p") else 0)
    elif match.group("h24"):
        hour, minute = int(match.group("h24")), int(match.group("m24"))
    else:
        hour, minute = int(match.group("hh")), 0
    if hour > 23 or minute > 59:
        raise UserError(f"{_shown(match.group(0))} is not a time of day: use 0:00 to 23:59, e.g. `19:00`.")
    return time(hour, minute), text[: match.start()] + " " + text[match.end() :]


def parse_recurrence(text: str) -> Recurrence:
    """Read a meeting rule such as "first Thursday 19:00", or explain what to type instead."""
    cleaned = text.strip().lower().replace(",", " ")
    at, rest = _read_time(cleaned)
    tokens = _TOKEN.findall(rest)
    weekdays = [_WEEKDAY_NAMES[t] for t in tokens if t in _WEEKDAY_NAMES]
    ordinals = [_ORDINALS[t] for t in tokens if t in _ORDINALS]
    weeks: int | None = None
    unknown: list[str] = []
    for i, token in enumerate(tokens):
        if token in _WEEKDAY_NAMES or token in _ORDINALS or token in _FILLER:
            continue
        if token in ("week", "weeks", "weekly"):
            weeks = 1 if weeks is None else weeks
        elif token in ("other", "fortnight", "fortnightly", "biweekly"):
            weeks = 2
        elif token.isdigit() and i + 1 < len(tokens) and tokens[i + 1] in ("week", "weeks"):
            weeks = int(token)
        else:
            unknown.append(token)
    if unknown and not weekdays:
        raise UserError(
            f"I don't know the weekday {_shown(unknown[0])}: use Monday to Sunday, e.g. {EXAMPLES}."
        )
    if unknown:
        raise UserError(f"I could not read {_shown(' '.join(unknown))} in {_shown(text)}. Try {EXAMPLES}.")
    if not weekdays:
        raise UserError(f"Say which weekday the club meets, e.g. {EXAMPLES}.")
    if len(set(weekdays)) > 1:
        raise UserError(
            "A series meets on one weekday: start one series per weekday (Discord's events repeat that way too)."
        )
    if ordinals and weeks is not None:
        raise UserError(
            f"Give either which weekday of the month (`first Thursday 19:00`) or how many weeks apart "
            f"(`every 2 weeks on Thursday 19:00`), not both. Try {EXAMPLES}."
        )
    if ordinals:
        n = ordinals[0]
        if len(ordinals) > 1 or n not in _ORDINAL_NAMES:
            raise UserError(
                "Not every month has a fifth one of a weekday: give first, second, third, fourth or last."
            )
        return Recurrence("monthly", weekdays[0], n, at)
    step = 1 if weeks is None else weeks
    if not 1 <= step <= MAX_WEEKS:
        raise UserError(f"A series meets every 1 to {MAX_WEEKS} weeks, not every {step}.")
    return Recurrence("weekly", weekdays[0], step, at)


_LEAD = re.compile(r"^(?P<n>\d{1,3})\s*(?P<unit>d|days?|w|weeks?)$")
DEFAULT_LEAD_DAYS = 14
MAX_LEAD_DAYS = 8 * 7


def parse_lead(text: str | None) -> int:
    """Read how far ahead meetings are created ("2 weeks", "10 days", "10d") as days."""
    if text is None:
        return DEFAULT_LEAD_DAYS
    match = _LEAD.match(text.strip().lower())
    if match is None:
        raise UserError(f"Give the lead time like `2 weeks` or `10 days`, not {_shown(text)}.")
    days = int(match.group("n")) * (7 if match.group("unit").startswith("w") else 1)
    if not 1 <= days <= MAX_LEAD_DAYS:
        raise UserError(
            f"Meetings can be created 1 day to {MAX_LEAD_DAYS // 7} weeks ahead, not {days} days: "
            "try `2 weeks` (the default)."
        )
    return days
