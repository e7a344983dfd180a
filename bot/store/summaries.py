"""Stored thread summaries, the LLM tokens each club spends a day, and members' opt-outs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.store.db import Database


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


def _summary(row: sqlite3.Row) -> StoredSummary:
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
        async with self._db.transaction() as tx:
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
                "INSERT OR IGNORE INTO summary_authors (summary_id, user_id) VALUES (?, ?)",
                [(row["id"], uid) for uid in set(author_ids)],
            )
        return _summary(row)

    async def discard(self, guild_id: int, thread_id: int) -> bool:
        """Delete the thread's summary (its scope changed); return whether there was one."""
        removed = await self._db.execute_atomic(
            "DELETE FROM summaries WHERE guild_id = ? AND thread_id = ?", (guild_id, thread_id)
        )
        return removed > 0

    def _today(self) -> str:
        return self._clock.now().date().isoformat()

    async def add_usage(self, guild_id: int, prompt_tokens: int, completion_tokens: int) -> None:
        """Count one model call against the club's day."""
        await self._db.execute_atomic(
            """
            INSERT INTO summary_usage (guild_id, day, calls, prompt_tokens, completion_tokens)
            VALUES (?, ?, 1, ?, ?)
            ON CONFLICT (guild_id, day) DO UPDATE SET
                calls = calls + 1,
                prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                completion_tokens = completion_tokens + excluded.completion_tokens
            """,
            (guild_id, self._today(), prompt_tokens, completion_tokens),
        )

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
                "INSERT OR IGNORE INTO summary_opt_outs (user_id, created_at) VALUES (?, ?)",
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
