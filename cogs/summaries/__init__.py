"""`/summarize`: an LLM summary of a thread, shown only to the thread's own audience."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.summaries._cog import SummariesCog

if TYPE_CHECKING:
    from bot.client import BookClubBot

__all__ = ["SummariesCog", "setup"]


async def setup(bot: BookClubBot) -> None:
    """Register the cog."""
    await bot.add_cog(SummariesCog(bot, store=bot.store, settings=bot.settings, llm=bot.llm, clock=bot.clock))
