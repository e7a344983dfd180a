"""The bot: a `commands.Bot` built in `__main__` from settings, storage and an optional LLM client."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.calendar_feed import CalendarFeedServer
from bot.clock import Clock, SystemClock
from bot.errors import ensure_guild_ready, guild_ready, report_interaction_error
from bot.looplag import LoopLagMonitor
from bot.scheduler import Scheduler
from bot.services.catalog import CatalogService
from bot.services.discussions import DiscussionService
from bot.settings import Settings
from bot.store import ShardFilter, Store
from bot.ui import ModalRouter
from bot.workers import Workers

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)

# The club never joins voice; discord.py's warnings about missing voice libraries are noise.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

# Explicit, in load order. A feature is one module under cogs/.
EXTENSIONS: tuple[str, ...] = (
    "cogs.club",
    "cogs.catalog",
    "cogs.status",
    "cogs.discussions",
    "cogs.privacy",
    "cogs.polls",
    "cogs.reviews",
    "cogs.summaries",
)


def intents_for(settings: Settings) -> discord.Intents:
    """Return only the gateway intents the enabled features need."""
    intents = discord.Intents.none()
    intents.guilds = True  # channels, roles, threads and our own member object
    intents.guild_messages = True  # thread activity and poll result messages
    intents.guild_polls = True  # poll votes
    intents.guild_scheduled_events = True  # members' "Interested" on discussion events (not privileged)
    # Privileged: reading other members' messages is only needed to summarise threads.
    intents.message_content = settings.summaries_enabled
    return intents


@dataclass(frozen=True)
class RawEventUser:
    """A GUILD_SCHEDULED_EVENT_USER_ADD or _REMOVE, by ids alone (developers/events/gateway-events.mdx)."""

    guild_id: int
    event_id: int
    user_id: int

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> RawEventUser:
        """Read the gateway payload's three snowflakes."""
        return cls(int(data["guild_id"]), int(data["guild_scheduled_event_id"]), int(data["user_id"]))


def dispatch_raw_event_users(bot: discord.Client) -> None:
    """Make the client also dispatch `raw_scheduled_event_user_add` / `_remove` for every such event.

    discord.py 2.7 only dispatches `scheduled_event_user_add` when the user is in its cache, which without
    the privileged members intent holds few members: most "Interested" clicks would be dropped. discord.py
    offers no raw variant, so its parser for the two events is wrapped (the original still runs).
    """
    parsers: dict[str, Callable[[Any], None]] = bot._connection.parsers  # private: no public hook

    def wrap(event: str, name: str) -> None:
        original = parsers[event]

        def parse(data: Any) -> None:
            bot.dispatch(name, RawEventUser.from_payload(data))
            original(data)

        parsers[event] = parse

    wrap("GUILD_SCHEDULED_EVENT_USER_ADD", "raw_scheduled_event_user_add")
    wrap("GUILD_SCHEDULED_EVENT_USER_REMOVE", "raw_scheduled_event_user_remove")


def served_shards(shard_count: int | None, shard_ids: Sequence[int] | None) -> ShardFilter | None:
    """Return the shards whose guilds this process serves: None when it runs every shard."""
    if shard_count is None or shard_ids is None or set(shard_ids) >= set(range(shard_count)):
        return None
    return ShardFilter(shard_count, tuple(sorted(set(shard_ids))))


def scheduler_poll(settings: Settings, *, shared: bool) -> timedelta | None:
    """Return how often the scheduler looks for timers other processes scheduled (only on a shared store)."""
    if not shared or settings.scheduler_poll_seconds <= 0:
        return None
    return timedelta(seconds=settings.scheduler_poll_seconds)


def scheduler_lease(settings: Settings) -> timedelta:
    """Return how long the scheduler's claims on due timers live (how long a dead process's timers wait)."""
    return timedelta(seconds=settings.scheduler_lease_seconds)


