"""StoryGraph export CSV: one row per book, with a read status."""

from __future__ import annotations

from bot.domain import State, WorkKind
from cogs.status.importers.base import (
    CsvTable,
    ImportRow,
    SkippedRow,
    clean_name,
    parse_date,
    parse_rating,
    titled_records,
)

REQUIRED_COLUMNS = ("title", "authors", "read status")
EXAMPLE_HEADER = "Title,Authors,Contributors,ISBN/UID,Format,Read Status,…"

_STATUSES = {
    "read": State.READ,
    "currently-reading": State.READING,
    "to-read": State.WANT_TO_READ,
    "did-not-finish": State.DNF,
    # The club has no "paused": a paused book was started and not given up, so it is in progress.
    "paused": State.READING,
}


def looks_like(table: CsvTable) -> bool:
    """Return whether the header is a StoryGraph export's."""
    return table.has(*REQUIRED_COLUMNS)


def parse(table: CsvTable) -> tuple[list[ImportRow], list[SkippedRow]]:
    """Turn a StoryGraph export into import rows, skipping records it cannot place."""
    rows: list[ImportRow] = []
    skipped: list[SkippedRow] = []
    for line, record, title in titled_records(table, skipped):
        status = table.cell(record, "read status").casefold()
        state = _STATUSES.get(status)
        if state is None:
            skipped.append(
                SkippedRow(
                    line, table.name, title, f"The read status “{status or '(none)'}” isn't one I know."
                )
            )
            continue
        rows.append(
            ImportRow(
                source_line=line,
                kind=WorkKind.BOOK,
                title=title,
                author=clean_name(table.cell(record, "authors")),
                year=None,  # StoryGraph exports carry no publication year.
                state=state,
                finished_at=parse_date(table.cell(record, "last date read")) if state is State.READ else None,
                rating=parse_rating(table.cell(record, "star rating")),
                source_file=table.name,
            )
        )
    return rows, skipped
