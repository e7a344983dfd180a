"""`/privacy`: a member sees and deletes what the bot stores about them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.privacy._cog import PrivacyCog

if TYPE_CHECKING:
    from bot.client import BookClubBot

__all__ = ["PrivacyCog", "setup"]


async def setup(bot: BookClubBot) -> None:
    """Register the cog."""
    await bot.add_cog(PrivacyCog(bot, store=bot.store))
