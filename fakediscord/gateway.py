"""The gateway websocket: HELLO, IDENTIFY, heartbeats, RESUME with replay, member chunks and faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads
from .changes import Changes
from .world import Channel, World

log = logging.getLogger(__name__)

# Intent bits
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16
GUILD_MESSAGE_POLLS = 1 << 24
DIRECT_MESSAGE_POLLS = 1 << 25
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# event -> (intent for guild events, intent for DM events); None = always delivered
_EVENT_INTENTS: dict[str, tuple[int, int] | None] = {
    "MESSAGE_CREATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_UPDATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_DELETE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_DELETE_BULK": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_REACTION_ADD": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE_ALL": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_POLL_VOTE_ADD": (GUILD_MESSAGE_POLLS, DIRECT_MESSAGE_POLLS),
    "MESSAGE_POLL_VOTE_REMOVE": (GUILD_MESSAGE_POLLS, DIRECT_MESSAGE_POLLS),
    "GUILD_MEMBER_ADD": (GUILD_MEMBERS, GUILD_MEMBERS),
    "GUILD_MEMBER_UPDATE": (GUILD_MEMBERS, GUILD_MEMBERS),
    "GUILD_MEMBER_REMOVE": (GUILD_MEMBERS, GUILD_MEMBERS),
    "GUILD_SCHEDULED_EVENT_CREATE": (GUILD_SCHEDULED_EVENTS, GUILD_SCHEDULED_EVENTS),
    "GUILD_SCHEDULED_EVENT_UPDATE": (GUILD_SCHEDULED_EVENTS, GUILD_SCHEDULED_EVENTS),
    "GUILD_SCHEDULED_EVENT_DELETE": (GUILD_SCHEDULED_EVENTS, GUILD_SCHEDULED_EVENTS),
    "GUILD_SCHEDULED_EVENT_USER_ADD": (GUILD_SCHEDULED_EVENTS, GUILD_SCHEDULED_EVENTS),
    "GUILD_SCHEDULED_EVENT_USER_REMOVE": (GUILD_SCHEDULED_EVENTS, GUILD_SCHEDULED_EVENTS),
    "CHANNEL_CREATE": (GUILDS, GUILDS),
    "CHANNEL_UPDATE": (GUILDS, GUILDS),
    "CHANNEL_DELETE": (GUILDS, GUILDS),
    "THREAD_CREATE": (GUILDS, GUILDS),
    "THREAD_UPDATE": (GUILDS, GUILDS),
    "THREAD_DELETE": (GUILDS, GUILDS),
    "THREAD_MEMBERS_UPDATE": (GUILDS, GUILDS),
    "GUILD_ROLE_CREATE": (GUILDS, GUILDS),
    "GUILD_ROLE_UPDATE": (GUILDS, GUILDS),
}
# Dispatches whose payload is the guild itself, so its id is `id`, not `guild_id`.
_GUILD_OBJECT_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})
# Opcodes a client may send (Opcodes and Status Codes, "Gateway Opcodes", client "Send").
_CLIENT_OPCODES = {1, 2, 3, 4, 6, 8, 31, 43}
# Identify Structure: required fields and connection properties.
_IDENTIFY_REQUIRED = ("token", "properties", "intents")
_IDENTIFY_PROPERTIES = ("os", "browser", "device")


@dataclass
class Session:
    """A gateway session: survives disconnects until it is invalidated, so RESUME can replay."""

    session_id: str
    intents: int
    # Identify Structure `shard`: [shard_id, num_shards]; a bot that sends none is the only shard.
    shard: tuple[int, int] = (0, 1)
    seq: int = 0
    buffer: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    transport: Any = None
    # Highest sequence number written to a websocket, so replay and live sends never repeat a frame.
    sent_seq: int = 0
    # The sequence number of the bot's last heartbeat: the last dispatch its gateway reader had handled.
    heartbeat_seq: int = 0

    @property
    def connected(self) -> bool:
        """Tell whether a websocket is attached and open."""
        return self.ws is not None and not self.ws.closed

    def holds(self, guild_id: int) -> bool:
        """Tell whether this session's shard receives the guild's events.

        Topics "Gateway", Sharding: shard_id = (guild_id >> 22) % num_shards.
        """
        return shard_of(guild_id, self.shard[1]) == self.shard[0]


def shard_of(guild_id: int, num_shards: int) -> int:
    """Return the shard that receives a guild's events (Gateway topic, "Sharding Formula")."""
    return (guild_id >> 22) % num_shards


