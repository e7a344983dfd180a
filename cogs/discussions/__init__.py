"""`/discussion`: scheduled, spoiler-scoped discussion threads, reading plans and reminders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.discussions._cog import DiscussionCog

if TYPE_CHECKING:
    from bot.client import BookClubBot

__all__ = ["DiscussionCog", "setup"]


async def setup(bot: BookClubBot) -> None:
    """Register the cog."""
    await bot.add_cog(
        DiscussionCog(
            bot,
            store=bot.store,
            service=bot.discussions,
            scheduler=bot.scheduler,
            clock=bot.clock,
            workers=bot.workers,
        )
    )
