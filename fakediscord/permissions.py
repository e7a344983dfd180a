"""Discord permission bits and the computed-permission algorithm."""

from __future__ import annotations

from collections.abc import Iterable

FLAGS: dict[str, int] = {
    "create_instant_invite": 1 << 0,
    "kick_members": 1 << 1,
    "ban_members": 1 << 2,
    "administrator": 1 << 3,
    "manage_channels": 1 << 4,
    "manage_guild": 1 << 5,
    "add_reactions": 1 << 6,
    "view_audit_log": 1 << 7,
    "priority_speaker": 1 << 8,
    "stream": 1 << 9,
    "view_channel": 1 << 10,
    "read_messages": 1 << 10,
    "send_messages": 1 << 11,
    "send_tts_messages": 1 << 12,
    "manage_messages": 1 << 13,
    "embed_links": 1 << 14,
    "attach_files": 1 << 15,
    "read_message_history": 1 << 16,
    "mention_everyone": 1 << 17,
    "use_external_emojis": 1 << 18,
    "view_guild_insights": 1 << 19,
    "connect": 1 << 20,
    "speak": 1 << 21,
    "mute_members": 1 << 22,
    "deafen_members": 1 << 23,
    "move_members": 1 << 24,
    "use_voice_activation": 1 << 25,
    "change_nickname": 1 << 26,
    "manage_nicknames": 1 << 27,
    "manage_roles": 1 << 28,
    "manage_webhooks": 1 << 29,
    "manage_expressions": 1 << 30,
    "use_application_commands": 1 << 31,
    "request_to_speak": 1 << 32,
    "manage_events": 1 << 33,
    "manage_threads": 1 << 34,
    "create_public_threads": 1 << 35,
    "create_private_threads": 1 << 36,
    "use_external_stickers": 1 << 37,
    "send_messages_in_threads": 1 << 38,
    "use_embedded_activities": 1 << 39,
    "moderate_members": 1 << 40,
    "view_creator_monetization_analytics": 1 << 41,
    "use_soundboard": 1 << 42,
    "create_expressions": 1 << 43,
    "create_events": 1 << 44,
    "use_external_sounds": 1 << 45,
    "send_voice_messages": 1 << 46,
    "set_voice_channel_status": 1 << 48,
    "send_polls": 1 << 49,
    "use_external_apps": 1 << 50,
    "pin_messages": 1 << 51,
    "bypass_slowmode": 1 << 52,
}
ALL = 0
for _bit in FLAGS.values():
    ALL |= _bit

DEFAULT_EVERYONE = [
    "create_instant_invite",
    "add_reactions",
    "stream",
    "view_channel",
    "send_messages",
    "embed_links",
    "attach_files",
    "read_message_history",
    "use_external_emojis",
    "connect",
    "speak",
    "use_voice_activation",
    "change_nickname",
    "use_application_commands",
    "create_public_threads",
    "create_private_threads",
    "use_external_stickers",
    "send_messages_in_threads",
    "use_embedded_activities",
    "send_voice_messages",
    "send_polls",
    "use_external_apps",
    "request_to_speak",
]
# The bot's managed role: what README's invite link grants ("Create the Discord application", step 3).
# Keep equal to README's invite list. The bot's effective permissions add @everyone's, as in Discord.
BOT_INVITE_PERMISSIONS = [
    "view_channel",
    "send_messages",
    "send_messages_in_threads",
    "create_public_threads",
    "create_private_threads",
    "manage_threads",
    "embed_links",
    "attach_files",
    "read_message_history",
    "manage_messages",
    "send_polls",
    "create_events",
]
DEFAULT_BOT = BOT_INVITE_PERMISSIONS

# Permissions that only make sense guild-wide; channel overwrites never grant or strip them.
_TEXT_ONLY_DENIED_WITHOUT_SEND = ("send_tts_messages", "mention_everyone", "embed_links", "attach_files")


def bits(perms: Iterable[str] | int | None) -> int:
    """Turn permission names (discord.py spelling) or an int into a bitfield."""
    if perms is None:
        return 0
    if isinstance(perms, int):
        return perms
    value = 0
    for name in perms:
        if name not in FLAGS:
            raise ValueError(f"unknown permission {name!r}; known: {', '.join(sorted(FLAGS))}")
        value |= FLAGS[name]
    return value


def names(value: int) -> list[str]:
    """List the permission names set in `value` (canonical spelling only)."""
    seen: set[int] = set()
    out = []
    for name, bit in FLAGS.items():
        if value & bit and bit not in seen:
            seen.add(bit)
            out.append(name)
    return out


def has(value: int, name: str) -> bool:
    """Tell whether `value` includes permission `name`."""
    return bool(value & FLAGS[name])


def apply_overwrites(
    base: int,
    *,
    everyone: tuple[int, int] | None,
    roles: Iterable[tuple[int, int]],
    member: tuple[int, int] | None,
) -> int:
    """Apply channel overwrites (allow, deny) in Discord's order: @everyone, roles together, member."""
    if base & FLAGS["administrator"]:
        return ALL
    perms = base
    if everyone is not None:
        perms = (perms & ~everyone[1]) | everyone[0]
    allow = deny = 0
    for a, d in roles:
        allow |= a
        deny |= d
    perms = (perms & ~deny) | allow
    if member is not None:
        perms = (perms & ~member[1]) | member[0]
    return perms


def implicit(perms: int, *, thread: bool = False) -> int:
    """Strip what Discord strips implicitly: nothing without VIEW_CHANNEL, no extras without SEND_MESSAGES."""
    if perms & FLAGS["administrator"]:
        return ALL
    if not perms & FLAGS["view_channel"]:
        return 0
    if not thread and not perms & FLAGS["send_messages"]:
        for name in _TEXT_ONLY_DENIED_WITHOUT_SEND:
            perms &= ~FLAGS[name]
    return perms
