"""Members' "Interested" on discussion events: kept as Discord reports it, reconciled after downtime."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.locks import BackgroundRun
from bot.store import Discussion

if TYPE_CHECKING:
    from bot.client import RawEventUser
    from bot.services.discussions.runner import DiscussionRunner
    from bot.services.gateway import Gateway
    from bot.store import Store

log = logging.getLogger(__name__)

# Discord's page size for GET /guilds/{id}/scheduled-events/{id}/users ("up to maximum 100").
EVENT_USERS_PAGE = 100


class InterestTracker:
    """Store who is interested in the club's scheduled and open discussions."""

    def __init__(self, store: Store, gateway: Gateway, runner: DiscussionRunner) -> None:
        self.store = store
        self.gateway = gateway
        # An open gated discussion's join offer goes to members as soon as they are interested.
        self.runner = runner
        self.reconciling = BackgroundRun(self.reconcile_all, name="bookclub-interest-reconcile")

    async def _discussion(self, payload: RawEventUser) -> Discussion | None:
        d = await self.store.discussions.by_event(payload.guild_id, payload.event_id)
        # Once a discussion has ended its interest is history: the counts stay as they were at the close.
        if d is None or d.state not in ("scheduled", "opening", "open"):
            return None
        return d

    async def added(self, payload: RawEventUser) -> None:
        """Record a member's Interested click on a discussion's event (other events are not the club's)."""
        d = await self._discussion(payload)
        if d is None or not await self.store.participation.add_interest(d.id, payload.user_id):
            return
        log.debug("Member %s is interested in discussion %s", payload.user_id, d.id)
        if d.state == "open":
            self.runner.offer_to_interested(d.guild_id, d.id, [payload.user_id])

    async def removed(self, payload: RawEventUser) -> None:
        """Forget an Interested the member took back."""
        d = await self._discussion(payload)
        if d is not None:
            await self.store.participation.remove_interest(d.id, payload.user_id)

    async def discord_interested(self, guild: discord.Guild, event_id: int) -> set[int]:
        """Return everyone Discord lists as interested in an event, reading every page."""
        event = guild.get_scheduled_event(event_id) or await guild.fetch_scheduled_event(event_id)
        found: set[int] = set()
        after: discord.abc.Snowflake | None = None
        while True:
            # One page per call: Discord returns users in ascending id order, and discord.py's iterator,
            # left to page on its own, would continue from the first id of a page instead of the last.
            page = [u.id async for u in event.users(limit=EVENT_USERS_PAGE, after=after)]
            found.update(page)
            if len(page) < EVENT_USERS_PAGE:
                return found
            after = discord.Object(max(page))

    async def reconcile(self, guild: discord.Guild, d: Discussion) -> tuple[int, int]:
        """Make a discussion's stored interest equal Discord's list; return (added, removed)."""
        assert d.event_id is not None
        truth = await self.discord_interested(guild, d.event_id)
        changed = await self.store.participation.replace_interest(d.id, truth)
        if any(changed):
            log.info("Discussion %s interest reconciled with Discord: %d added, %d removed", d.id, *changed)
        return changed

    async def reconcile_all(self) -> None:
        """Reconcile every scheduled or open discussion of every guild the bot is in (after a start)."""
        for guild in list(self.gateway.guilds):
            for d in await self.store.discussions.active(guild.id):
                if d.event_id is None:
                    continue
                try:
                    await self.reconcile(guild, d)
                    if d.state == "open":
                        # Offers an interrupted opening did not get to, and interest added meanwhile.
                        self.runner.offer_to_interested(guild.id, d.id)
                except discord.NotFound:
                    log.info("Discussion %s: its event is gone; keeping the interest recorded", d.id)
                except discord.HTTPException:
                    log.warning("Discussion %s: could not read its event's interest now", d.id, exc_info=True)

    def start_reconciling(self) -> None:
        """Reconcile in the background, once at a time."""
        self.reconciling.start()

    async def stop_reconciling(self) -> None:
        """Cancel a reconciliation still running (at shutdown); the next start runs it again."""
        await self.reconciling.stop()
