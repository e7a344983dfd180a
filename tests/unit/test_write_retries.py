"""PostgreSQL write conflicts between processes are run again, never shown to members.

Two `PostgresDatabase` objects on one database stand for two bot processes: each has its own pool and its
own write lock, so their transactions really run at the same time, as two processes' would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio

from bot.domain import ProgressUnit, State, WorkKind
from bot.errors import describe_error
from bot.store import IntegrityError, NewOption, NewWork, PollKind, StatusUpdate, Store, WriteConflict
from bot.store.polls import VoteOp
from bot.store.postgres import RETRY_ATTEMPTS, PostgresDatabase

GUILD = 111111111111111111
CHANNEL = 555
MESSAGE = 9001
MEMBERS = range(1, 101)


@pytest_asyncio.fixture
async def two_processes(postgres_url: str) -> AsyncIterator[tuple[PostgresDatabase, PostgresDatabase]]:
    first = await PostgresDatabase.connect(postgres_url)
    second = await PostgresDatabase.connect(postgres_url)
    await first.migrate()
    await first.execute_atomic("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
    await first.execute_atomic("INSERT INTO counter (id, value) VALUES (1, 0)")
    yield first, second
    await first.close()
    await second.close()


async def read_counter(db: PostgresDatabase) -> int:
    row = await db.fetch_one("SELECT value FROM counter WHERE id = 1")
    assert row is not None
    return int(row["value"])


async def bump(db: PostgresDatabase) -> None:
    """Add one to the counter in another process, committed before this returns."""
    await db.execute_atomic("UPDATE counter SET value = value + 1 WHERE id = 1")


async def test_a_transaction_overtaken_by_another_process_runs_again(two_processes):
    """Read, another process commits a write of the same row, write: 40001, and the whole function reruns."""
    first, second = two_processes
    attempts = 0

    async def read_then_write(tx):
        nonlocal attempts
        attempts += 1
        seen = (await tx.fetch_one("SELECT value FROM counter WHERE id = 1"))["value"]
        if attempts == 1:
            await bump(second)  # lands between this transaction's read and its write
        await tx.execute("UPDATE counter SET value = ? WHERE id = 1", (seen + 1,))
        return seen

    seen = await first.atomic(read_then_write)
    assert attempts == 2 and first.retries == 1
    assert seen == 1  # the second run read the other process's write
    assert await read_counter(first) == 2  # neither increment was lost


async def test_one_statement_waiting_on_another_process_runs_again(two_processes):
    """`execute_atomic` blocked on a row another process then commits fails with 40001 and is retried."""
    first, second = two_processes
    async with second.transaction() as tx:
        await tx.execute("UPDATE counter SET value = value + 1 WHERE id = 1")
        blocked = asyncio.create_task(bump(first))
        for _ in range(200):  # until the first process's statement waits for this row lock
            row = await second.fetch_one(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            )
            if row is not None and row[0] == 1:
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the first process's update never waited for the row lock")
    await blocked
    assert first.retries == 1
    assert await read_counter(first) == 2


async def test_conflicts_past_the_limit_raise_a_write_conflict_and_save_nothing(two_processes):
    first, second = two_processes
    attempts = 0

    async def always_overtaken(tx):
        nonlocal attempts
        attempts += 1
        seen = (await tx.fetch_one("SELECT value FROM counter WHERE id = 1"))["value"]
        await tx.execute("INSERT INTO counter (id, value) VALUES (?, 0)", (100 + attempts,))
        await bump(second)
        await tx.execute("UPDATE counter SET value = ? WHERE id = 1", (seen + 1000,))

    with pytest.raises(WriteConflict, match=f"{RETRY_ATTEMPTS} times in a row") as caught:
        await first.atomic(always_overtaken)
    assert attempts == RETRY_ATTEMPTS and first.retries == RETRY_ATTEMPTS - 1
    assert await read_counter(first) == RETRY_ATTEMPTS  # only the other process's writes are there
    assert (await first.fetch_one("SELECT COUNT(*) FROM counter"))[0] == 1  # no attempt left a row
    message, logged = describe_error(caught.value)
    assert message.startswith("The database was too busy to save that, so nothing was changed")
    assert logged


async def test_integrity_errors_and_domain_errors_are_not_retried(two_processes):
    first, _ = two_processes
    attempts = 0

    async def refused(tx):
        nonlocal attempts
        attempts += 1
        raise LookupError("not a conflict")

    with pytest.raises(LookupError):
        await first.atomic(refused)

    async def duplicate(tx):
        nonlocal attempts
        attempts += 1
        await tx.execute("INSERT INTO counter (id, value) VALUES (1, 5)")

    with pytest.raises(IntegrityError):
        await first.atomic(duplicate)
    assert attempts == 2 and first.retries == 0


async def test_two_processes_writing_the_same_rows_at_once_lose_and_double_nothing(two_processes, clock):
    """Statuses, votes and a counter written by both processes at once: every write lands exactly once."""
    first, second = (Store.build(db, clock) for db in two_processes)
    work = await first.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma", pages=400))
    poll_id = await first.polls.create(
        GUILD,
        PollKind.NATIVE,
        channel_id=CHANNEL,
        question="Next book?",
        options=[NewOption("Emma", "Emma"), NewOption("Dracula", "Dracula")],
        closes_at=clock.now() + timedelta(hours=24),
    )
    await first.polls.set_messages(poll_id, message_id=MESSAGE)
    reading = StatusUpdate(work, State.READING, ProgressUnit.PAGE, 120)
    writes = []
    for member in MEMBERS:
        # The same status row from both processes, one through the single-statement path, one through
        # a transaction; the same poll from both; the club's one usage row from both.
        writes.append(first.statuses.set(GUILD, member, reading, source="command"))
        writes.append(second.statuses.set_many(GUILD, member, [reading], source="import"))
        writes.append(first.polls.add_vote(MESSAGE, 1, member))
        writes.append(second.polls.apply_votes([VoteOp(True, MESSAGE, 2, member, clock.now())]))
        writes.append((first if member % 2 else second).summaries.add_usage(GUILD, 10, 5))
    await asyncio.gather(*writes)

    for_work = await second.statuses.for_work(GUILD, work)
    assert sorted(r.user_id for r in for_work) == list(MEMBERS)
    assert {(r.status.state, r.status.progress_value) for r in for_work} == {(State.READING, 120)}
    history = await first.db.fetch_all(
        "SELECT user_id, source, COUNT(*) AS n FROM status_history GROUP BY user_id, source"
    )
    # Each write left exactly one history entry: a rolled-back attempt leaves none, a retry adds one.
    assert sorted((r["user_id"], r["source"], r["n"]) for r in history) == sorted(
        (m, source, 1) for m in MEMBERS for source in ("command", "import")
    )
    assert await second.polls.votes(poll_id) == {1: set(MEMBERS), 2: set(MEMBERS)}
    usage = await first.summaries.usage_today(GUILD)
    assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (100, 1000, 500)
    retries = sum(db.retries for db in two_processes)
    print(f"{len(writes)} writes from two processes, {retries} transactions run again")
