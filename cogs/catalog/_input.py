"""Checking what organizers and members type when they add or change a title."""

from __future__ import annotations

import itertools
import re

from bot.errors import UserError
from bot.store import NewWork
from bot.text import code_span, label_key

MAX_TITLE = 200
MAX_CREATOR = 100
YEAR_RANGE = (1000, 2100)


def clean_text(value: str | None, what: str, limit: int) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if not cleaned:
        return None
    if len(cleaned) > limit:
        raise UserError(f"The {what} is {len(cleaned)} characters long; keep it to {limit}.")
    return cleaned


def clean_title(value: str) -> str:
    title = clean_text(value, "title", MAX_TITLE)
    if not title:
        raise UserError("Give a title.")
    if not label_key(title):
        raise UserError("The title is empty once formatting and invisible characters are left out.")
    return title


def check_year(value: int | None) -> int | None:
    if value is not None and not YEAR_RANGE[0] <= value <= YEAR_RANGE[1]:
        raise UserError(
            f"{value} is not a plausible year: give the year of first publication or release, e.g. 1965."
        )
    return value


def parse_parts(text: str | None, chapters: int | None) -> tuple[tuple[str, int | None], ...]:
    """Read "Part One: 10; Part Two: 22" (name, then optionally its last chapter) into parts."""
    if not text or not text.strip():
        return ()
    parts: list[tuple[str, int | None]] = []
    for raw in re.split(r"[;\n]", text):
        piece = raw.strip()
        if not piece:
            continue
        match = re.match(r"^(?P<name>.+?)\s*:\s*(?P<last>\d+)$", piece)
        name, last = (match["name"], int(match["last"])) if match else (piece, None)
        if len(name) > 100:
            raise UserError(
                f"Part name {code_span(name, 40)} is too long; keep each part name to 100 characters."
            )
        parts.append((name, last))
    if len(parts) > 50:
        raise UserError("A book can have at most 50 parts.")
    lasts = [last for _, last in parts]
    if any(last is not None for last in lasts):
        if any(last is None for last in lasts):
            raise UserError("Give the last chapter for every part (`Name: 12`) or for none of them.")
        numbers = [int(x) for x in lasts if x is not None]
        if any(b <= a for a, b in itertools.pairwise(numbers)) or numbers[0] < 1:
            raise UserError("Each part's last chapter must be after the previous part's.")
        if chapters is not None and numbers[-1] > chapters:
            raise UserError(
                f"The last part ends at chapter {numbers[-1]}, but the book has {chapters} chapters."
            )
    return tuple(parts)


def work_label_of(new: NewWork) -> str:
    """Return "Title (year)" for a work being added."""
    return f"{new.title} ({new.year})" if new.year else new.title
