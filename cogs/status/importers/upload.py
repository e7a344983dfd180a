"""Turn an uploaded file into import rows, recognising the format by its header."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.domain import Work
from cogs.status.importers import goodreads, letterboxd, storygraph
from cogs.status.importers.base import (
    MAX_IMPORT_AUTHOR,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    MAX_IMPORT_TITLE,
    CsvTable,
    ImportFileError,
    ImportFormat,
    ImportRow,
    ParsedImport,
    SkippedRow,
    decode_text,
    display_name,
    read_csv,
)
from cogs.status.importers.matching import ImportPreview, match_import

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_SHOWN_HEADER_CHARS = 80


def _unknown_header(table: CsvTable) -> ImportFileError:
    """Build the error for a CSV whose header matches no supported export."""
    first = re.sub(r"[`\r\n]", "", table.first_line)
    if len(first) > _SHOWN_HEADER_CHARS:
        first = first[: _SHOWN_HEADER_CHARS - 1] + "…"
    return ImportFileError(
        "This doesn't look like a Goodreads, StoryGraph or Letterboxd export: expected a header like "
        f"`{goodreads.EXAMPLE_HEADER}` (Goodreads), `{storygraph.EXAMPLE_HEADER}` (StoryGraph) or "
        f"`{letterboxd.EXAMPLE_HEADER}` (Letterboxd watched.csv, diary.csv or ratings.csv), but `{table.name}` "
        f"starts with `{first}`. Upload the export file without editing its first line."
    )


def parse_upload(filename: str, data: bytes) -> ParsedImport:
    """Parse an uploaded export; raise ImportFileError with what to fix if it cannot be imported."""
    shown = display_name(filename)
    # First, before any decoding: a huge upload must cost nothing but this comparison.
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(
            f"`{shown}` is {len(data) / (1024 * 1024):.1f} MB; imports take at most "
            f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB. For Letterboxd, upload the zip or just "
            "diary.csv; otherwise split the file."
        )
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError(f"`{shown}` is empty. Export your library again and upload the new file.")
    if data.startswith(_ZIP_MAGIC):
        return _parse_letterboxd_zip(filename, data)
    if filename.casefold().endswith(".zip"):
        raise ImportFileError(
            f"`{shown}` is not a zip file I can open. Upload the Letterboxd export zip exactly as "
            "downloaded, or the watched.csv or diary.csv inside it."
        )
    table = read_csv(filename, decode_text(filename, data))
    if goodreads.looks_like(table):
        rows, skipped = goodreads.parse(table)
        fmt = ImportFormat.GOODREADS
    elif storygraph.looks_like(table):
        rows, skipped = storygraph.parse(table)
        fmt = ImportFormat.STORYGRAPH
    elif letterboxd.looks_like(table):
        which = letterboxd.classify(table, filename)
        rows, skipped = letterboxd.parse([(which, table)])
        fmt = ImportFormat.LETTERBOXD
    else:
        raise _unknown_header(table)
    return _checked(ParsedImport(fmt, rows, skipped), shown)


def _parse_letterboxd_zip(filename: str, data: bytes) -> ParsedImport:
    """Parse the diary, watched and watchlist files of a Letterboxd export zip together."""
    tables: list[tuple[letterboxd.LetterboxdFile, CsvTable]] = []
    rows_left = MAX_IMPORT_ROWS
    for which, entry, content in letterboxd.read_zip(filename, data):
        table = read_csv(entry, decode_text(entry, content), max_rows=rows_left)
        if not letterboxd.looks_like(table):
            raise ImportFileError(
                f"`{table.name}` in `{display_name(filename)}` doesn't have Letterboxd's header "
                f"(`{letterboxd.EXAMPLE_HEADER}`). Upload the export zip exactly as downloaded."
            )
        rows_left -= len(table.records)
        tables.append((which, table))
    rows, skipped = letterboxd.parse(tables)
    return _checked(ParsedImport(ImportFormat.LETTERBOXD, rows, skipped), display_name(filename))


def _too_long(row: ImportRow) -> str | None:
    """Return why a row's text is too long to be a real title or author, or None if it fits."""
    if len(row.title) > MAX_IMPORT_TITLE:
        return f"Its title is {len(row.title):,} characters long; titles can be at most {MAX_IMPORT_TITLE}."
    if row.author is not None and len(row.author) > MAX_IMPORT_AUTHOR:
        return f"Its author is {len(row.author):,} characters long; at most {MAX_IMPORT_AUTHOR} are read."
    return None


def _checked(parsed: ParsedImport, shown: str) -> ParsedImport:
    """Skip rows with implausibly long text; reject an export with nothing in it."""
    if not parsed.rows and not parsed.skipped:
        raise ImportFileError(
            f"`{shown}` has a header but no books or films. Check that you exported the right "
            "account, then upload the new file."
        )
    rows: list[ImportRow] = []
    skipped = list(parsed.skipped)
    for row in parsed.rows:
        reason = _too_long(row)
        if reason is None:
            rows.append(row)
        else:
            title = (
                row.title[: MAX_IMPORT_TITLE - 1] + "…" if len(row.title) > MAX_IMPORT_TITLE else row.title
            )
            skipped.append(SkippedRow(row.source_line, row.source_file, title, reason))
    if len(skipped) == len(parsed.skipped):
        return parsed
    skipped.sort(key=lambda s: (s.source_file, s.source_line))
    return ParsedImport(parsed.format, rows, skipped)


def prepare_import(
    filename: str, data: bytes, works: Mapping[int, Work]
) -> tuple[ParsedImport, ImportPreview]:
    """Parse an upload and match it against the catalog (one job for a worker process)."""
    parsed = parse_upload(filename, data)
    return parsed, match_import(parsed.rows, works)
