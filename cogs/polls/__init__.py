"""`/poll`, `/nominations`, `/nominate`: native polls with every vote kept, nominations, ranked choice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.polls._cog import PollsCog, results_view
from cogs.polls._nominations import NominationsCog
from cogs.polls._service import PollService

if TYPE_CHECKING:
    from bot.client import BookClubBot

__all__ = ["NominationsCog", "PollsCog", "setup"]


async def setup(bot: BookClubBot) -> None:
    """Register the cogs."""
    service = PollService(
        bot,
        store=bot.store,
        scheduler=bot.scheduler,
        clock=bot.clock,
        results_view=results_view,
        shards=bot.shard_filter,
    )
    await bot.add_cog(PollsCog(bot, service=service, scheduler=bot.scheduler, clock=bot.clock))
    await bot.add_cog(NominationsCog(bot, store=bot.store, service=service, workers=bot.workers))
