"""Storage: the SQLite database and the repositories that read and write it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.store.db import Database, DatabaseError
from bot.store.guilds import GuildSettings, GuildSettingsRepository
from bot.store.privacy import MemberData, PrivacyRepository

__all__ = [
    "Database",
    "DatabaseError",
    "GuildSettings",
    "GuildSettingsRepository",
    "MemberData",
    "PrivacyRepository",
    "Store",
]


@dataclass(frozen=True)
class Store:
    """Every repository, built once over one database and handed to the cogs."""

    db: Database
    guilds: GuildSettingsRepository
    privacy: PrivacyRepository

    @classmethod
    def build(cls, db: Database, clock: Clock) -> Store:
        """Build the repositories over `db`."""
        return cls(db=db, guilds=GuildSettingsRepository(db, clock), privacy=PrivacyRepository(db))
