"""REST routes for a guild: its channels, roles, members and active threads."""

from __future__ import annotations

from typing import Any

from .. import payloads
from ..errors import missing_permissions, unknown
from ..events import Events
from ..permissions import FLAGS
from ..routing import RestRequest, RestResponse, Router
from ..world import Guild, Overwrite, Role, World
from .base import RouteBase


class GuildRoutes(RouteBase):
    """Serve /guilds/{id} and its channels, roles, members and active threads."""

    def __init__(self, world: World, events: Events) -> None:
        super().__init__(world)
        self.events = events

    def register(self, router: Router) -> None:
        """Add these routes to `router`."""
        r = router.add
        r("GET", "/guilds/{guild_id}", self.get_guild)
        r("GET", "/guilds/{guild_id}/channels", self.guild_channels)
        r("POST", "/guilds/{guild_id}/channels", self.create_guild_channel)
        r("GET", "/guilds/{guild_id}/roles", self.guild_roles)
        r("POST", "/guilds/{guild_id}/roles", self.create_role)
        r("GET", "/guilds/{guild_id}/roles/{role_id}", self.get_role)
        r("PATCH", "/guilds/{guild_id}/roles/{role_id}", self.edit_role)
        r("DELETE", "/guilds/{guild_id}/roles/{role_id}", self.delete_role)
        r("GET", "/guilds/{guild_id}/members", self.list_members)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        r("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_member_role)
        r("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.remove_member_role)
        r("GET", "/guilds/{guild_id}/threads/active", self.active_threads)

    def _role(self, req: RestRequest) -> tuple[Guild, Role]:
        g = self.guild(req)
        role = g.roles.get(req.int_param("role_id"))
        if role is None:
            raise unknown("role")
        return g, role

    def _manageable_role(self, g: Guild, rid: int) -> None:
        role = g.roles.get(rid)
        if role is None:
            raise unknown("role")
        if not self.world.base_permissions(g, self.me) & FLAGS["manage_roles"]:
            raise missing_permissions()
        bot_top = max((g.roles[r].position for r in g.members[self.me].role_ids if r in g.roles), default=0)
        if role.position >= bot_top or role.managed or rid == g.id:
            raise missing_permissions()

    async def get_guild(self, req: RestRequest) -> Any:
        """GET /guilds/{id}."""
        g = self.guild(req)
        out = payloads.guild_fields(self.world, g)
        if req.query.get("with_counts") in ("true", "1", "True"):
            out.update(approximate_member_count=len(g.members), approximate_presence_count=0)
        return out

    async def guild_channels(self, req: RestRequest) -> Any:
        """GET /guilds/{id}/channels."""
        g = self.guild(req)
        return [
            payloads.channel(self.world, c)
            for c in self.world.channels.values()
            if c.guild_id == g.id and not c.is_thread
        ]

    async def create_guild_channel(self, req: RestRequest) -> Any:
        """POST /guilds/{id}/channels."""
        g = self.guild(req)
        if not self.world.base_permissions(g, self.me) & FLAGS["manage_channels"]:
            raise missing_permissions()
        body = req.json()
        ch = self.world.add_channel(
            g,
            body.get("name"),
            int(body.get("type") or 0),
            topic=body.get("topic"),
            parent_id=int(body["parent_id"]) if body.get("parent_id") else None,
        )
        for o in body.get("permission_overwrites") or []:
            ch.overwrites.append(
                Overwrite(
                    int(o["id"]), int(o.get("type", 0)), int(o.get("allow") or 0), int(o.get("deny") or 0)
                )
            )
        data = payloads.channel(self.world, ch)
        await self.events.dispatch("CHANNEL_CREATE", data)
        return RestResponse(201, data)

    async def guild_roles(self, req: RestRequest) -> Any:
        """GET /guilds/{id}/roles."""
        return [payloads.role(r) for r in self.guild(req).roles.values()]

    async def create_role(self, req: RestRequest) -> Any:
        """POST /guilds/{id}/roles (needs manage_roles; cannot grant what the bot lacks)."""
        g = self.guild(req)
        base = self.world.base_permissions(g, self.me)
        if not base & FLAGS["manage_roles"]:
            raise missing_permissions()
        body = req.json()
        perms = int(body.get("permissions") or 0)
        if perms & ~base and not base & FLAGS["administrator"]:
            raise missing_permissions()
        role = self.world.add_role(
            g,
            body.get("name") or "new role",
            perms,
            mentionable=bool(body.get("mentionable")),
            color=int(body.get("color") or 0),
            hoist=bool(body.get("hoist")),
        )
        await self.events.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(g.id), "role": payloads.role(role)})
        return payloads.role(role)

    async def get_role(self, req: RestRequest) -> Any:
        """GET /guilds/{id}/roles/{role}."""
        return payloads.role(self._role(req)[1])

    async def edit_role(self, req: RestRequest) -> Any:
        """PATCH /guilds/{id}/roles/{role}."""
        g, role = self._role(req)
        self._manageable_role(g, role.id)
        body = req.json()
        for key in ("name", "mentionable", "hoist", "color"):
            if key in body and body[key] is not None:
                setattr(role, key, body[key])
        if body.get("permissions") is not None:
            role.permissions = int(body["permissions"])
        await self.events.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(g.id), "role": payloads.role(role)})
        return payloads.role(role)

    async def delete_role(self, req: RestRequest) -> Any:
        """DELETE /guilds/{id}/roles/{role}."""
        g, role = self._role(req)
        self._manageable_role(g, role.id)
        del g.roles[role.id]
        for m in g.members.values():
            if role.id in m.role_ids:
                m.role_ids.remove(role.id)
        await self.events.dispatch("GUILD_ROLE_DELETE", {"guild_id": str(g.id), "role_id": str(role.id)})
        return None

    async def list_members(self, req: RestRequest) -> Any:
        """GET /guilds/{id}/members?limit&after."""
        g = self.guild(req)
        limit = int(req.query.get("limit", 1))
        after = int(req.query.get("after", 0))
        members = sorted((m for m in g.members.values() if m.user.id > after), key=lambda m: m.user.id)
        return [payloads.member(m) for m in members[:limit]]

    async def get_member(self, req: RestRequest) -> Any:
        """GET /guilds/{id}/members/{user}."""
        g = self.guild(req)
        m = g.members.get(req.int_param("user_id"))
        if m is None:
            raise unknown("member")
        return payloads.member(m)

    async def add_member_role(self, req: RestRequest) -> Any:
        """PUT a role on a member."""
        g = self.guild(req)
        m = g.members.get(req.int_param("user_id"))
        if m is None:
            raise unknown("member")
        rid = req.int_param("role_id")
        self._manageable_role(g, rid)
        if rid not in m.role_ids:
            m.role_ids.append(rid)
            await self.events.dispatch("GUILD_MEMBER_UPDATE", {**payloads.member(m), "guild_id": str(g.id)})
        return None

    async def remove_member_role(self, req: RestRequest) -> Any:
        """DELETE a role from a member."""
        g = self.guild(req)
        m = g.members.get(req.int_param("user_id"))
        if m is None:
            raise unknown("member")
        rid = req.int_param("role_id")
        self._manageable_role(g, rid)
        if rid in m.role_ids:
            m.role_ids.remove(rid)
            await self.events.dispatch("GUILD_MEMBER_UPDATE", {**payloads.member(m), "guild_id": str(g.id)})
        return None

    async def active_threads(self, req: RestRequest) -> Any:
        """GET /guilds/{id}/threads/active."""
        g = self.guild(req)
        threads = [
            c
            for c in self.world.channels.values()
            if c.guild_id == g.id and c.is_thread and not c.archived and self.world.can_see(c, self.me)
        ]
        return {
            "threads": [payloads.channel(self.world, t) for t in threads],
            "members": [
                payloads.thread_member(self.world, t, self.me) for t in threads if self.me in t.thread_members
            ],
            # Required by Discord's OpenAPI schema (ThreadsResponse); every active thread fits in one page here.
            "has_more": False,
        }
