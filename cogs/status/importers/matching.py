"""Pair imported rows with the club's catalog, for the member to preview and confirm.

Books match on the normalised title plus the author's surname; the author may be missing only when
one catalog book has that title. Films match on the normalised title plus the year, give or take
one (release years differ between countries and databases); the year may be missing only when one
catalog film or series has that title. Film rows may match a series too, because Letterboxd lists
miniseries. A title that only matches once a subtitle or a "(Series, #1)" note is dropped (on
either side) must be confirmed by the author or year: a bare title is not enough evidence there.
Nothing is fuzzy: an import writes many statuses at once, so a wrong guess costs more than a miss.

Duplicates. Several rows can name one work (two editions on Goodreads, say). The most advanced
state wins (want < did not finish < reading/watching < read/watched: a "reading" row beside a
"dnf" one means the member picked the book up again), then the later finish date, then the later
row. The winner takes the place of the work's first row, so the preview keeps file order; the
other rows are listed as superseded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher

from bot.domain import STATE_RANK, Work, WorkKind
from bot.titles import fold_text, normalize_title
from cogs.status.importers.base import ImportRow

__all__ = ["ImportPreview", "match_import"]

_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md"})
_NAME_SEPARATORS = re.compile(r"[,;&/]|\band\b", re.IGNORECASE)
# Transliterations differ ("Dostoevsky"/"Dostoyevsky", "Tolstoy"/"Tolstoi"); typos rarely do this.
_SURNAME_SIMILARITY = 0.85
_YEAR_TOLERANCE = 1


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What an import would do: matched rows with their work ids, and rows it would leave out."""

    matched: list[tuple[ImportRow, int]]
    unmatched: list[tuple[ImportRow, str]]
    # Rows naming a work another row already sets, with that work's id.
    superseded: list[tuple[ImportRow, int]] = field(default_factory=list)


def _surnames(names: str | None) -> set[str]:
    """Return the folded surname of each person in a list of names ("A, B & C")."""
    found = set()
    for name in _NAME_SEPARATORS.split(names or ""):
        words = [word for word in fold_text(name).split() if word not in _NAME_SUFFIXES]
        if words:
            found.add(words[-1])
    return found


def _same_author(row_author: str | None, creator: str | None) -> bool:
    """Return whether two author lists share a surname (allowing for transliteration)."""
    ours = _surnames(creator)
    for theirs in _surnames(row_author):
        for surname in ours:
            if theirs == surname:
                return True
            similar = SequenceMatcher(None, theirs, surname).ratio() >= _SURNAME_SIMILARITY
            if similar and min(len(theirs), len(surname)) >= 4:
                return True
    return False


def _quoted(work: Work) -> str:
    """Return a work's title with its year when it has one."""
    return f"“{work.title}” ({work.year})" if work.year is not None else f"“{work.title}”"


class _Catalog:
    """Catalog works indexed by title key and by main-title key, split by medium."""

    def __init__(self, works: Mapping[int, Work]) -> None:
        self.by_full: dict[tuple[bool, str], list[Work]] = {}
        self.by_short: dict[tuple[bool, str], list[Work]] = {}
        for work in sorted(works.values(), key=lambda work: work.id):
            is_book = work.kind is WorkKind.BOOK
            self.by_full.setdefault((is_book, normalize_title(work.title)), []).append(work)
            self.by_short.setdefault((is_book, normalize_title(work.title, drop_subtitle=True)), []).append(
                work
            )

    def candidates(self, row: ImportRow) -> tuple[list[Work], bool]:
        """Return works titled like the row and whether only a subtitle-less key matched."""
        is_book = row.kind is WorkKind.BOOK
        full = normalize_title(row.title)
        short = normalize_title(row.title, drop_subtitle=True)
        exact = self.by_full.get((is_book, full), [])
        if exact:
            return exact, False
        loose = self.by_full.get((is_book, short), []) + self.by_short.get((is_book, full), [])
        unique = list({work.id: work for work in loose}.values())
        return sorted(unique, key=lambda work: work.id), True


