"""Reading and watching progress as members type it: "12", "ch 12", "p. 140", "45%", "part 2", "ep 3"."""

from __future__ import annotations

import math
import re

from bot.domain import ProgressUnit, Work, WorkKind
from bot.errors import UserError
from bot.lookup import italic
from bot.text import code_span

_PATTERNS: tuple[tuple[re.Pattern[str], ProgressUnit | None], ...] = (
    (re.compile(r"^(?P<n>\d+(?:[.,]\d+)?)\s*%$"), ProgressUnit.PERCENT),
    (re.compile(r"^(?:percent|pct)\.?\s*(?P<n>\d+(?:[.,]\d+)?)$"), ProgressUnit.PERCENT),
    (re.compile(r"^(?:ch|chap|chapter)s?\.?\s*(?P<n>\d+)$"), ProgressUnit.CHAPTER),
    (re.compile(r"^(?:p|pg|page)s?\.?\s*(?P<n>\d+)$"), ProgressUnit.PAGE),
    (re.compile(r"^(?:part|pt)\.?\s*(?P<n>\d+)$"), ProgressUnit.PART),
    (re.compile(r"^(?:e|ep|episode)s?\.?\s*(?P<n>\d+)$"), ProgressUnit.EPISODE),
    (re.compile(r"^(?P<n>\d+)$"), None),
)
EXAMPLES = "`12` or `ch 12` (chapter), `p 140` (page), `45%`, `part 2`, or `ep 3` for a series"


def parse_progress(text: str, work: Work) -> tuple[ProgressUnit, float]:
    """Return (unit, value) for what a member typed, checked against the work's size."""
    cleaned = text.strip().lower()
    found = next(((m, u) for p, u in _PATTERNS if (m := p.match(cleaned))), None)
    if found is None:
        raise UserError(f"I could not read {code_span(text, 40)} as progress. Try {EXAMPLES}.")
    match, unit = found
    value = float(match["n"].replace(",", "."))
    if unit is None:  # a bare number counts in the work's natural unit
        unit = ProgressUnit.EPISODE if work.kind is WorkKind.SERIES else ProgressUnit.CHAPTER
    return unit, _check(unit, value, work)


def _check(unit: ProgressUnit, value: float, work: Work) -> float:
    title = work.title
    if work.kind is WorkKind.FILM:
        raise UserError(f"{italic(title)} is a film: mark it watched instead of giving progress.")
    if work.kind is WorkKind.SERIES and unit is not ProgressUnit.EPISODE:
        raise UserError(f"{italic(title)} is a series: give progress in episodes, e.g. `ep 3`.")
    if work.kind is WorkKind.BOOK and unit is ProgressUnit.EPISODE:
        raise UserError(f"{italic(title)} is a book: give a chapter, page, part or percentage.")
    if not math.isfinite(value) or value < 0:
        raise UserError("Progress cannot be negative.")
    limits = {
        ProgressUnit.PERCENT: (100, "100%"),
        ProgressUnit.CHAPTER: (work.chapters, f"{work.chapters} chapters"),
        ProgressUnit.PAGE: (work.pages, f"{work.pages} pages"),
        ProgressUnit.PART: (len(work.parts) or None, f"{len(work.parts)} parts"),
        ProgressUnit.EPISODE: (work.episodes, f"{work.episodes} episodes"),
    }
    limit, described = limits[unit]
    if limit is not None and value > limit:
        raise UserError(
            f"{italic(title)} has {described}; `{value:g}` is past the end. Mark it finished instead."
        )
    if unit is ProgressUnit.PART and not work.parts:
        raise UserError(f"{italic(title)} has no parts in the catalog; give a chapter, page or percentage.")
    if unit is not ProgressUnit.PERCENT and value != int(value):
        raise UserError(f"Give a whole {unit.value} number, not `{value:g}`.")
    return value


def describe_progress(unit: ProgressUnit | None, value: float | None, work: Work | None = None) -> str:
    """Render progress for display, e.g. "ch. 12/30" or "45%"."""
    if unit is None or value is None:
        return ""
    if unit is ProgressUnit.PERCENT:
        return f"{value:g}%"
    total = None
    if work is not None:
        total = {
            ProgressUnit.CHAPTER: work.chapters,
            ProgressUnit.PAGE: work.pages,
            ProgressUnit.PART: len(work.parts) or None,
            ProgressUnit.EPISODE: work.episodes,
        }.get(unit)
    short = {
        ProgressUnit.CHAPTER: "ch.",
        ProgressUnit.PAGE: "p.",
        ProgressUnit.PART: "part",
        ProgressUnit.EPISODE: "ep.",
    }[unit]
    return f"{short} {value:g}" + (f"/{total}" if total else "")
