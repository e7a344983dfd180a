"""The demo's web page: aiohttp serving plain HTML/CSS/JS, one member's data per page, live over SSE.

Every `/api/m/{name}/…` answer is built from that member's own view (`demo._views`), and every action is
checked against it before an actor performs it: a page can neither read nor act on what its member
cannot see. The side-by-side page is a frame per member, so each member's data stays in its own document.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
from datetime import timedelta
from importlib import resources
from typing import Any

from aiohttp import web

from demo._club import DemoClub
from demo._seed import CAST
from demo._views import member_state, visible_channel, visible_message
from fakediscord import Actor, Modal, Upload
from fakediscord.actors import OPTION_TYPES

log = logging.getLogger(__name__)

STATIC = resources.files("demo") / "static"
CONTENT_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
# How long an SSE stream waits for a change before sending a keep-alive comment.
KEEPALIVE_SECONDS = 15.0
# Changes come in bursts (a command's reply, then its edit); one frame per burst is enough.
DEBOUNCE_SECONDS = 0.03
ACTION_TIMEOUT = 5.0
ROLE_NOTES = {
    CAST.organizer: "organizer",
    CAST.read_and_watched: "read the book and watched the film",
    CAST.read_only: "read the book only",
    CAST.reading: f"reading, at chapter {CAST.reading_chapter}",
    CAST.neither: "neither read nor watched",
    CAST.watched_only: "watched the film only",
    CAST.imported: "imported a Goodreads export",
    CAST.newcomer: "new, nothing recorded",
}


class ActionRefused(Exception):
    """The page asked for something its member cannot do; the message says what."""


class DemoSite:
    """The routes of the demo page around one running `DemoClub`."""

    def __init__(self, demo: DemoClub) -> None:
        self.demo = demo
        self.modals: dict[int, Modal] = {}
        self._clock_lock = asyncio.Lock()
        self.app = web.Application(client_max_size=8 * 1024 * 1024)
        self.app.add_routes(
            [
                web.get("/", self._static_page("index.html")),
                web.get("/m/{name}", self._member_page),
                web.get("/static/{file}", self._static),
                web.get("/api/cast", self._cast),
                web.get("/api/clock", self._clock),
                web.post("/api/clock", self._move_clock),
                web.get("/api/m/{name}/state", self._state),
                web.get("/api/m/{name}/events", self._events),
                web.post("/api/m/{name}/act", self._act),
            ]
        )

    # -- pages ------------------------------------------------------------------------------------------
    @staticmethod
    def _file(name: str) -> web.Response:
        path = STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise web.HTTPNotFound()
        suffix = name[name.rfind(".") :]
        return web.Response(
            body=path.read_bytes(),
            content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
            charset="utf-8",
            headers={"Cache-Control": "no-store"},
        )

    def _static_page(self, name: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            return self._file(name)

        return handler

    async def _static(self, request: web.Request) -> web.Response:
        return self._file(request.match_info["file"])

    async def _member_page(self, request: web.Request) -> web.Response:
        self._member(request)
        return self._file("member.html")

    # -- data -------------------------------------------------------------------------------------------
    def _member(self, request: web.Request) -> Actor:
        member = self.demo.members.get(request.match_info["name"])
        if member is None:
            raise web.HTTPNotFound(text="no such member in the demo club")
        return member

    async def _cast(self, request: web.Request) -> web.Response:
        cast = [{"name": name, "note": ROLE_NOTES.get(name, "")} for name in self.demo.members]
        return web.json_response({"cast": cast, "pair": [CAST.read_only, CAST.neither]})

    def _commands(self, member: Actor) -> list[dict[str, Any]]:
        """Return the slash commands this member may run (Discord hides the others), flattened."""
        out: list[dict[str, Any]] = []
        for cmd in self.demo.club.commands():
            if cmd.get("type", 1) != 1 or not _may_use(self.demo, member, cmd):
                continue
            out.extend(_leaves(cmd, cmd["name"]))
        return sorted(out, key=lambda c: c["name"])

    def _message_commands(self, member: Actor) -> list[str]:
        return sorted(
            c["name"]
            for c in self.demo.club.commands()
            if c.get("type") == 3 and _may_use(self.demo, member, c)
        )

    def state_of(self, member: Actor) -> dict[str, Any]:
        """Return the whole page state of one member (only what they may see)."""
        state = member_state(self.demo.club, member, now=self.demo.clock.now())
        state["commands"] = self._commands(member)
        state["message_commands"] = self._message_commands(member)
        state["members"] = [{"id": str(a.id), "name": a.name} for a in self.demo.members.values()]
        state["roles"] = [
            {"id": str(r.id), "name": r.name} for r in self.demo.club.guild.roles.values() if not r.managed
        ]
        modal = self.modals.get(member.id)
        state["modal"] = _modal_json(modal) if modal is not None else None
        return state

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state_of(self._member(request)))

    async def _events(self, request: web.Request) -> web.StreamResponse:
        member = self._member(request)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        last = ""
        try:
            while True:
                frame = json.dumps(self.state_of(member), separators=(",", ":"), ensure_ascii=False)
                if frame != last:
                    await response.write(f"event: state\ndata: {frame}\n\n".encode())
                    last = frame
                if not await self.demo.club.changes.next_change(KEEPALIVE_SECONDS):
                    await response.write(b": keep-alive\n\n")
                await asyncio.sleep(DEBOUNCE_SECONDS)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    # -- the clock --------------------------------------------------------------------------------------
    async def _next_discussion(self) -> Any:
        store = self.demo.store
        assert store is not None
        now = self.demo.clock.now()
        upcoming = [
            d
            for d in await store.discussions.active(self.demo.club.guild.id)
            if d.state == "scheduled" and d.opens_at > now
        ]
        return min(upcoming, key=lambda d: d.opens_at, default=None)

    async def _clock(self, request: web.Request) -> web.Response:
        nxt = await self._next_discussion()
        return web.json_response(
            {
                "now": self.demo.clock.now().isoformat(),
                "next_discussion": nxt.opens_at.isoformat() if nxt is not None else None,
            }
        )

    async def _move_clock(self, request: web.Request) -> web.Response:
        body = await _json(request)
        step = body.get("step")
        async with self._clock_lock:
            if step == "hour":
                delta = timedelta(hours=1)
            elif step == "day":
                delta = timedelta(days=1)
            elif step == "next_discussion":
                nxt = await self._next_discussion()
                if nxt is None:
                    return web.json_response({"error": "No discussion is scheduled."}, status=400)
                delta = nxt.opens_at - self.demo.clock.now()
            else:
                return web.json_response({"error": "step is hour, day or next_discussion"}, status=400)
            await self.demo.clock.advance(delta)
            await self.demo.club.settle()
            self.demo.club.notify()
        return await self._clock(request)

    # -- acting as a member -----------------------------------------------------------------------------
    async def _act(self, request: web.Request) -> web.Response:
        member = self._member(request)
        body = await _json(request)
        try:
            result = await asyncio.wait_for(self._perform(member, body), ACTION_TIMEOUT + 6)
        except (ActionRefused, AssertionError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except TimeoutError:
            return web.json_response({"error": "The bot did not answer in time."}, status=504)
        finally:
            self.demo.club.notify()
        return web.json_response({"ok": True, **result})

    async def _perform(self, member: Actor, body: dict[str, Any]) -> dict[str, Any]:
        kind = body.get("kind")
        if kind in ("slash", "autocomplete"):
            return await self._slash(member, body, autocomplete=kind == "autocomplete")
        if kind == "say":
            channel = self._channel(member, body.get("channel_id"))
            content = str(body.get("content") or "").strip()
            if not content:
                raise ActionRefused("Type a message first.")
            await member.say(channel, content[:2000])
            return {}
        if kind == "modal":
            modal = self.modals.pop(member.id, None)
            if modal is None:
                raise ActionRefused("That form is no longer open.")
            values = {str(k): v for k, v in dict(body.get("values") or {}).items()}
            return self._after(member, await member.submit_modal(modal, values))
        if kind == "dismiss_modal":
            self.modals.pop(member.id, None)
            return {}
        message = self._message(member, body.get("message_id"))
        if kind == "click":
            return self._after(member, await member.click(message, str(body.get("button"))))
        if kind == "choose":
            picked = [str(v) for v in body.get("values") or []]
            return self._after(member, await member.choose(message, str(body.get("select")), picked))
        if kind in ("vote", "unvote"):
            answer = int(body.get("answer", -1))
            await (member.vote if kind == "vote" else member.unvote)(message, answer)
            return {}
        if kind == "message_command":
            return self._after(member, await member.message_command(str(body.get("name")), message))
        raise ActionRefused(f"unknown action {kind!r}")

    def _after(self, member: Actor, reply: Any) -> dict[str, Any]:
        if getattr(reply, "modal", None) is not None:
            self.modals[member.id] = reply.modal
        return {}

    def _channel(self, member: Actor, raw: Any) -> Any:
        try:
            channel = visible_channel(self.demo.club, member, int(raw))
        except (TypeError, ValueError):
            channel = None
        if channel is None:
            raise ActionRefused("That channel is not visible to you.")
        return channel

    def _message(self, member: Actor, raw: Any) -> Any:
        try:
            message = visible_message(self.demo.club, member, int(raw))
        except (TypeError, ValueError):
            message = None
        if message is None:
            raise ActionRefused("That message is not visible to you.")
        return message

    async def _slash(self, member: Actor, body: dict[str, Any], *, autocomplete: bool) -> dict[str, Any]:
        channel = self._channel(member, body.get("channel_id"))
        command = str(body.get("command") or "").strip()
        leaf = next((c for c in self._commands(member) if c["name"] == command), None)
        if leaf is None:
            raise ActionRefused(f"/{command} is not a command you can use here.")
        kinds = {o["name"]: o["type"] for o in leaf["options"]}
        raw = dict(body.get("options") or {})
        values: dict[str, Any] = {}
        focused = str(body.get("focused") or "")
        for name, value in raw.items():
            if name not in kinds or value in ("", None):
                continue
            if autocomplete and name == focused:
                continue
            values[name] = self._option(member, kinds[name], value)
        if command == "review feature" and "url" in values:
            raise ActionRefused("The demo never connects beyond 127.0.0.1: use bundled: or file: instead.")
        if autocomplete:
            choices = await member.autocomplete(
                command, focused, str(raw.get(focused) or ""), in_channel=channel, **values
            )
            return {"choices": choices}
        reply = await member.slash(command, in_channel=channel, timeout=ACTION_TIMEOUT, **values)
        return self._after(member, reply)

    def _option(self, member: Actor, kind: str, value: Any) -> Any:
        club = self.demo.club
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
        if kind == "boolean":
            return value in (True, "true", "True", "1")
        if kind in ("user", "mentionable"):
            found = next((a for a in self.demo.members.values() if str(a.id) == str(value)), None)
            if found is None:
                raise ActionRefused("Pick a member of the club.")
            return found
        if kind == "channel":
            return self._channel(member, value)
        if kind == "role":
            role = club.guild.roles.get(int(value))
            if role is None:
                raise ActionRefused("Pick a role of the server.")
            return role
        if kind == "attachment":
            try:
                data = base64.b64decode(str(value.get("data", "")), validate=True)
            except (AttributeError, binascii.Error) as exc:
                raise ActionRefused("That file could not be read.") from exc
            return Upload(str(value.get("name") or "file"), data)
        return str(value)


def _may_use(demo: DemoClub, member: Actor, cmd: dict[str, Any]) -> bool:
    """Tell whether Discord would offer this command to the member (default_member_permissions)."""
    from fakediscord import permissions as perm

    needed = cmd.get("default_member_permissions")
    if needed is None:
        return True
    channel = demo.channels["general"]
    have = demo.club.world.permissions_in(channel, member.id)
    need = int(needed)
    return need != 0 and ((have & need) == need or bool(have & perm.FLAGS["administrator"]))


def _leaves(payload: dict[str, Any], path: str) -> list[dict[str, Any]]:
    nested = [o for o in payload.get("options") or [] if o["type"] in (1, 2)]
    if not nested:
        options = [
            {
                "name": o["name"],
                "description": o.get("description", ""),
                "type": OPTION_TYPES.get(o["type"], "string"),
                "required": bool(o.get("required")),
                "autocomplete": bool(o.get("autocomplete")),
                "choices": [{"name": c["name"], "value": c["value"]} for c in o.get("choices") or []],
                "min": o.get("min_value"),
                "max": o.get("max_value"),
            }
            for o in payload.get("options") or []
        ]
        return [{"name": path, "description": payload.get("description", ""), "options": options}]
    return [leaf for o in nested for leaf in _leaves(o, f"{path} {o['name']}")]


def _modal_json(modal: Modal) -> dict[str, Any]:
    return {
        "title": modal.title,
        "fields": [
            {
                "id": f.custom_id,
                "label": f.label or f.custom_id,
                "paragraph": f.style == 2,
                "required": f.required,
                "value": f.value or "",
                "max": f.max_length,
            }
            for f in modal.fields
            if f.type == 4
        ],
    }


async def _json(request: web.Request) -> dict[str, Any]:
    with contextlib.suppress(ValueError):
        body = await request.json()
        if isinstance(body, dict):
            return body
    raise web.HTTPBadRequest(text="expected a JSON object")
