"""Stored thread summaries, summary jobs, the LLM tokens each club spends a day, and members' opt-outs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clock import Clock
from bot.store.db import Database, Row, Transaction


@dataclass(frozen=True)
class StoredSummary:
    """The last summary of a thread."""

    guild_id: int
    thread_id: int
    spoiler_scope: str
    model: str
    body: str
    refs: dict[int, int]  # citation number -> message id
    last_message_id: int
    message_count: int
    left_out: int
    updated_at: datetime


@dataclass(frozen=True)
class DayUsage:
    """What a club spent on summaries in one UTC day."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def tokens(self) -> int:
        """Return all tokens spent."""
        return self.prompt_tokens + self.completion_tokens


class JobOutcome(StrEnum):
    """How a summary job ended."""

    DONE = "done"
    FAILED = "failed"  # after at least one model call: the cooldown counts
    RELEASED = "released"  # no model call was made: the member's cooldown does not count it
    INTERRUPTED = "interrupted"  # the bot stopped while it ran (ended at the next start)


@dataclass(frozen=True)
class SummaryJob:
    """One member's `/summarize`, claimed before any model call."""

    id: int
    guild_id: int
    user_id: int
    thread_id: int
    reserved_tokens: int  # held against the club's day while it runs
    calls: int
    tokens: int
    started_at: datetime
    ended_at: datetime | None
    outcome: JobOutcome | None

    @property
    def running(self) -> bool:
        """Return whether the job has not ended."""
        return self.ended_at is None


class SummaryRefused(Exception):
    """A job was not started or given its tokens; nothing was stored."""


class AlreadySummarizing(SummaryRefused):
    """The member, or the thread, has a job running."""

    def __init__(self, job: SummaryJob) -> None:
        super().__init__(f"job {job.id} is running")
        self.job = job


class CoolingDown(SummaryRefused):
    """The member started a job less than the cooldown ago."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"cooling down until {until.isoformat()}")
        self.until = until


class BudgetSpent(SummaryRefused):
    """The club's tokens for today are spent, or held by running jobs."""

    def __init__(self, spent: int, held: int) -> None:
        super().__init__(f"{spent} tokens spent, {held} held")
        self.spent = spent
        self.held = held


class OverBudget(SummaryRefused):
    """A job's planned tokens are more than the club has left today."""

    def __init__(self, tokens_left: int) -> None:
        super().__init__(f"{tokens_left} tokens left")
        self.tokens_left = tokens_left


def _job(row: Row) -> SummaryJob:
    return SummaryJob(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        thread_id=row["thread_id"],
        reserved_tokens=row["reserved_tokens"],
        calls=row["calls"],
        tokens=row["tokens"],
        started_at=datetime.fromisoformat(row["started_at"]),
        ended_at=datetime.fromisoformat(row["ended_at"]) if row["ended_at"] else None,
        outcome=JobOutcome(row["outcome"]) if row["outcome"] else None,
    )


