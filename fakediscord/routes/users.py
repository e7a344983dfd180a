"""REST routes for the bot user, DMs, the application and the gateway URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import payloads
from ..errors import unknown
from ..routing import RestRequest, Router
from ..world import ChannelType, World
from .base import RouteBase


class UserRoutes(RouteBase):
    """Serve /users, /applications/@me and /gateway."""

    def __init__(
        self, world: World, gateway_url: Callable[[], str], gateway_shards: Callable[[], tuple[int, int]]
    ) -> None:
        super().__init__(world)
        self._gateway_url = gateway_url
        self._gateway_shards = gateway_shards  # (recommended shards, max_concurrency)

    def register(self, router: Router) -> None:
        """Add these routes to `router`."""
        r = router.add
        r("GET", "/users/@me", self.get_me)
        r("GET", "/users/{user_id}", self.get_user)
        r("POST", "/users/@me/channels", self.create_dm)
        r("GET", "/users/@me/guilds", self.my_guilds)
        r("GET", "/oauth2/applications/@me", self.get_application)
        r("GET", "/applications/@me", self.get_application)
        r("GET", "/gateway", self.get_gateway)
        r("GET", "/gateway/bot", self.get_gateway_bot)

    async def get_me(self, req: RestRequest) -> Any:
        """GET /users/@me."""
        return {
            **payloads.user(self.world.bot_user),
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "email": None,
        }

    async def get_user(self, req: RestRequest) -> Any:
        """GET /users/{id}."""
        u = self.world.users.get(req.int_param("user_id"))
        if u is None:
            raise unknown("user")
        return payloads.user(u)

    async def create_dm(self, req: RestRequest) -> Any:
        """POST /users/@me/channels."""
        rid = int(req.json().get("recipient_id", 0))
        if rid not in self.world.users:
            raise unknown("user")
        ch = self.world.dm_between(self.me, rid)
        if ch is None:
            ch = self.world.add_channel(None, None, ChannelType.DM, recipient_ids=[rid])
        return payloads.channel(self.world, ch)

    async def my_guilds(self, req: RestRequest) -> Any:
        """GET /users/@me/guilds."""
        return [
            {
                "id": str(g.id),
                "name": g.name,
                "icon": None,
                "banner": None,
                "owner": False,
                "permissions": str(self.world.base_permissions(g, self.me)),
                "features": [],
            }
            for g in self.world.guilds.values()
        ]

    async def get_application(self, req: RestRequest) -> Any:
        """GET /oauth2/applications/@me."""
        return payloads.application(self.world)

    async def get_gateway(self, req: RestRequest) -> Any:
        """GET /gateway."""
        return {"url": self._gateway_url().rstrip("/")}

    async def get_gateway_bot(self, req: RestRequest) -> Any:
        """GET /gateway/bot: the recommended shard count for the bot's guilds and its identify limits.

        Topics "Gateway", Get Gateway Bot: `shards` is "the recommended number of shards to use when
        connecting"; `max_concurrency` is how many shards may identify per 5 seconds.
        """
        shards, concurrency = self._gateway_shards()
        return {
            "url": self._gateway_url().rstrip("/"),
            "shards": shards,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86400000,
                "max_concurrency": concurrency,
            },
        }
