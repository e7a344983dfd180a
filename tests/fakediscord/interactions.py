"""Interactions: the payloads members trigger, the bot's callbacks, follow-ups and the deadlines."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import payloads
from .errors import DiscordHTTPError, bad_request, unknown
from .messages import EPHEMERAL, LOADING
from .rest import RestRequest, RestResponse, Router
from .world import Channel, StoredMessage

if TYPE_CHECKING:
    from .server import FakeDiscord


class InteractionType:
    """Interaction type numbers."""

    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType:
    """Interaction callback (response) type numbers."""

    CHANNEL_MESSAGE = 4
    DEFERRED_CHANNEL_MESSAGE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    AUTOCOMPLETE_RESULT = 8
    MODAL = 9


TOKEN_LIFETIME = timedelta(minutes=15)


@dataclass
class InteractionRecord:
    """An interaction the emulator sent and everything the bot did with it."""

    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    payload: dict[str, Any]
    label: str  # how tests name it in messages: "/club setup", "click 'I read it'"
    created_real: float
    created_at: datetime
    message_id: int | None = None  # the message a component lives on
    response_type: int | None = None
    response: dict[str, Any] | None = None
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    edits: int = 0
    late_callbacks: int = 0
    trigger_id: int | None = None  # for a modal submit: the interaction that opened the modal

    @property
    def responded(self) -> bool:
        """Tell whether the initial response arrived."""
        return self.response_type is not None


class InteractionService:
    """Create interactions on behalf of members and serve the bot's answers."""

    def __init__(self, club: FakeDiscord, router: Router, *, deadline: float = 3.0) -> None:
        self.club = club
        self.deadline = deadline
        self.records: dict[int, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}
        r = router.add
        r("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self.callback, auth=False)
        r("POST", "/webhooks/{webhook_id}/{webhook_token}", self.followup, auth=False)
        r(
            "GET",
            "/webhooks/{webhook_id}/{webhook_token}/messages/{message_ref}",
            self.get_message,
            auth=False,
        )
        r(
            "PATCH",
            "/webhooks/{webhook_id}/{webhook_token}/messages/{message_ref}",
            self.edit_message,
            auth=False,
        )
        r(
            "DELETE",
            "/webhooks/{webhook_id}/{webhook_token}/messages/{message_ref}",
            self.delete_message,
            auth=False,
        )

    # -- creation (member side) -------------------------------------------------------------------------
    async def create(
        self,
        itype: int,
        user_id: int,
        channel: Channel,
        data: dict[str, Any],
        *,
        label: str,
        message: StoredMessage | None = None,
        trigger_id: int | None = None,
    ) -> InteractionRecord:
        """Build an interaction, remember it and dispatch INTERACTION_CREATE."""
        world = self.club.world
        iid = world.new_id()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        guild = world.guild_of(channel)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(world.bot_user.id),
            "type": itype,
            "token": token,
            "version": 1,
            "channel_id": str(channel.id),
            "channel": payloads.interaction_channel(world, channel, user_id),
            "data": data,
            "locale": "en-US",
            "app_permissions": str(world.permissions_in(channel, world.bot_user.id)),
            "entitlements": [],
            "attachment_size_limit": 26214400,
        }
        if guild is not None:
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
                    "guild_locale": "en-US",
                    "context": 0,
                    "authorizing_integration_owners": {"0": str(guild.id)},
                    "member": payloads.member(
                        guild.members[user_id], permissions=world.permissions_in(channel, user_id)
                    ),
                }
            )
        else:
            payload.update(
                {
                    "user": payloads.user(world.users[user_id]),
                    "context": 1,
                    "authorizing_integration_owners": {"0": str(world.bot_user.id)},
                }
            )
        if message is not None:
            payload["message"] = payloads.nested_message(message.payload)
        rec = InteractionRecord(
            iid,
            token,
            itype,
            user_id,
            channel.id,
            payload,
            label,
            time.monotonic(),
            world.clock.now(),
            message_id=message.id if message else None,
            trigger_id=trigger_id,
        )
        self.records[iid] = rec
        self._by_token[token] = rec
        await self.club.dispatch("INTERACTION_CREATE", payload)
        return rec

    # -- the bot's side ---------------------------------------------------------------------------------
    def _record(self, req: RestRequest, key: str) -> InteractionRecord:
        rec = self._by_token.get(req.params[key])
        if rec is None:
            raise unknown("webhook")
        return rec

    async def callback(self, req: RestRequest) -> Any:
        """POST /interactions/{id}/{token}/callback."""
        rec = self.records.get(req.int_param("interaction_id"))
        if rec is None or rec.token != req.params["interaction_token"]:
            raise unknown("interaction")
        if time.monotonic() - rec.created_real > self.deadline:
            rec.late_callbacks += 1
            self.club.notify()
            raise unknown("interaction")
        if rec.responded:
            raise bad_request(40060, "Interaction has already been acknowledged.")
        body = req.json()
        rtype = int(body.get("type", 0))
        data = body.get("data") or {}
        messages = self.club.messages
        world = self.club.world
        channel = world.channels[rec.channel_id]
        resource: dict[str, Any] = {"type": rtype}
        result: dict[str, Any] = {"interaction": {"id": str(rec.id), "type": rec.type}}
        if rtype in (CallbackType.CHANNEL_MESSAGE, CallbackType.DEFERRED_CHANNEL_MESSAGE):
            if rec.type == InteractionType.AUTOCOMPLETE:
                raise bad_request(50035, "Invalid Form Body")
            flags = int(data.get("flags") or 0)
            ephemeral = bool(flags & EPHEMERAL)
            if rtype == CallbackType.DEFERRED_CHANNEL_MESSAGE:
                flags |= LOADING
            extra = {
                "type": 20
                if rec.type == InteractionType.APPLICATION_COMMAND
                else 19
                if rec.message_id
                else 0,
                "application_id": str(world.bot_user.id),
                "webhook_id": str(world.bot_user.id),
                "interaction_metadata": self._metadata(rec),
            }
            if rec.type == InteractionType.MESSAGE_COMPONENT and rec.message_id:
                extra["type"] = 0
            stored = messages.build(
                channel,
                world.bot_user.id,
                {**data, "flags": flags},
                files=req.files,
                ephemeral_for=rec.user_id if ephemeral else None,
                extra=extra,
            )
            rec.original_id = stored.id
            result["interaction"].update(
                response_message_id=str(stored.id),
                response_message_loading=rtype == CallbackType.DEFERRED_CHANNEL_MESSAGE,
                response_message_ephemeral=ephemeral,
            )
            resource["message"] = stored.payload
            if not ephemeral:
                await self.club.dispatch_message_create(stored)
        elif rtype in (CallbackType.UPDATE_MESSAGE, CallbackType.DEFERRED_UPDATE_MESSAGE):
            if rec.message_id is None:
                raise bad_request(40004, "Interaction type does not support this response")
            target = world.messages[rec.message_id]
            rec.original_id = target.id
            if rtype == CallbackType.UPDATE_MESSAGE:
                messages.edit(target, data, files=req.files)
                if target.ephemeral_for is None:
                    await self.club.dispatch("MESSAGE_UPDATE", target.payload)
                resource["message"] = target.payload
        elif rtype == CallbackType.AUTOCOMPLETE_RESULT:
            if rec.type != InteractionType.AUTOCOMPLETE:
                raise bad_request(40004, "Interaction type does not support this response")
        elif rtype == CallbackType.MODAL:
            if rec.type in (InteractionType.MODAL_SUBMIT, InteractionType.AUTOCOMPLETE):
                raise bad_request(40004, "Interaction type does not support this response")
        else:
            raise bad_request(50035, "Invalid Form Body")
        rec.response_type = rtype
        rec.response = body
        result["interaction"]["activity_instance_id"] = None
        if rtype in (CallbackType.CHANNEL_MESSAGE, CallbackType.UPDATE_MESSAGE):
            result["resource"] = resource
        self.club.notify()
        if req.query.get("with_response") in ("1", "true", "True"):
            return result
        return None

    def _metadata(self, rec: InteractionRecord) -> dict[str, Any]:
        world = self.club.world
        md: dict[str, Any] = {
            "id": str(rec.id),
            "type": rec.type,
            "user": payloads.user(world.users[rec.user_id]),
            "authorizing_integration_owners": rec.payload.get("authorizing_integration_owners"),
        }
        if rec.message_id and rec.type == InteractionType.MESSAGE_COMPONENT:
            md["interacted_message_id"] = str(rec.message_id)
        if rec.type == InteractionType.MODAL_SUBMIT:
            trigger = self.records.get(rec.trigger_id or 0)
            md["triggering_interaction_metadata"] = (
                self._metadata(trigger)
                if trigger is not None
                else {
                    "id": str(rec.id),
                    "type": 2,
                    "user": md["user"],
                    "authorizing_integration_owners": md["authorizing_integration_owners"],
                }
            )
        return md

    def _live_token(self, rec: InteractionRecord) -> None:
        # Discord answers an expired interaction token with 401 50027, not 10062 (discord-api-docs#6851).
        if self.club.clock.now() - rec.created_at > TOKEN_LIFETIME:
            raise DiscordHTTPError(401, 50027, "Invalid Webhook Token")

    def _target(self, rec: InteractionRecord, ref: str) -> StoredMessage:
        world = self.club.world
        if ref == "@original":
            if not rec.responded or rec.original_id is None:
                raise unknown("message")
            return world.messages[rec.original_id]
        mid = int(ref)
        if mid != rec.original_id and mid not in rec.followup_ids:
            raise unknown("message")
        msg = world.messages.get(mid)
        if msg is None or msg.deleted:
            raise unknown("message")
        return msg

    async def followup(self, req: RestRequest) -> Any:
        """POST /webhooks/{app}/{token}: a follow-up message."""
        rec = self._record(req, "webhook_token")
        self._live_token(rec)
        if not rec.responded:
            raise unknown("webhook")
        body = req.json()
        world = self.club.world
        channel = world.channels[rec.channel_id]
        ephemeral = bool(int(body.get("flags") or 0) & EPHEMERAL)
        # The first follow-up after a deferral replaces the "thinking" original.
        if (
            rec.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE
            and rec.original_id is not None
            and world.messages[rec.original_id].payload["flags"] & LOADING
        ):
            stored = world.messages[rec.original_id]
            self.club.messages.edit(stored, {**body, "flags": int(body.get("flags") or 0)}, files=req.files)
            rec.edits += 1
            if stored.ephemeral_for is None:
                await self.club.dispatch("MESSAGE_UPDATE", stored.payload)
        else:
            extra = {
                "application_id": str(world.bot_user.id),
                "webhook_id": str(world.bot_user.id),
                "interaction_metadata": self._metadata(rec),
            }
            stored = self.club.messages.build(
                channel,
                world.bot_user.id,
                body,
                files=req.files,
                ephemeral_for=rec.user_id if ephemeral else None,
                extra=extra,
            )
            if not ephemeral:
                await self.club.dispatch_message_create(stored)
        rec.followup_ids.append(stored.id)
        self.club.notify()
        wait = req.query.get("wait") in ("true", "1", "True")
        return stored.payload if wait else RestResponse(204)

    async def get_message(self, req: RestRequest) -> Any:
        """GET /webhooks/{app}/{token}/messages/{id|@original}."""
        rec = self._record(req, "webhook_token")
        self._live_token(rec)
        return self._target(rec, req.params["message_ref"]).payload

    async def edit_message(self, req: RestRequest) -> Any:
        """PATCH /webhooks/{app}/{token}/messages/{id|@original}."""
        rec = self._record(req, "webhook_token")
        self._live_token(rec)
        msg = self._target(rec, req.params["message_ref"])
        self.club.messages.edit(msg, req.json(), files=req.files)
        rec.edits += 1
        if msg.ephemeral_for is None:
            await self.club.dispatch("MESSAGE_UPDATE", msg.payload)
        self.club.notify()
        return msg.payload

    async def delete_message(self, req: RestRequest) -> Any:
        """DELETE /webhooks/{app}/{token}/messages/{id|@original}."""
        rec = self._record(req, "webhook_token")
        self._live_token(rec)
        msg = self._target(rec, req.params["message_ref"])
        await self.club.delete_message(msg)
        return None
