"""IANA time zone names: validation and suggestions."""

from __future__ import annotations

import difflib
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import UserError
from bot.text import code_span

MAX_TIMEZONE = 64
"""Longest zone name accepted; the longest IANA name has 32 characters."""


@cache
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def suggest_timezones(text: str, limit: int = 25) -> list[str]:
    """Return zone names containing `text` (case-insensitive), best first."""
    needle = text[:MAX_TIMEZONE].strip().lower().replace(" ", "_")
    zones = _all_zones()
    if not needle:
        return list(zones[:limit])
    starts = [z for z in zones if z.lower().split("/")[-1].startswith(needle) or z.lower().startswith(needle)]
    contains = [z for z in zones if needle in z.lower() and z not in starts]
    found = starts + contains
    if len(found) < limit:
        lowered = {z.lower(): z for z in zones}
        close = difflib.get_close_matches(needle, list(lowered), n=limit, cutoff=0.6)
        found += [lowered[c] for c in close if lowered[c] not in found]
    return found[:limit]


def validate_timezone(name: str) -> str:
    """Return the canonical IANA name, or explain what a valid one looks like."""
    cleaned = name.strip().replace(" ", "_")
    by_lower = {z.lower(): z for z in _all_zones()}
    canonical = by_lower.get(cleaned.lower())
    if canonical is not None:
        try:
            ZoneInfo(canonical)
        except ZoneInfoNotFoundError:  # pragma: no cover - tzdata disagrees with itself
            pass
        else:
            return canonical
    hints = suggest_timezones(cleaned, limit=3)
    hint = f" Did you mean {', '.join(f'`{h}`' for h in hints)}?" if hints else ""
    raise UserError(
        f"{code_span(name, 60)} is not a time zone I know. Use an IANA name such as `Europe/Paris` or "
        f"`America/New_York` (the list suggests names as you type).{hint}"
    )
