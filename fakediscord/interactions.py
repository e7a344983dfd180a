"""Interactions: the payloads members trigger, the bot's callbacks, follow-ups and the deadlines."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import payloads
from .errors import form_error
from .events import Events
from .messages import walk_with_paths
from .world import Channel, StoredMessage, World


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

# Component Reference: the select menus (String, User, Role, Mentionable, Channel) and File Upload each note
# "`min_values` must be either omitted or at least `1` if `required` is omitted or `true`".
MIN_VALUES_TYPES = frozenset({3, 5, 6, 7, 8, 19})


def check_modal(data: dict[str, Any]) -> None:
    """Refuse a modal (callback type 9) Discord refuses: a disabled component, or `min_values: 0` while required.

    Component Reference, String Select (and every other select): "Using `disabled` in a modal will result in an
    error. Modals can not currently have disabled components in them." Discord does not document the inner error
    codes; the 50035 and the field path are what bots read.
    """
    for path, c in walk_with_paths(data.get("components") or [], "data.components"):
        if c.get("disabled") is True:
            raise form_error(
                f"{path}.disabled", "COMPONENT_DISABLED_IN_MODAL", "Modals cannot have disabled components"
            )
        if c.get("type") in MIN_VALUES_TYPES and c.get("min_values") == 0 and c.get("required") is not False:
            raise form_error(
                f"{path}.min_values",
                "COMPONENT_MIN_VALUES_REQUIRED",
                "min_values must be at least 1 unless required is false",
            )


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
    """Create interactions on behalf of members and remember what the bot did with each."""

    def __init__(self, world: World, events: Events, *, deadline: float = 3.0) -> None:
        self.world = world
        self.events = events
        self.deadline = deadline
        self.records: dict[int, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}

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
        world = self.world
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
            "attachment_size_limit": guild.attachment_size_limit if guild else 10 * 1024 * 1024,
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
        self.by_token[token] = rec
        await self.events.dispatch("INTERACTION_CREATE", payload)
        return rec

    def metadata(self, rec: InteractionRecord) -> dict[str, Any]:
        """Return the message's interaction_metadata for an interaction."""
        world = self.world
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
                self.metadata(trigger)
                if trigger is not None
                else {
                    "id": str(rec.id),
                    "type": 2,
                    "user": md["user"],
                    "authorizing_integration_owners": md["authorizing_integration_owners"],
                }
            )
        return md
