"""Discord's REST API under /api/v10, one module per resource; `mount` registers them all."""

from __future__ import annotations

from collections.abc import Callable

from ..events import Events
from ..messages import MessageService
from ..polls import PollService
from ..routing import Router
from ..scheduled_events import ScheduledEventService
from ..threads import ThreadService
from ..world import World
from .channels_messages import ChannelMessageRoutes
from .commands import CommandRoutes
from .guild import GuildRoutes
from .polls import PollRoutes
from .scheduled_events import ScheduledEventRoutes
from .threads import ThreadRoutes
from .users import UserRoutes

__all__ = [
    "ChannelMessageRoutes",
    "CommandRoutes",
    "GuildRoutes",
    "PollRoutes",
    "ScheduledEventRoutes",
    "ThreadRoutes",
    "UserRoutes",
    "mount",
]


def mount(
    router: Router,
    *,
    world: World,
    events: Events,
    messages: MessageService,
    threads: ThreadService,
    polls: PollService,
    scheduled: ScheduledEventService,
    gateway_url: Callable[[], str],
    gateway_shards: Callable[[], tuple[int, int]],
    content_intent: Callable[[], bool],
) -> None:
    """Register every bot-token REST route (interactions and webhooks register themselves)."""
    UserRoutes(world, gateway_url, gateway_shards).register(router)
    CommandRoutes(world, events).register(router)
    GuildRoutes(world, events).register(router)
    ScheduledEventRoutes(world, scheduled).register(router)
    ChannelMessageRoutes(world, events, messages, threads, content_intent).register(router)
    ThreadRoutes(world, events, messages, threads).register(router)
    PollRoutes(world, polls).register(router)
