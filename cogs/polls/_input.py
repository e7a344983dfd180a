"""Checking what an organizer types into `/poll`: answers, durations; fitting titles into answers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.text import LIMITS, code_span, label_key, shorten
from bot.when import format_when, parse_when

MIN_DURATION = timedelta(hours=1)
MAX_DURATION = timedelta(days=32)  # Discord's longest poll (768 hours)
MAX_RANKED = 25  # a select menu holds at most 25 options
MAX_RANK = 5  # choices a member ranks on one ballot

_UNITS = {"w": 7 * 24, "d": 24, "h": 1}
_PART = re.compile(r"(\d+)\s*(w|weeks?|d|days?|h|hours?|hrs?)\b", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """Parse "36h", "3d", "1w 2d" or a bare number of hours into whole hours, 1 hour to 32 days."""
    raw = text.strip().lower()
    if raw.isdigit():
        hours = int(raw)
    else:
        parts = list(_PART.finditer(raw))
        leftover = _PART.sub("", raw).replace(",", " ").replace("and", " ").strip()
        if not parts or leftover:
            raise UserError(
                f"I could not read the duration {code_span(text, 40)}: write it like `24h`, `3d` or `1w 2d`."
            )
        hours = sum(int(p.group(1)) * _UNITS[p.group(2)[0]] for p in parts)
    duration = timedelta(hours=hours)
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise UserError(
            f"A poll runs from 1 hour to 32 days (Discord's limits); {code_span(text, 40)} is {hours} hours."
        )
    return duration


def check_question(question: str) -> str:
    """Return the trimmed question, or say what is wrong with it."""
    cleaned = " ".join(question.split())
    if not cleaned:
        raise UserError("The question is empty: write what members vote on.")
    if len(cleaned) > LIMITS.poll_question:
        raise UserError(
            f"The question is {len(cleaned)} characters; Discord allows {LIMITS.poll_question}. Shorten it."
        )
    return cleaned


def split_answers(text: str) -> list[str]:
    """Split answers typed as `Emma; Dracula; Beloved` and check them against Discord's limits."""
    answers = [" ".join(a.split()) for a in text.split(";")]
    if any(not a for a in answers):
        raise UserError("One of the answers is empty: separate answers with `;`, e.g. `Emma; Dracula`.")
    if len(answers) < 2:
        raise UserError("A poll needs at least 2 answers, separated with `;`, e.g. `Emma; Dracula`.")
    if len(answers) > LIMITS.poll_answers:
        raise UserError(
            f"A Discord poll takes at most {LIMITS.poll_answers} answers; you gave {len(answers)}."
        )
    too_long = [a for a in answers if len(a) > LIMITS.poll_answer]
    if too_long:
        raise UserError(
            f"Discord shows at most {LIMITS.poll_answer} characters per answer; "
            f"{code_span(too_long[0], 60)} has {len(too_long[0])}. Shorten it."
        )
    seen: dict[str, str] = {}
    for number, a in enumerate(answers, start=1):
        key = label_key(a)
        if not key:
            raise UserError(
                f"Answer {number} ({code_span(a, 60)}) is empty once formatting and invisible characters "
                "are left out: give every answer visible text."
            )
        if key in seen:
            if a == seen[key]:
                raise UserError(f"{code_span(a, 60)} is given twice; each answer must be different.")
            raise UserError(
                f"{code_span(seen[key], 60)} and {code_span(a, 60)} are one answer given twice (case, "
                "formatting and invisible characters aside); each answer must be different."
            )
        seen[key] = a
    return answers


def fit_answers(labels: Sequence[str], limit: int = LIMITS.poll_answer) -> list[str]:
    """Shorten labels to `limit` characters at a word boundary, keeping every answer distinct."""
    out: list[str] = []
    taken: set[str] = set()
    for i, label in enumerate(labels, start=1):
        answer = shorten(label, limit)
        if label_key(answer) in taken:
            tag = f" #{i}"
            answer = shorten(label, limit - len(tag)) + tag
        taken.add(label_key(answer))
        out.append(answer)
    return out


def parse_times(text: str, tz: str, now: datetime, closes_at: datetime) -> list[datetime]:
    """Read 2 to 10 candidate meeting times typed as `next Friday 7pm; Saturday 10am`, soonest first."""
    parts = [" ".join(p.split()) for p in text.split(";")]
    if any(not p for p in parts):
        raise UserError(
            "One of the times is empty: separate times with `;`, e.g. `next Friday 7pm; Saturday 10am`."
        )
    if len(parts) < 2:
        raise UserError(
            "A date poll needs at least 2 times, separated with `;`, e.g. `Friday 7pm; Saturday 10am`."
        )
    if len(parts) > LIMITS.poll_answers:
        raise UserError(
            f"A Discord poll takes at most {LIMITS.poll_answers} answers; you gave {len(parts)} times."
        )
    times: dict[datetime, str] = {}
    for number, part in enumerate(parts, start=1):
        if not label_key(part):
            raise UserError(
                f"Time {number} ({code_span(part, 60)}) is empty once formatting and invisible characters "
                "are left out: give every time visible text."
            )
        when = parse_when(part, tz, now)
        if when in times:
            raise UserError(
                f"{code_span(part, 60)} and {code_span(times[when], 60)} are the same time; give each once."
            )
        times[when] = part
    first = min(times)
    if closes_at > first:
        raise UserError(
            f"The poll would close after the earliest time ({format_when(first)}): give a shorter duration or "
            "later times."
        )
    return sorted(times)


def time_answer(when: datetime, tz: str) -> str:
    """Write a candidate time as a poll answer in the club's zone (polls show plain text, not timestamps)."""
    zone = ZoneInfo(tz)
    local = when.astimezone(zone)
    return f"{local:%a %d %b %Y, %H:%M} ({zone.key})"
