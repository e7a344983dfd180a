"""Storage: the database (SQLite or PostgreSQL) and the repositories that read and write it.

What a repository keeps in memory is a `bot.store.cache.GuildCache`, dropped on every committed change
announced by any process sharing the database (`Transaction.changed`, `Database.on_change`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.store.calendar_feeds import CalendarFeed, CalendarFeedRepository
from bot.store.catalog import CatalogRepository, DuplicateWork, NewWork, ShorterThanProgress, Suggestion
from bot.store.connect import open_database
from bot.store.db import (
    Database,
    DatabaseBusy,
    DatabaseError,
    IntegrityError,
    Row,
    Transaction,
    WriteConflict,
)
from bot.store.discussions import Discussion, DiscussionRepository, NewDiscussion
from bot.store.guilds import GuildSettings, GuildSettingsRepository
from bot.store.imports import IMPORT_PREVIEW_TTL, ImportPreviewRepository, StoredImport
from bot.store.nominations import Nomination, NominationRepository, NominationRound, RoundKinds
from bot.store.participation import OwnPart, ParticipationCounts, ParticipationRepository
from bot.store.polls import NewOption, Poll, PollClosed, PollKind, PollOption, PollRepository, VoteOp
from bot.store.privacy import MemberData, PrivacyRepository
from bot.store.reviews import (
    Draft,
    Finished,
    NewFeatured,
    RatingSummary,
    Review,
    ReviewKind,
    ReviewRepository,
)
from bot.store.series import NewSeries, Series, SeriesRepository
from bot.store.statuses import StatusChange, StatusRecord, StatusRejected, StatusRepository, StatusUpdate
from bot.store.summaries import (
    AlreadySummarizing,
    BudgetSpent,
    CoolingDown,
    DayUsage,
    JobOutcome,
    OverBudget,
    StoredSummary,
    SummaryJob,
    SummaryRefused,
    SummaryRepository,
)
from bot.store.timers import ShardFilter, Timer, TimerRepository

__all__ = [
    "IMPORT_PREVIEW_TTL",
    "AlreadySummarizing",
    "BudgetSpent",
    "CalendarFeed",
    "CalendarFeedRepository",
    "CatalogRepository",
    "CoolingDown",
    "Database",
    "DatabaseBusy",
    "DatabaseError",
    "DayUsage",
    "Discussion",
    "DiscussionRepository",
    "Draft",
    "DuplicateWork",
    "Finished",
    "GuildSettings",
    "GuildSettingsRepository",
    "ImportPreviewRepository",
    "IntegrityError",
    "JobOutcome",
    "MemberData",
    "NewDiscussion",
    "NewFeatured",
    "NewOption",
    "NewSeries",
    "NewWork",
    "Nomination",
    "NominationRepository",
    "NominationRound",
    "OverBudget",
    "OwnPart",
    "ParticipationCounts",
    "ParticipationRepository",
    "Poll",
    "PollClosed",
    "PollKind",
    "PollOption",
    "PollRepository",
    "PrivacyRepository",
    "RatingSummary",
    "Review",
    "ReviewKind",
    "ReviewRepository",
    "RoundKinds",
    "Row",
    "Series",
    "SeriesRepository",
    "ShardFilter",
    "ShorterThanProgress",
    "StatusChange",
    "StatusRecord",
    "StatusRejected",
    "StatusRepository",
    "StatusUpdate",
    "Store",
    "StoredImport",
    "StoredSummary",
    "Suggestion",
    "SummaryJob",
    "SummaryRefused",
    "SummaryRepository",
    "Timer",
    "TimerRepository",
    "Transaction",
    "VoteOp",
    "WriteConflict",
    "open_database",
]


@dataclass(frozen=True)
class Store:
    """Every repository, built once over one database and handed to the cogs."""

    db: Database
    guilds: GuildSettingsRepository
    privacy: PrivacyRepository
    catalog: CatalogRepository
    statuses: StatusRepository
    polls: PollRepository
    nominations: NominationRepository
    reviews: ReviewRepository
    timers: TimerRepository
    discussions: DiscussionRepository
    participation: ParticipationRepository
    series: SeriesRepository
    summaries: SummaryRepository
    calendar_feeds: CalendarFeedRepository
    imports: ImportPreviewRepository

    @classmethod
    def build(cls, db: Database, clock: Clock) -> Store:
        """Build the repositories over `db`."""
        return cls(
            db=db,
            guilds=GuildSettingsRepository(db, clock),
            privacy=PrivacyRepository(db),
            catalog=CatalogRepository(db, clock),
            statuses=StatusRepository(db, clock),
            polls=PollRepository(db, clock),
            nominations=NominationRepository(db, clock),
            reviews=ReviewRepository(db, clock),
            timers=TimerRepository(db, clock),
            discussions=DiscussionRepository(db, clock),
            participation=ParticipationRepository(db, clock),
            series=SeriesRepository(db, clock),
            summaries=SummaryRepository(db, clock),
            calendar_feeds=CalendarFeedRepository(db, clock),
            imports=ImportPreviewRepository(db, clock),
        )
