"""Status-import previews waiting for the member's confirmation, shared by every bot process."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain import ProgressUnit, State
from bot.errors import NotAllowed
from bot.store.db import Database, Row, Transaction
from bot.store.statuses import StatusUpdate

# How long a preview waits for its member's confirmation before it is purged.
IMPORT_PREVIEW_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class StoredImport:
    """One import preview: what Confirm would record, and (once recorded) what it did."""

    token: str
    guild_id: int
    user_id: int
    updates: list[StatusUpdate]
    # (work id, stars on the source's scale) and which service they came from.
    ratings: list[tuple[int, float]]
    source: str
    created_at: datetime
    expires_at: datetime
    # (statuses, ratings) recorded, once Confirm went through.
    imported: tuple[int, int] | None = None


def _update_json(u: StatusUpdate) -> list[object]:
    unit = u.progress_unit.value if u.progress_unit is not None else None
    return [u.work_id, u.state.value, u.at.isoformat() if u.at else None, unit, u.progress_value]


def _update(item: list[object]) -> StatusUpdate:
    work_id, state, at, unit, value = item
    return StatusUpdate(
        int(str(work_id)),
        State(str(state)),
        ProgressUnit(str(unit)) if unit is not None else None,
        float(str(value)) if value is not None else None,
        datetime.fromisoformat(str(at)) if at else None,
    )


def _stored(r: Row) -> StoredImport:
    imported = None
    if r["imported_at"] is not None:
        imported = (int(r["imported_statuses"]), int(r["imported_ratings"]))
    return StoredImport(
        token=r["token"],
        guild_id=int(r["guild_id"]),
        user_id=int(r["user_id"]),
        updates=[_update(item) for item in json.loads(r["updates"])],
        ratings=[(int(w), float(s)) for w, s in json.loads(r["ratings"])],
        source=r["source"],
        created_at=datetime.fromisoformat(r["created_at"]),
        expires_at=datetime.fromisoformat(r["expires_at"]),
        imported=imported,
    )


class ImportPreviewRepository:
    """Keep, claim and drop import previews; an expired one is purged, never confirmed.

    A preview is its member's: `get` refuses anyone else, and it lives `IMPORT_PREVIEW_TTL`. In the
    database, so any bot process (or one restarted) can confirm it.
    """

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def add(
        self,
        guild_id: int,
        user_id: int,
        updates: Sequence[StatusUpdate],
        ratings: Sequence[tuple[int, float]] = (),
        source: str = "",
    ) -> str:
        """Store a member's preview for `IMPORT_PREVIEW_TTL` (purging expired ones); return its buttons' token."""
        now = self._clock.now()
        token = secrets.token_hex(8)

        async def write(tx: Transaction) -> None:
            await tx.execute("DELETE FROM import_previews WHERE expires_at <= ?", (now.isoformat(),))
            await tx.execute(
                "INSERT INTO import_previews (token, guild_id, user_id, source, updates, ratings, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token,
                    guild_id,
                    user_id,
                    source,
                    json.dumps([_update_json(u) for u in updates]),
                    json.dumps([[w, s] for w, s in ratings]),
                    now.isoformat(),
                    (now + IMPORT_PREVIEW_TTL).isoformat(),
                ),
            )

        await self._db.atomic(write)
        return token

    async def get(self, token: str, user_id: int) -> StoredImport | None:
        """Return a member's live preview (None when unknown, cancelled or expired; an expired one is purged).

        Raise `NotAllowed` when the preview is another member's.
        """
        row = await self._db.fetch_one("SELECT * FROM import_previews WHERE token = ?", (token,))
        if row is None:
            return None
        stored = _stored(row)
        if stored.expires_at <= self._clock.now():
            await self.drop(token)
            return None
        if stored.user_id != user_id:
            raise NotAllowed("This import belongs to someone else; run `/status import` with your own file.")
        return stored

    async def drop(self, token: str) -> None:
        """Delete a preview (cancelled, expired, or its titles left the catalog)."""
        await self._db.execute_atomic("DELETE FROM import_previews WHERE token = ?", (token,))

    async def claim(self, tx: Transaction, token: str, statuses: int, ratings: int) -> bool:
        """Mark a live preview recorded inside the transaction that records it; False if already claimed.

        Run after the writes it records: a concurrent second claim waits for the first transaction
        (SQLite's single writer, PostgreSQL's row lock) and then finds `imported_at` set.
        """
        now = self._clock.now().isoformat()
        changed = await tx.execute(
            "UPDATE import_previews SET imported_at = ?, imported_statuses = ?, imported_ratings = ?"
            " WHERE token = ? AND imported_at IS NULL AND expires_at > ?",
            (now, statuses, ratings, token, now),
        )
        return changed == 1