# Topics "Gateway", Sharding: "2,500 guilds per shard" is where Discord requires sharding (close code
# 4011); GET /gateway/bot recommends a shard per 1,000 guilds in Discord's own practice.
MAX_GUILDS_PER_SHARD = 2500
GUILDS_PER_RECOMMENDED_SHARD = 1000


class Gateway:
    """Serve the gateway websocket for one bot user: one session per shard the bot identifies.

    A bot that sends no `shard` in IDENTIFY is shard [0, 1] and gets everything. With shards, each
    session gets READY and GUILD_CREATE for its own guilds only, guild events are routed by the sharding
    formula, and events without a guild (DMs among them) go to shard 0, as the Gateway topic says.
    """

    def __init__(
        self,
        world: World,
        changes: Changes,
        *,
        token: str,
        port: Callable[[], int],
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        self.world = world
        self.changes = changes
        self.token = token
        self._port = port
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[int, Session] = {}  # by shard id
        self.max_guilds_per_shard = MAX_GUILDS_PER_SHARD
        self.max_concurrency = 1  # session_start_limit.max_concurrency, as GET /gateway/bot reports
        self.identify_payload: dict[str, Any] | None = None
        self.identify_count = 0
        self.resume_count = 0
        self.drop_heartbeat_ack = False
        self.allowed_intents = PRIVILEGED
        self.member_limit_in_guild_create: int | None = None
        # Guilds whose GUILD_CREATE an IDENTIFY holds back until `release_guild_create`: READY lists a shard's
        # guilds as unavailable and their GUILD_CREATEs follow, while interactions may already arrive
        # (discord-api-docs, Gateway Events, Ready). Events for a held guild still go to its shard.
        self.held_guild_creates: set[int] = set()
        self._held: dict[int, Session] = {}
        self.frame_check: Callable[[dict[str, Any]], None] | None = None
        # Called with (close code, reason) when the bot breaks the gateway protocol; the server records it.
        self.on_violation: Callable[[int, str], None] | None = None
        self.received: list[dict[str, Any]] = []
        self._ready = asyncio.Event()
        self._listeners: list[Callable[[dict[str, Any]], Awaitable[None] | None]] = []
        # Dispatches leave through one ordered outbox, so events reach the bot in the order the world
        # changed, even when a change is made from synchronous test code.
        self._outbox: asyncio.Queue[tuple[Session, dict[str, Any], asyncio.Future[None] | None]] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._send_lock = asyncio.Lock()

    # -- public -----------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Return the websocket URL discord.py connects to."""
        return f"ws://127.0.0.1:{self._port()}/gateway/"

    @property
    def session(self) -> Session | None:
        """Return shard 0's session (the only one of an unsharded bot)."""
        return self.sessions.get(0)

    @property
    def connected(self) -> bool:
        """Tell whether the bot is connected with a live session (on every shard it identified)."""
        return bool(self.sessions) and all(s.connected for s in self.sessions.values())

    async def release_guild_create(self, guild_id: int) -> None:
        """Send the GUILD_CREATE an IDENTIFY held back (see `held_guild_creates`) and hold it no more."""
        self.held_guild_creates.discard(guild_id)
        sess = self._held.pop(guild_id, None)
        if sess is None:
            return
        guild = self.world.guilds[guild_id]
        channels = [c for c in self.world.channels.values() if c.guild_id == guild_id]
        await self.dispatch(
            "GUILD_CREATE",
            payloads.guild_create(
                self.world,
                guild,
                member_limit=self.member_limit_in_guild_create,
                members_intent=bool(sess.intents & GUILD_MEMBERS),
                channels=channels,
            ),
            to=sess,
        )

    async def request_heartbeat(self, sess: Session) -> None:
        """Ask the bot for a heartbeat now (Opcodes: 1 Heartbeat is also sent by the gateway to request one).

        Its answer carries the last sequence number the bot received, so `heartbeat_seq` then tells which
        dispatches its reader had handled (discord.py answers in order, after parsing what came before).
        """
        await self._send(sess.ws, {"op": 1, "d": None, "s": None, "t": None})

    def recommended_shards(self) -> int:
        """Return the shard count GET /gateway/bot recommends for the world's guilds."""
        return max(1, -(-len(self.world.guilds) // GUILDS_PER_RECOMMENDED_SHARD))

    def session_for(self, event: str, data: dict[str, Any]) -> Session | None:
        """Return the session that receives a dispatch: its guild's shard, or shard 0 without a guild."""
        key = "id" if event in _GUILD_OBJECT_EVENTS else "guild_id"
        guild_id = data.get(key) if isinstance(data, dict) else None
        if guild_id is None:
            return self.sessions.get(0)
        return next((s for s in self.sessions.values() if s.holds(int(guild_id))), None)

    def enqueue(
        self,
        event: str,
        data: dict[str, Any],
        *,
        done: asyncio.Future[None] | None = None,
        to: Session | None = None,
    ) -> bool:
        """Number a DISPATCH and queue it behind every earlier one; return False when it is not delivered."""
        sess = to or self.session_for(event, data)
        if sess is None or not self._wanted(sess, event, data):
            if done is not None:
                done.set_result(None)
            return False
        data = self._strip_content(sess, event, data)
        sess.seq += 1
        frame = {"op": 0, "t": event, "s": sess.seq, "d": data}
        sess.buffer.append(frame)
        if len(sess.buffer) > 5000:
            del sess.buffer[:1000]
        if self._outbox is None:
            self._outbox = asyncio.Queue()
            self._writer = asyncio.get_running_loop().create_task(self._write_outbox())
        self._outbox.put_nowait((sess, frame, done))
        return True

    async def dispatch(self, event: str, data: dict[str, Any], *, to: Session | None = None) -> None:
        """Send a DISPATCH to the bot (after all queued ones), or buffer it for RESUME when disconnected."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.enqueue(event, data, done=done, to=to)
        await done

    async def _write_outbox(self) -> None:
        assert self._outbox is not None
        while True:
            sess, frame, done = await self._outbox.get()
            try:
                async with self._send_lock:
                    current = self.sessions.get(sess.shard[0])
                    if sess is current and sess.connected and frame["s"] > sess.sent_seq:
                        await self._send(sess.ws, frame)
                        sess.sent_seq = frame["s"]
            finally:
                if done is not None and not done.done():
                    done.set_result(None)

    async def shutdown(self) -> None:
        """Stop the outbox writer."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
            self._writer = None
            self._outbox = None

    def _forget(self, sess: Session) -> None:
        self.sessions[sess.shard[0]] = Session(
            session_id="<forgotten>", intents=sess.intents, shard=sess.shard
        )

    async def close(self, code: int = 4000, *, forget_session: bool | None = None, shard: int = 0) -> None:
        """Close a shard's connection with a close code (4009 also forgets the session, as Discord does)."""
        if forget_session is None:
            forget_session = code in (4009, 4004, 4010, 4011, 4012, 4013, 4014)
        sess = self.sessions.get(shard)
        if sess is None or sess.ws is None:
            raise RuntimeError("the bot is not connected")
        ws = sess.ws
        if forget_session:
            self._forget(sess)
        await ws.close(code=code, message=b"fakediscord fault")

    async def drop(self, *, shard: int = 0) -> None:
        """Abort a shard's TCP connection without a close frame (the client sees 1006)."""
        sess = self.sessions.get(shard)
        if sess is None or sess.transport is None:
            raise RuntimeError("the bot is not connected")
        sess.transport.abort()

    async def request_reconnect(self, *, shard: int = 0) -> None:
        """Send op 7 RECONNECT to a shard."""
        sess = self.sessions.get(shard)
        if sess is not None:
            await self._send(sess.ws, {"op": 7, "d": None, "s": None, "t": None})

    async def invalidate_session(self, *, resumable: bool, shard: int = 0) -> None:
        """Send op 9 INVALID SESSION to a shard; when not resumable its session is forgotten."""
        sess = self.sessions.get(shard)
        if sess is None:
            raise RuntimeError("the bot is not connected")
        ws = sess.ws
        if not resumable:
            self._forget(sess)
        await self._send(ws, {"op": 9, "d": resumable, "s": None, "t": None})

    def on_receive(self, listener: Callable[[dict[str, Any]], Awaitable[None] | None]) -> None:
        """Call `listener(frame)` for every frame the bot sends."""
        self._listeners.append(listener)

    # -- internals --------------------------------------------------------------------------------------
    def _wanted(self, sess: Session, event: str, data: dict[str, Any]) -> bool:
        need = _EVENT_INTENTS.get(event)
        if need is None:
            return True
        bit = need[0] if data.get("guild_id") else need[1]
        return bool(sess.intents & bit)

    def _strip_content(self, sess: Session, event: str, data: dict[str, Any]) -> dict[str, Any]:
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            return data
        # Gateway dispatches carry content only when the bot asked for the intent in IDENTIFY (API v10).
        return payloads.message_for_app(self.world, data, content_intent=bool(sess.intents & MESSAGE_CONTENT))

    def app_has_message_content(self) -> bool:
        """Tell whether the app holds the Message Content intent, which decides content in REST responses.

        Discord decides REST by the app's settings in the Developer Portal (change log, "Message Content is a
        Privileged Intent"). The emulator takes those settings to be what the bot identified with, within
        `allowed_intents`: an operator switches on what the bot asks for, and asking for more closes 4014.
        """
        sess = self.session
        return (
            sess is not None
            and bool(sess.intents & MESSAGE_CONTENT)
            and bool(self.allowed_intents & MESSAGE_CONTENT)
        )

    async def _send(self, ws: web.WebSocketResponse | None, frame: dict[str, Any]) -> None:
        if self.frame_check is not None:
            self.frame_check(frame)
        if ws is None or ws.closed:
            return
        # A vanished peer is fine: the frame stays in the RESUME buffer.
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await ws.send_str(json.dumps(frame, separators=(",", ":")))

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one websocket connection."""
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        await self._send(
            ws, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None}
        )
        mine: Session | None = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                frame = json.loads(msg.data)
            except ValueError:
                frame = None
            if not isinstance(frame, dict):
                await self._refuse(
                    ws, 4002, "Error while decoding payload.", "a frame that is not a JSON object"
                )
                break
            self.received.append(frame)
            for listener in list(self._listeners):
                res = listener(frame)
                if asyncio.iscoroutine(res):
                    await res
            op, d = frame.get("op"), frame.get("d")
            problem = self._protocol_problem(op, d, authenticated=mine is not None)
            if problem is not None:
                await self._refuse(ws, *problem)
                break
            if op == 1:
                if mine is not None and isinstance(d, int):
                    mine.heartbeat_seq = max(mine.heartbeat_seq, d)
                if not self.drop_heartbeat_ack:
                    await self._send(ws, {"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                mine = await self._identify(ws, request, d or {})
                if mine is None:
                    break
            elif op == 6:
                mine = await self._resume(ws, request, d or {})
            elif op == 8 and mine is not None:
                await self._member_chunks(mine, d or {})
        if mine is not None and mine.ws is ws:
            mine.ws = None
        return ws

    def _protocol_problem(self, op: Any, d: Any, *, authenticated: bool) -> tuple[int, str, str] | None:
        """Return (close code, Discord's reason, what was wrong) when a client frame breaks the protocol.

        Close codes from Opcodes and Status Codes, "Gateway Close Event Codes": 4001 Unknown opcode,
        4002 Decode error (an invalid payload, such as an IDENTIFY without its required fields),
        4003 Not authenticated (a payload before identifying), 4005 Already authenticated.
        """
        if op not in _CLIENT_OPCODES:
            return 4001, "Unknown opcode.", f"unknown opcode {op!r}"
        if op == 2:
            if authenticated:
                return 4005, "Already authenticated.", "a second IDENTIFY on one connection"
            d = d if isinstance(d, dict) else {}
            props = d.get("properties") if isinstance(d.get("properties"), dict) else {}
            missing = [k for k in _IDENTIFY_REQUIRED if k not in d]
            missing += [
                f"properties.{k}" for k in _IDENTIFY_PROPERTIES if "properties" in d and k not in props
            ]
            if missing:
                return 4002, "Error while decoding payload.", f"IDENTIFY without {', '.join(missing)}"
        elif op in (3, 4, 8, 31, 43) and not authenticated:
            return 4003, "Not authenticated.", f"opcode {op} before IDENTIFY"
        return None

    async def _refuse(self, ws: web.WebSocketResponse, code: int, reason: str, what: str) -> None:
        if self.on_violation is not None:
            self.on_violation(code, what)
        await ws.close(code=code, message=reason.encode())

    async def _identify(
        self, ws: web.WebSocketResponse, request: web.Request, d: dict[str, Any]
    ) -> Session | None:
        if d.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(d.get("intents", 0))
        if intents & PRIVILEGED & ~self.allowed_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = _shard_field(d.get("shard"))
        if shard is None:
            # Close codes: 4010 Invalid shard, "You sent an invalid shard when identifying."
            await self._refuse(ws, 4010, "Invalid shard.", f"IDENTIFY with shard {d.get('shard')!r}")
            return None
        guilds = [g for g in self.world.guilds.values() if shard_of(g.id, shard[1]) == shard[0]]
        if len(guilds) > self.max_guilds_per_shard:
            # Close codes: 4011 Sharding required, "The session would have handled too many guilds".
            await ws.close(code=4011, message=b"Sharding required.")
            return None
        self.identify_payload = d
        self.identify_count += 1
        sess = Session(
            session_id=secrets.token_hex(16), intents=intents, shard=shard, ws=ws, transport=request.transport
        )
        for stale in [k for k, old in self.sessions.items() if old.shard[1] != shard[1]]:
            del self.sessions[stale]  # the bot re-sharded: sessions of the old count get nothing more
        self.sessions[shard[0]] = sess
        world = self.world
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": {
                    **payloads.user(world.bot_user),
                    "verified": True,
                    "mfa_enabled": False,
                    "email": None,
                },
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": sess.session_id,
                "resume_gateway_url": self.url.rstrip("/"),
                "session_type": "normal",
                "application": {"id": str(world.bot_user.id), "flags": 0, "flags_new": "0"},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "user_settings": {},
                "geo_ordered_rtc_regions": [],
                "shard": list(shard),
                "_trace": ["fakediscord"],
                "auth_session_id_hash": "",
            },
            to=sess,
        )
        by_guild: dict[int, list[Channel]] = {g.id: [] for g in guilds}
        for channel in world.channels.values():
            if channel.guild_id in by_guild:
                by_guild[channel.guild_id].append(channel)
        for guild in guilds:
            if guild.id in self.held_guild_creates:
                self._held[guild.id] = sess
                continue
            await self.dispatch(
                "GUILD_CREATE",
                payloads.guild_create(
                    world,
                    guild,
                    member_limit=self.member_limit_in_guild_create,
                    members_intent=bool(intents & GUILD_MEMBERS),
                    channels=by_guild[guild.id],
                ),
                to=sess,
            )
        self._ready.set()
        self.changes.notify()
        return sess

    async def _resume(
        self, ws: web.WebSocketResponse, request: web.Request, d: dict[str, Any]
    ) -> Session | None:
        sess = next((s for s in self.sessions.values() if s.session_id == d.get("session_id")), None)
        if sess is None or d.get("token") != self.token:
            await self._send(ws, {"op": 9, "d": False, "s": None, "t": None})
            return None
        self.resume_count += 1
        last = int(d.get("seq") or 0)
        async with self._send_lock:
            sess.ws, sess.transport = ws, request.transport
            for frame in [f for f in sess.buffer if f["s"] > last]:
                await self._send(ws, frame)
                sess.sent_seq = frame["s"]
        await self.dispatch("RESUMED", {"_trace": ["fakediscord"]}, to=sess)
        return sess

    async def _member_chunks(self, sess: Session, d: dict[str, Any]) -> None:
        world = self.world
        guild = world.guilds.get(int(d.get("guild_id") or 0))
        if guild is None or not sess.holds(guild.id):
            return
        members = list(guild.members.values())
        if d.get("user_ids"):
            wanted = {int(u) for u in (d["user_ids"] if isinstance(d["user_ids"], list) else [d["user_ids"]])}
            members = [m for m in members if m.user.id in wanted]
        elif d.get("query"):
            members = [m for m in members if m.user.name.lower().startswith(str(d["query"]).lower())]
            members = members[: int(d.get("limit") or 100) or len(members)]
        chunks = [members[i : i + 1000] for i in range(0, len(members), 1000)] or [[]]
        for i, chunk in enumerate(chunks):
            data: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [payloads.member(m) for m in chunk],
                "chunk_index": i,
                "chunk_count": len(chunks),
                "not_found": [],
            }
            if d.get("nonce"):
                data["nonce"] = d["nonce"]
            await self.dispatch("GUILD_MEMBERS_CHUNK", data, to=sess)


def _shard_field(value: Any) -> tuple[int, int] | None:
    """Return IDENTIFY's `shard` as (id, count), (0, 1) when absent; None when it is not a valid pair."""
    if value is None:
        return (0, 1)
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and value[1] >= 1
        and 0 <= value[0] < value[1]
    ):
        return (value[0], value[1])
    return None
