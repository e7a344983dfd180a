"""`/review`: featured reviews from a file or a web page, members' reviews and ratings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.reviews._cog import ReviewCog
from cogs.reviews._fetch import GuardedFetcher

if TYPE_CHECKING:
    from bot.client import BookClubBot

__all__ = ["ReviewCog", "setup"]


async def setup(bot: BookClubBot) -> None:
    """Register the cog."""
    # Built here, not by the test or the bot: discord.py reloads a feature's modules with the feature,
    # so its exception classes must come from the copy that is loaded.
    options = {"allow_private": bot.settings.review_fetch_allow_private, **bot.review_fetch_options}
    fetcher = GuardedFetcher(**options)
    await bot.add_cog(ReviewCog(bot, store=bot.store, fetcher=fetcher, workers=bot.workers))
