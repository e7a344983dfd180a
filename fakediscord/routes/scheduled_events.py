"""REST routes for guild scheduled events."""

from __future__ import annotations

from typing import Any

from .. import payloads
from ..errors import unknown
from ..routing import RestRequest, Router
from ..scheduled_events import EXTERNAL, SCHEDULED, ScheduledEventService
from ..world import Guild, World
from .base import RouteBase


class ScheduledEventRoutes(RouteBase):
    """Serve /guilds/{id}/scheduled-events."""

    def __init__(self, world: World, scheduled: ScheduledEventService) -> None:
        super().__init__(world)
        self.scheduled = scheduled

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
        if ev is None or not self.scheduled.visible_to(ev, self.me):
            raise unknown("guild scheduled event")
        return g, ev

    def _with_count(self, g: Guild, ev: dict[str, Any], req: RestRequest) -> dict[str, Any]:
        if req.query.get("with_user_count") in ("true", "1", "True"):
            return {**ev, "user_count": len(g.event_users.get(int(ev["id"]), ()))}
        return ev

    async def list_events(self, req: RestRequest) -> Any:
        """GET scheduled events (those whose channel the bot cannot view are left out)."""
        g = self.guild(req)
        return [
            self._with_count(g, e, req)
            for e in g.scheduled_events.values()
            if self.scheduled.visible_to(e, self.me)
        ]

    async def create_event(self, req: RestRequest) -> Any:
        """POST a scheduled event."""
        g = self.guild(req)
        body = req.json()
        eid = self.world.new_id()
        ev = {
            "id": str(eid),
            "guild_id": str(g.id),
            "channel_id": str(body["channel_id"]) if body.get("channel_id") else None,
            "creator_id": str(self.me),
            "creator": payloads.user(self.world.bot_user),
            "name": body.get("name"),
            "description": body.get("description"),
            "scheduled_start_time": body.get("scheduled_start_time"),
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", 2),
            "status": SCHEDULED,
            "entity_type": body.get("entity_type"),
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata") if body.get("entity_type") == EXTERNAL else None,
            "user_count": 0,
            "image": None,
            "recurrence_rule": body.get("recurrence_rule"),
            "guild_scheduled_event_exceptions": [],
        }
        if body.get("channel_id") is not None and body.get("entity_type") == EXTERNAL:
            ev["channel_id"] = str(body["channel_id"])  # refused below: EXTERNAL needs channel_id null
        self.scheduled.check_fields(g, ev, start_changed=True)
        self.scheduled.check_may_manage(g, self.me, ev, creating=True)
        self.scheduled.check_room(g)
        g.scheduled_events[eid] = ev
        await self.scheduled.announce("CREATE", ev)
        return ev

    async def get_event(self, req: RestRequest) -> Any:
        """GET a scheduled event."""
        g, ev = self._event(req)
        return self._with_count(g, ev, req)

    async def edit_event(self, req: RestRequest) -> Any:
        """PATCH a scheduled event: the result must meet the same rules as a new one, status by transitions."""
        g, ev = self._event(req)
        self.scheduled.check_may_manage(g, self.me, ev, creating=False)
        body = req.json()
        editable = (
            "channel_id",
            "entity_metadata",
            "name",
            "privacy_level",
            "scheduled_start_time",
            "scheduled_end_time",
            "description",
            "entity_type",
            "recurrence_rule",
        )
        updated = {**ev, **{k: body[k] for k in editable if k in body}}
        if updated.get("channel_id") is not None:
            updated["channel_id"] = str(updated["channel_id"])
        if updated.get("entity_type") != EXTERNAL:
            updated["entity_metadata"] = None  # "silently discards entity_metadata for non-EXTERNAL events"
        start_changed = (
            "scheduled_start_time" in body and body["scheduled_start_time"] != ev["scheduled_start_time"]
        )
        self.scheduled.check_fields(g, updated, start_changed=start_changed)
        if updated["channel_id"] != ev["channel_id"]:
            self.scheduled.check_may_manage(g, self.me, updated, creating=False)
        if "status" in body:
            self.scheduled.check_status(ev, int(body["status"]))
            updated["status"] = int(body["status"])
        ev.update(updated)
        await self.scheduled.announce("UPDATE", ev)
        return ev

    async def delete_event(self, req: RestRequest) -> Any:
        """DELETE a scheduled event."""
        g, ev = self._event(req)
        self.scheduled.check_may_manage(g, self.me, ev, creating=False)
        await self.scheduled.announce("DELETE", ev)
        del g.scheduled_events[int(ev["id"])]
        return None

    async def event_users(self, req: RestRequest) -> Any:
        """GET the users subscribed to an event, one page at a time.

        developers/resources/guild-scheduled-event.mdx, "Get Guild Scheduled Event Users": `limit` up to 100
        (default 100); users "always returned in ascending order by user_id"; `before`/`after` take a user id,
        and "if both before and after are provided, only before is respected"; `member` only with
        `with_member`. Discord's OpenAPI spec (spec_data/) also requires `user_id` and `response` (1: INTERESTED).
        """
        g, ev = self._event(req)
        limit = int(req.query.get("limit") or 100)  # 1..100 is checked against the spec's query schema
        users = sorted(g.event_users.get(int(ev["id"]), set()))
        if req.query.get("before"):
            before = int(req.query["before"])
            users = [u for u in users if u < before][-limit:]  # the page nearest `before`, as for messages
        elif req.query.get("after"):
            after = int(req.query["after"])
            users = [u for u in users if u > after][:limit]
        else:
            users = users[:limit]
        with_member = req.query.get("with_member") in ("true", "True", "1")
        out = []
        for u in users:
            item: dict[str, Any] = {
                "guild_scheduled_event_id": ev["id"],
                "user_id": str(u),
                "user": payloads.user(self.world.users[u]),
                "response": 1,
            }
            member = g.members.get(u)
            if with_member and member is not None:
                item["member"] = payloads.member(member)
            out.append(item)
        return out
