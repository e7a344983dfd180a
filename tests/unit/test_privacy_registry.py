"""Forget means forget: every column that may hold a member is covered, and nothing is left in the files."""

from __future__ import annotations

import re
from pathlib import Path

from schema import table_columns

from bot.domain import State, WorkKind
from bot.store import NewWork, StatusUpdate
from bot.store.privacy import FORMER_MEMBER, NOT_PERSONAL, PERSONAL_DATA

GUILD = 111111111111111111
ALICE = 1566874533888131078
BOB = 1566874533888131999

# Integer columns named like these hold other things' ids, never a member's.
NOT_A_MEMBER_ID = re.compile(
    r"(^id|guild_id|channel_id|message_id|thread_id|work_id|role_id|tag_id|poll_id|discussion_id|book_id|adaptation_id|event_id|nomination_id|round_id|summary_id)$"
)
MEMBER_ID = re.compile(r"(_id|_by)$")


async def schema(store) -> dict[str, list[tuple[str, str]]]:
    return await table_columns(store.db)


async def test_every_column_that_may_hold_a_member_is_covered_by_forget(store):
    covered = {f"{c.table}.{c.column}" for c in PERSONAL_DATA}
    tables = await schema(store)
    uncovered = []
    for table, columns in tables.items():
        for name, kind in columns:
            where = f"{table}.{name}"
            if where in covered:
                continue
            member_id = kind == "INTEGER" and MEMBER_ID.search(name) and not NOT_A_MEMBER_ID.search(name)
            free_text = (
                kind in ("TEXT", "BLOB", "") and not name.endswith("_at") and where not in NOT_PERSONAL
            )
            if member_id or free_text:
                uncovered.append(where)
    assert uncovered == [], (
        "add these to PERSONAL_DATA (or, for text that never names a member, NOT_PERSONAL) in bot/store/privacy.py"
    )
    # The registry names only real columns, so a renamed one cannot silently drop out.
    real = {f"{t}.{name}" for t, columns in tables.items() for name, _ in columns}
    assert covered - real == set()
    assert set(NOT_PERSONAL) - real == set()
    # Today's known text columns that may quote a member are covered.
    assert {"timers.payload", "summaries.body", "reviews.body"} <= covered


def database_bytes(path: Path) -> bytes:
    """Return the raw bytes of the database file and its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def seed(store, user_id: int, secret: str) -> None:
    work = await store.catalog.add(
        GUILD, NewWork(WorkKind.BOOK, f"Book {secret}"), approved=False, suggested_by=user_id
    )
    await store.statuses.set(GUILD, user_id, StatusUpdate(work, State.READING), source="command")
    await store.statuses.set(GUILD, user_id, StatusUpdate(work, State.READ), source="command")
    async with store.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO reviews (guild_id, work_id, kind, author_id, rating, body, created_at, updated_at)"
            " VALUES (?, ?, 'member', ?, 4, ?, 'now', 'now')",
            (GUILD, work, user_id, f"My own words: {secret}"),
        )
        await tx.execute(
            "INSERT INTO summaries (guild_id, thread_id, spoiler_scope, model, body, last_message_id,"
            " message_count, created_at, updated_at) VALUES (?, ?, 'none', 'm', ?, 1, 1, 'now', 'now')",
            (GUILD, user_id % 1000, f"<@{user_id}> thinks the ending is rushed."),
        )
        await tx.execute(
            "INSERT INTO timers (guild_id, event, key, due_at, payload, created_at)"
            " VALUES (?, 'test.event', ?, 'later', ?, 'now')",
            (GUILD, str(user_id), f'{{"member": {user_id}}}'),
        )


async def test_forget_leaves_neither_id_nor_text_in_the_database_files(sqlite_store):
    store = sqlite_store  # the file's bytes are SQLite's
    await seed(store, ALICE, "ALICESECRETWORDS")
    await seed(store, BOB, "BOBSECRETWORDS")
    path = store.db.path
    alice_id = ALICE.to_bytes(8, "big")  # how SQLite stores a snowflake-sized integer
    before = database_bytes(path)
    assert alice_id in before and b"ALICESECRETWORDS" in before and str(ALICE).encode() in before

    removed = await store.privacy.forget(ALICE)

    assert removed.statuses == 1 and removed.status_changes == 2 and removed.reviews == 1
    assert removed.summary_mentions == 1 and removed.timers == 1 and removed.suggestions == 1
    after = database_bytes(path)
    assert alice_id not in after
    assert str(ALICE).encode() not in after
    assert b"My own words: ALICESECRETWORDS" not in after
    # Bob is untouched, and the summary that quoted Alice stays without her.
    assert BOB.to_bytes(8, "big") in after and b"My own words: BOBSECRETWORDS" in after
    rows = await store.db.fetch_all("SELECT body FROM summaries ORDER BY id")
    assert [r["body"] for r in rows] == [
        f"{FORMER_MEMBER} thinks the ending is rushed.",
        f"<@{BOB}> thinks the ending is rushed.",
    ]
    assert (await store.privacy.count(ALICE)).total == 0
