"""`/status`: each member's "read it / watched it" status, progress, imports and export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.status._cog import StatusCog

if TYPE_CHECKING:
    from bot.client import BookClubBot

__all__ = ["StatusCog", "setup"]


async def setup(bot: BookClubBot) -> None:
    """Register the cog."""
    await bot.add_cog(
        StatusCog(
            bot,
            catalog=bot.store.catalog,
            statuses=bot.store.statuses,
            guilds=bot.store.guilds,
            previews=bot.store.imports,
            workers=bot.workers,
        )
    )
