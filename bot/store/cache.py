"""Per-guild caches of database reads, kept coherent across every process sharing the database.

A repository that keeps something in memory holds it in a `GuildCache` under a topic, and announces
each write that changes it with `await tx.changed(topic, guild_id)` inside the write's transaction.
The database calls every process's subscribers once that commits (see `bot.store.db`), and the cache
drops the guild's entry. A read that raced a change is not kept: each guild has a generation, raised
by every change, and a load that started before one is returned but not stored. Nothing is stored
either while the database cannot promise to hear other processes' changes (`Database.changes_heard`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from bot.store.db import Database

V = TypeVar("V")


class GuildCache(Generic[V]):
    """One value per guild, read through `get` and dropped on every change to its topic."""

    def __init__(self, db: Database, topic: str) -> None:
        self._db = db
        self.topic = topic
        self._values: dict[int, V] = {}
        # Raised per guild by each change to it, and all at once (the epoch) by a change to every guild.
        self._generations: dict[int, int] = {}
        self._epoch = 0
        db.on_change(topic, self.forget)

    def peek(self, guild_id: int) -> V | None:
        """Return the guild's value when it is in memory, else None (no query)."""
        return self._values.get(guild_id)

    async def get(self, guild_id: int, load: Callable[[], Awaitable[V]]) -> V:
        """Return the guild's value, loading it when it is not in memory (and keeping it if still current)."""
        value = self._values.get(guild_id)
        if value is not None:
            return value
        stamp = self._stamp(guild_id)
        heard = self._db.changes_heard
        value = await load()
        if heard and stamp == self._stamp(guild_id):
            self._values[guild_id] = value
        return value

    def forget(self, guild_id: int | None) -> None:
        """Drop the guild's value (every guild's for None); a load under way is not kept."""
        if guild_id is None:
            self._values.clear()
            self._generations.clear()
            self._epoch += 1
        else:
            self._values.pop(guild_id, None)
            self._generations[guild_id] = self._generations.get(guild_id, 0) + 1

    def _stamp(self, guild_id: int) -> tuple[int, int]:
        return self._epoch, self._generations.get(guild_id, 0)
