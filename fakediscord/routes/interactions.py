"""REST routes the bot uses to answer interactions: the callback, follow-ups and webhook message edits."""

from __future__ import annotations

import time
from typing import Any

from ..errors import DiscordHTTPError, bad_request, unknown
from ..events import Events
from ..interactions import (
    TOKEN_LIFETIME,
    CallbackType,
    InteractionRecord,
    InteractionService,
    InteractionType,
    check_modal,
)
from ..messages import EPHEMERAL, LOADING, MessageService
from ..routing import RestRequest, RestResponse, Router
from ..world import StoredMessage, World


class InteractionRoutes:
    """Serve /interactions/{id}/{token}/callback and /webhooks/{app}/{token}[/messages/...]."""

    def __init__(
        self, world: World, events: Events, messages: MessageService, interactions: InteractionService
    ) -> None:
        self.world = world
        self.events = events
        self.messages = messages
        self.interactions = interactions

    def register(self, router: Router) -> None:
        """Add these routes to `router` (they authenticate by the token in the path)."""
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

    def _record(self, req: RestRequest, key: str) -> InteractionRecord:
        rec = self.interactions.by_token.get(req.params[key])
        if rec is None:
            raise unknown("webhook")
        return rec

    async def callback(self, req: RestRequest) -> Any:
        """POST /interactions/{id}/{token}/callback."""
        rec = self.interactions.records.get(req.int_param("interaction_id"))
        if rec is None or rec.token != req.params["interaction_token"]:
            raise unknown("interaction")
        if time.monotonic() - rec.created_real > self.interactions.deadline:
            rec.late_callbacks += 1
            self.events.notify()
            raise unknown("interaction")
        if rec.responded:
            raise bad_request(40060, "Interaction has already been acknowledged.")
        body = req.json()
        rtype = int(body.get("type", 0))
        data = body.get("data") or {}
        messages = self.messages
        channel = self.world.channels[rec.channel_id]
        resource: dict[str, Any] = {"type": rtype}
        result: dict[str, Any] = {"interaction": {"id": str(rec.id), "type": rec.type}}
        if rtype in (CallbackType.CHANNEL_MESSAGE, CallbackType.UPDATE_MESSAGE):
            updated = (
                self.world.messages.get(rec.message_id or 0) if rtype == CallbackType.UPDATE_MESSAGE else None
            )
            self.messages.check_body(
                channel,
                data,
                req.files,
                req.size,
                creating=rtype == CallbackType.CHANNEL_MESSAGE,
                existing=updated,
            )
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
                "application_id": str(self.world.bot_user.id),
                "webhook_id": str(self.world.bot_user.id),
                "interaction_metadata": self.interactions.metadata(rec),
            }
            if rec.type == InteractionType.MESSAGE_COMPONENT and rec.message_id:
                extra["type"] = 0
            stored = messages.build(
                channel,
                self.world.bot_user.id,
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
                await self.events.message_created(stored)
        elif rtype in (CallbackType.UPDATE_MESSAGE, CallbackType.DEFERRED_UPDATE_MESSAGE):
            if rec.message_id is None:
                raise bad_request(40004, "Interaction type does not support this response")
            target = self.world.messages[rec.message_id]
            rec.original_id = target.id
            if rtype == CallbackType.UPDATE_MESSAGE:
                messages.edit(target, data, files=req.files)
                await self.events.message_updated(target)
                resource["message"] = target.payload
        elif rtype == CallbackType.AUTOCOMPLETE_RESULT:
            if rec.type != InteractionType.AUTOCOMPLETE:
                raise bad_request(40004, "Interaction type does not support this response")
        elif rtype == CallbackType.MODAL:
            if rec.type in (InteractionType.MODAL_SUBMIT, InteractionType.AUTOCOMPLETE):
                raise bad_request(40004, "Interaction type does not support this response")
            check_modal(data)
        else:
            raise bad_request(50035, "Invalid Form Body")
        rec.response_type = rtype
        rec.response = body
        result["interaction"]["activity_instance_id"] = None
        if rtype in (CallbackType.CHANNEL_MESSAGE, CallbackType.UPDATE_MESSAGE):
            result["resource"] = resource
        self.events.notify()
        if req.query.get("with_response") in ("1", "true", "True"):
            return result
        return None

    def _live_token(self, rec: InteractionRecord) -> None:
        # Discord answers an expired interaction token with 401 50027, not 10062 (discord-api-docs#6851).
        if self.world.clock.now() - rec.created_at > TOKEN_LIFETIME:
            raise DiscordHTTPError(401, 50027, "Invalid Webhook Token")

    def _target(self, rec: InteractionRecord, ref: str) -> StoredMessage:
        if ref == "@original":
            if not rec.responded or rec.original_id is None:
                raise unknown("message")
            return self.world.messages[rec.original_id]
        mid = int(ref)
        if mid != rec.original_id and mid not in rec.followup_ids:
            raise unknown("message")
        msg = self.world.messages.get(mid)
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
        channel = self.world.channels[rec.channel_id]
        ephemeral = bool(int(body.get("flags") or 0) & EPHEMERAL)
        self.messages.check_body(channel, body, req.files, req.size, creating=True)
        # The first follow-up after a deferral replaces the "thinking" original.
        if (
            rec.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE
            and rec.original_id is not None
            and self.world.messages[rec.original_id].payload["flags"] & LOADING
        ):
            stored = self.world.messages[rec.original_id]
            self.messages.edit(stored, {**body, "flags": int(body.get("flags") or 0)}, files=req.files)
            rec.edits += 1
            await self.events.message_updated(stored)
        else:
            extra = {
                "application_id": str(self.world.bot_user.id),
                "webhook_id": str(self.world.bot_user.id),
                "interaction_metadata": self.interactions.metadata(rec),
            }
            stored = self.messages.build(
                channel,
                self.world.bot_user.id,
                body,
                files=req.files,
                ephemeral_for=rec.user_id if ephemeral else None,
                extra=extra,
            )
            if not ephemeral:
                await self.events.message_created(stored)
        rec.followup_ids.append(stored.id)
        self.events.notify()
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
        channel = self.world.channels[msg.channel_id]
        self.messages.check_body(channel, req.json(), req.files, req.size, creating=False, existing=msg)
        self.messages.edit(msg, req.json(), files=req.files)
        rec.edits += 1
        await self.events.message_updated(msg)
        self.events.notify()
        return msg.payload

    async def delete_message(self, req: RestRequest) -> Any:
        """DELETE /webhooks/{app}/{token}/messages/{id|@original}."""
        rec = self._record(req, "webhook_token")
        self._live_token(rec)
        msg = self._target(rec, req.params["message_ref"])
        await self.messages.delete(msg)
        return None