class BookClubTree(app_commands.CommandTree["BookClubBot"]):
    """The command tree, with one error path for every slash command."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse a command from a guild this process has not received yet (answered by `on_error`)."""
        if interaction.type is discord.InteractionType.autocomplete:
            # No message can answer an autocomplete; while the guild is missing it gets no choices.
            return guild_ready(interaction)
        ensure_guild_ready(interaction)
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Turn any command failure into an ephemeral reply."""
        await report_interaction_error(interaction, error)


class BookClubBot(commands.AutoShardedBot):
    """The book club bot; everything it needs is passed in.

    Sharded by discord.py: with no `shard_count` it runs the shard count Discord recommends
    (GET /gateway/bot; one shard below 1,000 servers), all in this process; `shard_count` and
    `shard_ids` run a chosen range of shards (`python -m bot run --shard-count 16 --shards 0-3`).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        llm: AsyncOpenAI | None = None,
        clock: Clock | None = None,
        workers: Workers | None = None,
        extensions: Sequence[str] = EXTENSIONS,
        review_fetch_options: Mapping[str, Any] | None = None,
        freeze_heap: bool = False,
        **options: Any,
    ) -> None:
        options.setdefault("intents", intents_for(settings))
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=BookClubTree,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        dispatch_raw_event_users(self)
        self.settings = settings
        self.store = store
        self.llm = llm
        self.clock: Clock = clock or SystemClock()
        # The guilds of this process's shards: only their timers run here (handlers need the guild in this
        # process's gateway cache), and only their open polls are reconciled here at start.
        self.shard_filter = served_shards(self.shard_count, self.shard_ids)
        # The one scheduler; features register their handlers in cog_load. It runs once connected.
        self.scheduler = Scheduler(
            store.timers,
            self.clock,
            ready=self.wait_until_ready,
            shards=self.shard_filter,
            lease=scheduler_lease(settings),
            poll=scheduler_poll(settings, shared=store.timers.shared),
        )
        # Scheduling discussions is shared: the /discussion commands, date polls and the catalog use it.
        self.discussions = DiscussionService(store, self.scheduler, self.clock, self)
        # The catalog's multi-step operations (current, finish, remove), one owner each.
        self.catalog = CatalogService(
            store.catalog, store.guilds, store.reviews, store.discussions, self.discussions
        )
        # CPU-bound jobs go to worker processes; a pool the bot built itself is closed with it.
        self._owns_workers = workers is None
        self.workers = workers or Workers()
        self.loop_lag = LoopLagMonitor()
        # The calendar feed's HTTP listener exists only when a port is configured; the club feature fills it.
        self.calendar_feed: CalendarFeedServer | None = None
        if settings.calendar_feed_port is not None:
            self.calendar_feed = CalendarFeedServer(
                store.calendar_feeds,
                self.clock,
                host=settings.calendar_feed_host,
                port=settings.calendar_feed_port,
                public_url=settings.calendar_feed_url,
            )
        # Modal submissions are answered from their custom id; features add their modals in cog_load.
        self.modals = ModalRouter()
        self._extensions = tuple(extensions)
        # How `/review feature url:` reaches the web: tests pass their own resolver and route.
        self.review_fetch_options: Mapping[str, Any] = dict(review_fetch_options or {})
        # Whether the first ready moves what start-up built (features, command tree, gateway caches) out
        # of the cyclic garbage collector's sight: `python -m bot` does, since the bot is the process;
        # tests, which start many bots in one process, do not.
        self._freeze_heap = freeze_heap

    async def load_features(self) -> None:
        """Load every feature extension (no connection needed)."""
        for name in self._extensions:
            if name not in self.extensions:
                await self.load_extension(name)

    async def setup_hook(self) -> None:
        """End jobs a stopped process left running, load features, open the feed; sync only to the dev guild."""
        self.loop_lag.start()
        # Before any command runs: a summary job cut off by a crash or restart would otherwise block its
        # member and thread for good (it stays in their cooldown, counted from when it started).
        interrupted = await self.store.summaries.end_interrupted()
        if interrupted:
            log.warning("Ended %d summary job(s) cut off by the last stop", interrupted)
        if not self.store.timers.shared:
            # A SQLite file serves one bot process: claims left in it are a killed process's, not a live one's.
            taken = await self.store.timers.release_every_claim()
            if taken:
                log.warning("Took back %d timer claim(s) a stopped process left", taken)
        await self.load_features()
        if self.calendar_feed is not None:
            await self.calendar_feed.start()
        self.scheduler.start()
        if self.settings.dev_guild_id is not None:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to dev guild %s", len(synced), guild.id)

    async def close(self) -> None:
        """Close the feed, stop the scheduler (timers stay stored), disconnect, then the lag monitor and workers."""
        if self.calendar_feed is not None:
            await self.calendar_feed.stop()
        await self.scheduler.stop()
        try:
            await super().close()
        finally:
            if self.llm is not None:
                await self.llm.close()  # its HTTP connections belong to this event loop
            await self.loop_lag.stop()
            if self._owns_workers:
                self.workers.close()

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Dispatch as discord.py does, and hand modal submissions to the one router.

        Only a modal submission gets the router's task: an `on_interaction` listener would cost every
        click and command a task that does nothing (a button click is otherwise one task).
        """
        super().dispatch(event_name, *args, **kwargs)
        if event_name == "interaction" and args[0].type is discord.InteractionType.modal_submit:
            # As a listener would run it: its own task, an exception reaching `on_error`.
            self._schedule_event(self.modals.dispatch, "on_interaction", *args)

    async def on_ready(self) -> None:
        """Log who we are once connected."""
        assert self.user is not None
        log.info("Connected as %s (%s) to %d servers", self.user, self.user.id, len(self.guilds))
        if self._freeze_heap:
            self._freeze_heap = False  # once: a later ready (a reconnect) keeps collecting what came since
            # The start-up objects live as long as the process, yet each full collection would walk them
            # all again, a cost every click pays its share of (twice the baseline's GC time in
            # bench/status_clicks.py). Garbage is collected first, so only live objects are frozen;
            # reference counting still frees them when dropped, only a cycle among them would stay.
            gc.collect()
            gc.freeze()
            log.debug("Froze %d start-up objects out of the cyclic collector", gc.get_freeze_count())
