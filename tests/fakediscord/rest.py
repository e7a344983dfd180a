"""REST routes under /api/v10: guilds, channels, messages, threads, reactions, pins, polls, events, commands."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from multidict import MultiMapping

from . import payloads
from .errors import DiscordHTTPError, bad_request, form_error, missing_access, missing_permissions, unknown
from .messages import Upload
from .permissions import FLAGS
from .world import Channel, ChannelType, Guild, Role, StoredMessage, World

if TYPE_CHECKING:
    from .server import FakeDiscord


@dataclass
class RestRequest:
    """One parsed REST request."""

    method: str
    path: str
    template: str
    params: dict[str, str]
    query: MultiMapping[str]
    body: Any
    files: list[Upload] = field(default_factory=list)

    def int_param(self, name: str) -> int:
        """Return a path parameter as an int."""
        return int(self.params[name])

    def json(self) -> dict[str, Any]:
        """Return the body as a dict (empty when absent)."""
        return self.body if isinstance(self.body, dict) else {}


@dataclass
class RestResponse:
    """A handler's explicit response."""

    status: int
    body: Any = None


Handler = Callable[[RestRequest], Awaitable[Any]]


@dataclass
class Route:
    """A REST route: method, Discord's path template and its handler."""

    method: str
    template: str
    handler: Handler
    regex: re.Pattern[str]
    auth: bool = True  # webhook/interaction routes authenticate by token in the path


def compile_template(template: str) -> re.Pattern[str]:
    """Turn `/channels/{channel_id}` into a regex; `*_id` params match digits only."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        return f"(?P<{name}>\\d+)" if name.endswith("_id") else f"(?P<{name}>[^/]+)"

    return re.compile("^" + re.sub(r"\{(\w+)\}", repl, template) + "$")


class Router:
    """Match paths to routes."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        """Register a route."""
        self.routes.append(Route(method, template, handler, compile_template(template), auth))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """Return (route, params, path_exists_with_other_method)."""
        other = False
        for route in self.routes:
            m = route.regex.match(path)
            if m:
                if route.method == method:
                    return route, m.groupdict(), True
                other = True
        return None, {}, other


def guess_template(path: str) -> str:
    """Name an unmatched path's template by replacing ids, for logs."""
    return re.sub(r"/\d{5,}", "/{id}", path)


