"""REST routes for guild scheduled events."""

from __future__ import annotations

from typing import Any

from .. import payloads
from ..errors import missing_permissions, unknown
from ..events import Events
from ..permissions import FLAGS
from ..routing import RestRequest, Router
from ..world import Guild, World
from .base import RouteBase


class ScheduledEventRoutes(RouteBase):
    """Serve /guilds/{id}/scheduled-events."""

    def __init__(self, world: World, events: Events) -> None:
        super().__init__(world)
        self.events = events

    def register(self, router: Router) -> None:
        """Add these routes to `router`."""
        r = router.add
        r("GET", "/guilds/{guild_id}/scheduled-events", self.list_events)
        r("POST", "/guilds/{guild_id}/scheduled-events", self.create_event)
        r("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.get_event)
        r("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.edit_event)
        r("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.delete_event)
        r("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}/users", self.event_users)

    def _event(self, req: RestRequest) -> tuple[Guild, dict[str, Any]]:
        g = self.guild(req)
        ev = g.scheduled_events.get(req.int_param("guild_scheduled_event_id"))
        if ev is None:
            raise unknown("guild scheduled event")
        return g, ev

    def _need_events(self, g: Guild) -> None:
        base = self.world.base_permissions(g, self.me)
        if not base & (FLAGS["manage_events"] | FLAGS["create_events"]):
            raise missing_permissions()

    async def list_events(self, req: RestRequest) -> Any:
        """GET scheduled events."""
        g = self.guild(req)
        with_counts = req.query.get("with_user_count") in ("true", "1", "True")
        return [
            {**e, **({"user_count": len(g.event_users.get(int(e["id"]), ()))} if with_counts else {})}
            for e in g.scheduled_events.values()
        ]

    async def create_event(self, req: RestRequest) -> Any:
        """POST a scheduled event."""
        g = self.guild(req)
        self._need_events(g)
        body = req.json()
        eid = self.world.new_id()
        ev = {
            "id": str(eid),
            "guild_id": str(g.id),
            "channel_id": body.get("channel_id"),
            "creator_id": str(self.me),
            "creator": payloads.user(self.world.bot_user),
            "name": body.get("name"),
            "description": body.get("description"),
            "scheduled_start_time": body.get("scheduled_start_time"),
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", 2),
            "status": 1,
            "entity_type": body.get("entity_type"),
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": body.get("recurrence_rule"),
            "guild_scheduled_event_exceptions": [],
        }
        g.scheduled_events[eid] = ev
        await self.events.dispatch("GUILD_SCHEDULED_EVENT_CREATE", payloads.event_for_gateway(ev))
        return ev

    async def get_event(self, req: RestRequest) -> Any:
        """GET a scheduled event."""
        return self._event(req)[1]

    async def edit_event(self, req: RestRequest) -> Any:
        """PATCH a scheduled event."""
        g, ev = self._event(req)
        self._need_events(g)
        ev.update({k: v for k, v in req.json().items() if k in ev or k in ("scheduled_end_time",)})
        await self.events.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", payloads.event_for_gateway(ev))
        return ev

    async def delete_event(self, req: RestRequest) -> Any:
        """DELETE a scheduled event."""
        g, ev = self._event(req)
        self._need_events(g)
        del g.scheduled_events[int(ev["id"])]
        await self.events.dispatch("GUILD_SCHEDULED_EVENT_DELETE", payloads.event_for_gateway(ev))
        return None

    async def event_users(self, req: RestRequest) -> Any:
        """GET users interested in an event."""
        g, ev = self._event(req)
        users = g.event_users.get(int(ev["id"]), set())
        return [
            {"guild_scheduled_event_id": ev["id"], "user": payloads.user(self.world.users[u])} for u in users
        ]
