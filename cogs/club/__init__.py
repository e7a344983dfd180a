"""`/club`: organizers configure the club; anyone can see how it is configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.club._cog import ClubCog
from cogs.club._names import GuildNames

if TYPE_CHECKING:
    from bot.client import BookClubBot

__all__ = ["ClubCog", "setup"]


async def setup(bot: BookClubBot) -> None:
    """Register the cog."""
    await bot.add_cog(
        ClubCog(
            guilds=bot.store.guilds,
            catalog=bot.store.catalog,
            discussions=bot.store.discussions,
            participation=bot.store.participation,
            clock=bot.clock,
            feeds=bot.store.calendar_feeds,
            feed_server=bot.calendar_feed,
            guild_names=GuildNames(bot, bot.clock),
        )
    )