class RestApi:
    """The handlers for everything that is not an interaction or webhook."""

    def __init__(self, club: FakeDiscord, router: Router) -> None:
        self.club = club
        r = router.add
        r("GET", "/users/@me", self.get_me)
        r("GET", "/users/{user_id}", self.get_user)
        r("POST", "/users/@me/channels", self.create_dm)
        r("GET", "/users/@me/guilds", self.my_guilds)
        r("GET", "/oauth2/applications/@me", self.get_application)
        r("GET", "/applications/@me", self.get_application)
        r("GET", "/gateway", self.get_gateway)
        r("GET", "/gateway/bot", self.get_gateway_bot)
        # commands
        for scope in ("/applications/{application_id}", "/applications/{application_id}/guilds/{guild_id}"):
            r("GET", scope + "/commands", self.list_commands)
            r("PUT", scope + "/commands", self.put_commands)
            r("POST", scope + "/commands", self.create_command)
            r("GET", scope + "/commands/{command_id}", self.get_command)
            r("PATCH", scope + "/commands/{command_id}", self.edit_command)
            r("DELETE", scope + "/commands/{command_id}", self.delete_command)
        # guilds
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
        r("GET", "/guilds/{guild_id}/scheduled-events", self.list_events)
        r("POST", "/guilds/{guild_id}/scheduled-events", self.create_event)
        r("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.get_event)
        r("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.edit_event)
        r("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.delete_event)
        r("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}/users", self.event_users)
        # channels
        r("GET", "/channels/{channel_id}", self.get_channel)
        r("PATCH", "/channels/{channel_id}", self.edit_channel)
        r("DELETE", "/channels/{channel_id}", self.delete_channel)
        r("PUT", "/channels/{channel_id}/permissions/{overwrite_id}", self.put_overwrite)
        r("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}", self.delete_overwrite)
        r("POST", "/channels/{channel_id}/typing", self.typing)
        r("GET", "/channels/{channel_id}/messages", self.history)
        r("POST", "/channels/{channel_id}/messages", self.create_message)
        r("POST", "/channels/{channel_id}/messages/bulk-delete", self.bulk_delete)
        r("GET", "/channels/{channel_id}/messages/pins", self.list_pins)
        r("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.pin)
        r("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.unpin)
        r("GET", "/channels/{channel_id}/pins", self.list_pins_legacy)
        r("PUT", "/channels/{channel_id}/pins/{message_id}", self.pin)
        r("DELETE", "/channels/{channel_id}/pins/{message_id}", self.unpin)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        r("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.add_reaction)
        r(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            self.remove_own_reaction,
        )
        r(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}",
            self.remove_reaction,
        )
        r("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}", self.reaction_users)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions", self.clear_reactions)
        r("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message)
        r("POST", "/channels/{channel_id}/threads", self.create_thread)
        r("GET", "/channels/{channel_id}/threads/archived/public", self.archived_threads)
        r("GET", "/channels/{channel_id}/threads/archived/private", self.archived_threads)
        r("PUT", "/channels/{channel_id}/thread-members/@me", self.join_thread)
        r("DELETE", "/channels/{channel_id}/thread-members/@me", self.leave_thread)
        r("GET", "/channels/{channel_id}/thread-members", self.list_thread_members)
        r("GET", "/channels/{channel_id}/thread-members/{user_id}", self.get_thread_member)
        r("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member)
        r("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self.remove_thread_member)
        r("GET", "/channels/{channel_id}/polls/{message_id}/answers/{answer_id}", self.poll_voters)
        r("POST", "/channels/{channel_id}/polls/{message_id}/expire", self.expire_poll)

    # -- helpers ----------------------------------------------------------------------------------------
    @property
    def world(self) -> World:
        """Return the world."""
        return self.club.world

    @property
    def me(self) -> int:
        """Return the bot's user id."""
        return self.world.bot_user.id

    def channel(self, req: RestRequest, *, view: bool = True) -> Channel:
        """Return the path's channel, 404 if unknown, 403 50001 if the bot cannot see it."""
        ch = self.world.channels.get(req.int_param("channel_id"))
        if ch is None:
            raise unknown("channel")
        if view and not self.world.can_see(ch, self.me):
            raise missing_access()
        return ch

    def guild(self, req: RestRequest) -> Guild:
        """Return the path's guild."""
        g = self.world.guilds.get(req.int_param("guild_id"))
        if g is None:
            raise unknown("guild")
        return g

    def message(self, req: RestRequest, ch: Channel) -> StoredMessage:
        """Return the path's message in `ch`."""
        m = self.world.messages.get(req.int_param("message_id"))
        if m is None or m.deleted or m.channel_id != ch.id or m.ephemeral_for is not None:
            raise unknown("message")
        return m

    def need(self, ch: Channel, *names: str) -> None:
        """Raise 50013 unless the bot has every permission in `ch`."""
        if not self.world.can(ch, self.me, *names) and ch.type != ChannelType.DM:
            raise missing_permissions()

    def send_permission(self, ch: Channel) -> str:
        """Return the permission needed to post in `ch`."""
        return "send_messages_in_threads" if ch.is_thread else "send_messages"

    # -- users, app, gateway ----------------------------------------------------------------------------
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

    async def create_dm(self, req: RestRequest) -> Any:
        """POST /users/@me/channels."""
        rid = int(req.json().get("recipient_id", 0))
        if rid not in self.world.users:
            raise unknown("user")
        ch = self.world.dm_between(self.me, rid)
        if ch is None:
            ch = self.world.add_channel(None, None, ChannelType.DM, recipient_ids=[rid])
        return payloads.channel(self.world, ch)

    async def get_application(self, req: RestRequest) -> Any:
        """GET /oauth2/applications/@me."""
        return payloads.application(self.world)

    async def get_gateway(self, req: RestRequest) -> Any:
        """GET /gateway."""
        return {"url": self.club.gateway.url.rstrip("/")}

    async def get_gateway_bot(self, req: RestRequest) -> Any:
        """GET /gateway/bot."""
        return {
            "url": self.club.gateway.url.rstrip("/"),
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86400000,
                "max_concurrency": 1,
            },
        }

    # -- commands ---------------------------------------------------------------------------------------
    def _scope(self, req: RestRequest) -> dict[int, dict[str, Any]]:
        gid = int(req.params["guild_id"]) if "guild_id" in req.params else None
        if gid is not None and gid not in self.world.guilds:
            raise unknown("guild")
        return self.world.commands.setdefault(gid, {})

    def _command_payload(
        self, req: RestRequest, body: dict[str, Any], existing: dict[str, Any] | None
    ) -> dict:
        gid = req.params.get("guild_id")
        cmd = {
            "id": existing["id"] if existing else str(self.world.new_id()),
            "application_id": str(self.me),
            "version": str(self.world.new_id()),
            "type": 1,
            "default_member_permissions": None,
            "nsfw": False,
            "description": "",
            "integration_types": [0],
            "contexts": None,
            "dm_permission": True,
            **body,
        }
        if cmd.get("default_member_permissions") is not None:
            cmd["default_member_permissions"] = str(int(cmd["default_member_permissions"]))
        if cmd.get("integration_types") is None:
            cmd["integration_types"] = [0]
        if gid:
            cmd["guild_id"] = gid
            cmd.pop("dm_permission", None)
        return cmd

    async def list_commands(self, req: RestRequest) -> Any:
        """GET commands."""
        return list(self._scope(req).values())

    async def put_commands(self, req: RestRequest) -> Any:
        """PUT commands (bulk overwrite)."""
        scope = self._scope(req)
        old = {(c["name"], c.get("type", 1)): c for c in scope.values()}
        new = [self._command_payload(req, c, old.get((c["name"], c.get("type", 1)))) for c in req.body or []]
        scope.clear()
        for c in new:
            scope[int(c["id"])] = c
        self.club.notify()
        return new

    async def create_command(self, req: RestRequest) -> Any:
        """POST a single command (upsert by name)."""
        scope = self._scope(req)
        body = req.json()
        existing = next(
            (
                c
                for c in scope.values()
                if c["name"] == body.get("name") and c.get("type", 1) == body.get("type", 1)
            ),
            None,
        )
        cmd = self._command_payload(req, body, existing)
        scope[int(cmd["id"])] = cmd
        self.club.notify()
        return RestResponse(200 if existing else 201, cmd)

    async def get_command(self, req: RestRequest) -> Any:
        """GET one command."""
        cmd = self._scope(req).get(req.int_param("command_id"))
        if cmd is None:
            raise unknown("application command")
        return cmd

    async def edit_command(self, req: RestRequest) -> Any:
        """PATCH one command."""
        cmd = await self.get_command(req)
        cmd.update(req.json())
        return cmd

    async def delete_command(self, req: RestRequest) -> Any:
        """DELETE one command."""
        if self._scope(req).pop(req.int_param("command_id"), None) is None:
            raise unknown("application command")
        return None

    # -- guilds -----------------------------------------------------------------------------------------
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
            from .world import Overwrite

            ch.overwrites.append(
                Overwrite(
                    int(o["id"]), int(o.get("type", 0)), int(o.get("allow") or 0), int(o.get("deny") or 0)
                )
            )
        data = payloads.channel(self.world, ch)
        await self.club.dispatch("CHANNEL_CREATE", data)
        return RestResponse(201, data)

    async def guild_roles(self, req: RestRequest) -> Any:
        """GET /guilds/{id}/roles."""
        return [payloads.role(r) for r in self.guild(req).roles.values()]

    def _role(self, req: RestRequest) -> tuple[Guild, Role]:
        g = self.guild(req)
        role = g.roles.get(req.int_param("role_id"))
        if role is None:
            raise unknown("role")
        return g, role

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
        await self.club.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(g.id), "role": payloads.role(role)})
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
        await self.club.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(g.id), "role": payloads.role(role)})
        return payloads.role(role)

    async def delete_role(self, req: RestRequest) -> Any:
        """DELETE /guilds/{id}/roles/{role}."""
        g, role = self._role(req)
        self._manageable_role(g, role.id)
        del g.roles[role.id]
        for m in g.members.values():
            if role.id in m.role_ids:
                m.role_ids.remove(role.id)
        await self.club.dispatch("GUILD_ROLE_DELETE", {"guild_id": str(g.id), "role_id": str(role.id)})
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

    def _manageable_role(self, g: Guild, rid: int) -> None:
        role = g.roles.get(rid)
        if role is None:
            raise unknown("role")
        if not self.world.base_permissions(g, self.me) & FLAGS["manage_roles"]:
            raise missing_permissions()
        bot_top = max((g.roles[r].position for r in g.members[self.me].role_ids if r in g.roles), default=0)
        if role.position >= bot_top or role.managed or rid == g.id:
            raise missing_permissions()

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
            await self.club.dispatch("GUILD_MEMBER_UPDATE", {**payloads.member(m), "guild_id": str(g.id)})
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
            await self.club.dispatch("GUILD_MEMBER_UPDATE", {**payloads.member(m), "guild_id": str(g.id)})
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
        }

    # -- scheduled events -------------------------------------------------------------------------------
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
        await self.club.dispatch("GUILD_SCHEDULED_EVENT_CREATE", payloads.event_for_gateway(ev))
        return ev

    async def get_event(self, req: RestRequest) -> Any:
        """GET a scheduled event."""
        return self._event(req)[1]

    async def edit_event(self, req: RestRequest) -> Any:
        """PATCH a scheduled event."""
        g, ev = self._event(req)
        self._need_events(g)
        ev.update({k: v for k, v in req.json().items() if k in ev or k in ("scheduled_end_time",)})
        await self.club.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", payloads.event_for_gateway(ev))
        return ev

    async def delete_event(self, req: RestRequest) -> Any:
        """DELETE a scheduled event."""
        g, ev = self._event(req)
        self._need_events(g)
        del g.scheduled_events[int(ev["id"])]
        await self.club.dispatch("GUILD_SCHEDULED_EVENT_DELETE", payloads.event_for_gateway(ev))
        return None

    async def event_users(self, req: RestRequest) -> Any:
        """GET users interested in an event."""
        g, ev = self._event(req)
        users = g.event_users.get(int(ev["id"]), set())
        return [
            {"guild_scheduled_event_id": ev["id"], "user": payloads.user(self.world.users[u])} for u in users
        ]

    # -- channels ---------------------------------------------------------------------------------------
    async def get_channel(self, req: RestRequest) -> Any:
        """GET /channels/{id}."""
        ch = self.channel(req)
        return payloads.channel(self.world, ch, for_user=self.me)

    async def edit_channel(self, req: RestRequest) -> Any:
        """PATCH /channels/{id} (name, topic; thread archived/locked)."""
        ch = self.channel(req)
        body = req.json()
        if ch.is_thread:
            if ch.owner_id != self.me:
                self.need(ch, "manage_threads")
            for key in ("name", "archived", "locked", "auto_archive_duration", "invitable", "applied_tags"):
                if key in body:
                    setattr(ch, key, body[key] if key != "applied_tags" else [int(t) for t in body[key]])
            data = payloads.channel(self.world, ch, for_user=self.me)
            await self.club.dispatch("THREAD_UPDATE", data)
            return data
        self.need(ch, "manage_channels")
        for key in ("name", "topic", "nsfw", "rate_limit_per_user", "position"):
            if key in body:
                setattr(ch, key, body[key])
        data = payloads.channel(self.world, ch)
        await self.club.dispatch("CHANNEL_UPDATE", data)
        return data

    async def delete_channel(self, req: RestRequest) -> Any:
        """DELETE /channels/{id} (a thread needs manage_threads, a channel manage_channels)."""
        ch = self.channel(req)
        if ch.type == ChannelType.DM:
            return payloads.channel(self.world, ch)
        self.need(ch, "manage_threads" if ch.is_thread else "manage_channels")
        data = payloads.channel(self.world, ch)
        del self.world.channels[ch.id]
        for m in self.world.channel_history(ch.id):
            m.deleted = True
        if ch.is_thread:
            await self.club.dispatch(
                "THREAD_DELETE",
                {
                    "id": str(ch.id),
                    "guild_id": str(ch.guild_id),
                    "parent_id": str(ch.parent_id),
                    "type": ch.type,
                },
            )
        else:
            await self.club.dispatch("CHANNEL_DELETE", data)
        return data

    async def put_overwrite(self, req: RestRequest) -> Any:
        """PUT a permission overwrite."""
        from .world import Overwrite

        ch = self.channel(req)
        self.need(ch, "manage_roles")
        body = req.json()
        oid = req.int_param("overwrite_id")
        ch.overwrites = [o for o in ch.overwrites if o.id != oid]
        ch.overwrites.append(
            Overwrite(oid, int(body.get("type", 0)), int(body.get("allow") or 0), int(body.get("deny") or 0))
        )
        await self.club.dispatch("CHANNEL_UPDATE", payloads.channel(self.world, ch))
        return None

    async def delete_overwrite(self, req: RestRequest) -> Any:
        """DELETE a permission overwrite."""
        ch = self.channel(req)
        self.need(ch, "manage_roles")
        oid = req.int_param("overwrite_id")
        ch.overwrites = [o for o in ch.overwrites if o.id != oid]
        await self.club.dispatch("CHANNEL_UPDATE", payloads.channel(self.world, ch))
        return None

    async def typing(self, req: RestRequest) -> Any:
        """POST typing."""
        ch = self.channel(req)
        self.need(ch, self.send_permission(ch))
        return None

    # -- messages ---------------------------------------------------------------------------------------
    async def history(self, req: RestRequest) -> Any:
        """GET messages with before/after/around/limit, newest first."""
        ch = self.channel(req)
        if not self.world.can_read_history(ch, self.me):
            return []
        limit = max(1, min(int(req.query.get("limit", 50)), 100))
        msgs = [m for m in self.world.channel_history(ch.id) if m.ephemeral_for is None]
        if "before" in req.query:
            b = int(req.query["before"])
            msgs = [m for m in msgs if m.id < b][-limit:]
        elif "after" in req.query:
            a = int(req.query["after"])
            msgs = [m for m in msgs if m.id > a][:limit]
        elif "around" in req.query:
            a = int(req.query["around"])
            older = [m for m in msgs if m.id <= a][-(limit // 2 + limit % 2) :]
            newer = [m for m in msgs if m.id > a][: limit // 2]
            msgs = older + newer
        else:
            msgs = msgs[-limit:]
        return [m.payload for m in reversed(msgs)]

    async def create_message(self, req: RestRequest) -> Any:
        """POST a message as the bot."""
        ch = self.channel(req)
        body = req.json()
        self.check_send(ch, body, req.files)
        if ch.is_thread and ch.archived:
            ch.archived = False
            await self.club.dispatch("THREAD_UPDATE", payloads.channel(self.world, ch, for_user=self.me))
        stored = self.club.messages.build(ch, self.me, body, files=req.files)
        await self.club.dispatch_message_create(stored)
        return stored.payload

    def check_send(self, ch: Channel, body: dict[str, Any], files: list[Upload]) -> None:
        """Apply Discord's checks for posting into `ch`."""
        if ch.type == ChannelType.GUILD_FORUM:
            raise bad_request(50008, "Cannot send messages in a non-text channel")
        self.need(ch, self.send_permission(ch))
        if ch.is_thread and ch.locked and not self.world.can(ch, self.me, "manage_threads"):
            raise bad_request(50083, "Thread is archived")
        if files:
            self.need(ch, "attach_files")
        if body.get("poll"):
            self.need(ch, "send_polls")
        if body.get("message_reference") and ch.type != ChannelType.DM:
            self.need(ch, "read_message_history")
        if not (
            body.get("content")
            or body.get("embeds")
            or files
            or body.get("poll")
            or body.get("components")
            or body.get("sticker_ids")
        ):
            raise bad_request(50006, "Cannot send an empty message")

    async def get_message(self, req: RestRequest) -> Any:
        """GET one message."""
        ch = self.channel(req)
        if not self.world.can_read_history(ch, self.me):
            raise missing_access()
        return self.message(req, ch).payload

    async def edit_message(self, req: RestRequest) -> Any:
        """PATCH a message (only the bot's own, except flags with manage_messages)."""
        ch = self.channel(req)
        m = self.message(req, ch)
        body = req.json()
        if int(m.payload["author"]["id"]) != self.me:
            if set(body) - {"flags"}:
                raise DiscordHTTPError(403, 50005, "Cannot edit a message authored by another user")
            self.need(ch, "manage_messages")
        self.club.messages.edit(m, body, files=req.files)
        await self.club.dispatch("MESSAGE_UPDATE", m.payload)
        return m.payload

    async def delete_message(self, req: RestRequest) -> Any:
        """DELETE a message (own, or any with manage_messages)."""
        ch = self.channel(req)
        m = self.message(req, ch)
        if int(m.payload["author"]["id"]) != self.me:
            self.need(ch, "manage_messages")
        await self.club.delete_message(m)
        return None

    async def bulk_delete(self, req: RestRequest) -> Any:
        """POST bulk-delete."""
        ch = self.channel(req)
        self.need(ch, "manage_messages")
        ids = [int(i) for i in req.json().get("messages") or []]
        if not 2 <= len(ids) <= 100:
            raise form_error("messages", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
        for mid in ids:
            m = self.world.messages.get(mid)
            if m and not m.deleted and m.channel_id == ch.id:
                m.deleted = True
        data: dict[str, Any] = {"ids": [str(i) for i in ids], "channel_id": str(ch.id)}
        if ch.guild_id:
            data["guild_id"] = str(ch.guild_id)
        await self.club.dispatch("MESSAGE_DELETE_BULK", data)
        return None

    # -- pins -------------------------------------------------------------------------------------------
    async def list_pins(self, req: RestRequest) -> Any:
        """GET /channels/{id}/messages/pins."""
        ch = self.channel(req)
        if not self.world.can_read_history(ch, self.me):
            return {"items": [], "has_more": False}
        items = [
            {"pinned_at": payloads.iso(at), "message": self.world.messages[mid].payload}
            for mid, at in reversed(self.world.pins.get(ch.id, []))
            if not self.world.messages[mid].deleted
        ]
        return {"items": items, "has_more": False}

    async def list_pins_legacy(self, req: RestRequest) -> Any:
        """GET /channels/{id}/pins (deprecated form)."""
        data = await self.list_pins(req)
        return [i["message"] for i in data["items"]]

    async def pin(self, req: RestRequest) -> Any:
        """PUT a pin."""
        ch = self.channel(req)
        m = self.message(req, ch)
        if ch.type != ChannelType.DM and not (
            self.world.can(ch, self.me, "pin_messages") or self.world.can(ch, self.me, "manage_messages")
        ):
            raise missing_permissions()
        pins = self.world.pins.setdefault(ch.id, [])
        if all(mid != m.id for mid, _ in pins):
            pins.append((m.id, self.world.clock.now()))
            m.payload["pinned"] = True
            await self.club.dispatch("MESSAGE_UPDATE", m.payload)
            await self._pins_update(ch)
        return None

    async def unpin(self, req: RestRequest) -> Any:
        """DELETE a pin."""
        ch = self.channel(req)
        m = self.message(req, ch)
        if ch.type != ChannelType.DM and not (
            self.world.can(ch, self.me, "pin_messages") or self.world.can(ch, self.me, "manage_messages")
        ):
            raise missing_permissions()
        self.world.pins[ch.id] = [(mid, at) for mid, at in self.world.pins.get(ch.id, []) if mid != m.id]
        m.payload["pinned"] = False
        await self.club.dispatch("MESSAGE_UPDATE", m.payload)
        await self._pins_update(ch)
        return None

    async def _pins_update(self, ch: Channel) -> None:
        pins = self.world.pins.get(ch.id, [])
        data: dict[str, Any] = {
            "channel_id": str(ch.id),
            "last_pin_timestamp": payloads.iso(pins[-1][1]) if pins else None,
        }
        if ch.guild_id:
            data["guild_id"] = str(ch.guild_id)
        await self.club.dispatch("CHANNEL_PINS_UPDATE", data)

    # -- reactions --------------------------------------------------------------------------------------
    async def add_reaction(self, req: RestRequest) -> Any:
        """PUT the bot's reaction."""
        ch = self.channel(req)
        m = self.message(req, ch)
        emoji = unquote(req.params["emoji"])
        if ch.type != ChannelType.DM:
            self.need(ch, "read_message_history")
            if emoji not in m.reactions:
                self.need(ch, "add_reactions")
        await self.club.react(m, self.me, emoji)
        return None

    async def remove_own_reaction(self, req: RestRequest) -> Any:
        """DELETE the bot's reaction."""
        ch = self.channel(req)
        m = self.message(req, ch)
        await self.club.unreact(m, self.me, unquote(req.params["emoji"]))
        return None

    async def remove_reaction(self, req: RestRequest) -> Any:
        """DELETE someone's reaction (manage_messages)."""
        ch = self.channel(req)
        m = self.message(req, ch)
        self.need(ch, "manage_messages")
        await self.club.unreact(m, req.int_param("user_id"), unquote(req.params["emoji"]))
        return None

    async def reaction_users(self, req: RestRequest) -> Any:
        """GET users who reacted with an emoji."""
        ch = self.channel(req)
        m = self.message(req, ch)
        users = m.reactions.get(unquote(req.params["emoji"]), [])
        after = int(req.query.get("after", 0))
        limit = int(req.query.get("limit", 25))
        return [payloads.user(self.world.users[u]) for u in sorted(users) if u > after][:limit]

    async def clear_reactions(self, req: RestRequest) -> Any:
        """DELETE all reactions."""
        ch = self.channel(req)
        m = self.message(req, ch)
        self.need(ch, "manage_messages")
        m.reactions.clear()
        m.payload.pop("reactions", None)
        data: dict[str, Any] = {"channel_id": str(ch.id), "message_id": str(m.id)}
        if ch.guild_id:
            data["guild_id"] = str(ch.guild_id)
        await self.club.dispatch("MESSAGE_REACTION_REMOVE_ALL", data)
        return None

    # -- threads ----------------------------------------------------------------------------------------
    def _thread_body_checks(self, body: dict[str, Any]) -> None:
        name = body.get("name")
        if not name:
            raise form_error("name", "BASE_TYPE_REQUIRED", "This field is required")

    async def thread_from_message(self, req: RestRequest) -> Any:
        """POST /channels/{id}/messages/{mid}/threads: the thread gets the message's id."""
        ch = self.channel(req)
        m = self.message(req, ch)
        self._thread_body_checks(req.json())
        self.need(ch, "create_public_threads", "read_message_history")
        if m.id in self.world.channels:
            raise bad_request(160004, "A thread has already been created for this message")
        body = req.json()
        th = await self.club.open_thread(
            ch,
            self.me,
            body["name"],
            ChannelType.PUBLIC_THREAD,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            thread_id=m.id,
        )
        m.payload["thread"] = payloads.channel(self.world, th)
        return RestResponse(201, payloads.channel(self.world, th, for_user=self.me))

    async def create_thread(self, req: RestRequest) -> Any:
        """POST /channels/{id}/threads (text channel thread or forum post)."""
        ch = self.channel(req)
        body = req.json()
        self._thread_body_checks(body)
        archive = int(body.get("auto_archive_duration") or 1440)
        if ch.type == ChannelType.GUILD_FORUM:
            self.need(ch, "send_messages")
            first = body.get("message") or {}
            th = await self.club.open_thread(
                ch,
                self.me,
                body["name"],
                ChannelType.PUBLIC_THREAD,
                auto_archive_duration=archive,
                applied_tags=[int(t) for t in body.get("applied_tags") or []],
                announce=False,
            )
            stored = self.club.messages.build(th, self.me, first, files=req.files, message_id=th.id)
            await self.club.dispatch(
                "THREAD_CREATE", {**payloads.channel(self.world, th, for_user=self.me), "newly_created": True}
            )
            await self.club.dispatch_message_create(stored)
            return RestResponse(
                201, {**payloads.channel(self.world, th, for_user=self.me), "message": stored.payload}
            )
        ttype = int(body.get("type") or ChannelType.PRIVATE_THREAD)
        self.need(
            ch, "create_private_threads" if ttype == ChannelType.PRIVATE_THREAD else "create_public_threads"
        )
        th = await self.club.open_thread(
            ch,
            self.me,
            body["name"],
            ttype,
            auto_archive_duration=archive,
            invitable=bool(body.get("invitable", True)),
        )
        return RestResponse(201, payloads.channel(self.world, th, for_user=self.me))

    async def archived_threads(self, req: RestRequest) -> Any:
        """GET archived threads."""
        ch = self.channel(req)
        private = req.path.endswith("/private")
        want = ChannelType.PRIVATE_THREAD if private else ChannelType.PUBLIC_THREAD
        threads = [
            t
            for t in self.world.channels.values()
            if t.parent_id == ch.id and t.type == want and t.archived and self.world.can_see(t, self.me)
        ]
        return {
            "threads": [payloads.channel(self.world, t) for t in threads],
            "members": [
                payloads.thread_member(self.world, t, self.me) for t in threads if self.me in t.thread_members
            ],
            "has_more": False,
        }

    def _thread(self, req: RestRequest) -> Channel:
        ch = self.channel(req)
        if not ch.is_thread:
            raise bad_request(50024, "Cannot execute action on this channel type")
        return ch

    async def join_thread(self, req: RestRequest) -> Any:
        """PUT thread-members/@me."""
        th = self._thread(req)
        await self.club.thread_add(th, self.me)
        return None

    async def leave_thread(self, req: RestRequest) -> Any:
        """DELETE thread-members/@me."""
        th = self._thread(req)
        await self.club.thread_remove(th, self.me)
        return None

    async def add_thread_member(self, req: RestRequest) -> Any:
        """PUT thread-members/{user}."""
        th = self._thread(req)
        uid = req.int_param("user_id")
        guild = self.world.guild_of(th)
        if guild is None or uid not in guild.members:
            raise unknown("member")
        self.need(th, "send_messages_in_threads")
        if th.archived:
            raise bad_request(50083, "Thread is archived")
        await self.club.thread_add(th, uid)
        return None

    async def remove_thread_member(self, req: RestRequest) -> Any:
        """DELETE thread-members/{user}."""
        th = self._thread(req)
        uid = req.int_param("user_id")
        if uid != self.me and not (th.type == ChannelType.PRIVATE_THREAD and th.owner_id == self.me):
            self.need(th, "manage_threads")
        await self.club.thread_remove(th, uid)
        return None

    async def list_thread_members(self, req: RestRequest) -> Any:
        """GET thread-members."""
        th = self._thread(req)
        return [payloads.thread_member(self.world, th, u) for u in th.thread_members]

    async def get_thread_member(self, req: RestRequest) -> Any:
        """GET thread-members/{user}."""
        th = self._thread(req)
        uid = req.int_param("user_id")
        if uid not in th.thread_members:
            raise unknown("member")
        return payloads.thread_member(self.world, th, uid)

    # -- polls ------------------------------------------------------------------------------------------
    async def poll_voters(self, req: RestRequest) -> Any:
        """GET voters for one poll answer."""
        ch = self.channel(req)
        m = self.message(req, ch)
        if m.poll is None:
            raise unknown("poll")
        aid = req.int_param("answer_id")
        after = int(req.query.get("after", 0))
        limit = int(req.query.get("limit", 25))
        voters = [u for u in m.poll.votes.get(aid, []) if u > after]
        return {"users": [payloads.user(self.world.users[u]) for u in sorted(voters)[:limit]]}

    async def expire_poll(self, req: RestRequest) -> Any:
        """POST expire: end the poll now (author only)."""
        ch = self.channel(req)
        m = self.message(req, ch)
        if m.poll is None:
            raise unknown("poll")
        if int(m.payload["author"]["id"]) != self.me:
            raise missing_permissions()
        if m.poll.finalized:
            raise bad_request(520001, "Poll has already ended")
        await self.club.finalize_poll(m)
        return m.payload
