"""FakeDiscord: the aiohttp app (REST + gateway + CDN + control API) and the test-facing facade."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import BodyPartReader, web

from . import payloads, routes
from . import permissions as perm
from .changes import Changes
from .clock import FakeClock
from .errors import DiscordHTTPError
from .events import Events
from .faults import HttpFault
from .fidelity import (
    RecordedViolation,
    Validator,
    invalid_form_body,
    load_validator,
    normalise_gateway,
    normalise_request,
    normalise_response,
    record,
)
from .gateway import GUILD_MEMBERS, Gateway
from .interactions import InteractionService
from .messages import MessageService, Upload
from .polls import PollService
from .ratelimit import RateLimiter, Verdict
from .routes.interactions import InteractionRoutes
from .routing import RestRequest, RestResponse, Router, guess_template
from .scheduled_events import ScheduledEventService
from .threads import REQUIRE_TAG, ThreadService
from .world import Channel, ChannelType, Guild, Member, Overwrite, Role, StoredMessage, World

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
TOKEN = "ZmFrZWRpc2NvcmQ.fake.bot-token"  # noqa: S105 - the emulator's own, accepted nowhere else


@dataclass
class RequestRecord:
    """One REST request the bot made."""

    method: str
    route: str  # Discord's template, e.g. "/channels/{channel_id}/messages"
    path: str
    query: dict[str, str]
    body: Any
    status: int
    at: datetime  # fake clock
    real_time: float  # time.time()
    duration: float = 0.0

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Return JSON with Content-Type exactly application/json (discord.py ignores it otherwise)."""
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json", "Via": "1.1 google"},
    )


def point_discord_py_at(api_base: str, gateway_url: str) -> Callable[[], None]:
    """Aim discord.py's two URLs (REST base, gateway) at an emulator; return a function that restores them."""
    import discord.gateway
    import discord.http
    import yarl

    old_base = discord.http.Route.BASE
    old_gw = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)

    def restore() -> None:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gw

    return restore


