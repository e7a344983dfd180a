"""Letterboxd export: watched.csv, diary.csv, watchlist.csv, or the whole export zip.

Merging. diary.csv has one row per viewing (rewatches repeat a film) and watched.csv one row per
film, so rows are merged per film (title and year): the film is watched, finished on its latest
viewing date, rated with the latest diary rating given. ratings.csv holds each film's current
rating, which wins over the diary's (a rated film counts as watched). watchlist.csv rows become
want_to_watch, unless the film is also watched. Every other file in the zip (reviews, likes, lists,
profile, deleted entries) is ignored: each of those films is also in watched.csv.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import replace
from datetime import date
from enum import Enum

from bot.domain import State, WorkKind
from bot.titles import normalize_title
from cogs.status.importers.base import (
    MAX_IMPORT_BYTES,
    CsvTable,
    ImportFileError,
    ImportRow,
    SkippedRow,
    display_name,
    parse_date,
    parse_rating,
    parse_year,
    titled_records,
)

REQUIRED_COLUMNS = ("date", "name", "year", "letterboxd uri")
EXAMPLE_HEADER = "Date,Name,Year,Letterboxd URI"

MAX_ZIP_UNCOMPRESSED_BYTES = 4 * MAX_IMPORT_BYTES
"""Most bytes decompressed from one zip, however small it looks: the zip-bomb guard."""
MAX_ZIP_ENTRIES = 10_000
# Folders of the export whose CSVs repeat or contradict the main files.
_IGNORED_FOLDERS = frozenset({"deleted", "orphaned", "lists", "likes", "__macosx"})
_CHUNK = 64 * 1024


class LetterboxdFile(Enum):
    """Which Letterboxd CSV a table is."""

    DIARY = "diary.csv"
    WATCHED = "watched.csv"
    WATCHLIST = "watchlist.csv"
    RATINGS = "ratings.csv"


def looks_like(table: CsvTable) -> bool:
    """Return whether the header is one of Letterboxd's film lists."""
    return table.has(*REQUIRED_COLUMNS)


def classify(table: CsvTable, filename: str) -> LetterboxdFile:
    """Return which Letterboxd file a table is."""
    if table.has("watched date"):
        # reviews.csv also has "Watched Date": its rows are diary entries with a review, so fine.
        return LetterboxdFile.DIARY
    if table.has("rating"):
        return LetterboxdFile.RATINGS
    # watched.csv and watchlist.csv share a header; only the name tells them apart.
    if "watchlist" in display_name(filename).casefold():
        return LetterboxdFile.WATCHLIST
    return LetterboxdFile.WATCHED


def parse(tables: list[tuple[LetterboxdFile, CsvTable]]) -> tuple[list[ImportRow], list[SkippedRow]]:
    """Merge Letterboxd tables into one row per film, in order of first appearance."""
    order = {
        LetterboxdFile.DIARY: 0,
        LetterboxdFile.WATCHED: 1,
        LetterboxdFile.RATINGS: 2,
        LetterboxdFile.WATCHLIST: 3,
    }
    films: dict[tuple[str, int | None], ImportRow] = {}
    skipped: list[SkippedRow] = []
    for which, table in sorted(tables, key=lambda item: order[item[0]]):
        for line, record, title in titled_records(
            table, skipped, column="name", missing="This row has no film name."
        ):
            year = parse_year(table.cell(record, "year"))
            key = (normalize_title(title), year)
            known = films.get(key)
            if which is LetterboxdFile.DIARY:
                seen = parse_date(table.cell(record, "watched date")) or parse_date(
                    table.cell(record, "date")
                )
                rating = parse_rating(table.cell(record, "rating"))
                if known is None:
                    films[key] = _row(line, table.name, title, year, State.WATCHED, seen, rating)
                else:
                    films[key] = _add_viewing(known, seen, rating)
            elif which is LetterboxdFile.WATCHED:
                # watched.csv's date is when the film was logged, so it only fills a missing date.
                logged = parse_date(table.cell(record, "date"))
                if known is None:
                    films[key] = _row(line, table.name, title, year, State.WATCHED, logged, None)
                elif known.finished_at is None and logged is not None:
                    films[key] = replace(known, finished_at=logged)
            elif which is LetterboxdFile.RATINGS:
                # The current rating; its date is when it was rated, not when the film was seen.
                rating = parse_rating(table.cell(record, "rating"))
                if known is None:
                    films[key] = _row(line, table.name, title, year, State.WATCHED, None, rating)
                elif rating is not None:
                    films[key] = replace(known, rating=rating)
            elif known is None:
                films[key] = _row(line, table.name, title, year, State.WANT_TO_WATCH, None, None)
    return list(films.values()), skipped


