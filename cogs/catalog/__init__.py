"""`/book`: the club's catalog of books and their film or series adaptations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.catalog._cog import CatalogCog

if TYPE_CHECKING:
    from bot.client import BookClubBot

__all__ = ["CatalogCog", "setup"]


async def setup(bot: BookClubBot) -> None:
    """Register the cog."""
    await bot.add_cog(
        CatalogCog(
            bot,
            catalog=bot.store.catalog,
            guilds=bot.store.guilds,
            statuses=bot.store.statuses,
            catalog_service=bot.catalog,
            clock=bot.clock,
            workers=bot.workers,
        )
    )
