"""The club's name for its calendar feed, also when another process serves the club's shard.

The feed is read from the shared database, so one process may serve every club's feed (README, "Several
processes"); a club on another process's shards is then not in this process's gateway cache, and its name is
fetched once from Discord (`GET /guilds/{guild.id}`, https://discord.com/developers/docs/resources/guild#get-guild)
and kept for an hour, as calendar apps poll every few hours and a club renames itself rarely.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import discord

from bot.clock import Clock

log = logging.getLogger(__name__)

NAME_TTL = timedelta(hours=1)


class GuildNames:
    """Return a guild's name: from the gateway cache, else from Discord, else None."""

    def __init__(self, client: discord.Client, clock: Clock, ttl: timedelta = NAME_TTL) -> None:
        self._client = client
        self._clock = clock
        self._ttl = ttl
        self._fetched: dict[int, tuple[str, datetime]] = {}

    async def __call__(self, guild_id: int) -> str | None:
        guild = self._client.get_guild(guild_id)
        if guild is not None and not guild.unavailable and guild.name:
            return guild.name
        now = self._clock.now()
        kept = self._fetched.get(guild_id)
        if kept is not None and now - kept[1] < self._ttl:
            return kept[0]
        try:
            fetched = await self._client.fetch_guild(guild_id, with_counts=False)
        except discord.HTTPException:
            log.warning("Could not fetch the name of guild %s for its calendar feed", guild_id, exc_info=True)
            return kept[0] if kept is not None else None
        self._fetched[guild_id] = (fetched.name, now)
        return fetched.name
