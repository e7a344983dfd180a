"""REST routes for channels and their messages, pins and reactions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from .. import payloads
from ..errors import DiscordHTTPError, bad_request, form_error, missing_access, missing_permissions
from ..events import Events
from ..messages import MessageService, Upload
from ..routing import RestRequest, Router
from ..threads import ThreadService, check_applied_tags
from ..world import Channel, ChannelType, Overwrite, StoredMessage, World
from .base import RouteBase


class ChannelMessageRoutes(RouteBase):
    """Serve /channels/{id} (not thread-specific routes), messages, pins and reactions."""

    def __init__(
        self,
        world: World,
        events: Events,
        messages: MessageService,
        threads: ThreadService,
        content_intent: Callable[[], bool],
    ) -> None:
        super().__init__(world)
        self.events = events
        self.messages = messages
        self.threads = threads
        self._content_intent = content_intent

    def _for_app(self, m: StoredMessage) -> dict[str, Any]:
        """Return `m` as the bot may read it: other people's content needs the Message Content intent."""
        return payloads.message_for_app(self.world, m.payload, content_intent=self._content_intent())

    def register(self, router: Router) -> None:
        """Add these routes to `router`."""
        r = router.add
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

    def check_send(self, ch: Channel, body: dict[str, Any], files: list[Upload]) -> None:
        """Apply Discord's checks for posting into `ch`."""
        if ch.type == ChannelType.GUILD_FORUM:
            raise bad_request(50008, "Cannot send messages in a non-text channel")
        if ch.type == ChannelType.DM:
            self.check_dm_reach(ch)
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

    def check_dm_reach(self, dm: Channel) -> None:
        """Refuse a DM the recipient cannot receive, with Discord's 403s (Opcodes and Status Codes, JSON codes).

        A member who turned off DMs from server members gets 50007 "Cannot send messages to this user". A user
        who shares no server with the bot gets 50278, documented since 2026-03 (discord-api-docs#8212, #8244)
        as "Cannot send messages to this user due to having no mutual guilds"; bots that only know 50007 see a
        403 either way. Create DM (User resource) itself succeeds: it returns the DM channel, or the existing one.
        """
        for uid in dm.recipient_ids:
            if uid == self.me:
                continue
            if not self.world.shares_server_with_bot(uid):
                raise DiscordHTTPError(
                    403, 50278, "Cannot send messages to this user due to having no mutual guilds"
                )
            if not self.world.users[uid].accepts_dms:
                raise DiscordHTTPError(403, 50007, "Cannot send messages to this user")

    async def _pins_update(self, ch: Channel) -> None:
        pins = self.world.pins.get(ch.id, [])
        data: dict[str, Any] = {
            "channel_id": str(ch.id),
            "last_pin_timestamp": payloads.iso(pins[-1][1]) if pins else None,
        }
        if ch.guild_id:
            data["guild_id"] = str(ch.guild_id)
        await self.events.dispatch("CHANNEL_PINS_UPDATE", data)

    async def get_channel(self, req: RestRequest) -> Any:
        """GET /channels/{id}."""
        ch = self.channel(req)
        return payloads.channel(self.world, ch, for_user=self.me)

    async def edit_channel(self, req: RestRequest) -> Any:
        """PATCH /channels/{id} (name, topic; thread archived/locked)."""
        ch = self.channel(req)
        body = req.json()
        if ch.is_thread:
            self._check_thread_edit(ch, body)
            for key in ("name", "archived", "locked", "auto_archive_duration", "invitable", "applied_tags"):
                if key in body:
                    setattr(ch, key, body[key] if key != "applied_tags" else [int(t) for t in body[key]])
            if body.get("archived") is False:
                ch.last_activity_at = self.world.clock.now()  # auto-archive counts from the unarchive
            data = payloads.channel(self.world, ch, for_user=self.me)
            await self.events.dispatch("THREAD_UPDATE", data)
            return data
        self.need(ch, "manage_channels")
        for key in ("name", "topic", "nsfw", "rate_limit_per_user", "position"):
            if key in body:
                setattr(ch, key, body[key])
        data = payloads.channel(self.world, ch)
        await self.events.dispatch("CHANNEL_UPDATE", data)
        return data

    def _check_thread_edit(self, th: Channel, body: dict[str, Any]) -> None:
        """Apply Discord's rules for PATCHing a thread (Channel resource, "Modify Channel", JSON Params (Thread)).

        "When setting archived to false, when locked is also false, only the SEND_MESSAGES permission is
        required. Otherwise, requires the MANAGE_THREADS permission. [...] Requires the thread to have archived
        set to false or be set to false in the request." The thread's creator may also change its name,
        archived and auto_archive_duration (discord.py's Thread.edit documents this), and a locked thread
        "only users with MANAGE_THREADS can unarchive". `invitable` is "only available on private threads".
        """
        if th.archived and body.get("archived") is not False:
            raise bad_request(50083, "Thread is archived")
        check_applied_tags(body.get("applied_tags"))
        if "invitable" in body and th.type != ChannelType.PRIVATE_THREAD:
            raise form_error("invitable", "BASE_TYPE_BAD_VALUE", "Only private threads can be invitable")
        moderator = self.world.can(th, self.me, "manage_threads")
        if moderator:
            return
        locking = "locked" in body and bool(body["locked"]) != th.locked
        if locking or (th.locked and body.get("archived") is False):
            raise missing_permissions()
        if set(body) <= {"archived"} and body.get("archived") is False:
            self.need(th, "send_messages_in_threads")
            return
        owner_fields = {"name", "archived", "auto_archive_duration", "applied_tags"}
        if th.owner_id != self.me or set(body) - owner_fields:
            raise missing_permissions()

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
            await self.events.dispatch(
                "THREAD_DELETE",
                {
                    "id": str(ch.id),
                    "guild_id": str(ch.guild_id),
                    "parent_id": str(ch.parent_id),
                    "type": ch.type,
                },
            )
        else:
            await self.events.dispatch("CHANNEL_DELETE", data)
        return data

    async def put_overwrite(self, req: RestRequest) -> Any:
        """PUT a permission overwrite."""
        ch = self.channel(req)
        self.need(ch, "manage_roles")
        body = req.json()
        oid = req.int_param("overwrite_id")
        ch.overwrites = [o for o in ch.overwrites if o.id != oid]
        ch.overwrites.append(
            Overwrite(oid, int(body.get("type", 0)), int(body.get("allow") or 0), int(body.get("deny") or 0))
        )
        await self.events.dispatch("CHANNEL_UPDATE", payloads.channel(self.world, ch))
        return None

    async def delete_overwrite(self, req: RestRequest) -> Any:
        """DELETE a permission overwrite."""
        ch = self.channel(req)
        self.need(ch, "manage_roles")
        oid = req.int_param("overwrite_id")
        ch.overwrites = [o for o in ch.overwrites if o.id != oid]
        await self.events.dispatch("CHANNEL_UPDATE", payloads.channel(self.world, ch))
        return None

    async def typing(self, req: RestRequest) -> Any:
        """POST typing."""
        ch = self.channel(req)
        self.need(ch, self.send_permission(ch))
        return None

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
        return [self._for_app(m) for m in reversed(msgs)]

    async def create_message(self, req: RestRequest) -> Any:
        """POST a message as the bot."""
        ch = self.channel(req)
        body = req.json()
        self.check_send(ch, body, req.files)
        self.messages.check_body(ch, body, req.files, req.size, creating=True)
        if ch.is_thread:
            await self.threads.unarchive_for_post(ch)
        stored = self.messages.build(ch, self.me, body, files=req.files)
        await self.events.message_created(stored)
        return stored.payload

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
        await self.events.dispatch("MESSAGE_DELETE_BULK", data)
        return None

    async def list_pins(self, req: RestRequest) -> Any:
        """GET /channels/{id}/messages/pins."""
        ch = self.channel(req)
        if not self.world.can_read_history(ch, self.me):
            return {"items": [], "has_more": False}
        items = [
            {"pinned_at": payloads.iso(at), "message": self._for_app(self.world.messages[mid])}
            for mid, at in reversed(self.world.pins.get(ch.id, []))
            if not self.world.messages[mid].deleted
        ]
        return {"items": items, "has_more": False}

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
            await self.events.dispatch("MESSAGE_UPDATE", m.payload)
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
        await self.events.dispatch("MESSAGE_UPDATE", m.payload)
        await self._pins_update(ch)
        return None

    async def list_pins_legacy(self, req: RestRequest) -> Any:
        """GET /channels/{id}/pins (deprecated form)."""
        data = await self.list_pins(req)
        return [i["message"] for i in data["items"]]

    async def get_message(self, req: RestRequest) -> Any:
        """GET one message."""
        ch = self.channel(req)
        if not self.world.can_read_history(ch, self.me):
            raise missing_access()
        return self._for_app(self.message(req, ch))

    async def edit_message(self, req: RestRequest) -> Any:
        """PATCH a message (only the bot's own, except flags with manage_messages)."""
        ch = self.channel(req)
        m = self.message(req, ch)
        body = req.json()
        if int(m.payload["author"]["id"]) != self.me:
            if set(body) - {"flags"}:
                raise DiscordHTTPError(403, 50005, "Cannot edit a message authored by another user")
            self.need(ch, "manage_messages")
        self.messages.check_body(ch, body, req.files, req.size, creating=False, existing=m)
        self.messages.edit(m, body, files=req.files)
        await self.events.message_updated(m)
        return self._for_app(m)

    async def delete_message(self, req: RestRequest) -> Any:
        """DELETE a message (own, or any with manage_messages)."""
        ch = self.channel(req)
        m = self.message(req, ch)
        if int(m.payload["author"]["id"]) != self.me:
            self.need(ch, "manage_messages")
        await self.messages.delete(m)
        return None

    async def add_reaction(self, req: RestRequest) -> Any:
        """PUT the bot's reaction."""
        ch = self.channel(req)
        m = self.message(req, ch)
        emoji = unquote(req.params["emoji"])
        if ch.type != ChannelType.DM:
            self.need(ch, "read_message_history")
            if emoji not in m.reactions:
                self.need(ch, "add_reactions")
        await self.messages.react(m, self.me, emoji)
        return None

    async def remove_own_reaction(self, req: RestRequest) -> Any:
        """DELETE the bot's reaction."""
        ch = self.channel(req)
        m = self.message(req, ch)
        await self.messages.unreact(m, self.me, unquote(req.params["emoji"]))
        return None

    async def remove_reaction(self, req: RestRequest) -> Any:
        """DELETE someone's reaction (manage_messages)."""
        ch = self.channel(req)
        m = self.message(req, ch)
        self.need(ch, "manage_messages")
        await self.messages.unreact(m, req.int_param("user_id"), unquote(req.params["emoji"]))
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
        await self.events.dispatch("MESSAGE_REACTION_REMOVE_ALL", data)
        return None
