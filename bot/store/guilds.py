"""Per-guild club settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.clock import Clock
from bot.store.db import Database, Row, Transaction

SpoilerMode = Literal["tagged", "gated"]
SPOILER_MODES: tuple[SpoilerMode, ...] = ("tagged", "gated")


@dataclass(frozen=True)
class GuildSettings:
    """How one club is configured."""

    guild_id: int
    organizer_role_id: int | None = None
    timezone: str = "UTC"
    announcement_channel_id: int | None = None
    discussion_channel_id: int | None = None
    spoiler_mode: SpoilerMode = "tagged"
    current_book_id: int | None = None
    current_adaptation_id: int | None = None
    discussion_tag_id: int | None = None


_COLUMNS = (
    "organizer_role_id",
    "timezone",
    "announcement_channel_id",
    "discussion_channel_id",
    "spoiler_mode",
    "current_book_id",
    "current_adaptation_id",
    "discussion_tag_id",
)


def _from_row(row: Row) -> GuildSettings:
    return GuildSettings(guild_id=row["guild_id"], **{c: row[c] for c in _COLUMNS})


class GuildSettingsRepository:
    """Read and change a guild's settings."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, guild_id: int) -> GuildSettings:
        """Return the guild's settings, or the defaults when it has never been set up."""
        row = await self._db.fetch_one("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return _from_row(row) if row else GuildSettings(guild_id=guild_id)

    async def is_configured(self, guild_id: int) -> bool:
        """Say whether `/club setup` has been run in this guild."""
        row = await self._db.fetch_one("SELECT 1 FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return row is not None

    async def update(self, guild_id: int, **changes: object) -> GuildSettings:
        """Set the given columns (creating the row if needed) and return the new settings."""
        unknown = set(changes) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown guild settings: {sorted(unknown)}")
        now = self._clock.now().isoformat()

        async def write(tx: Transaction) -> Row | None:
            await tx.execute(
                "INSERT INTO guild_settings (guild_id, updated_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (guild_id, now),
            )
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                await tx.execute(
                    f"UPDATE guild_settings SET {assignments}, updated_at = ? WHERE guild_id = ?",  # noqa: S608 - columns are whitelisted
                    (*changes.values(), now, guild_id),
                )
            return await tx.fetch_one("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,))

        row = await self._db.atomic(write)
        assert row is not None
        return _from_row(row)
