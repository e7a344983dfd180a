"""Build Discord wire payloads (dicts) from world objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import permissions as perm
from .world import Channel, ChannelType, Guild, Member, Role, User, World


def iso(dt: datetime | None) -> str | None:
    """Format an aware datetime the way Discord does."""
    return dt.isoformat() if dt else None


def user(u: User) -> dict[str, Any]:
    """Return a user object."""
    return {
        "id": str(u.id),
        "username": u.name,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": None,
        "bot": u.bot,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
    }


def role(r: Role) -> dict[str, Any]:
    """Return a role object."""
    return {
        "id": str(r.id),
        "name": r.name,
        "permissions": str(r.permissions),
        "position": r.position,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "managed": r.managed,
        "mentionable": r.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }


def member(m: Member, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
    """Return a guild member object (optionally with the computed channel permissions)."""
    out: dict[str, Any] = {
        "roles": [str(r) for r in m.role_ids],
        "joined_at": iso(m.joined_at),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "premium_since": None,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        out["user"] = user(m.user)
    if permissions is not None:
        out["permissions"] = str(permissions)
    return out


def overwrites(ch: Channel) -> list[dict[str, Any]]:
    """Return permission_overwrites."""
    return [
        {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)} for o in ch.overwrites
    ]


def thread_member(world: World, ch: Channel, user_id: int) -> dict[str, Any]:
    """Return a thread member object."""
    return {
        "id": str(ch.id),
        "user_id": str(user_id),
        "join_timestamp": iso(ch.thread_members.get(user_id)),
        "flags": 0,
    }


def channel(world: World, ch: Channel, *, for_user: int | None = None) -> dict[str, Any]:
    """Return a channel object (guild channel, thread or DM)."""
    if ch.type == ChannelType.DM:
        return {
            "id": str(ch.id),
            "type": 1,
            "flags": 0,
            "last_message_id": _sid(ch.last_message_id),
            "recipients": [user(world.users[r]) for r in ch.recipient_ids],
        }
    out: dict[str, Any] = {
        "id": str(ch.id),
        "type": ch.type,
        "guild_id": str(ch.guild_id),
        "name": ch.name,
        "flags": ch.flags,
        "position": ch.position,
        "parent_id": _sid(ch.parent_id),
        "last_message_id": _sid(ch.last_message_id),
        "rate_limit_per_user": ch.rate_limit_per_user,
        "nsfw": ch.nsfw,
    }
    if ch.is_thread:
        out.pop("position")
        out.update(
            {
                "owner_id": str(ch.owner_id),
                "message_count": ch.message_count,
                "member_count": min(len(ch.thread_members), 50),
                "total_message_sent": ch.total_message_sent,
                "applied_tags": [str(t) for t in ch.applied_tags],
                "thread_metadata": {
                    "archived": ch.archived,
                    "auto_archive_duration": ch.auto_archive_duration,
                    "archive_timestamp": iso(ch.last_activity_at or ch.created_at),
                    "locked": ch.locked,
                    "create_timestamp": iso(ch.created_at),
                    **({"invitable": ch.invitable} if ch.type == ChannelType.PRIVATE_THREAD else {}),
                },
            }
        )
        if for_user is not None and for_user in ch.thread_members:
            out["member"] = thread_member(world, ch, for_user)
    else:
        out["permission_overwrites"] = overwrites(ch)
        if ch.type in (ChannelType.GUILD_VOICE, ChannelType.GUILD_STAGE_VOICE):
            out.update({"bitrate": 64000, "user_limit": 0, "rtc_region": None})
        else:
            out["topic"] = ch.topic
        if ch.type == ChannelType.GUILD_FORUM:
            out.update(
                {
                    "available_tags": ch.available_tags,
                    "default_reaction_emoji": None,
                    "default_sort_order": None,
                    "default_forum_layout": 0,
                    "default_thread_rate_limit_per_user": 0,
                    "default_auto_archive_duration": 1440,
                }
            )
    return out


def guild_create(
    world: World,
    g: Guild,
    *,
    member_limit: int | None = None,
    members_intent: bool = True,
    channels: list[Channel] | None = None,
) -> dict[str, Any]:
    """Return the GUILD_CREATE payload for the bot (only its own member without the GUILD_MEMBERS intent).

    `channels`, when given, are the guild's channels and threads (a caller building many guilds' payloads
    groups the world's channels once instead of scanning them for each guild).
    """
    members = list(g.members.values())
    if not members_intent:
        member_limit = 1
    if member_limit is not None:
        bot_m = g.members[world.bot_user.id]
        members = [bot_m, *[m for m in members if m is not bot_m][: max(member_limit - 1, 0)]]
    chans = channels if channels is not None else [c for c in world.channels.values() if c.guild_id == g.id]
    me = world.bot_user.id
    visible = [c for c in chans if not c.is_thread]
    threads = [
        c
        for c in chans
        if c.is_thread
        and not c.archived
        and (
            c.type == ChannelType.PUBLIC_THREAD
            or me in c.thread_members
            or world.can(c, me, "manage_threads")
        )
    ]
    return {
        **guild_fields(world, g),
        "unavailable": False,
        "large": len(g.members) >= 250,
        "member_count": len(g.members),
        "joined_at": iso(g.members[me].joined_at),
        "lazy": True,
        "channels": [channel(world, c) for c in visible],
        "threads": [channel(world, c, for_user=me) for c in threads],
        "members": [member(m) for m in members],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [
            event_for_gateway(e) for e in g.scheduled_events.values() if _event_visible_to_bot(world, e)
        ],
        "soundboard_sounds": [],
        "embedded_activities": [],
        "activity_instances": [],
    }


def guild_fields(world: World, g: Guild) -> dict[str, Any]:
    """Return the guild object fields shared by REST and GUILD_CREATE."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "description": None,
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "features": [],
        "banner": None,
        "owner_id": str(g.owner_id),
        "application_id": None,
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "roles": [role(r) for r in sorted(g.roles.values(), key=lambda r: r.position)],
        "default_message_notifications": 0,
        "mfa_level": 0,
        "explicit_content_filter": 0,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "premium_progress_bar_enabled": False,
        "nsfw": False,
        "nsfw_level": 0,
        "emojis": [],
        "stickers": [],
        "incidents_data": None,
        "hub_type": None,
        "latest_onboarding_question_id": None,
    }


