"""A small HTTP control API under /_control/ so a load generator in another process can drive the emulator."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .server import FakeDiscord


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(body, default=str).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )


def add_control_routes(app: web.Application, club: FakeDiscord) -> None:
    """Register the /_control/ routes on `app`."""

    async def body_of(request: web.Request) -> dict[str, Any]:
        return await request.json() if request.can_read_body else {}

    def channel_of(body: dict[str, Any]) -> Any:
        cid = body.get("channel_id")
        if cid:
            return club.world.channels[int(cid)]
        if body.get("channel"):
            return club.text_channel(body["channel"])
        return club.default_channel

    def actors(body: dict[str, Any]) -> list[Any]:
        names = body.get("members")
        if isinstance(names, list):
            return [club.member(n) for n in names]
        everyone = club.members()
        count = int(names or body.get("count") or 1)
        return everyone[:count]

    async def info(request: web.Request) -> web.Response:
        return _json(
            {
                "port": club.port,
                "token": club.token,
                "api_base": club.api_base,
                "gateway_url": club.gateway_url,
                "guild_id": str(club.guild.id),
                "bot_id": str(club.world.bot_user.id),
                "channels": {str(c.id): c.name for c in club.world.channels.values() if c.guild_id},
                "members": len(club.guild.members),
                "connected": club.gateway.connected,
                "rate_limits": club.ratelimiter.enabled,
                "validation": club.validator is not None,
                "validation_skipped_reason": club.validation_skipped_reason,
            }
        )

    async def members(request: web.Request) -> web.Response:
        body = await body_of(request)
        prefix = body.get("prefix", "member")
        start = len(club.guild.members)
        made = [club.member(f"{prefix}{start + i}") for i in range(int(body.get("count", 1)))]
        return _json({"ids": [str(a.id) for a in made]})

    async def say(request: web.Request) -> web.Response:
        body = await body_of(request)
        channel = channel_of(body)
        sent = []
        for actor in actors(body):
            for _ in range(int(body.get("repeat", 1))):
                sent.append((await actor.say(channel, body.get("content", "hello"))).id)
        return _json({"message_ids": [str(m) for m in sent]})

    async def run_many(body: dict[str, Any], make: Any) -> web.Response:
        started = time.perf_counter()
        results = await asyncio.gather(*(make(a) for a in actors(body)), return_exceptions=True)
        ok = [r for r in results if not isinstance(r, BaseException)]
        errors = [str(r) for r in results if isinstance(r, BaseException)]
        return _json({"ok": len(ok), "errors": errors[:20], "seconds": time.perf_counter() - started})

    async def click(request: web.Request) -> web.Response:
        body = await body_of(request)
        timeout = float(body.get("timeout", 10))
        if "clicks" in body:
            # Clicks on several messages, in any of the bot's guilds: each member is the one of that name in
            # the message's guild (a member clicks only where they are a member).
            return await run_clicks(body["clicks"], timeout)
        mid = int(body["message_id"])
        return await run_many(body, lambda a: a.click(mid, body["button"], timeout=timeout))

    async def run_clicks(clicks: list[dict[str, Any]], timeout: float) -> web.Response:  # noqa: ASYNC109 - passed on
        from .actors import Actor

        started = time.perf_counter()
        pending = []
        for one in clicks:
            stored = club.world.messages.get(int(one["message_id"]))
            guild = club.world.guild_of(club.world.channels[stored.channel_id]) if stored else None
            if stored is None or guild is None:
                return _json({"error": f"no guild message {one['message_id']}"}, 400)
            member = next((m for m in guild.members.values() if m.user.name == one["member"]), None)
            if member is None:
                return _json({"error": f"no member {one['member']!r} in guild {guild.id}"}, 400)
            actor = Actor(club, member.user.id)
            pending.append(actor.click(stored, one["button"], timeout=timeout))
        results = await asyncio.gather(*pending, return_exceptions=True)
        ok = [r for r in results if not isinstance(r, BaseException)]
        errors = [str(r) for r in results if isinstance(r, BaseException)]
        return _json({"ok": len(ok), "errors": errors[:20], "seconds": time.perf_counter() - started})

    async def guilds(request: web.Request) -> web.Response:
        world = club.world
        found: dict[int, dict[str, Any]] = {
            g.id: {
                "id": str(g.id),
                "name": g.name,
                "channels": {},
                "roles": {r.name: str(r.id) for r in g.roles.values()},
                "members": [m.user.name for m in g.members.values() if not m.user.bot],
            }
            for g in world.guilds.values()
        }
        for c in world.channels.values():
            if c.guild_id in found and not c.is_thread:
                found[c.guild_id]["channels"][c.name] = str(c.id)
        return _json(list(found.values()))

    async def slash(request: web.Request) -> web.Response:
        body = await body_of(request)
        channel = channel_of(body)
        return await run_many(
            body,
            lambda a: a.slash(
                body["command"],
                in_channel=channel,
                options=body.get("options") or {},
                timeout=float(body.get("timeout", 10)),
            ),
        )

    async def requests_log(request: web.Request) -> web.Response:
        since = int(request.query.get("since", 0))
        return _json(
            {
                "total": len(club.requests),
                "requests": [
                    {
                        "method": r.method,
                        "route": r.route,
                        "path": r.path,
                        "status": r.status,
                        "time": r.real_time,
                        "duration": r.duration,
                    }
                    for r in club.requests[since:]
                ],
            }
        )

    async def messages(request: web.Request) -> web.Response:
        channel = channel_of(dict(request.query))
        return _json([m.payload for m in club.messages_in(channel)])

    async def flood(request: web.Request) -> web.Response:
        body = await body_of(request)
        channel = channel_of(body)
        count = int(body.get("count", 1000))
        author = actors({"count": 1})[0]
        started = time.perf_counter()
        for i in range(count):
            stored = club.messages.build(
                channel, author.id, {"content": f"{body.get('content', 'flood')} {i}"}
            )
            await club.dispatch("MESSAGE_CREATE", stored.payload)
        return _json({"sent": count, "seconds": time.perf_counter() - started})

    async def vote(request: web.Request) -> web.Response:
        # Each member votes for every listed answer (or removes those votes with "unvote": true), one
        # after another, as fast as the emulator can dispatch the MESSAGE_POLL_VOTE_* events.
        body = await body_of(request)
        mid = int(body["message_id"])
        answers = list(body.get("answers") or [1])
        sent, errors = 0, []
        started = time.perf_counter()
        for actor in actors(body):
            for answer in answers:
                try:
                    if body.get("unvote"):
                        await actor.unvote(mid, answer)
                    else:
                        await actor.vote(mid, answer)
                    sent += 1
                except AssertionError as exc:
                    errors.append(str(exc))
        return _json({"sent": sent, "errors": errors[:20], "seconds": time.perf_counter() - started})

    async def advance(request: web.Request) -> web.Response:
        body = await body_of(request)
        await club.clock.advance(float(body.get("seconds", 0)))
        return _json({"now": club.clock.now().isoformat()})

    async def rate_limits(request: web.Request) -> web.Response:
        body = await body_of(request)
        club.ratelimiter.enabled = bool(body.get("enabled", True))
        return _json({"enabled": club.ratelimiter.enabled})

    async def fault(request: web.Request) -> web.Response:
        body = await body_of(request)
        club.fail(
            body.get("method", "*"),
            body["route"],
            int(body.get("status", 500)),
            times=body.get("times", 1),
            delay=float(body.get("delay", 0)),
        )
        return _json({"faults": len(club.faults)})

    async def gateway(request: web.Request) -> web.Response:
        body = await body_of(request)
        action = body.get("action")
        if action == "close":
            await club.gateway.close(int(body.get("code", 4000)))
        elif action == "drop":
            await club.gateway.drop()
        elif action == "reconnect":
            await club.gateway.request_reconnect()
        elif action == "invalidate":
            await club.gateway.invalidate_session(resumable=bool(body.get("resumable", False)))
        else:
            return _json({"error": f"unknown action {action!r}"}, 400)
        return _json({"ok": True})

    async def forum(request: web.Request) -> web.Response:
        body = await body_of(request)
        ch = club.forum_channel(
            body["name"], tags=list(body.get("tags") or []), require_tag=bool(body.get("require_tag"))
        )
        return _json(
            {"id": str(ch.id), "flags": ch.flags, "tags": {t["name"]: t["id"] for t in ch.available_tags}}
        )

    async def dms(request: web.Request) -> web.Response:
        # Who can receive the bot's DMs: "accepts_dms": false closes them (50007), "shares_server": false makes
        # the members count as sharing no server with the bot (50278); true undoes either.
        body = await body_of(request)
        changed = actors(body)
        for actor in changed:
            if "accepts_dms" in body:
                club.close_dms(actor, closed=not body["accepts_dms"])
            if "shares_server" in body:
                club.share_no_server(actor, no_server=not body["shares_server"])
        return _json({"ids": [str(a.id) for a in changed]})

    async def violations(request: web.Request) -> web.Response:
        return _json([str(v) for v in club.violations])

    app.router.add_get("/_control/info", info)
    app.router.add_get("/_control/guilds", guilds)
    app.router.add_post("/_control/members", members)
    app.router.add_post("/_control/say", say)
    app.router.add_post("/_control/click", click)
    app.router.add_post("/_control/slash", slash)
    app.router.add_get("/_control/requests", requests_log)
    app.router.add_get("/_control/messages", messages)
    app.router.add_post("/_control/flood", flood)
    app.router.add_post("/_control/vote", vote)
    app.router.add_post("/_control/advance", advance)
    app.router.add_post("/_control/rate_limits", rate_limits)
    app.router.add_post("/_control/fault", fault)
    app.router.add_post("/_control/gateway", gateway)
    app.router.add_get("/_control/violations", violations)
    app.router.add_post("/_control/forum", forum)
    app.router.add_post("/_control/dms", dms)