def _match_book(row: ImportRow, works: list[Work], loose: bool) -> Work | str:
    """Return the one book a row names, or why it matches none."""
    if row.author is None:
        if loose:
            return (
                f"Only a similarly titled book ({_quoted(works[0])}) is in the catalog, and this row "
                "has no author to confirm it."
            )
        if len(works) > 1:
            return f"Several catalog books are called “{works[0].title}”; this row has no author to tell them apart."
        return works[0]
    by_author = [work for work in works if _same_author(row.author, work.creator)]
    if len(by_author) == 1:
        return by_author[0]
    if by_author:
        return f"Several catalog books called “{works[0].title}” are by {row.author}."
    unknown_author = [work for work in works if not work.creator]
    if not loose and len(works) == 1 and unknown_author:
        return works[0]  # The catalog does not say who wrote it, and no other book has the title.
    creators = ", ".join(sorted({work.creator for work in works if work.creator}))
    return f"The catalog's “{works[0].title}” is by {creators or 'an unknown author'}, not {row.author}."


def _match_film(row: ImportRow, works: list[Work], loose: bool) -> Work | str:
    """Return the one film or series a row names, or why it matches none."""
    if row.year is None:
        if loose:
            return (
                f"Only a similarly titled film ({_quoted(works[0])}) is in the catalog, and this row "
                "has no year to confirm it."
            )
        if len(works) > 1:
            return f"Several catalog films are called “{works[0].title}”; this row has no year to tell them apart."
        return works[0]
    year = row.year
    near = [work for work in works if work.year is not None and abs(work.year - year) <= _YEAR_TOLERANCE]
    same_year = [work for work in near if work.year == year]
    if len(same_year) == 1:
        return same_year[0]
    if len(near) == 1:
        return near[0]
    if near:
        return f"Several catalog films called “{works[0].title}” are from around {year}."
    if not loose and len(works) == 1 and works[0].year is None:
        return works[0]  # The catalog has no year to check, and no other film has the title.
    others = ", ".join(_quoted(work) for work in works)
    return f"The catalog has {others}, not the {year} one."


def _rank(row: ImportRow) -> tuple[int, date]:
    """Return a row's precedence among rows for the same work (higher wins)."""
    return STATE_RANK[row.state], row.finished_at or date.min


def match_import(rows: Sequence[ImportRow], works: Mapping[int, Work]) -> ImportPreview:
    """Match imported rows to catalog works (keyed by id), keeping file order and one row per work."""
    catalog = _Catalog(works)
    winners: dict[int, tuple[int, ImportRow]] = {}
    superseded: list[tuple[int, ImportRow, int]] = []
    unmatched: list[tuple[ImportRow, str]] = []
    for position, row in enumerate(rows):
        noun = "book" if row.kind is WorkKind.BOOK else "film"
        candidates, loose = catalog.candidates(row)
        if not candidates:
            unmatched.append((row, f"No {noun} called “{row.title}” is in the club catalog."))
            continue
        found = (_match_book if row.kind is WorkKind.BOOK else _match_film)(row, candidates, loose)
        if isinstance(found, str):
            unmatched.append((row, found))
            continue
        current = winners.get(found.id)
        if current is None:
            winners[found.id] = (position, row)
        elif _rank(row) >= _rank(current[1]):
            # Ties go to the later row; dict order keeps the work where its first row was.
            winners[found.id] = (position, row)
            superseded.append((*current, found.id))
        else:
            superseded.append((position, row, found.id))
    superseded.sort(key=lambda item: item[0])
    return ImportPreview(
        matched=[(row, work_id) for work_id, (_, row) in winners.items()],
        unmatched=unmatched,
        superseded=[(row, work_id) for _, row, work_id in superseded],
    )