def nested_message(payload: dict[str, Any]) -> dict[str, Any]:
    """Return a message as Discord nests it (referenced, resolved, interaction.message): no guild_id/member."""
    nested = {k: v for k, v in payload.items() if k not in ("guild_id", "member", "referenced_message")}
    if nested.get("mentions"):
        # Only gateway MESSAGE_CREATE/UPDATE give mentioned users a partial `member`; the message object
        # nested elsewhere has plain users (Discord's OpenAPI MessageResponse.mentions: UserResponse).
        nested["mentions"] = [{k: v for k, v in m.items() if k != "member"} for m in nested["mentions"]]
    return nested


def _event_visible_to_bot(world: World, event: dict[str, Any]) -> bool:
    """Tell whether the bot may see an event: a channel event needs VIEW_CHANNEL on its channel."""
    ch = world.channels.get(int(event["channel_id"])) if event.get("channel_id") else None
    return ch is None or world.can_see(ch, world.bot_user.id)


def event_for_gateway(event: dict[str, Any]) -> dict[str, Any]:
    """Return a scheduled event as the gateway sends it (no recurrence exceptions list)."""
    return {k: v for k, v in event.items() if k != "guild_scheduled_event_exceptions"}


def application(world: World) -> dict[str, Any]:
    """Return GET /oauth2/applications/@me."""
    bot = user(world.bot_user)
    return {
        "id": str(world.bot_user.id),
        "name": world.bot_user.name,
        "icon": None,
        "description": "",
        "type": None,
        "verify_key": "00" * 32,
        "flags": 0,
        "flags_new": "0",
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "owner": bot,
        "approximate_guild_count": len(world.guilds),
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": None,
        "eligible_oauth2_scopes": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "summary": "",
        "rpc_origins": [],
        "bot": bot,
        "integration_types_config": {},
    }


def interaction_channel(world: World, ch: Channel, user_id: int) -> dict[str, Any]:
    """Return the partial channel sent inside an interaction (the invoker's permissions go in `member`)."""
    return channel(world, ch)


def all_permissions() -> str:
    """Return every permission bit as a string."""
    return str(perm.ALL)


def _sid(value: int | None) -> str | None:
    return str(value) if value is not None else None


# Fields the Message Content privileged intent guards. Discord API docs, events/gateway.mdx "Message Content
# Intent" and resources/message.mdx (message object, note [2]): without the intent an app gets empty
# `content`, `embeds`, `attachments` and `components`, and no `poll` at all, "across the APIs" (gateway
# dispatches and REST responses alike), except for messages the app sent, DMs with the app, messages that
# mention the app, and the message a message context menu command targets (the interaction's resolved
# message, which is never passed through here).
_CONTENT_FIELDS = ("content", "embeds", "attachments", "components", "poll")


def message_for_app(world: World, payload: dict[str, Any], *, content_intent: bool) -> dict[str, Any]:
    """Return a message as the bot receives it, blanked when it lacks the Message Content intent."""
    if content_intent:
        return payload
    out = payload
    ref = payload.get("referenced_message")
    if ref:
        # The replied-to message is a message object of its own: the same rule applies to it.
        out = {**payload, "referenced_message": message_for_app(world, ref, content_intent=False)}
    if _content_exempt(world, payload):
        return out
    out = dict(out)
    for key in _CONTENT_FIELDS:
        if key == "poll":
            out.pop(key, None)
        elif key in out:
            out[key] = "" if key == "content" else []
    return out


def _content_exempt(world: World, payload: dict[str, Any]) -> bool:
    """Tell whether the bot sees this message's content without the intent (its own, a DM, a mention)."""
    me = str(world.bot_user.id)
    if (payload.get("author") or {}).get("id") == me:
        return True
    if any(u.get("id") == me for u in payload.get("mentions") or []):
        return True
    ch = world.channels.get(int(payload["channel_id"])) if payload.get("channel_id") else None
    return ch is not None and ch.type == ChannelType.DM