def _row(
    line: int,
    source: str,
    title: str,
    year: int | None,
    state: State,
    seen: date | None,
    rating: float | None,
) -> ImportRow:
    """Build a film row."""
    return ImportRow(
        source_line=line,
        kind=WorkKind.FILM,
        title=title,
        author=None,
        year=year,
        state=state,
        finished_at=seen,
        rating=rating,
        source_file=source,
    )


def _add_viewing(known: ImportRow, seen: date | None, rating: float | None) -> ImportRow:
    """Fold another diary viewing into a film's row: the latest viewing's date and rating win."""
    if seen is not None and (known.finished_at is None or seen >= known.finished_at):
        return replace(known, finished_at=seen, rating=rating if rating is not None else known.rating)
    if known.rating is None and rating is not None:
        return replace(known, rating=rating)
    return known


def _member_path(info: zipfile.ZipInfo) -> tuple[str, ...]:
    """Return an entry's path parts, treating backslashes (zips made on Windows) as separators."""
    return tuple(part for part in info.filename.replace("\\", "/").split("/") if part)


def _pick_entries(infos: list[zipfile.ZipInfo]) -> dict[LetterboxdFile, zipfile.ZipInfo]:
    """Choose the diary, watched and watchlist files: at the root, or in one re-zipped folder."""
    picked: dict[LetterboxdFile, zipfile.ZipInfo] = {}
    by_name = {which.value: which for which in LetterboxdFile}
    # Root entries first, so that they beat copies inside a folder.
    for info in sorted(infos, key=lambda info: len(_member_path(info))):
        parts = _member_path(info)
        if info.is_dir() or not parts or len(parts) > 2:
            continue
        if len(parts) == 2 and parts[0].casefold() in _IGNORED_FOLDERS:
            continue
        which = by_name.get(parts[-1].casefold())
        if which is not None and which not in picked:
            picked[which] = info
    return picked


def read_zip(name: str, data: bytes) -> list[tuple[LetterboxdFile, str, bytes]]:
    """Return (file, entry name, bytes) of the Letterboxd CSVs in a zip, never inflating too much."""
    shown = display_name(name)
    bad_zip = ImportFileError(
        f"`{shown}` is not a zip file I can open. Upload the Letterboxd export zip exactly as "
        "downloaded, or the watched.csv or diary.csv inside it."
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise bad_zip from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ImportFileError(f"`{shown}` holds too many files to be a Letterboxd export.")
    picked = _pick_entries(infos)
    if LetterboxdFile.DIARY not in picked and LetterboxdFile.WATCHED not in picked:
        raise ImportFileError(
            f"`{shown}` has no watched.csv or diary.csv in it. Upload the Letterboxd export zip "
            "as downloaded (Settings → Data → Export your data), or a single CSV export."
        )
    too_big = ImportFileError(
        f"`{shown}` unpacks to more than {MAX_ZIP_UNCOMPRESSED_BYTES // (1024 * 1024)} MB. Upload "
        "its watched.csv or diary.csv on its own instead."
    )
    budget = MAX_ZIP_UNCOMPRESSED_BYTES
    found: list[tuple[LetterboxdFile, str, bytes]] = []
    for which, info in sorted(picked.items(), key=lambda item: item[0].value):
        if info.flag_bits & 0x1:
            raise ImportFileError(f"`{shown}` is password-protected. Upload it without a password.")
        # The declared size is a cheap first check; the streaming count below is the real guard,
        # because a crafted zip can declare any size it likes.
        if info.file_size > budget:
            raise too_big
        chunks: list[bytes] = []
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(min(_CHUNK, budget + 1)):
                    budget -= len(chunk)
                    if budget < 0:
                        raise too_big
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError):
            raise bad_zip from None
        found.append((which, "/".join(_member_path(info)), b"".join(chunks)))
    return found
