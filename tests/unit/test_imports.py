"""Parsing Goodreads, StoryGraph and Letterboxd uploads, and matching them to the catalog."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest

from bot.domain import State, Work, WorkKind
from cogs.status.importers import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    MAX_ZIP_UNCOMPRESSED_BYTES,
    ImportFileError,
    ImportFormat,
    ImportPreview,
    ImportRow,
    ParsedImport,
    match_import,
    parse_upload,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
GOODREADS_HEADER = (
    "Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,"
    "Binding,Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves,"
    "Bookshelves with positions,Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies"
)
WATCHED_HEADER = "Date,Name,Year,Letterboxd URI"


def fixture(name: str) -> bytes:
    """Return a fixture file's bytes."""
    return (FIXTURES / name).read_bytes()


def parse_fixture(name: str) -> ParsedImport:
    """Parse a fixture under its own name."""
    return parse_upload(name, fixture(name))


def summary(rows: list[ImportRow]) -> list[tuple[int, str, State]]:
    """Return (line, title, state) of each row."""
    return [(row.source_line, row.title, row.state) for row in rows]


def make_zip(files: dict[str, bytes | str]) -> bytes:
    """Build a zip in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def mark_encrypted(data: bytes) -> bytes:
    """Set the "encrypted" flag of every entry (zipfile cannot write encrypted zips itself)."""
    patched = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = patched.find(signature)
        while start != -1:
            patched[start + flag_offset] |= 0x1
            start = patched.find(signature, start + 4)
    return bytes(patched)


def letterboxd_export_zip() -> bytes:
    """Build a Letterboxd export zip from the fixtures, with the files an import must ignore."""
    return make_zip(
        {
            "diary.csv": fixture("letterboxd_diary.csv"),
            "watched.csv": fixture("letterboxd_watched.csv"),
            "watchlist.csv": fixture("letterboxd_watchlist.csv"),
            "ratings.csv": "Date,Name,Year,Letterboxd URI,Rating\n2024-01-01,Frankenstein,1931,https://boxd.it/r1,3.5\n",
            "reviews.csv": "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date\n",
            "profile.csv": "Date Joined,Username,Given Name\n2020-01-01,someone,Some\n",
            "deleted/diary.csv": "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"
            "2020-01-01,Invented Deleted Film,1999,https://boxd.it/d1,1,,,2020-01-01\n",
            "lists/favourites.csv": "Letterboxd list export v7\n",
            "likes/films.csv": WATCHED_HEADER + "\n2020-01-01,Invented Liked Film,1998,https://boxd.it/l1\n",
        }
    )


# --- Goodreads ----------------------------------------------------------------------------------


def test_goodreads_export() -> None:
    parsed = parse_fixture("goodreads.csv")
    assert parsed.format is ImportFormat.GOODREADS
    assert summary(parsed.rows) == [
        (2, "Pride and Prejudice", State.READ),
        (3, "Frankenstein; or, The Modern Prometheus", State.READING),
        (4, "Moby-Dick, or, The Whale", State.WANT_TO_READ),
        (5, "The Lantern Keeper (Harbour Lights, #1)", State.READ),
        # Line 5's review spans two lines, so the next record starts on line 7.
        (7, "Bleak House", State.DNF),
        (9, "Cranford, Volume One", State.READ),
    ]
    assert parsed.rows[0] == ImportRow(
        source_line=2,
        kind=WorkKind.BOOK,
        title="Pride and Prejudice",
        author="Jane Austen",
        year=1813,  # the original year, not the edition's 2002
        state=State.READ,
        finished_at=date(2024, 3, 14),
        rating=5.0,
        source_file="goodreads.csv",
    )


def test_goodreads_cleans_fields() -> None:
    rows = parse_fixture("goodreads.csv").rows
    frankenstein, lantern, bleak = rows[1], rows[3], rows[4]
    assert frankenstein.author == "Mary Shelley"  # Goodreads' double space collapsed
    assert frankenstein.rating is None  # "0" means not rated
    assert frankenstein.finished_at is None
    assert lantern.rating == 4.0 and lantern.finished_at == date(2023, 11, 5)
    assert bleak.rating is None  # blank rating
    assert all(row.kind is WorkKind.BOOK and row.source_file == "goodreads.csv" for row in rows)


def test_goodreads_skips_unknown_shelves_with_a_reason() -> None:
    skipped = parse_fixture("goodreads.csv").skipped
    assert [(s.source_line, s.title) for s in skipped] == [(8, "The Tin Orchard")]
    assert "owned-unshelved" in skipped[0].reason


def test_goodreads_old_export_with_extra_columns() -> None:
    parsed = parse_fixture("goodreads_old.csv")
    assert parsed.format is ImportFormat.GOODREADS
    assert summary(parsed.rows) == [(2, "Emma", State.READ), (3, "Persuasion", State.WANT_TO_READ)]
    assert parsed.rows[0].finished_at == date(2015, 8, 9)
    assert parsed.rows[1].rating is None


def test_goodreads_with_bom_and_crlf() -> None:
    data = fixture("goodreads_bom_crlf.csv")
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    parsed = parse_upload("goodreads_library_export.csv", data)
    assert parsed.format is ImportFormat.GOODREADS
    # The first record's review holds a CRLF, so the second record starts on line 4.
    assert summary(parsed.rows) == [
        (2, "Les Misérables", State.READ),
        (4, "Crime & Punishment", State.READING),
    ]
    assert parsed.rows[0].finished_at == date(2021, 12, 24)
    assert parsed.skipped == []


@pytest.mark.parametrize("shelf", ["did-not-finish", "DNF", "abandoned"])
def test_goodreads_custom_dnf_shelves(shelf: str) -> None:
    data = f"{GOODREADS_HEADER}\n1,Invented Title,Some Author,,,,,0,,,,,,,,,,,{shelf},,,,0,0\n"
    assert parse_upload("g.csv", data.encode()).rows[0].state is State.DNF


def test_goodreads_row_without_title_is_skipped() -> None:
    data = f"{GOODREADS_HEADER}\n1,,Some Author,,,,,0,,,,,,,,,,,read,,,,0,0\n2,Real,A B,,,,,0,,,,,,,,,,,read,,,,0,0\n"
    parsed = parse_upload("g.csv", data.encode())
    assert [row.title for row in parsed.rows] == ["Real"]
    assert parsed.skipped[0].source_line == 2 and parsed.skipped[0].title is None


def test_short_rows_and_bad_values_do_not_break_parsing() -> None:
    data = (
        f"{GOODREADS_HEADER}\n"
        "1,Truncated Row,Some Author,,,,,9,,,,,,,2024/02/30,,,,read\n"  # rating 9, 30 February
        "2,Another,Some Author,,,,,3.5,,,,,abc,-5,not a date,,,,to-read,,,,0,0\n"
    )
    rows = parse_upload("g.csv", data.encode()).rows
    assert rows[0].state is State.READ and rows[0].rating is None and rows[0].finished_at is None
    assert rows[1].year is None and rows[1].rating == 3.5


# --- StoryGraph ---------------------------------------------------------------------------------


def test_storygraph_export() -> None:
    parsed = parse_fixture("storygraph.csv")
    assert parsed.format is ImportFormat.STORYGRAPH
    assert summary(parsed.rows) == [
        (2, "Pride and Prejudice", State.READ),
        (3, "Frankenstein: or, The Modern Prometheus", State.READING),
        (4, "The Lantern Keeper", State.DNF),
        (5, "Bleak House", State.READING),  # paused: started, not given up
        (6, "The Salt Road", State.WANT_TO_READ),
    ]
    first = parsed.rows[0]
    assert first.rating == 4.5 and first.finished_at == date(2024, 3, 14) and first.year is None
    assert parsed.rows[1].rating is None
    assert parsed.rows[2].author == "Ada Quill, Tomas Reed"
    assert [(s.source_line, s.title) for s in parsed.skipped] == [(7, "Cranford")]


# --- Letterboxd ---------------------------------------------------------------------------------


def test_letterboxd_watched() -> None:
    parsed = parse_fixture("letterboxd_watched.csv")
    assert parsed.format is ImportFormat.LETTERBOXD
    assert [(row.title, row.year) for row in parsed.rows] == [
        ("Nosferatu", 1922),
        ("Metropolis", 1927),
        ("Frankenstein", 1931),
        ("The Lantern Keeper", 2023),
        ("Hello, Stranger", 2019),
        ("Sunrise: A Song of Two Humans", 1927),
    ]
    assert all(row.state is State.WATCHED and row.kind is WorkKind.FILM for row in parsed.rows)
    assert parsed.rows[0].finished_at == date(2023, 11, 1)
    assert all(row.rating is None and row.author is None for row in parsed.rows)


def test_letterboxd_diary_merges_rewatches() -> None:
    rows = parse_fixture("letterboxd_diary.csv").rows
    assert [(row.source_line, row.title, row.year, row.finished_at, row.rating) for row in rows] == [
        # Watched 2023-10-31 (rated 4) and rewatched 2024-10-31 (rated 4.5): the latest wins.
        (2, "Nosferatu", 1922, date(2024, 10, 31), 4.5),
        (3, "Metropolis", 1927, date(2023, 11, 2), None),
        # Same title, other year: another film.
        (5, "Nosferatu", 2024, date(2025, 1, 4), 3.5),
    ]


def test_letterboxd_diary_keeps_a_rating_from_an_unrated_rewatch() -> None:
    data = (
        "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"
        "2024-01-02,Metropolis,1927,u1,4,,,2024-01-01\n"
        "2024-06-02,Metropolis,1927,u2,,Yes,,2024-06-01\n"
        "2024-03-02,Metropolis,1927,u3,2,Yes,,2024-03-01\n"
    )
    (row,) = parse_upload("diary.csv", data.encode()).rows
    assert row.finished_at == date(2024, 6, 1) and row.rating == 4.0


def test_letterboxd_watchlist_is_want_to_watch() -> None:
    rows = parse_fixture("letterboxd_watchlist.csv").rows
    assert [(row.title, row.state) for row in rows] == [
        ("The Cabinet of Dr. Caligari", State.WANT_TO_WATCH),
        ("Metropolis", State.WANT_TO_WATCH),
    ]
    assert all(row.finished_at is None for row in rows)


def test_letterboxd_export_zip_merges_diary_watched_and_watchlist() -> None:
    parsed = parse_upload("letterboxd-someone-2025-01-05-utc.zip", letterboxd_export_zip())
    assert parsed.format is ImportFormat.LETTERBOXD
    assert [(row.source_file, row.source_line, row.title, row.year, row.state) for row in parsed.rows] == [
        ("diary.csv", 2, "Nosferatu", 1922, State.WATCHED),
        ("diary.csv", 3, "Metropolis", 1927, State.WATCHED),
        ("diary.csv", 5, "Nosferatu", 2024, State.WATCHED),
        ("watched.csv", 4, "Frankenstein", 1931, State.WATCHED),
        ("watched.csv", 5, "The Lantern Keeper", 2023, State.WATCHED),
        ("watched.csv", 6, "Hello, Stranger", 2019, State.WATCHED),
        ("watched.csv", 7, "Sunrise: A Song of Two Humans", 1927, State.WATCHED),
        # Metropolis is on the watchlist too, but it has been watched.
        ("watchlist.csv", 2, "The Cabinet of Dr. Caligari", 1920, State.WANT_TO_WATCH),
    ]
    nosferatu = parsed.rows[0]
    assert nosferatu.finished_at == date(2024, 10, 31) and nosferatu.rating == 4.5
    titles = {row.title for row in parsed.rows}
    assert not titles & {"Invented Deleted Film", "Invented Liked Film"}
    # ratings.csv gives a watched film its current rating.
    assert next(row for row in parsed.rows if row.title == "Frankenstein").rating == 3.5


def test_letterboxd_zip_of_a_re_zipped_folder() -> None:
    data = make_zip(
        {
            "letterboxd-someone/watched.csv": fixture("letterboxd_watched.csv"),
            "letterboxd-someone/deleted/diary.csv": fixture("letterboxd_diary.csv"),
        }
    )
    parsed = parse_upload("export.zip", data)
    assert len(parsed.rows) == 6
    assert parsed.rows[0].source_file == "watched.csv"


def test_letterboxd_zip_with_only_a_diary() -> None:
    parsed = parse_upload("x.zip", make_zip({"diary.csv": fixture("letterboxd_diary.csv")}))
    assert len(parsed.rows) == 3


# --- Detection by header, not by name -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture_name", "upload_name", "expected"),
    [
        ("goodreads.csv", "watched.csv", ImportFormat.GOODREADS),
        ("goodreads.csv", "export", ImportFormat.GOODREADS),
        ("storygraph.csv", "goodreads_library_export.csv", ImportFormat.STORYGRAPH),
        ("letterboxd_diary.csv", "storygraph.txt", ImportFormat.LETTERBOXD),
        ("letterboxd_watched.csv", "my films.CSV", ImportFormat.LETTERBOXD),
    ],
)
def test_format_comes_from_the_header(fixture_name: str, upload_name: str, expected: ImportFormat) -> None:
    assert parse_upload(upload_name, fixture(fixture_name)).format is expected


def test_reordered_and_differently_cased_columns() -> None:
    data = "read status,TITLE,authors,star rating\nread,Invented Title,Some Author,3\n"
    parsed = parse_upload("sg.csv", data.encode())
    assert parsed.format is ImportFormat.STORYGRAPH
    assert parsed.rows[0].rating == 3.0


def test_bare_carriage_return_line_endings() -> None:
    data = WATCHED_HEADER + "\r2024-01-01,Metropolis,1927,u1\r2024-01-02,Nosferatu,1922,u2\r"
    rows = parse_upload("watched.csv", data.encode()).rows
    assert [(row.source_line, row.title) for row in rows] == [(2, "Metropolis"), (3, "Nosferatu")]


def test_blank_lines_between_and_after_rows() -> None:
    data = WATCHED_HEADER + "\n\n2024-01-01,Metropolis,1927,u1\n,,,\n\n2024-01-02,Nosferatu,1922,u2\n\n\n"
    rows = parse_upload("watched.csv", data.encode()).rows
    assert [(row.source_line, row.title) for row in rows] == [(3, "Metropolis"), (6, "Nosferatu")]


# --- Bad uploads ----------------------------------------------------------------------------------


def error_for(filename: str, data: bytes) -> str:
    """Return the member-facing message of the ImportFileError an upload raises."""
    with pytest.raises(ImportFileError) as caught:
        parse_upload(filename, data)
    assert str(caught.value) == caught.value.message
    return caught.value.message


def test_twenty_megabytes_is_rejected_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    import cogs.status.importers.upload as upload

    def must_not_run(*_: object, **__: object) -> None:
        raise AssertionError("parsing started on an oversized upload")

    monkeypatch.setattr(upload, "decode_text", must_not_run)
    monkeypatch.setattr(upload, "read_csv", must_not_run)
    big = (GOODREADS_HEADER + "\n").encode() + b"x" * (20 * 1024 * 1024)
    started = time.perf_counter()
    message = error_for("goodreads.csv", big)
    assert time.perf_counter() - started < 0.5
    assert "20.0 MB" in message and "5 MB" in message


def test_size_limit_is_exact() -> None:
    assert "MB" in error_for("a.csv", b"a" * (MAX_IMPORT_BYTES + 1))
    # At the limit the size is fine; this junk fails for another reason.
    assert "MB" not in error_for("a.csv", b"a" * MAX_IMPORT_BYTES)


def test_png_is_not_a_csv() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    message = error_for("not_a_csv.png", png)
    assert "not a CSV file" in message and "not_a_csv.png" in message


def test_png_named_csv_is_still_not_a_csv() -> None:
    assert "not a CSV file" in error_for("goodreads.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_not_utf8() -> None:
    data = (GOODREADS_HEADER + "\n1,Les Misérables,Victor Hugo,,,,,5,,,,,,,,,,,read,,,,1,0\n").encode(
        "cp1252"
    )
    message = error_for("goodreads.csv", data)
    assert "not UTF-8" in message and "CSV UTF-8" in message


def test_utf16() -> None:
    data = (WATCHED_HEADER + "\n2024-01-01,Metropolis,1927,u1\n").encode("utf-16")
    assert "UTF-16" in error_for("watched.csv", data)


@pytest.mark.parametrize("data", [b"", b"\n\n\n", b"\xef\xbb\xbf", b"  \r\n\t"])
def test_empty_file(data: bytes) -> None:
    assert "is empty" in error_for("goodreads.csv", data)


def test_only_commas_is_empty() -> None:
    assert "is empty" in error_for("goodreads.csv", b",,,\n,,,\n")


@pytest.mark.parametrize("header", [GOODREADS_HEADER, WATCHED_HEADER])
def test_header_without_rows(header: str) -> None:
    assert "no books or films" in error_for("export.csv", (header + "\n").encode())


def test_unknown_header_says_what_was_expected() -> None:
    message = error_for("books.csv", b"Name,Shelf,Stars\nDune,read,5\n")
    assert message.startswith(
        "This doesn't look like a Goodreads, StoryGraph or Letterboxd export: expected a header like "
    )
    assert "Book Id,Title,Author" in message and "Read Status" in message and "Letterboxd URI" in message
    assert "`Name,Shelf,Stars`" in message


def test_unknown_header_is_shown_shortened_and_safe() -> None:
    header = "`" + ",".join(f"Column{n}" for n in range(100)) + "\n"
    message = error_for("x.csv", (header + "a\n").encode())
    assert "…" in message
    assert message.count("`") % 2 == 0


def test_plain_text_is_an_unknown_header() -> None:
    assert "doesn't look like" in error_for("notes.txt", b"Just some notes about books I liked.\n")


def test_letterboxd_ratings_file_is_imported_as_watched_and_rated() -> None:
    data = b"Date,Name,Year,Letterboxd URI,Rating\n2024-01-01,Metropolis,1927,u,4\n2024-01-02,Sunrise,1927,v,3.5\n"
    parsed = parse_upload("ratings.csv", data)
    assert parsed.format is ImportFormat.LETTERBOXD
    assert [(r.title, r.year, r.state, r.rating) for r in parsed.rows] == [
        ("Metropolis", 1927, State.WATCHED, 4.0),
        ("Sunrise", 1927, State.WATCHED, 3.5),
    ]


def test_too_many_rows() -> None:
    rows = "".join(f"2024-01-01,Invented Film {n},2000,u{n}\n" for n in range(MAX_IMPORT_ROWS + 1))
    data = (WATCHED_HEADER + "\n" + rows).encode()
    assert len(data) < MAX_IMPORT_BYTES
    assert "20,000 rows" in error_for("watched.csv", data)


def test_exactly_the_row_limit_is_fine() -> None:
    rows = "".join(f"2024-01-01,Invented Film {n},2000,u{n}\n" for n in range(MAX_IMPORT_ROWS))
    parsed = parse_upload("watched.csv", (WATCHED_HEADER + "\n" + rows).encode())
    assert len(parsed.rows) == MAX_IMPORT_ROWS


def test_row_limit_counts_all_files_of_a_zip() -> None:
    half = MAX_IMPORT_ROWS // 2 + 1
    diary = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n" + "".join(
        f"2024-01-01,Diary Film {n},2000,u{n},,,,2024-01-01\n" for n in range(half)
    )
    watched = WATCHED_HEADER + "\n" + "".join(f"2024-01-01,Watched Film {n},2000,u{n}\n" for n in range(half))
    assert "20,000 rows" in error_for("export.zip", make_zip({"diary.csv": diary, "watched.csv": watched}))


def test_unterminated_quote() -> None:
    data = (WATCHED_HEADER + '\n2024-01-01,"Metropolis,1927,u1\n2024-01-02,Nosferatu,1922,u2\n').encode()
    assert "could not be read as CSV" in error_for("watched.csv", data)


def test_nul_byte_deep_in_the_file() -> None:
    data = (WATCHED_HEADER + "\n" + "2024-01-01,Metropolis,1927,u1\n" * 4000).encode() + b"2024,\x00,1,u\n"
    assert "not a CSV file" in error_for("watched.csv", data)


def test_not_a_zip_named_zip() -> None:
    assert "not a zip file" in error_for("letterboxd.zip", b"definitely not a zip")


def test_truncated_zip() -> None:
    data = letterboxd_export_zip()
    assert "not a zip file" in error_for("letterboxd.zip", data[: len(data) // 2])


def test_corrupted_zip_member() -> None:
    data = bytearray(make_zip({"watched.csv": fixture("letterboxd_watched.csv") * 3}))
    # Flip bytes inside the compressed data (after the 30-byte local header and the name).
    start = 30 + len("watched.csv") + 5
    for offset in range(start, start + 20):
        data[offset] ^= 0xFF
    assert "not a zip file" in error_for("letterboxd.zip", bytes(data))


def test_zip_without_letterboxd_files() -> None:
    data = make_zip({"goodreads.csv": fixture("goodreads.csv"), "lists/x.csv": "a\n"})
    assert "no watched.csv or diary.csv" in error_for("export.zip", data)


def test_zip_with_only_ignored_copies() -> None:
    data = make_zip({"deleted/diary.csv": fixture("letterboxd_diary.csv")})
    assert "no watched.csv or diary.csv" in error_for("export.zip", data)


def test_zip_member_with_a_foreign_header() -> None:
    data = make_zip({"watched.csv": fixture("goodreads.csv")})
    assert "doesn't have Letterboxd's header" in error_for("export.zip", data)


def test_zip_member_not_utf8() -> None:
    data = make_zip({"watched.csv": (WATCHED_HEADER + "\n2024-01-01,Amélie,2001,u\n").encode("cp1252")})
    assert "not UTF-8" in error_for("export.zip", data)


def test_encrypted_zip() -> None:
    data = mark_encrypted(make_zip({"watched.csv": fixture("letterboxd_watched.csv")}))
    assert "password" in error_for("export.zip", data)


def test_zip_bomb_single_member_is_rejected_cheaply() -> None:
    bomb = WATCHED_HEADER.encode() + b"\n" + b" " * (MAX_ZIP_UNCOMPRESSED_BYTES + 1)
    data = make_zip({"watched.csv": bomb})
    assert len(data) < MAX_IMPORT_BYTES  # small on the wire
    started = time.perf_counter()
    assert "unpacks to more than" in error_for("export.zip", data)
    assert time.perf_counter() - started < 1.0


def test_zip_bomb_spread_over_members_is_rejected() -> None:
    # Each member declares less than the budget; together they exceed it while streaming.
    part = WATCHED_HEADER.encode() + b"\n" + b" " * (MAX_ZIP_UNCOMPRESSED_BYTES // 2 + 10)
    data = make_zip({"diary.csv": part, "watched.csv": part, "watchlist.csv": part})
    assert "unpacks to more than" in error_for("export.zip", data)


def test_zip_lying_about_its_size_is_not_inflated() -> None:
    bomb = WATCHED_HEADER.encode() + b"\n" + b" " * (MAX_ZIP_UNCOMPRESSED_BYTES * 2)
    patched = bytearray(make_zip({"watched.csv": bomb}))
    # Declare a 100-byte member in both the local and the central header.
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = patched.find(signature)
        patched[start + size_offset : start + size_offset + 4] = (100).to_bytes(4, "little")
    started = time.perf_counter()
    with pytest.raises(ImportFileError):
        parse_upload("export.zip", bytes(patched))
    assert time.perf_counter() - started < 1.0


def test_zip_with_too_many_entries() -> None:
    data = make_zip({f"lists/{n}.csv": "" for n in range(10_001)})
    assert "too many files" in error_for("export.zip", data)


def test_error_message_file_names_are_markdown_safe() -> None:
    # Names are shown in a code span, so only backticks (and folders) need to go.
    message = error_for("../../`evil`_*name*\n.csv", b"")
    assert message.startswith("`evil_*name*.csv` is empty.")


# --- Matching -------------------------------------------------------------------------------------

CATALOG: dict[int, Work] = {
    work.id: work
    for work in [
        Work(1, WorkKind.BOOK, "Pride and Prejudice", creator="Jane Austen", year=1813),
        Work(2, WorkKind.BOOK, "Frankenstein", creator="Mary Shelley", year=1818),
        Work(3, WorkKind.BOOK, "Moby-Dick, or, The Whale", creator="Herman Melville"),
        Work(4, WorkKind.BOOK, "The Lantern Keeper", creator="Ada Quill", year=2021),
        Work(5, WorkKind.BOOK, "Bleak House", creator="Charles Dickens"),
        Work(6, WorkKind.BOOK, "Cranford", creator="Elizabeth Gaskell"),
        Work(7, WorkKind.BOOK, "Emma", creator="Jane Austen"),
        Work(8, WorkKind.BOOK, "Les Misérables", creator="Victor Hugo"),
        Work(9, WorkKind.BOOK, "Crime and Punishment", creator="Fyodor Dostoevsky"),
        Work(10, WorkKind.FILM, "Nosferatu", year=1922),
        Work(11, WorkKind.FILM, "Nosferatu", year=2024),
        Work(12, WorkKind.FILM, "Metropolis", year=1927),
        Work(13, WorkKind.FILM, "Frankenstein", year=1931, adapts_work_id=2),
        Work(14, WorkKind.FILM, "The Lantern Keeper", year=2023, adapts_work_id=4),
        Work(15, WorkKind.FILM, "Sunrise", year=1927),
        Work(16, WorkKind.SERIES, "Harbour Lights", year=2024, episodes=8, adapts_work_id=4),
        Work(17, WorkKind.FILM, "The Cabinet of Dr. Caligari", year=1920),
        Work(18, WorkKind.FILM, "The Salt Road"),  # no year recorded
    ]
}


def matched_ids(preview: ImportPreview) -> list[tuple[str, int]]:
    """Return (title, work id) of matched rows, in order."""
    return [(row.title, work_id) for row, work_id in preview.matched]


def book(
    title: str, author: str | None = None, state: State = State.READ, line: int = 2, **kw: object
) -> ImportRow:
    """Build a book row."""
    fields: dict = {"year": None, "finished_at": None, "rating": None} | kw
    return ImportRow(line, WorkKind.BOOK, title, author, state=state, **fields)


def film(
    title: str, year: int | None, state: State = State.WATCHED, line: int = 2, **kw: object
) -> ImportRow:
    """Build a film row."""
    fields: dict = {"finished_at": None, "rating": None} | kw
    return ImportRow(line, WorkKind.FILM, title, None, year, state, **fields)


def test_goodreads_preview() -> None:
    preview = match_import(parse_fixture("goodreads.csv").rows, CATALOG)
    assert matched_ids(preview) == [
        ("Pride and Prejudice", 1),
        ("Frankenstein; or, The Modern Prometheus", 2),  # the book, not the 1931 film
        ("Moby-Dick, or, The Whale", 3),
        ("The Lantern Keeper (Harbour Lights, #1)", 4),  # series note dropped, author confirms
        ("Bleak House", 5),
    ]
    assert [(row.title, reason) for row, reason in preview.unmatched] == [
        ("Cranford, Volume One", "No book called “Cranford, Volume One” is in the club catalog.")
    ]
    assert preview.superseded == []


def test_storygraph_preview() -> None:
    preview = match_import(parse_fixture("storygraph.csv").rows, CATALOG)
    assert matched_ids(preview) == [
        ("Pride and Prejudice", 1),
        ("Frankenstein: or, The Modern Prometheus", 2),
        ("The Lantern Keeper", 4),  # one of two authors is enough
        ("Bleak House", 5),
    ]
    assert [row.title for row, _ in preview.unmatched] == ["The Salt Road"]  # only a film has that title


def test_letterboxd_zip_preview() -> None:
    preview = match_import(parse_upload("export.zip", letterboxd_export_zip()).rows, CATALOG)
    assert [(row.title, row.year, work_id) for row, work_id in preview.matched] == [
        ("Nosferatu", 1922, 10),
        ("Metropolis", 1927, 12),
        ("Nosferatu", 2024, 11),
        ("Frankenstein", 1931, 13),  # the film, not the book
        ("The Lantern Keeper", 2023, 14),
        ("Sunrise: A Song of Two Humans", 1927, 15),  # subtitle dropped, year confirms
        ("The Cabinet of Dr. Caligari", 1920, 17),
    ]
    assert [row.title for row, _ in preview.unmatched] == ["Hello, Stranger"]
    assert preview.matched[-1][0].state is State.WANT_TO_WATCH


def test_other_fixtures_preview() -> None:
    old = match_import(parse_fixture("goodreads_old.csv").rows, CATALOG)
    assert matched_ids(old) == [("Emma", 7)]
    assert [row.title for row, _ in old.unmatched] == ["Persuasion"]
    crlf = match_import(parse_fixture("goodreads_bom_crlf.csv").rows, CATALOG)
    # "&" is "and"; "Dostoyevsky" is a transliteration of "Dostoevsky".
    assert matched_ids(crlf) == [("Les Misérables", 8), ("Crime & Punishment", 9)]


@pytest.mark.parametrize(
    ("row", "work_id"),
    [
        (book("pride and prejudice", "Jane Austen"), 1),
        (book("The Pride and Prejudice", "jane austen"), 1),  # article and case
        (book("Pride & Prejudice", "Austen, Jane"), 1),  # "Author l-f" order
        (book("Pride and Prejudice"), 1),  # no author, unique title
        (book("Emma", "J. Austen"), 7),
        (book("Emma", "Austen"), 7),
        (book("Crime and Punishment", "Fyodor Dostoyevsky"), 9),
        (book("Les Miserables", "Victor Hugo"), 8),
        (book("Frankenstein (Penguin Classics)", "Mary Wollstonecraft Shelley"), 2),
        (film("Nosferatu", 1922), 10),
        (film("Nosferatu", 1923), 10),  # a year out
        (film("Nosferatu", 2025), 11),
        (film("Metropolis", None), 12),  # no year, unique title
        (film("Metropolis", 1926), 12),
        (film("The Salt Road", 2019), 18),  # the catalog has no year to check
        (film("Harbour Lights", 2024), 16),  # Letterboxd lists miniseries
    ],
)
def test_rows_that_match(row: ImportRow, work_id: int) -> None:
    preview = match_import([row], CATALOG)
    assert [found for _, found in preview.matched] == [work_id], preview.unmatched


@pytest.mark.parametrize(
    ("row", "reason_part"),
    [
        (book("Pride and Prejudice", "Seth Grahame-Smith"), "is by Jane Austen, not Seth Grahame-Smith"),
        (book("Emma", "Emma Donoghue"), "is by Jane Austen"),
        (book("Dune", "Frank Herbert"), "No book called “Dune”"),
        (book("Metropolis", "Thea von Harbou"), "No book called “Metropolis”"),  # only a film has it
        (book("Pride and Prejudice: A Graphic Novel"), "no author to confirm"),
        (book("Emmanuel", "Jane Austen"), "No book called"),  # never a fuzzy or prefix match
        (film("Pride and Prejudice", 1813), "No film called"),  # only a book has it
        (film("Nosferatu", None), "no year to tell them apart"),
        (
            film("Nosferatu", 1979),
            "The catalog has “Nosferatu” (1922), “Nosferatu” (2024), not the 1979 one.",
        ),
        (film("Metropolis", 2001), "not the 2001 one"),
        (film("Sunrise: A Song of Two Humans", None), "no year to confirm"),
        (film("Sunrise: A Song of Two Humans", 1990), "not the 1990 one"),
        (film("Sunrise", 1950), "not the 1950 one"),
    ],
)
def test_rows_that_do_not_match(row: ImportRow, reason_part: str) -> None:
    preview = match_import([row], CATALOG)
    assert preview.matched == []
    ((unmatched_row, reason),) = preview.unmatched
    assert unmatched_row is row
    assert reason_part in reason


def test_two_books_with_one_title_need_the_author() -> None:
    catalog = {
        1: Work(1, WorkKind.BOOK, "The Salt Road", creator="Ines Marlow"),
        2: Work(2, WorkKind.BOOK, "The Salt Road", creator="Tomas Reed"),
    }
    assert "no author to tell them apart" in match_import([book("The Salt Road")], catalog).unmatched[0][1]
    assert matched_ids(match_import([book("The Salt Road", "Tomas Reed")], catalog)) == [("The Salt Road", 2)]


def test_films_a_year_apart() -> None:
    catalog = {1: Work(1, WorkKind.FILM, "Twin", year=2000), 2: Work(2, WorkKind.FILM, "Twin", year=2001)}
    assert [w for _, w in match_import([film("Twin", 2000)], catalog).matched] == [1]  # exact year wins
    assert [w for _, w in match_import([film("Twin", 2001)], catalog).matched] == [2]
    assert [w for _, w in match_import([film("Twin", 2002)], catalog).matched] == [2]  # only one is near
    spread = {1: Work(1, WorkKind.FILM, "Twin", year=2000), 3: Work(3, WorkKind.FILM, "Twin", year=2002)}
    preview = match_import([film("Twin", 2001)], spread)
    assert preview.matched == []
    assert "from around 2001" in preview.unmatched[0][1]


def test_book_without_catalog_author_matches_a_unique_title() -> None:
    catalog = {1: Work(1, WorkKind.BOOK, "Invented Title")}
    assert matched_ids(match_import([book("Invented Title", "Anyone")], catalog)) == [("Invented Title", 1)]


def test_empty_catalog_matches_nothing() -> None:
    rows = parse_fixture("goodreads.csv").rows
    preview = match_import(rows, {})
    assert preview.matched == [] and len(preview.unmatched) == len(rows)


def test_duplicates_keep_the_most_advanced_state_in_first_position() -> None:
    rows = [
        book("Emma", "Jane Austen", State.WANT_TO_READ, line=2),
        book("Bleak House", "Charles Dickens", State.DNF, line=3),
        book("Emma", "Jane Austen", State.READ, line=4, finished_at=date(2020, 1, 1)),
        book("Bleak House", "Charles Dickens", State.READING, line=5),
        book("Emma", "Jane Austen", State.READING, line=6),
    ]
    preview = match_import(rows, CATALOG)
    assert [(row.source_line, work_id) for row, work_id in preview.matched] == [(4, 7), (5, 5)]
    assert [(row.source_line, work_id) for row, work_id in preview.superseded] == [(2, 7), (3, 5), (6, 7)]


def test_duplicates_with_the_same_state_prefer_the_later_finish_then_the_later_row() -> None:
    rows = [
        book("Emma", "Jane Austen", line=2, finished_at=date(2022, 5, 1)),
        book("Emma", "Jane Austen", line=3, finished_at=date(2019, 5, 1)),
        book("Emma", "Jane Austen", line=4, finished_at=None),
        book("Bleak House", None, State.READING, line=5),
        book("Bleak House", None, State.READING, line=6),
    ]
    preview = match_import(rows, CATALOG)
    assert [(row.source_line, work_id) for row, work_id in preview.matched] == [(2, 7), (6, 5)]


def test_preview_is_deterministic() -> None:
    rows = parse_upload("export.zip", letterboxd_export_zip()).rows
    assert match_import(rows, CATALOG) == match_import(list(rows), dict(reversed(CATALOG.items())))


def test_every_row_lands_in_exactly_one_list() -> None:
    rows = (
        parse_fixture("goodreads.csv").rows
        + parse_fixture("storygraph.csv").rows
        + parse_upload("export.zip", letterboxd_export_zip()).rows
    )
    preview = match_import(rows, CATALOG)
    placed = [row for row, _ in preview.matched] + [row for row, _ in preview.unmatched]
    placed += [row for row, _ in preview.superseded]
    assert sorted(map(id, placed)) == sorted(map(id, rows))
    # Matched works are of the row's medium, and the state is valid for the work.
    for row, work_id in preview.matched:
        work = CATALOG[work_id]
        assert (work.kind is WorkKind.BOOK) == (row.kind is WorkKind.BOOK)
