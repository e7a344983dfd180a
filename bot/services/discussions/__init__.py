"""Discussions shared by every feature: scheduling (with their Discord events and timers) and their life.

The `/discussion` cog, date polls and the catalog all go through the one `DiscussionService` the bot
builds (`bot.discussions`), so a discussion is always created, scheduled and removed the same way.
"""

from bot.services.discussions.service import (
    DEFAULT_MINUTES,
    DiscussionService,
    EventLimitReached,
    check_events_permission,
    mode_label,
)

__all__ = [
    "DEFAULT_MINUTES",
    "DiscussionService",
    "EventLimitReached",
    "check_events_permission",
    "mode_label",
]
