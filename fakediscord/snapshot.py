"""Save an emulated server to JSON and bring it back, so a bot restarted on its own database finds it again.

What is kept is what Discord itself keeps: users, guilds with their roles, members and scheduled events,
channels and threads, messages (DMs too) with their polls, votes, reactions and pins, uploaded files, and
the fake clock's instant. Ephemeral messages are dropped, as a Discord client drops them on reload, and
application commands are not kept: the bot registers its own when it connects.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .world import (
    Attachment,
    Channel,
    Guild,
    Member,
    Overwrite,
    PollState,
    Role,
    StoredMessage,
    User,
)

if TYPE_CHECKING:
    from .server import FakeDiscord

FORMAT = 1
_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (Attachment, Channel, Guild, Member, Overwrite, PollState, Role, StoredMessage, User)
}


class SnapshotError(ValueError):
    """The snapshot cannot be restored; the message says why."""


def _encode(value: Any) -> Any:
    if isinstance(value, Member):
        # A member points at its user, which is saved once among the users.
        fields = {
            f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "user"
        }
        return {"$dc": "Member", "user_id": value.user.id, **fields}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dc": type(value).__name__, **fields}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    if isinstance(value, set):
        return {"$set": sorted(_encode(v) for v in value)}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"$map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any, users: dict[int, User]) -> Any:
    if isinstance(value, list):
        return [_decode(v, users) for v in value]
    if not isinstance(value, dict):
        return value
    if "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    if "$b64" in value:
        return base64.b64decode(value["$b64"])
    if "$set" in value:
        return {_decode(v, users) for v in value["$set"]}
    if "$map" in value:
        return {_decode(k, users): _decode(v, users) for k, v in value["$map"]}
    if "$dc" in value:
        fields = {k: _decode(v, users) for k, v in value.items() if k != "$dc"}
        cls = _CLASSES.get(value["$dc"])
        if cls is None:
            raise SnapshotError(f"unknown object {value['$dc']!r}")
        if cls is Member:
            fields["user"] = users[fields.pop("user_id")]
        return cls(**fields)
    return {k: _decode(v, users) for k, v in value.items()}


def snapshot(club: FakeDiscord) -> dict[str, Any]:
    """Return the emulated server as JSON-ready data (see the module's docstring for what it holds)."""
    world = club.world
    messages = {i: m for i, m in world.messages.items() if m.ephemeral_for is None}
    return {
        "format": FORMAT,
        "now": club.clock.now().isoformat(),
        "cdn_base": club.http_base,
        "bot_user_id": world.bot_user.id,
        "guild_id": club.guild.id,
        "default_channel_id": club.default_channel.id if club.default_channel else None,
        "users": _encode(world.users),
        "guilds": _encode(world.guilds),
        "channels": _encode(world.channels),
        "messages": _encode(messages),
        "channel_messages": _encode(
            {c: [i for i in ids if i in messages] for c, ids in world.channel_messages.items()}
        ),
        "pins": _encode(world.pins),
        "attachments": _encode(world.attachments),
    }


def saved_instant(data: dict[str, Any]) -> datetime:
    """Return the fake clock's instant a snapshot was taken at (a restored clock starts there)."""
    return datetime.fromisoformat(data["now"])


def restore(club: FakeDiscord, data: dict[str, Any]) -> None:
    """Replace the club's world with a snapshot's; call it after `listen` and before the bot connects.

    The clock is not moved: build the emulator's clock at `saved_instant(data)`.
    """
    if data.get("format") != FORMAT:
        raise SnapshotError(f"snapshot format {data.get('format')!r}, expected {FORMAT}")
    if club.gateway.connected:
        raise SnapshotError("restore the world before the bot connects")
    # Attachment URLs name the CDN of the emulator that stored them; this one listens on another port.
    data = _rebase(data, str(data["cdn_base"]) + "/", club.http_base + "/")
    world = club.world
    users: dict[int, User] = _decode(data["users"], {})
    world.users.clear()
    world.users.update(users)
    for name in ("guilds", "channels", "messages", "channel_messages", "pins", "attachments"):
        target = getattr(world, name)
        target.clear()
        target.update(_decode(data[name], users))
    world.bot_user = users[int(data["bot_user_id"])]
    club.guild = world.guilds[int(data["guild_id"])]
    default = data.get("default_channel_id")
    club.default_channel = world.channels[int(default)] if default is not None else None
    # New ids come after every restored one, as Discord's always grow.
    ids = [*world.users, *world.guilds, *world.channels, *world.messages, *world.attachments]
    ids += [r for g in world.guilds.values() for r in [*g.roles, *g.scheduled_events]]
    world.new_id.continue_after(max(ids, default=0))


def _rebase(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new) if old != new else value
    if isinstance(value, list):
        return [_rebase(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _rebase(v, old, new) for k, v in value.items()}
    return value
