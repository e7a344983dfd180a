"""Goodreads "Export Library" CSV: one row per book on the member's shelves."""

from __future__ import annotations

from bot.domain import State, WorkKind
from cogs.status.importers.base import (
    CsvTable,
    ImportRow,
    SkippedRow,
    clean_name,
    parse_date,
    parse_rating,
    parse_year,
    titled_records,
)

# Enough to recognise the export; older exports add columns after "Read Count", which is fine
# because columns are looked up by name.
REQUIRED_COLUMNS = ("book id", "title", "author", "exclusive shelf")
EXAMPLE_HEADER = "Book Id,Title,Author,…,Exclusive Shelf,…"

_SHELVES = {
    "read": State.READ,
    "currently-reading": State.READING,
    "to-read": State.WANT_TO_READ,
}
# Goodreads lets members add their own exclusive shelves; these names all mean "gave up".
_DNF_SHELVES = frozenset(
    {"did-not-finish", "dnf", "abandoned", "gave-up", "not-finished", "unfinished", "dropped"}
)


def looks_like(table: CsvTable) -> bool:
    """Return whether the header is a Goodreads library export's."""
    return table.has(*REQUIRED_COLUMNS)


def parse(table: CsvTable) -> tuple[list[ImportRow], list[SkippedRow]]:
    """Turn a Goodreads export into import rows, skipping records it cannot place."""
    rows: list[ImportRow] = []
    skipped: list[SkippedRow] = []
    for line, record, title in titled_records(table, skipped):
        shelf = table.cell(record, "exclusive shelf").casefold()
        state = _SHELVES.get(shelf) or (State.DNF if shelf in _DNF_SHELVES else None)
        if state is None:
            skipped.append(
                SkippedRow(
                    line,
                    table.name,
                    title,
                    f"The shelf “{shelf or '(none)'}” isn't one I know: only read, currently-reading, "
                    "to-read and did-not-finish shelves are imported.",
                )
            )
            continue
        # The original year identifies the work; "Year Published" is the edition's.
        year = parse_year(table.cell(record, "original publication year")) or parse_year(
            table.cell(record, "year published")
        )
        rows.append(
            ImportRow(
                source_line=line,
                kind=WorkKind.BOOK,
                title=title,
                author=clean_name(table.cell(record, "author")),
                year=year,
                state=state,
                finished_at=parse_date(table.cell(record, "date read")) if state is State.READ else None,
                rating=parse_rating(table.cell(record, "my rating")),
                source_file=table.name,
            )
        )
    return rows, skipped
