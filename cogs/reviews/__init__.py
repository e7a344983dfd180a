"""`/review`: featured reviews from a file or a web page, members' reviews and ratings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.reviews._cog import ReviewCog

if TYPE_CHECKING:
    from bot.client import BookClubBot

__all__ = ["ReviewCog", "setup"]


async def setup(bot: BookClubBot) -> None:
    """Register the cog."""
    await bot.add_cog(ReviewCog(bot))
