"""Guild scheduled events as Discord's Guild Scheduled Event resource documents them.

Field requirements by entity type, the valid status transitions, EXTERNAL events starting and completing on
their own when the clock passes their times, channel-based visibility, and the 100-event limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import payloads
from .errors import DiscordHTTPError, bad_request, form_error, missing_permissions
from .events import Events
from .permissions import FLAGS
from .world import Channel, ChannelType, Guild, World

STAGE_INSTANCE, VOICE, EXTERNAL = 1, 2, 3
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
# "Valid Guild Scheduled Event Status Transitions": SCHEDULED -> ACTIVE, ACTIVE -> COMPLETED,
# SCHEDULED -> CANCELED; "Once status is set to COMPLETED or CANCELED, the status can no longer be updated".
TRANSITIONS = {(SCHEDULED, ACTIVE), (ACTIVE, COMPLETED), (SCHEDULED, CANCELED)}
# "A guild can have a maximum of 100 events with SCHEDULED or ACTIVE status at any time." (error 30038)
MAX_UNCOMPLETED = 100
CHANNEL_TYPE_FOR = {STAGE_INSTANCE: ChannelType.GUILD_STAGE_VOICE, VOICE: ChannelType.GUILD_VOICE}
# "Guild Scheduled Event Permissions Requirements": what the computed permissions in the event's channel
# must include besides CREATE_EVENTS/MANAGE_EVENTS (EXTERNAL events use guild-level permissions only).
CHANNEL_PERMISSIONS = {
    STAGE_INSTANCE: ("manage_channels", "mute_members", "move_members"),
    VOICE: ("view_channel", "connect"),
    EXTERNAL: (),
}


def parse_time(value: Any, field: str) -> datetime:
    """Parse an ISO8601 timestamp from a request body, or answer 50035 as Discord does."""
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise form_error(
            field, "DATE_TIME_TYPE_CONVERT", "Could not interpret the value as a date."
        ) from None


class ScheduledEventService:
    """Validate event changes, apply the documented status rules and start/complete EXTERNAL events."""

    def __init__(self, world: World, events: Events) -> None:
        self.world = world
        self.events = events

    # -- who may see and do what ------------------------------------------------------------------------
    def channel_of(self, event: dict[str, Any]) -> Channel | None:
        """Return the event's channel (None for EXTERNAL events)."""
        cid = event.get("channel_id")
        return self.world.channels.get(int(cid)) if cid else None

    def visible_to(self, event: dict[str, Any], user_id: int) -> bool:
        """Tell whether `user_id` sees the event: guild members, and VIEW_CHANNEL for a channel event."""
        guild = self.world.guilds.get(int(event["guild_id"]))
        if guild is None or user_id not in guild.members:
            return False
        ch = self.channel_of(event)
        return ch is None or self.world.can_see(ch, user_id)

    def check_may_manage(self, guild: Guild, user_id: int, event: dict[str, Any], *, creating: bool) -> None:
        """Raise 50013 unless `user_id` may create (or modify/delete) `event`.

        "If the event was created by the current user, either CREATE_EVENTS or MANAGE_EVENTS. Otherwise,
        MANAGE_EVENTS"; creating needs CREATE_EVENTS. Channel events check the computed permissions in the
        channel, EXTERNAL events the guild-level ones.
        """
        ch = self.channel_of(event)
        perms = self.world.permissions_in(ch, user_id) if ch else self.world.base_permissions(guild, user_id)
        own = creating or event.get("creator_id") == str(user_id)
        needed = FLAGS["create_events"] | FLAGS["manage_events"] if own else FLAGS["manage_events"]
        if creating:
            needed = FLAGS["create_events"]
        if not perms & needed:
            raise missing_permissions()
        for name in CHANNEL_PERMISSIONS.get(int(event.get("entity_type") or 0), ()):
            if not perms & FLAGS[name]:
                raise missing_permissions()

    # -- validation -------------------------------------------------------------------------------------
    def check_fields(self, guild: Guild, event: dict[str, Any], *, start_changed: bool) -> None:
        """Apply "Field Requirements By Entity Type" and the time rules to the event as it would become."""
        etype = int(event.get("entity_type") or 0)
        if etype not in (STAGE_INSTANCE, VOICE, EXTERNAL):
            raise form_error("entity_type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        if not event.get("name"):
            raise form_error("name", "BASE_TYPE_REQUIRED", "This field is required")
        if etype == EXTERNAL:
            if event.get("channel_id") is not None:
                raise form_error("channel_id", "BASE_TYPE_BAD_VALUE", "Must be null for external events.")
            location = (event.get("entity_metadata") or {}).get("location")
            if not location:
                raise form_error("entity_metadata.location", "BASE_TYPE_REQUIRED", "This field is required")
            if not event.get("scheduled_end_time"):
                raise form_error("scheduled_end_time", "BASE_TYPE_REQUIRED", "This field is required")
        else:
            ch = self.channel_of(event)
            if event.get("channel_id") is None:
                raise form_error("channel_id", "BASE_TYPE_REQUIRED", "This field is required")
            if ch is None or ch.guild_id != guild.id or ch.type != CHANNEL_TYPE_FOR[etype]:
                raise form_error(
                    "channel_id", "GUILD_SCHEDULED_EVENT_INVALID_CHANNEL", "The channel type is not valid."
                )
        start = parse_time(event.get("scheduled_start_time"), "scheduled_start_time")
        if start_changed and start <= self.world.clock.now():
            raise form_error(
                "scheduled_start_time",
                "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                "Cannot schedule event in the past.",
            )
        if event.get("scheduled_end_time"):
            end = parse_time(event["scheduled_end_time"], "scheduled_end_time")
            if end <= start:
                raise form_error(
                    "scheduled_end_time",
                    "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                    "Cannot schedule event to end before starting.",
                )

    def check_room(self, guild: Guild) -> None:
        """Refuse a new event when the guild already has 100 SCHEDULED or ACTIVE ones."""
        live = sum(1 for e in guild.scheduled_events.values() if e["status"] in (SCHEDULED, ACTIVE))
        if live >= MAX_UNCOMPLETED:
            raise bad_request(30038, "Maximum number of uncompleted guild scheduled events reached (100)")

    def check_status(self, event: dict[str, Any], new_status: int) -> None:
        """Refuse a status change that is not one of the documented transitions."""
        old = int(event["status"])
        if new_status != old and (old, new_status) not in TRANSITIONS:
            raise DiscordHTTPError(
                400,
                50035,
                "Invalid Form Body",
                errors={
                    "status": {
                        "_errors": [
                            {
                                "code": "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                                "message": f"Cannot change status from {old} to {new_status}.",
                            }
                        ]
                    }
                },
            )

    # -- changes ----------------------------------------------------------------------------------------
    async def announce(self, kind: str, event: dict[str, Any]) -> None:
        """Dispatch GUILD_SCHEDULED_EVENT_<kind> to the bot when it can see the event."""
        if self.visible_to(event, self.world.bot_user.id):
            await self.events.dispatch(f"GUILD_SCHEDULED_EVENT_{kind}", payloads.event_for_gateway(event))

    async def advance_external(self, now: datetime) -> None:
        """Start and complete EXTERNAL events whose times have passed, as Discord does on its own.

        "An event with 'entity_type': EXTERNAL at its scheduled_start_time will automatically have status set
        to ACTIVE"; at its scheduled_end_time, to COMPLETED (Guild Scheduled Event Status Update Automation).
        """
        for guild in self.world.guilds.values():
            for event in list(guild.scheduled_events.values()):
                if event.get("entity_type") != EXTERNAL:
                    continue
                if event["status"] == SCHEDULED and parse_time(event["scheduled_start_time"], "") <= now:
                    event["status"] = ACTIVE
                    await self.announce("UPDATE", event)
                if (
                    event["status"] == ACTIVE
                    and event.get("scheduled_end_time")
                    and parse_time(event["scheduled_end_time"], "") <= now
                ):
                    event["status"] = COMPLETED
                    await self.announce("UPDATE", event)
