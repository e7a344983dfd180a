"""Creating and removing discussions: validation, storage, the scheduled event and the timers."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import discord

from bot.domain import Work
from bot.errors import NotConfigured, UserError
from bot.locks import KeyedLocks
from bot.services.discussions import render
from bot.services.discussions.runner import DiscussionRunner, discussion_channel
from bot.store import Discussion, GuildSettings, NewDiscussion
from bot.when import format_when

if TYPE_CHECKING:
    from bot.client import BookClubBot

log = logging.getLogger(__name__)

DEFAULT_MINUTES = 90
# Discord's "Maximum number of uncompleted guild scheduled events reached (100)".
MAX_EVENTS_REACHED = 30038


def mode_label(mode: str, channel: discord.abc.GuildChannel) -> str:
    """Say what kind of thread a discussion gets: forum posts are always public (tagged)."""
    if isinstance(channel, discord.ForumChannel):
        return "tagged forum post"
    return "gated (private) thread" if mode == "gated" else "tagged (public) thread"


def check_events_permission(guild: discord.Guild) -> None:
    """Raise unless the bot may create the scheduled events that mirror discussions."""
    perms = guild.me.guild_permissions
    if not (perms.create_events or perms.manage_events):
        raise NotConfigured(
            "I need the Create Events permission to put discussions in the server's Events; ask a server admin."
        )


class DiscussionService:
    """Schedule and remove discussions for any feature; the runner carries them through their life."""

    def __init__(self, bot: BookClubBot) -> None:
        self.bot = bot
        self.store = bot.store
        self.runner = DiscussionRunner(bot)
        # Serialises work that must happen once per key (e.g. scheduling a date poll's winner).
        self.locks = KeyedLocks()

    async def where(
        self, guild: discord.Guild
    ) -> tuple[GuildSettings, discord.TextChannel | discord.ForumChannel]:
        """Return the club's settings and discussion channel, or explain what blocks scheduling."""
        settings = await self.store.guilds.get(guild.id)
        channel = discussion_channel(guild, settings)
        check_events_permission(guild)
        return settings, channel

    async def current_work(self, guild_id: int, works: Mapping[int, Work], kind: str = "book") -> Work:
        """Return the club's current book (or, for a screen scope, its current film or series)."""
        settings = await self.store.guilds.get(guild_id)
        wanted = settings.current_adaptation_id if kind == "screen" else settings.current_book_id
        work = works.get(wanted) if wanted else None
        if work is None:
            raise NotConfigured(
                "The club has no current book: name one with `title:`, or choose it with `/book current`."
            )
        return work

    async def create(self, guild: discord.Guild, items: Sequence[NewDiscussion]) -> list[Discussion]:
        """Store discussions, create their events and timers; undo everything if any step fails."""
        settings = await self.store.guilds.get(guild.id)
        channel = discussion_channel(guild, settings)
        works = await self.store.catalog.works(guild.id)
        made = await self.store.discussions.create_many(guild.id, items)
        events: list[discord.ScheduledEvent] = []
        try:
            for d in made:
                event = await self.runner.create_event(guild, d, works, channel)
                events.append(event)
                await self.store.discussions.set_event(d.id, event.id)
                await self.runner.schedule_timers(d)
        except Exception as exc:
            for d in made:
                await self.runner.cancel_timers(d)
                await self.store.discussions.delete(guild.id, d.id)
            for event in events:
                try:
                    await event.delete()
                except discord.HTTPException:
                    log.warning("Could not remove event %s after a failed schedule", event.id, exc_info=True)
            if isinstance(exc, discord.HTTPException) and exc.code == MAX_EVENTS_REACHED:
                raise UserError(
                    "Discord allows 100 upcoming events per server and this one has reached it, so nothing was "
                    "scheduled. Cancel some, or schedule fewer sessions."
                ) from exc
            raise
        return [d for d in [await self.store.discussions.get(guild.id, d.id) for d in made] if d is not None]

    async def schedule_once(
        self, guild: discord.Guild, item: NewDiscussion, *, key: str
    ) -> tuple[Discussion, bool]:
        """Schedule `item` unless a discussion already starts at its time; return it and whether it is new.

        `key` names what asks (e.g. a poll), so two presses at once cannot both create one.
        """
        async with self.locks(key):
            for d in await self.store.discussions.active(guild.id):
                if d.opens_at == item.opens_at:
                    return d, False
            (made,) = await self.create(guild, [item])
            return made, True

    async def wind_down(
        self, guild: discord.Guild, work_id: int, doomed: Sequence[Discussion], works: Mapping[int, Work]
    ) -> None:
        """End the discussions of a title the catalog service just removed.

        The database deleted the discussions about the work with it (a foreign key cascade); one whose
        scope only names it (a film in "book vs film") is deleted here, since its scope would point at
        nothing. Their events, timers and open threads live outside the database, so they end here.
        """
        for d in doomed:
            if d.work_id != work_id:
                await self.store.discussions.delete(guild.id, d.id)
            await self.runner.retire(guild, d, works)
        if doomed:
            log.info(
                "Work %s removed in guild %s with discussions %s", work_id, guild.id, [d.id for d in doomed]
            )

    def confirmation(
        self,
        d: Discussion,
        works: Mapping[int, Work],
        settings: GuildSettings,
        channel: discord.TextChannel | discord.ForumChannel,
    ) -> str:
        """Return what an organizer is told once a discussion is scheduled."""
        return (
            f"Scheduled discussion `{d.id}` of {render.scope_line(d, works)}: opens {format_when(d.opens_at)}, "
            f"closes {format_when(d.closes_at)}, as a {mode_label(settings.spoiler_mode, channel)} in "
            f"{channel.mention}. It is in the server's Events; reminders go to members with a status for it."
        )