class FakeDiscord:
    """A local Discord: start it, point discord.py at it, act as members, assert what they see."""

    def __init__(
        self,
        *,
        clock: FakeClock | None = None,
        rate_limits: bool = True,
        validate: bool | Validator | None = None,
        interaction_deadline: float = 3.0,
        guild_name: str = "Book Club",
        bot_name: str = "BookBot",
        bot_permissions: Iterable[str] | int | None = None,
        everyone_permissions: Iterable[str] | int | None = None,
        heartbeat_interval_ms: int = 41250,
        default_channel: str | None = "general",
    ) -> None:
        self.clock = clock or FakeClock()
        self.world = World(self.clock)
        self.world.bot_user.name = bot_name
        self.token = TOKEN
        self.port = 0
        self.guild: Guild = self.world.add_guild(
            guild_name,
            bot_permissions=perm.bits(bot_permissions if bot_permissions is not None else perm.DEFAULT_BOT),
            everyone_permissions=perm.bits(
                everyone_permissions if everyone_permissions is not None else perm.DEFAULT_EVERYONE
            ),
        )
        self.default_channel: Channel | None = (
            self.world.add_channel(self.guild, default_channel, ChannelType.GUILD_TEXT)
            if default_channel
            else None
        )
        self.router = Router()
        self.changes = Changes()
        self.gateway = Gateway(
            self.world,
            self.changes,
            token=self.token,
            port=lambda: self.port,
            heartbeat_interval_ms=heartbeat_interval_ms,
        )
        self.events = Events(self.world, self.gateway, self.changes, serving=lambda: self._runner is not None)
        self.messages = MessageService(self.world, self.events, cdn_base=lambda: self.http_base)
        self.threads = ThreadService(self.world, self.events)
        self.polls = PollService(self.world, self.events, self.messages)
        self.scheduled = ScheduledEventService(self.world, self.events)
        self.interactions = InteractionService(self.world, self.events, deadline=interaction_deadline)
        routes.mount(
            self.router,
            world=self.world,
            events=self.events,
            messages=self.messages,
            threads=self.threads,
            polls=self.polls,
            scheduled=self.scheduled,
            gateway_url=lambda: self.gateway.url,
            gateway_shards=lambda: (self.gateway.recommended_shards(), self.gateway.max_concurrency),
            content_intent=self.gateway.app_has_message_content,
        )
        InteractionRoutes(self.world, self.events, self.messages, self.interactions).register(self.router)
        self.ratelimiter = RateLimiter(enabled=rate_limits)
        self.faults: list[HttpFault] = []
        self.requests: list[RequestRecord] = []
        # Attachment downloads from the loopback CDN (paths), which are not API requests.
        self.cdn_downloads: list[str] = []
        self.unhandled: list[RequestRecord] = []
        self.violations: list[RecordedViolation] = []
        self.validator, self.validation_skipped_reason = load_validator(validate)
        self.gateway.frame_check = self._check_frame if self.validator else None
        self.gateway.on_violation = self._gateway_violation
        self._runner: web.AppRunner | None = None
        self._restore: list[Callable[[], None]] = []
        self._actors: dict[int, Any] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.app = self._build_app()
        self.clock.add_listener(self._on_tick)
        self.clock.settler = self.settle

    # -- lifecycle --------------------------------------------------------------------------------------
    @classmethod
    async def start(cls, **options: Any) -> FakeDiscord:
        """Create an emulator, listen on 127.0.0.1:<ephemeral> and return it (call `stop()` after)."""
        club = cls(**options)
        await club.listen()
        return club

    async def listen(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start serving."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Close the bot's connection, stop serving and undo `connect_discord_py`."""
        self.disconnect_discord_py()
        self.clock.remove_listener(self._on_tick)
        if self.clock.settler == self.settle:
            self.clock.settler = None
        await self.gateway.shutdown()
        for sess in list(self.gateway.sessions.values()):
            if sess.ws is not None and not sess.ws.closed:
                with contextlib.suppress(Exception):
                    await sess.ws.close(code=1000)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        if self._runner is None:
            await self.listen()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def http_base(self) -> str:
        """Return http://127.0.0.1:<port>."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Return the REST base URL (what discord.http.Route.BASE must be)."""
        return self.http_base + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Return the gateway URL (what DiscordWebSocket.DEFAULT_GATEWAY must be)."""
        return self.gateway.url

    def connect_discord_py(self) -> Callable[[], None]:
        """Point discord.py (this process) at the emulator; return a function that restores it."""
        import discord.gateway
        import discord.http
        import yarl

        old_base = discord.http.Route.BASE
        old_gw = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

        def restore() -> None:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gw

        self._restore.append(restore)
        return restore

    def disconnect_discord_py(self) -> None:
        """Undo every `connect_discord_py`."""
        while self._restore:
            self._restore.pop()()

    async def wait_until_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - a test-facing deadline
        """Wait until the bot identified and received its guilds."""
        await self.wait_until(lambda: self.gateway.connected, timeout=timeout, what="the bot to connect")

    @contextlib.asynccontextmanager
    async def run_bot(
        self,
        client: Any,
        *,
        fast: bool = True,
        timeout: float = 10.0,  # noqa: ASYNC109 - a test-facing deadline
    ) -> AsyncIterator[Any]:
        """Start a discord.py client against the emulator, wait until it is ready, close it on exit.

        `fast` removes discord.py's real-time waits that only make sense against Discord: the 5 s pause before
        re-identifying and the 2 s wait for GUILD_CREATEs after READY.
        """
        if not self._restore:
            self.connect_discord_py()
        if fast:

            async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
                return None

            client.before_identify_hook = no_wait
            client._connection.guild_ready_timeout = min(client._connection.guild_ready_timeout, 0.05)
        task = asyncio.create_task(client.start(self.token))
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                task.result()  # re-raise why the client stopped
                raise AssertionError("the bot stopped before it was ready")
            if ready not in done:
                raise AssertionError(f"the bot was not ready within {timeout:g} s")
            yield client
        finally:
            ready.cancel()
            await client.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)

    async def wait_for_commands(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - a test-facing deadline
        """Wait until the bot synced at least one application command."""
        await self.wait_until(
            lambda: any(self.world.commands.values()),
            timeout=timeout,
            what="the bot to sync its application commands",
        )

    # -- change notification ----------------------------------------------------------------------------
    def notify(self) -> None:
        """Wake everybody waiting in `wait_until`."""
        self.changes.notify()

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        *,
        timeout: float = 3.0,  # noqa: ASYNC109 - a test-facing deadline
        what: str = "a condition",
    ) -> Any:
        """Wait until `predicate()` is truthy (re-checked after every emulator change); return its value."""
        return await self.changes.wait_until(predicate, timeout=timeout, what=what)

    async def settle(self, quiet: float = 0.02, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a test-facing deadline
        """Wait until the bot has no REST call in flight and has been quiet for `quiet` seconds."""
        await self.changes.settle(quiet, timeout)

    # -- gateway helpers used by services ---------------------------------------------------------------
    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH to the bot."""
        await self.events.dispatch(event, data)

    def dispatch_soon(self, event: str, data: dict[str, Any]) -> None:
        """Queue a DISPATCH from synchronous code; it still reaches the bot before anything done later."""
        self.events.dispatch_soon(event, data)

    async def dispatch_message_create(self, stored: StoredMessage) -> None:
        """Dispatch MESSAGE_CREATE unless the bot cannot see the channel."""
        await self.events.message_created(stored)

    async def delete_message(self, stored: StoredMessage) -> None:
        """Delete a message and tell the bot."""
        await self.messages.delete(stored)

    async def react(self, stored: StoredMessage, user_id: int, emoji: str) -> None:
        """Add a reaction by `user_id`."""
        await self.messages.react(stored, user_id, emoji)

    async def unreact(self, stored: StoredMessage, user_id: int, emoji: str) -> None:
        """Remove a reaction by `user_id`."""
        await self.messages.unreact(stored, user_id, emoji)

    async def open_thread(
        self, parent: Channel, owner_id: int, name: str, ttype: int, **options: Any
    ) -> Channel:
        """Create a thread (owner joins it) and dispatch THREAD_CREATE when the bot may see it."""
        return await self.threads.open(parent, owner_id, name, ttype, **options)

    async def thread_add(self, th: Channel, user_id: int) -> None:
        """Add a thread member and dispatch THREAD_MEMBERS_UPDATE."""
        await self.threads.add_member(th, user_id)

    async def thread_remove(self, th: Channel, user_id: int) -> None:
        """Remove a thread member and dispatch THREAD_MEMBERS_UPDATE."""
        await self.threads.remove_member(th, user_id)

    async def finalize_poll(self, stored: StoredMessage) -> None:
        """End a poll: final counts in a MESSAGE_UPDATE, then the POLL_RESULT system message."""
        await self.polls.finalize(stored)

    async def _on_tick(self, now: datetime) -> None:
        await self.polls.expire_due(now)
        await self.threads.archive_idle(now)
        await self.scheduled.advance_external(now)

    # -- validation -------------------------------------------------------------------------------------
    def _check_frame(self, frame: dict[str, Any]) -> None:
        assert self.validator is not None
        found = self.validator.check_gateway(normalise_gateway(frame))
        if found:
            self.violations.extend(
                record("gateway", "", f"gateway {frame.get('t') or frame.get('op')}", found)
            )

    def _gateway_violation(self, code: int, what: str) -> None:
        self.violations.append(
            RecordedViolation(
                "bot-gateway", "", "gateway", "", f"{what}: closed with {code}", str(code), time.time()
            )
        )

    def assert_no_violations(self) -> None:
        """Fail if any request, response or gateway frame broke Discord's spec, or hit a route the emulator lacks."""
        problems = [str(v) for v in self.violations]
        problems += [
            f"[unimplemented] fakediscord has no route for {r.method} {r.path} (answered {r.status})"
            for r in self.unhandled
        ]
        if problems:
            lines = "\n  ".join(problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise AssertionError(f"{len(problems)} Discord spec violation(s):\n  {lines}{more}")

    # -- fault injection --------------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        route: str,
        status: int = 500,
        *,
        times: int | None = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> HttpFault:
        """Answer the next `times` matching requests with `status` (route: template or path regex)."""
        fault = HttpFault(method, route, status, times, body, dict(headers or {}), delay)
        self.faults.append(fault)
        return fault

    def slow(self, method: str, route: str, seconds: float, *, times: int | None = 1) -> HttpFault:
        """Delay the next `times` matching requests by `seconds` (real time) and then serve them."""
        fault = HttpFault(method, route, None, times, delay=seconds)
        self.faults.append(fault)
        return fault

    # -- HTTP plumbing ----------------------------------------------------------------------------------
    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._cdn)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        from .control import add_control_routes

        add_control_routes(app, self)
        return app

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        att = self.world.attachments.get(int(request.match_info["attachment_id"]))
        self.cdn_downloads.append(request.path)
        if att is None:
            return web.Response(status=404)
        return web.Response(body=att.data, headers={"Content-Type": att.content_type})

    async def _parse_body(self, request: web.Request) -> tuple[Any, list[Upload]]:
        if not request.can_read_body:
            return None, []
        ctype = request.content_type
        if ctype == "application/json":
            raw = await request.read()
            return (json.loads(raw) if raw else None), []
        if ctype.startswith("multipart/"):
            body: Any = {}
            files: list[Upload] = []
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):  # nested multipart; unused by bots
                    continue
                data = await part.read()
                if part.name == "payload_json":
                    body = json.loads(data)
                elif part.filename is not None:
                    files.append(
                        Upload(
                            part.filename,
                            bytes(data),
                            part.headers.get("Content-Type", "application/octet-stream"),
                        )
                    )
            return body, files
        return None, []

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        self.changes.inflight += 1
        self.changes.touch()
        started = time.monotonic()
        try:
            return await self._serve(request, started)
        finally:
            self.changes.inflight -= 1
            self.changes.touch()
            self.changes.notify()

    async def _serve(self, request: web.Request, started: float) -> web.StreamResponse:
        method = request.method
        path = "/" + request.match_info["tail"]
        query = dict(request.query)
        body, files = await self._parse_body(request)
        route, params, path_exists = self.router.match(method, path)
        template = route.template if route else guess_template(path)
        rec = RequestRecord(method, template, path, query, body, 0, self.clock.now(), time.time())
        self.requests.append(rec)

        def finish(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
            rec.status = status
            rec.duration = time.monotonic() - started
            if self.validator is not None and status < 500 and not rejected:
                found = self.validator.check_response(
                    method, API_PREFIX + path, status, normalise_response(template, payload)
                )
                if found:
                    self.violations.extend(record("response", method, path, found))
            if payload is None and status == 204:
                return web.Response(status=204, headers={**(headers or {}), "Via": "1.1 google"})
            return json_response(payload, status, headers)

        rejected = False
        if route is None or route.auth:
            auth = request.headers.get("Authorization")
            if auth != f"Bot {self.token}":
                rejected = True
                return finish(401, {"message": "401: Unauthorized", "code": 0})
        if self.validator is not None:
            found = self.validator.check_request(
                method, API_PREFIX + path, query, normalise_request(template, body)
            )
            if found:
                self.violations.extend(record("request", method, path, found))
                rejected = True
                if any(v.code == "SPEC_UNKNOWN_ROUTE" for v in found):
                    return finish(404, {"message": "404: Not Found", "code": 0})
                return finish(400, invalid_form_body(found))
        for fault in list(self.faults):
            if fault.matches(method, template, path):
                fault.hits += 1
                if fault.exhausted:
                    self.faults.remove(fault)
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is not None:
                    rejected = True
                    headers = dict(fault.headers)
                    if fault.status == 429:
                        headers.setdefault("X-RateLimit-Scope", "user")
                    return finish(fault.status, fault.response_body(), headers)
                break
        if route is None:
            self.unhandled.append(rec)
            rejected = True
            if path_exists:
                return finish(405, {"message": "405: Method Not Allowed", "code": 0})
            return finish(404, {"message": "404: Not Found", "code": 0})
        if route.template.startswith("/interactions/"):
            verdict = Verdict({})  # interaction callbacks are not rate limited
        else:
            verdict = self.ratelimiter.check(
                method, route.template, params, exempt_global=route.template.startswith("/webhooks/")
            )
        if verdict.limited:
            rejected = True
            return finish(429, verdict.body, verdict.headers)
        size = request.content_length or sum(len(f.data) for f in files) + len(json.dumps(body or {}))
        req = RestRequest(method, path, route.template, params, request.query, body, files, size=size)
        try:
            result = await route.handler(req)
        except DiscordHTTPError as exc:
            return finish(exc.status, exc.body(), verdict.headers)
        if isinstance(result, RestResponse):
            return finish(result.status, result.body, verdict.headers)
        if result is None:
            return finish(204, None, verdict.headers)
        return finish(200, result, verdict.headers)

    # -- the test-facing world API ----------------------------------------------------------------------
    def add_guild(self, name: str, *, everyone_permissions: Iterable[str] | int | None = None) -> Guild:
        """Add another guild the bot is in (announced with GUILD_CREATE if the bot is connected)."""
        guild = self.world.add_guild(
            name,
            bot_permissions=self.guild.roles[
                self.guild.members[self.world.bot_user.id].role_ids[0]
            ].permissions,
            everyone_permissions=perm.bits(
                everyone_permissions if everyone_permissions is not None else perm.DEFAULT_EVERYONE
            ),
        )
        if self.gateway.connected:
            intents = self.gateway.session.intents if self.gateway.session else 0
            data = payloads.guild_create(self.world, guild, members_intent=bool(intents & GUILD_MEMBERS))
            self.dispatch_soon("GUILD_CREATE", data)
        return guild

    def role(
        self,
        name: str,
        permissions: Iterable[str] | int | None = None,
        *,
        mentionable: bool = False,
        guild: Guild | None = None,
    ) -> Role:
        """Return the role called `name`, creating it (with `permissions`) if needed."""
        guild = guild or self.guild
        for r in guild.roles.values():
            if r.name == name:
                return r
        role = self.world.add_role(guild, name, perm.bits(permissions), mentionable=mentionable)
        self.dispatch_soon("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": payloads.role(role)})
        return role

    def member(self, name: str, *, roles: Iterable[Role | str] = (), guild: Guild | None = None) -> Any:
        """Return the member called `name` as an Actor, creating the user if needed."""
        from .actors import Actor

        guild = guild or self.guild
        for m in guild.members.values():
            if m.user.name == name and not m.user.bot:
                actor = self._actors.get(m.user.id) or Actor(self, m.user.id)
                self._actors[m.user.id] = actor
                added = False
                for r in roles:
                    role = self.role(r) if isinstance(r, str) else r
                    if role.id not in m.role_ids:
                        m.role_ids.append(role.id)
                        added = True
                if added:
                    self.dispatch_soon(
                        "GUILD_MEMBER_UPDATE", {**payloads.member(m), "guild_id": str(guild.id)}
                    )
                return actor
        user = self.world.add_user(name)
        role_ids = [(self.role(r) if isinstance(r, str) else r).id for r in roles]
        member = self.world.add_member(guild, user, role_ids)
        self.dispatch_soon("GUILD_MEMBER_ADD", {**payloads.member(member), "guild_id": str(guild.id)})
        actor = Actor(self, user.id)
        self._actors[user.id] = actor
        return actor

    def members(self) -> list[Any]:
        """Return every human member except the guild owner as an Actor."""
        return [
            self.member(m.user.name)
            for m in self.guild.members.values()
            if not m.user.bot and m.user.id != self.guild.owner_id
        ]

    async def remove_member(self, member: Any) -> None:
        """Make a member leave the guild (GUILD_MEMBER_REMOVE); their messages stay, as in Discord."""
        m = self.guild.members.pop(member.id, None)
        if m is None:
            return
        for ch in self.world.channels.values():
            if ch.guild_id == self.guild.id and member.id in ch.thread_members:
                await self.thread_remove(ch, member.id)
        self._actors.pop(member.id, None)
        await self.dispatch(
            "GUILD_MEMBER_REMOVE", {"guild_id": str(self.guild.id), "user": payloads.user(m.user)}
        )

    async def give_role(self, member: Any, role: Role) -> None:
        """Give a member a role (as an admin would) and tell the bot."""
        m = self.guild.members[member.id]
        if role.id not in m.role_ids:
            m.role_ids.append(role.id)
            await self.dispatch("GUILD_MEMBER_UPDATE", {**payloads.member(m), "guild_id": str(self.guild.id)})

    async def take_role(self, member: Any, role: Role) -> None:
        """Take a role from a member and tell the bot."""
        m = self.guild.members[member.id]
        if role.id in m.role_ids:
            m.role_ids.remove(role.id)
            await self.dispatch("GUILD_MEMBER_UPDATE", {**payloads.member(m), "guild_id": str(self.guild.id)})

    def close_dms(self, member: Any, *, closed: bool = True) -> None:
        """Make a member refuse DMs from the bot (Discord answers 403 50007); `closed=False` opens them again."""
        self.world.users[member.id].accepts_dms = not closed

    def share_no_server(self, member: Any, *, no_server: bool = True) -> None:
        """Treat a member as sharing no server with the bot, although they stay in the guild for the test.

        A DM to them then gets 403 50278; `no_server=False` undoes it. (A member who left every guild is
        refused alike.)
        """
        self.world.users[member.id].shares_no_server = no_server

    def text_channel(
        self,
        name: str,
        *,
        topic: str | None = None,
        private: bool = False,
        visible_to: Iterable[Any] = (),
        guild: Guild | None = None,
    ) -> Channel:
        """Return the text channel `name`, creating it.

        `private` hides it from @everyone (and from the bot unless it is in `visible_to`, which takes roles,
        actors or "bot").
        """
        return self._channel(
            name, ChannelType.GUILD_TEXT, topic=topic, private=private, visible_to=visible_to, guild=guild
        )

    def voice_channel(self, name: str, *, stage: bool = False, guild: Guild | None = None) -> Channel:
        """Return the voice (or, with `stage`, stage) channel `name`, creating it."""
        return self._channel(
            name, ChannelType.GUILD_STAGE_VOICE if stage else ChannelType.GUILD_VOICE, guild=guild
        )

    def forum_channel(
        self,
        name: str,
        *,
        tags: Iterable[str] = (),
        require_tag: bool = False,
        guild: Guild | None = None,
    ) -> Channel:
        """Return the forum channel `name`, creating it with `tags`.

        `require_tag` sets the REQUIRE_TAG flag (a post must carry at least one of the tags, as the forum's
        "Require tags" setting does).
        """
        # The tags go in before CHANNEL_CREATE is built, so the bot learns them with the channel.
        available_tags = [
            {
                "id": str(self.world.new_id()),
                "name": t,
                "moderated": False,
                "emoji_id": None,
                "emoji_name": None,
            }
            for t in tags
        ]
        return self._channel(
            name,
            ChannelType.GUILD_FORUM,
            guild=guild,
            flags=REQUIRE_TAG if require_tag else 0,
            available_tags=available_tags,
        )

    def _channel(
        self,
        name: str,
        ctype: int,
        *,
        topic: str | None = None,
        private: bool = False,
        visible_to: Iterable[Any] = (),
        guild: Guild | None = None,
        flags: int = 0,
        available_tags: list[dict[str, Any]] | None = None,
    ) -> Channel:
        guild = guild or self.guild
        for c in self.world.channels.values():
            if c.guild_id == guild.id and c.name == name and c.type == ctype:
                return c
        ch = self.world.add_channel(guild, name, ctype, topic=topic, flags=flags)
        ch.available_tags = available_tags or []
        if private:
            ch.overwrites.append(Overwrite(guild.id, 0, 0, perm.FLAGS["view_channel"]))
            for who in visible_to:
                target_id, ttype = self._target(who)
                ch.overwrites.append(Overwrite(target_id, ttype, perm.FLAGS["view_channel"], 0))
        if self.world.can_see(ch, self.world.bot_user.id):
            self.dispatch_soon("CHANNEL_CREATE", payloads.channel(self.world, ch))
        return ch

    def _target(self, who: Any) -> tuple[int, int]:
        if who == "bot":
            return self.world.bot_user.id, 1
        if isinstance(who, Role):
            return who.id, 0
        return int(who.id), 1

    async def set_permissions(
        self, channel: Channel, target: Any, *, allow: Iterable[str] = (), deny: Iterable[str] = ()
    ) -> None:
        """Set a channel overwrite for a role, an actor or "bot" (replacing an existing one)."""
        tid, ttype = self._target(target)
        channel.overwrites = [o for o in channel.overwrites if o.id != tid]
        channel.overwrites.append(Overwrite(tid, ttype, perm.bits(list(allow)), perm.bits(list(deny))))
        await self.dispatch("CHANNEL_UPDATE", payloads.channel(self.world, channel))

    def channel(self, name: str) -> Channel:
        """Return the channel or thread called `name` (most recent if several)."""
        found = [c for c in self.world.channels.values() if c.name == name]
        if not found:
            raise AssertionError(
                f"no channel or thread named {name!r}; have "
                f"{sorted(c.name for c in self.world.channels.values() if c.name)}"
            )
        return found[-1]

    def thread(self, name: str) -> Channel:
        """Return the thread called `name`."""
        found = [c for c in self.world.channels.values() if c.is_thread and c.name == name]
        if not found:
            raise AssertionError(
                f"no thread named {name!r}; threads: "
                f"{[c.name for c in self.world.channels.values() if c.is_thread]}"
            )
        return found[-1]

    def threads_in(self, channel: Channel) -> list[Channel]:
        """Return the threads under a channel or forum."""
        return [c for c in self.world.channels.values() if c.is_thread and c.parent_id == channel.id]

    def messages_in(self, channel: Channel, *, include_ephemeral: bool = False) -> list[Any]:
        """Return a channel's messages oldest first, as Message objects."""
        from .objects import Message

        return [
            Message(self.world, m)
            for m in self.world.channel_history(channel.id)
            if include_ephemeral or m.ephemeral_for is None
        ]

    def bot_messages(self, channel: Channel | None = None) -> list[Any]:
        """Return what the bot posted (in one channel or everywhere), oldest first."""
        from .objects import Message

        me = str(self.world.bot_user.id)
        return [
            Message(self.world, m)
            for m in sorted(self.world.messages.values(), key=lambda m: m.id)
            if not m.deleted
            and m.payload["author"]["id"] == me
            and (channel is None or m.channel_id == channel.id)
        ]

    def last_reply_to(self, member: Any) -> Any:
        """Return the bot's latest message answering `member` (interaction reply, reply or DM), or None."""
        from .objects import Message

        me = str(self.world.bot_user.id)
        uid = str(member.id)
        for m in sorted(self.world.messages.values(), key=lambda m: m.id, reverse=True):
            if m.deleted or m.payload["author"]["id"] != me:
                continue
            md = m.payload.get("interaction_metadata") or {}
            ref = m.payload.get("referenced_message") or {}
            ch = self.world.channels.get(m.channel_id)
            if (
                (md.get("user") or {}).get("id") == uid
                or (ref.get("author") or {}).get("id") == uid
                or m.ephemeral_for == member.id
                or (ch is not None and ch.type == ChannelType.DM and member.id in ch.recipient_ids)
            ):
                return Message(self.world, m)
        return None

    def pings_of(self, member: Any) -> list[Any]:
        """Return every message that notified `member`."""
        from .objects import Message

        return [
            Message(self.world, m)
            for m in sorted(self.world.messages.values(), key=lambda m: m.id)
            if member.id in m.pinged and not m.deleted
        ]

    def what_member_sees(self, member: Any) -> Any:
        """Return everything `member` can see (see visibility.View)."""
        from .visibility import what_member_sees

        return what_member_sees(self.world, member.id)

    def text_member_sees(self, member: Any, *, reveal_spoilers: bool = True) -> str:
        """Return all text visible to `member`, joined by newlines (for `assert "twist" not in ...`).

        With `reveal_spoilers=False`, `||spoiler||` spans are blanked (what shows before a click).
        """
        view = self.what_member_sees(member)
        return view.text if reveal_spoilers else view.text_without_spoilers

    def scheduled_events(self) -> list[dict[str, Any]]:
        """Return the guild's scheduled events (payload dicts)."""
        return list(self.guild.scheduled_events.values())

    def commands(self, *, guild: Guild | bool | None = True) -> list[dict[str, Any]]:
        """Return synced commands: guild ones (default), `guild=None` for global ones."""
        if guild is True:
            return list(self.world.commands.get(self.guild.id, {}).values())
        if guild is None or guild is False:
            return list(self.world.commands.get(None, {}).values())
        return list(self.world.commands.get(guild.id, {}).values())

    def requests_to(self, method: str | None = None, route: str | None = None) -> list[RequestRecord]:
        """Return logged requests filtered by method and/or route template."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (route is None or r.route == route)
        ]

    def member_of(self, user_id: int) -> Member | None:
        """Return the guild member for a user id."""
        return self.guild.members.get(user_id)
