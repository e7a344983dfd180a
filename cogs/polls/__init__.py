"""`/poll`, `/nominations`, `/nominate`: native polls with every vote kept, nominations, ranked choice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.polls._cog import PollsCog
from cogs.polls._nominations import NominationsCog

if TYPE_CHECKING:
    from bot.client import BookClubBot

__all__ = ["NominationsCog", "PollsCog", "setup"]


async def setup(bot: BookClubBot) -> None:
    """Register the cogs."""
    polls = PollsCog(bot, bot.store)
    await bot.add_cog(polls)
    await bot.add_cog(NominationsCog(bot, bot.store, polls.service))
