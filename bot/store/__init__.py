"""Storage: the SQLite database and the repositories that read and write it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.store.catalog import CatalogRepository, DuplicateWork, NewWork, ShorterThanProgress, Suggestion
from bot.store.db import Database, DatabaseError
from bot.store.guilds import GuildSettings, GuildSettingsRepository
from bot.store.privacy import MemberData, PrivacyRepository
from bot.store.statuses import StatusChange, StatusRecord, StatusRejected, StatusRepository, StatusUpdate
from bot.store.timers import Timer, TimerRepository

__all__ = [
    "CatalogRepository",
    "Database",
    "DatabaseError",
    "DuplicateWork",
    "GuildSettings",
    "GuildSettingsRepository",
    "MemberData",
    "NewWork",
    "PrivacyRepository",
    "ShorterThanProgress",
    "StatusChange",
    "StatusRecord",
    "StatusRejected",
    "StatusRepository",
    "StatusUpdate",
    "Store",
    "Suggestion",
    "Timer",
    "TimerRepository",
]


@dataclass(frozen=True)
class Store:
    """Every repository, built once over one database and handed to the cogs."""

    db: Database
    guilds: GuildSettingsRepository
    privacy: PrivacyRepository
    catalog: CatalogRepository
    statuses: StatusRepository
    timers: TimerRepository

    @classmethod
    def build(cls, db: Database, clock: Clock) -> Store:
        """Build the repositories over `db`."""
        return cls(
            db=db,
            guilds=GuildSettingsRepository(db, clock),
            privacy=PrivacyRepository(db),
            catalog=CatalogRepository(db, clock),
            statuses=StatusRepository(db, clock),
            timers=TimerRepository(db, clock),
        )
