"""What an import produces, its limits and errors, and careful CSV reading shared by all formats."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from bot.domain import State, WorkKind

MAX_IMPORT_BYTES = 5 * 1024 * 1024
"""Largest upload accepted; checked before anything is parsed."""
MAX_IMPORT_ROWS = 20_000
"""Most data rows accepted in one upload (all files of a zip together)."""
MAX_IMPORT_TITLE = 500
"""Longest title an import row may have (catalog titles are at most 200 characters, plus a subtitle)."""
MAX_IMPORT_AUTHOR = 300
"""Longest author list an import row may have."""


class ImportFormat(StrEnum):
    """Which service an export came from."""

    GOODREADS = "goodreads"
    STORYGRAPH = "storygraph"
    LETTERBOXD = "letterboxd"

    @property
    def label(self) -> str:
        """Return the service's name as members know it."""
        return {"goodreads": "Goodreads", "storygraph": "StoryGraph", "letterboxd": "Letterboxd"}[self.value]


class ImportFileError(Exception):
    """An upload that cannot be imported; `message` tells the member what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One book or film from an export, in the club's terms."""

    # Physical line where the record starts in `source_file` (the header is line 1).
    source_line: int
    kind: WorkKind
    title: str
    author: str | None
    year: int | None
    state: State
    finished_at: date | None
    # On the service's own scale: 0.5-5 stars for all three supported services.
    rating: float | None
    source_file: str = ""


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A record the parser could not turn into an ImportRow, and why (member-facing)."""

    source_line: int
    source_file: str
    title: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedImport:
    """Everything read from one upload, in file order."""

    format: ImportFormat
    rows: list[ImportRow]
    skipped: list[SkippedRow] = field(default_factory=list)


def display_name(filename: str) -> str:
    """Return a short file name, safe inside a markdown code span, for messages."""
    base = re.split(r"[\\/]", filename)[-1] or "the file"
    # Names are shown in a code span, where only a backtick (or a line break) can escape.
    base = re.sub(r"[`\x00-\x1f\x7f]", "", base)
    return base if len(base) <= 60 else base[:57] + "…"


def decode_text(name: str, data: bytes) -> str:
    """Return the upload as text, or raise ImportFileError saying why it is not a UTF-8 CSV."""
    shown = display_name(name)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(
            f"`{shown}` is saved as UTF-16 text. Upload the original export, or save it from your "
            "spreadsheet as “CSV UTF-8 (comma delimited)”."
        )
    # Text files never contain NUL bytes; images, PDFs and spreadsheets (.xlsx, .numbers) do.
    # Scanning all of it is a memchr over at most MAX_IMPORT_BYTES.
    if b"\x00" in data:
        raise ImportFileError(
            f"`{shown}` is not a CSV file. Upload the .csv file (or, for Letterboxd, the .zip) "
            "exactly as the service exported it."
        )
    try:
        # utf-8-sig drops the byte-order mark Excel and some exporters put first.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"`{shown}` is not UTF-8 text (bad byte at position {error.start}). Upload the original "
            "export, or save it from your spreadsheet as “CSV UTF-8 (comma delimited)”."
        ) from None


def normalize_header(cell: str) -> str:
    """Return a header cell as compared against known layouts."""
    return " ".join(cell.replace("\ufeff", "").split()).casefold()


@dataclass(slots=True)
class CsvTable:
    """A CSV file's header and data records, each record with the line where it starts."""

    name: str
    header: list[str]
    records: list[tuple[int, list[str]]]
    _index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Index columns by normalised name; the first of duplicate names wins."""
        for position, cell in enumerate(self.header):
            self._index.setdefault(normalize_header(cell), position)

    def has(self, *columns: str) -> bool:
        """Return whether every named column (normalised, e.g. "book id") is present."""
        return all(column in self._index for column in columns)

    def cell(self, record: list[str], column: str) -> str:
        """Return a record's stripped value in `column`, or "" if the column or cell is missing."""
        position = self._index.get(column)
        if position is None or position >= len(record):
            return ""
        return record[position].strip()

    @property
    def first_line(self) -> str:
        """Return the header as one line, for error messages."""
        return ",".join(self.header)


def titled_records(
    table: CsvTable,
    skipped: list[SkippedRow],
    *,
    column: str = "title",
    missing: str = "This row has no title.",
) -> Iterator[tuple[int, list[str], str]]:
    """Yield (line, record, title) for each record with a title; note the others in `skipped`."""
    for line, record in table.records:
        title = clean_name(table.cell(record, column))
        if title is None:
            skipped.append(SkippedRow(line, table.name, None, missing))
            continue
        yield line, record, title


def read_csv(name: str, text: str, *, max_rows: int = MAX_IMPORT_ROWS) -> CsvTable:
    """Parse CSV text into a header and non-blank records; raise ImportFileError on bad input."""
    shown = display_name(name)
    if not text.strip():
        raise ImportFileError(f"`{shown}` is empty. Export your library again and upload the new file.")
    # newline="" leaves CRLF and newlines inside quoted fields for the csv module to handle.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    consumed = 0
    try:
        for record in reader:
            start = consumed + 1
            consumed = reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank lines, trailing newlines, rows of bare commas
            if header is None:
                header = record
                continue
            if len(records) >= max_rows:
                raise ImportFileError(
                    f"`{shown}` has more than {MAX_IMPORT_ROWS:,} rows, which is more than one "
                    "import can take. Split it into smaller files and import them one at a time."
                )
            records.append((start, record))
    except csv.Error as error:
        raise ImportFileError(
            f"`{shown}` could not be read as CSV near line {reader.line_num} ({error}). Upload the "
            "file exactly as exported, without editing it."
        ) from None
    if header is None:
        raise ImportFileError(f"`{shown}` is empty. Export your library again and upload the new file.")
    return CsvTable(shown, header, records)


_DATE = re.compile(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})")


def parse_date(text: str) -> date | None:
    """Return a YYYY/MM/DD or YYYY-MM-DD date, or None if blank or invalid."""
    found = _DATE.match(text.strip())
    if not found:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def parse_year(text: str) -> int | None:
    """Return a plausible year, or None."""
    text = text.strip()
    if not text.isdigit() or len(text) > 4:
        return None
    year = int(text)
    return year if year >= 1 else None


def parse_rating(text: str) -> float | None:
    """Return a 0.5-5 star rating, or None for blank, zero ("not rated") or nonsense values."""
    try:
        rating = float(text.strip())
    except ValueError:
        return None
    return rating if 0 < rating <= 5 else None


def clean_name(text: str) -> str | None:
    """Return a title or author with whitespace collapsed, or None if blank."""
    cleaned = " ".join(text.split())
    return cleaned or None