def _summary(row: Row) -> StoredSummary:
    return StoredSummary(
        guild_id=row["guild_id"],
        thread_id=row["thread_id"],
        spoiler_scope=row["spoiler_scope"],
        model=row["model"],
        body=row["body"],
        refs={int(k): int(v) for k, v in json.loads(row["refs"]).items()},
        last_message_id=row["last_message_id"],
        message_count=row["message_count"],
        left_out=row["left_out"],
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


class SummaryRepository:
    """Read and write thread summaries, usage and opt-outs."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, guild_id: int, thread_id: int) -> StoredSummary | None:
        """Return the thread's last summary."""
        row = await self._db.fetch_one(
            "SELECT * FROM summaries WHERE guild_id = ? AND thread_id = ?", (guild_id, thread_id)
        )
        return _summary(row) if row else None

    async def save(
        self,
        guild_id: int,
        thread_id: int,
        *,
        spoiler_scope: str,
        model: str,
        body: str,
        refs: dict[int, int],
        last_message_id: int,
        message_count: int,
        left_out: int,
        author_ids: Iterable[int],
    ) -> StoredSummary:
        """Replace the thread's summary and the authors it draws on, all at once."""
        now = self._clock.now().isoformat()
        authors = set(author_ids)  # read once: the write may run again

        async def write(tx: Transaction) -> Row:
            await tx.execute(
                """
                INSERT INTO summaries (guild_id, thread_id, spoiler_scope, model, body, refs, last_message_id,
                                       message_count, left_out, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (thread_id) DO UPDATE SET
                    spoiler_scope = excluded.spoiler_scope, model = excluded.model, body = excluded.body,
                    refs = excluded.refs, last_message_id = excluded.last_message_id,
                    message_count = excluded.message_count, left_out = excluded.left_out,
                    updated_at = excluded.updated_at
                """,
                (
                    guild_id,
                    thread_id,
                    spoiler_scope,
                    model,
                    body,
                    json.dumps({str(k): v for k, v in refs.items()}),
                    last_message_id,
                    message_count,
                    left_out,
                    now,
                    now,
                ),
            )
            row = await tx.fetch_one("SELECT * FROM summaries WHERE thread_id = ?", (thread_id,))
            assert row is not None
            await tx.executemany(
                "INSERT INTO summary_authors (summary_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(row["id"], uid) for uid in authors],
            )
            return row

        return _summary(await self._db.atomic(write))

    async def discard(self, guild_id: int, thread_id: int) -> bool:
        """Delete the thread's summary (its scope changed); return whether there was one."""
        removed = await self._db.execute_atomic(
            "DELETE FROM summaries WHERE guild_id = ? AND thread_id = ?", (guild_id, thread_id)
        )
        return removed > 0

    def _today(self) -> str:
        return self._clock.now().date().isoformat()

    async def add_usage(self, guild_id: int, prompt_tokens: int, completion_tokens: int) -> None:
        """Count one model call against the club's day (outside any job)."""
        await self._db.atomic(lambda tx: self._add_usage(tx, guild_id, prompt_tokens, completion_tokens))

    async def _add_usage(
        self, tx: Transaction, guild_id: int, prompt_tokens: int, completion_tokens: int
    ) -> None:
        await tx.execute(
            """
            INSERT INTO summary_usage (guild_id, day, calls, prompt_tokens, completion_tokens)
            VALUES (?, ?, 1, ?, ?)
            ON CONFLICT (guild_id, day) DO UPDATE SET
                calls = summary_usage.calls + 1,
                prompt_tokens = summary_usage.prompt_tokens + excluded.prompt_tokens,
                completion_tokens = summary_usage.completion_tokens + excluded.completion_tokens
            """,
            (guild_id, self._today(), prompt_tokens, completion_tokens),
        )

    # -- jobs: claimed before any model call, so the cooldown and the budget hold under concurrency ----------
    async def begin_job(
        self, guild_id: int, user_id: int, thread_id: int, *, cooldown: timedelta, daily_tokens: int
    ) -> SummaryJob:
        """Claim the member's cooldown and the thread for a new job, checking the club's budget, at once.

        Raises `AlreadySummarizing` when the member or the thread has a job running, `CoolingDown` when
        the member's last job that called the model started less than `cooldown` ago, and `BudgetSpent`
        when today's tokens are spent or held by running jobs. The check and the claim are one
        transaction, so of many simultaneous requests exactly one gets the job.
        """
        now = self._clock.now()

        async def claim(tx: Transaction) -> Row | None:
            running = await tx.fetch_one(
                "SELECT * FROM summary_jobs WHERE guild_id = ? AND ended_at IS NULL AND (user_id = ? OR thread_id = ?)"
                " ORDER BY user_id = ? DESC LIMIT 1",
                (guild_id, user_id, thread_id, user_id),
            )
            if running is not None:
                raise AlreadySummarizing(_job(running))
            last = await tx.fetch_one(
                "SELECT started_at FROM summary_jobs WHERE guild_id = ? AND user_id = ? AND outcome != ?"
                " ORDER BY id DESC LIMIT 1",  # the latest claimed is the latest started
                (guild_id, user_id, JobOutcome.RELEASED.value),
            )
            if last is not None:
                until = datetime.fromisoformat(last["started_at"]) + cooldown
                if now < until:
                    raise CoolingDown(until)
            spent, held = await self._budget(tx, guild_id)
            if spent + held >= daily_tokens:
                raise BudgetSpent(spent, held)
            job_id = await tx.insert(
                "INSERT INTO summary_jobs (guild_id, user_id, thread_id, started_at) VALUES (?, ?, ?, ?)",
                (guild_id, user_id, thread_id, now.isoformat()),
            )
            return await tx.fetch_one("SELECT * FROM summary_jobs WHERE id = ?", (job_id,))

        row = await self._db.atomic(claim)
        assert row is not None
        return _job(row)

    async def reserve_tokens(self, job_id: int, tokens: int, *, daily_tokens: int) -> None:
        """Hold `tokens` of the club's day for a running job; raise `OverBudget` if fewer are left."""

        async def reserve(tx: Transaction) -> None:
            row = await tx.fetch_one("SELECT guild_id FROM summary_jobs WHERE id = ?", (job_id,))
            if row is None:
                raise OverBudget(0)  # forgotten while it ran: start no model call for it
            spent, held = await self._budget(tx, row["guild_id"], besides=job_id)
            left = max(daily_tokens - spent - held, 0)
            if tokens > left:
                raise OverBudget(left)
            await tx.execute(
                "UPDATE summary_jobs SET reserved_tokens = ? WHERE id = ? AND ended_at IS NULL",
                (tokens, job_id),
            )

        await self._db.atomic(reserve)

    async def spend(self, job_id: int, guild_id: int, prompt_tokens: int, completion_tokens: int) -> None:
        """Count one model call against the club's day, out of what the job holds, in one transaction."""
        tokens = prompt_tokens + completion_tokens

        async def write(tx: Transaction) -> None:
            await self._add_usage(tx, guild_id, prompt_tokens, completion_tokens)
            await tx.execute(
                "UPDATE summary_jobs SET calls = calls + 1, tokens = tokens + ?,"
                " reserved_tokens = CASE WHEN reserved_tokens > ? THEN reserved_tokens - ? ELSE 0 END"
                " WHERE id = ?",
                (tokens, tokens, tokens, job_id),
            )

        await self._db.atomic(write)

    async def end_job(self, job_id: int, *, failed: bool) -> JobOutcome | None:
        """End a running job and free what it still holds; return how it ended (None if it had ended).

        A job that made no model call is released: it cost nothing, so the member's cooldown ignores it.
        """
        ended_at = self._clock.now().isoformat()

        async def end(tx: Transaction) -> tuple[int, Row | None]:
            ended = await tx.execute(
                "UPDATE summary_jobs SET ended_at = ?, reserved_tokens = 0,"
                " outcome = CASE WHEN calls = 0 THEN ? WHEN ? THEN ? ELSE ? END"
                " WHERE id = ? AND ended_at IS NULL",
                (
                    ended_at,
                    JobOutcome.RELEASED.value,
                    failed,
                    JobOutcome.FAILED.value,
                    JobOutcome.DONE.value,
                    job_id,
                ),
            )
            return ended, await tx.fetch_one("SELECT outcome FROM summary_jobs WHERE id = ?", (job_id,))

        ended, row = await self._db.atomic(end)
        return JobOutcome(row["outcome"]) if ended and row is not None else None

    async def end_interrupted(self) -> int:
        """End every job left running by a stopped bot (its cooldown still counts); return how many."""
        return await self._db.execute_atomic(
            "UPDATE summary_jobs SET ended_at = ?, reserved_tokens = 0, outcome = ? WHERE ended_at IS NULL",
            (self._clock.now().isoformat(), JobOutcome.INTERRUPTED.value),
        )

    async def job(self, job_id: int) -> SummaryJob | None:
        """Return one job."""
        row = await self._db.fetch_one("SELECT * FROM summary_jobs WHERE id = ?", (job_id,))
        return _job(row) if row else None

    async def jobs_of(self, guild_id: int, user_id: int) -> list[SummaryJob]:
        """Return the member's jobs in the club, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM summary_jobs WHERE guild_id = ? AND user_id = ? ORDER BY id", (guild_id, user_id)
        )
        return [_job(r) for r in rows]

    async def _budget(self, tx: Transaction, guild_id: int, *, besides: int | None = None) -> tuple[int, int]:
        """Return the club's tokens spent today and those held by running jobs (other than `besides`)."""
        used = await tx.fetch_one(
            "SELECT prompt_tokens + completion_tokens AS n FROM summary_usage WHERE guild_id = ? AND day = ?",
            (guild_id, self._today()),
        )
        held = await tx.fetch_one(
            "SELECT COALESCE(SUM(reserved_tokens), 0) AS n FROM summary_jobs"
            " WHERE guild_id = ? AND ended_at IS NULL AND id != COALESCE(?, 0)",  # ids start at 1
            (guild_id, besides),
        )
        return (int(used["n"]) if used else 0), (int(held["n"]) if held else 0)

    async def usage_today(self, guild_id: int) -> DayUsage:
        """Return what the club spent today (UTC)."""
        row = await self._db.fetch_one(
            "SELECT calls, prompt_tokens, completion_tokens FROM summary_usage WHERE guild_id = ? AND day = ?",
            (guild_id, self._today()),
        )
        return DayUsage(row["calls"], row["prompt_tokens"], row["completion_tokens"]) if row else DayUsage()

    async def set_opt_out(self, user_id: int, opted_out: bool) -> bool:
        """Record whether the member keeps their messages away from the model; return whether it changed."""
        if opted_out:
            changed = await self._db.execute_atomic(
                "INSERT INTO summary_opt_outs (user_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (user_id, self._clock.now().isoformat()),
            )
        else:
            changed = await self._db.execute_atomic(
                "DELETE FROM summary_opt_outs WHERE user_id = ?", (user_id,)
            )
        return changed > 0

    async def opted_out(self, user_ids: Iterable[int]) -> set[int]:
        """Return which of these members opted out."""
        ids = sorted(set(user_ids))
        found: set[int] = set()
        for start in range(0, len(ids), 500):  # SQLite's parameter limit
            batch = ids[start : start + 500]
            marks = ", ".join("?" * len(batch))
            rows = await self._db.fetch_all(
                f"SELECT user_id FROM summary_opt_outs WHERE user_id IN ({marks})",  # noqa: S608 - placeholders only
                batch,
            )
            found.update(r["user_id"] for r in rows)
        return found
