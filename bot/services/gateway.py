"""What the services need of Discord itself: the cached guilds and users, and fetching a user.

The bot satisfies this protocol; a service is given it instead of the whole bot, so a service's
dependencies are its constructor's parameters and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import discord


class Gateway(Protocol):
    """The connected client, seen from a service: look guilds and users up, fetch a user."""

    @property
    def guilds(self) -> Sequence[discord.Guild]:
        """Return the guilds the bot is in (cached)."""
        ...

    def get_guild(self, id: int, /) -> discord.Guild | None:
        """Return a cached guild, or None when the bot is not in it (or not connected yet)."""
        ...

    def get_user(self, id: int, /) -> discord.User | None:
        """Return a cached user, or None."""
        ...

    async def fetch_user(self, user_id: int, /) -> discord.User:
        """Fetch a user over REST."""
        ...
