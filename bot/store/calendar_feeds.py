"""Calendar feed secrets: made here, shown once, stored only as a hash, found again by that hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.store.db import Database

SECRET_BYTES = 32  # 256 bits: guessing is hopeless, so a plain (unsalted) hash is enough to store it


def hash_secret(secret: str) -> str:
    """Return the stored form of a feed secret (hex SHA-256)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class CalendarFeed:
    """A club's feed, without its secret (only its hash is stored, and never leaves this module)."""

    guild_id: int
    created_at: datetime


class CalendarFeedRepository:
    """Create, rotate and resolve clubs' calendar feed secrets."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, guild_id: int) -> CalendarFeed | None:
        """Return the club's feed, if it has one."""
        row = await self._db.fetch_one(
            "SELECT guild_id, created_at FROM calendar_feeds WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return None
        return CalendarFeed(row["guild_id"], datetime.fromisoformat(row["created_at"]))

    async def create(self, guild_id: int) -> str | None:
        """Give the club a feed and return its secret; None when it already has one (kept as it is)."""
        secret = secrets.token_urlsafe(SECRET_BYTES)
        created = await self._db.execute_atomic(
            "INSERT INTO calendar_feeds (guild_id, secret_hash, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id) DO NOTHING",
            (guild_id, hash_secret(secret), self._clock.now().isoformat()),
        )
        return secret if created == 1 else None

    async def rotate(self, guild_id: int) -> str:
        """Replace the club's secret (creating the feed if needed) and return the new one."""
        secret = secrets.token_urlsafe(SECRET_BYTES)
        await self._db.execute_atomic(
            "INSERT INTO calendar_feeds (guild_id, secret_hash, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET secret_hash = excluded.secret_hash,"
            " created_at = excluded.created_at",
            (guild_id, hash_secret(secret), self._clock.now().isoformat()),
        )
        return secret

    async def guild_for(self, secret: str) -> int | None:
        """Return the club whose feed `secret` opens, or None for an unknown or rotated one.

        The lookup is by hash, so how far the index search gets says something about a hash, never about
        the secret; every secret, well-formed or not, takes the same path (hash, one indexed read).
        """
        digest = hash_secret(secret)
        row = await self._db.fetch_one(
            "SELECT guild_id, secret_hash FROM calendar_feeds WHERE secret_hash = ?", (digest,)
        )
        if row is None or not hmac.compare_digest(row["secret_hash"], digest):
            return None
        return int(row["guild_id"])
