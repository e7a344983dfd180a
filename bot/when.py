"""Read a meeting time typed by an organizer ("next Friday 7pm") in the club's time zone, and show one back.

Discussions and polls share this: `parse_when(text, tz, now)` returns an aware UTC instant or raises a
`UserError` that says what to type instead; `format_when(dt)` renders Discord timestamps, which every
member's client shows in their own local time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UserError

__all__ = ["EXAMPLE", "format_when", "local_instant", "parse_when", "zone_of"]

EXAMPLE = "`next Friday 7pm`, `tomorrow 20:00`, `in 3 days at 18:00` or `2026-12-04 19:30`"

# Discord's timestamp markup, as members paste it from a timestamp generator: <t:1764873000> or <t:…:F>.
_DISCORD_TIMESTAMP = re.compile(r"^<t:(-?\d{1,13})(?::[tTdDfFsSR])?>$")
# Far enough for any club's plans; anything beyond is a typo ("2062" for "2026").
_HORIZON = timedelta(days=2 * 366)


def zone_of(tz: str | ZoneInfo) -> ZoneInfo:
    """Return the zone named `tz`, or explain how to fix the club's setting."""
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError(
            f"The club's time zone `{tz}` is unknown: fix it with `/club setup timezone:`."
        ) from exc


def _parse_local(text: str, base: datetime) -> tuple[datetime, str] | None:
    """Return dateparser's reading of `text` (naive local, or aware if the text named a zone) and its period."""
    # Imported on the first date a club types, not at start: dateparser and its English data take ~9 MB
    # and ~0.15 s once, which a bot that only answers clicks should not carry.
    from dateparser.date import DateDataParser

    parser = DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": "future",
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    data = parser.get_date_data(text)
    if data.date_obj is None:
        return None
    return data.date_obj, data.period or "day"


def _shown(text: str) -> str:
    cleaned = text.strip().replace("`", "'")[:60]
    return cleaned or "(empty)"


def _check_future(when: datetime, now: datetime, text: str) -> datetime:
    if when <= now:
        raise UserError(
            f"`{_shown(text)}` is {format_when(when)}, which has already passed. "
            f"Give a time in the future, e.g. {EXAMPLE}."
        )
    if when - now > _HORIZON:
        raise UserError(
            f"`{_shown(text)}` is {format_when(when)}, more than two years away. "
            f"Check the year, e.g. {EXAMPLE}."
        )
    return when


def parse_when(text: str, tz: str | ZoneInfo, now: datetime) -> datetime:
    """Return the future UTC instant `text` names, read in time zone `tz` relative to `now`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    stamp = _DISCORD_TIMESTAMP.match(text.strip())
    if stamp:
        try:
            when = datetime.fromtimestamp(int(stamp.group(1)), UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise UserError(f"`{_shown(text)}` is not a real date. Try {EXAMPLE}.") from exc
        return _check_future(when, now, text)
    zone = zone_of(tz)
    if not text.strip():
        raise UserError(f"Say when, e.g. {EXAMPLE}.")
    base = now.astimezone(zone).replace(tzinfo=None)
    parsed = _parse_local(text, base)
    if parsed is None:
        raise UserError(f"I could not read `{_shown(text)}` as a date and time. Try {EXAMPLE}.")
    local, period = parsed
    if period != "time":
        raise UserError(
            f"`{_shown(text)}` has no time of day. Add one, e.g. `next Friday 7pm` or `2026-12-04 19:30`."
        )
    if local.tzinfo is not None:  # the text named its own zone ("7pm UTC"): no DST question to ask
        return _check_future(local.astimezone(UTC), now, text)
    return _check_future(local_instant(local, zone), now, text)


def local_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """Return the UTC instant a clock face (naive, local to `zone`) names, refusing one DST skips or repeats."""
    local = local.replace(second=0, microsecond=0)
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    clock_face = local.strftime("%Y-%m-%d %H:%M")
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        raise UserError(
            f"{clock_face} does not exist in {zone.key}: the clocks skip that hour for daylight saving time. "
            f"Pick a time outside it, e.g. `{(local + timedelta(hours=1)).strftime('%Y-%m-%d %H:%M')}`."
        )
    if first.utcoffset() != second.utcoffset():
        raise UserError(
            f"{clock_face} happens twice in {zone.key}: the clocks go back that night. "
            f"Pick a time outside that hour, e.g. `{(local + timedelta(hours=1)).strftime('%Y-%m-%d %H:%M')}`, "
            "or paste a Discord timestamp such as `<t:1764873000:F>`."
        )
    return first.astimezone(UTC)


def format_when(when: datetime) -> str:
    """Render an instant as Discord timestamps: the full local date and time, then "in 3 days"."""
    unix = int(when.timestamp())
    return f"<t:{unix}:F> (<t:{unix}:R>)"
