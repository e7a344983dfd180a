"""`python -m bot migrate-to-postgres`: a realistic SQLite club lands in PostgreSQL row for row."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.domain import ProgressUnit, State, WorkKind
from bot.spoilers import BookAndFilm, BookUpTo
from bot.store import Database, NewDiscussion, NewOption, NewWork, PollKind, StatusUpdate, Store
from bot.store.db import SqliteDatabase
from bot.store.nominations import RoundKinds
from bot.store.postgres import PostgresDatabase
from bot.store.transfer import TableInfo, checksum, copy_order, verify_table
from tests.unit.test_cli import run_bot

GUILD = 111111111111111111
OTHER = 222222222222222222
ALICE = 333333333333333333
BOB = 444444444444444444
START = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


async def build_club(path: Path, clock) -> None:
    """A club with a catalog (a book and its adaptation), statuses, reviews, polls, discussions, timers…"""
    db = await Database.open(path)
    await db.migrate()
    store = Store.build(db, clock)
    try:
        book = await store.catalog.add(
            GUILD,
            NewWork(
                WorkKind.BOOK, "Piranesi", "Susanna Clarke", 2020, chapters=12, parts=(("One", 4), ("Two", 8))
            ),
        )
        # A later row refers to a later id and an earlier one, so the self-reference order matters.
        film = await store.catalog.add(GUILD, NewWork(WorkKind.FILM, "Piranesi (film)", adapts_work_id=book))
        other = await store.catalog.add(OTHER, NewWork(WorkKind.BOOK, "Süßes Élan — “quoted”", year=1999))
        await store.guilds.update(GUILD, timezone="Europe/Paris", spoiler_mode="gated", current_book_id=book)
        await store.statuses.set(
            GUILD, ALICE, StatusUpdate(book, State.READING, ProgressUnit.PAGE, 123.5), source="command"
        )
        await store.statuses.set(GUILD, ALICE, StatusUpdate(book, State.READ), source="command")
        await store.statuses.set(GUILD, BOB, StatusUpdate(film, State.WANT_TO_WATCH), source="button")
        await store.statuses.set(OTHER, BOB, StatusUpdate(other, State.READING), source="import")
        await store.reviews.save_member_review(
            GUILD, book, ALICE, 4.25, "Gorgeous.\nLine two 'quoted'.", True
        )
        await store.reviews.add_draft(GUILD, BOB, book, 3, "Hmm.", False, None)
        poll = await store.polls.create(
            GUILD,
            PollKind.NATIVE,
            channel_id=5,
            question="Next?",
            options=[NewOption("A", "Piranesi", book), NewOption("B", "Other")],
            closes_at=START + timedelta(days=3),
            created_by=ALICE,
        )
        await store.polls.set_messages(poll, message_id=9001)
        await store.polls.add_vote(9001, 1, ALICE)
        await store.polls.add_vote(9001, 2, BOB)
        ranked = await store.polls.create(
            GUILD,
            PollKind.RANKED,
            channel_id=5,
            question="Rank them",
            options=[NewOption("A", "Piranesi", book), NewOption("B", "Film", film), NewOption("C", "None")],
            closes_at=START + timedelta(days=3),
        )
        await store.polls.set_ballot(ranked, ALICE, [2, 1, 3])
        await store.polls.set_ballot(ranked, BOB, [1])
        made = await store.discussions.create_many(
            GUILD,
            [
                NewDiscussion(
                    book,
                    BookUpTo(book, chapter=6),
                    "First half",
                    START,
                    START + timedelta(hours=1),
                    ("Who?",),
                ),
                NewDiscussion(
                    film,
                    BookAndFilm(book, film),
                    "Compare",
                    START + timedelta(weeks=1),
                    START + timedelta(weeks=1, hours=2),
                ),
            ],
        )
        await store.participation.add_interest(made[0].id, BOB)
        await store.participation.record_posters(made[0].id, [ALICE, BOB])
        nominations = await store.nominations.open_round(GUILD, RoundKinds.ANY, ALICE)
        await store.nominations.nominate(nominations.id, book, ALICE, "Read it!")
        await store.nominations.nominate(nominations.id, book, BOB, "Seconded.")
        await store.timers.upsert(GUILD, "discussion.open", str(made[0].id), START, {"id": made[0].id})
        await store.summaries.save(
            GUILD,
            77,
            spoiler_scope="none",
            model="m",
            body=f"<@{ALICE}> liked it.",
            refs={1: 2},
            last_message_id=80,
            message_count=3,
            left_out=0,
            author_ids=[ALICE, BOB],
        )
        await store.summaries.add_usage(GUILD, 100, 20)
        await store.calendar_feeds.create(GUILD)
    finally:
        await db.close()


def sqlite_tables(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


async def postgres_tables(url: str, names) -> dict[str, list[tuple]]:
    conn = await asyncpg.connect(url)
    try:
        return {
            n: sorted((tuple(r) for r in await conn.fetch(f'SELECT * FROM "{n}"')), key=repr) for n in names
        }
    finally:
        await conn.close()


def _same(a, b) -> bool:
    return a == b or (isinstance(a, int | float) and isinstance(b, int | float) and float(a) == float(b))


async def test_migrate_copies_every_row_and_sequences_continue(tmp_path, postgres_url, clock):
    path = tmp_path / "club.sqlite3"
    await build_club(path, clock)

    result = run_bot("migrate-to-postgres", str(path), postgres_url, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "MISMATCH" not in result.stdout and "DATABASE_URL" in result.stdout
    source = sqlite_tables(path)
    source.pop("schema_version", None)
    populated = {n for n, rows in source.items() if rows}
    assert {
        "works",
        "work_parts",
        "statuses",
        "status_history",
        "reviews",
        "polls",
        "poll_votes",
        "timers",
    } <= populated
    target = await postgres_tables(postgres_url, source)
    for name, rows in source.items():
        assert len(target[name]) == len(rows), name
        assert f"{name} " in result.stdout
        for want, got in zip(
            sorted(rows, key=lambda r: str(r[:3])),
            sorted(target[name], key=lambda r: str(r[:3])),
            strict=True,
        ):
            assert len(want) == len(got) and all(_same(w, g) for w, g in zip(want, got, strict=True)), name

    # The store opens on PostgreSQL and new rows get fresh ids.
    db = await PostgresDatabase.connect(postgres_url)
    try:
        assert await db.migrate() == []
        store = Store.build(db, clock)
        before = max(source_row[0] for source_row in source["works"])
        new = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Jonathan Strange"))
        assert new > before
        adaptation = await store.catalog.get(GUILD, 2)
        assert adaptation is not None and adaptation.adapts_work_id == 1
    finally:
        await db.close()

    again = run_bot("migrate-to-postgres", str(path), postgres_url, cwd=tmp_path)
    assert again.returncode == 2
    assert "already holds club data" in again.stderr and "Traceback" not in again.stderr
    assert len((await postgres_tables(postgres_url, ["works"]))["works"]) == len(source["works"]) + 1


@pytest.mark.parametrize("content", [None, b"not a database at all", b""])
def test_missing_or_corrupt_sqlite_file_is_refused(tmp_path, postgres_url, content):
    path = tmp_path / "club.sqlite3"
    if content is not None:
        path.write_bytes(content)
    result = run_bot("migrate-to-postgres", str(path), postgres_url, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "club.sqlite3" in lines[0], result.stderr


async def test_a_sqlite_file_that_is_not_a_club_is_refused(tmp_path, postgres_url):
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x TEXT)")
    conn.commit()
    conn.close()
    result = run_bot("migrate-to-postgres", str(path), postgres_url, cwd=tmp_path)
    assert result.returncode == 2 and "not a bookclub database" in result.stderr
    db = await SqliteDatabase.open_file(path)
    try:
        assert await db.schema_version() == 0  # not migrated either
    finally:
        await db.close()


def test_checksum_detects_a_tampered_row():
    table = TableInfo("t", ("id", "name", "score"), ("id",), frozenset(), ())
    types = {"id": "bigint", "name": "text", "score": "double precision"}
    rows = [(1, "a", 4), (2, "b", 4.5)]
    # Order and int/float representation do not matter; content does.
    assert verify_table(table, types, rows, [(2, "b", 4.5), (1, "a", 4.0)]).ok
    assert not verify_table(table, types, rows, [(1, "a", 4.0), (2, "B", 4.5)]).ok
    assert not verify_table(table, types, rows, [(1, "a", 4.0)]).ok
    assert checksum(rows, table.columns, table.primary_key, types) != checksum(
        [(1, "a", 4.0), (2, "b", 4.25)], table.columns, table.primary_key, types
    )


def test_copy_order_puts_referenced_tables_first():
    t = lambda name, *refs: TableInfo(name, ("id",), ("id",), frozenset(refs), ())  # noqa: E731
    order = [
        x.name
        for x in copy_order([t("votes", "polls"), t("polls", "works"), t("works"), t("parts", "works")])
    ]
    assert order.index("works") < order.index("polls") < order.index("votes")
    assert order.index("works") < order.index("parts")


async def test_a_mismatch_found_inside_the_transaction_rolls_everything_back(
    tmp_path, postgres_url, clock, monkeypatch
):
    import bot.store.transfer as transfer

    path = tmp_path / "club.sqlite3"
    await build_club(path, clock)
    real = transfer.verify_table

    def tampered(table, types, source_rows, target_rows):
        if table.name == "reviews":  # as if PostgreSQL had changed a review's text on the way in
            target_rows = [tuple("tampered" if isinstance(v, str) else v for v in row) for row in target_rows]
        return real(table, types, source_rows, target_rows)

    monkeypatch.setattr(transfer, "verify_table", tampered)
    with pytest.raises(transfer.VerificationFailed, match="reviews") as failed:
        await transfer.migrate_to_postgres(path, postgres_url)
    assert [t.name for t in failed.value.report.tables if not t.ok] == ["reviews"]
    tables = await postgres_tables(postgres_url, ["works", "reviews", "statuses"])
    assert tables == {"works": [], "reviews": [], "statuses": []}
