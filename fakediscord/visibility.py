"""What a member can see: channels and threads by computed permissions, ephemerals only for their invoker."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .objects import Message
from .world import Channel, ChannelType, World


@dataclass
class View:
    """Everything one member could see right now."""

    channels: list[Channel] = field(default_factory=list)
    threads: list[Channel] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def thread_names(self) -> list[str]:
        """Return the names of visible threads."""
        return [t.name or "" for t in self.threads]

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """Return every visible embed."""
        return [e for m in self.messages for e in m.embeds]

    def messages_in(self, channel: Channel) -> list[Message]:
        """Return the visible messages of one channel."""
        return [m for m in self.messages if m.channel_id == channel.id]

    @property
    def text(self) -> str:
        """Return all visible text: messages (content, embeds, buttons, polls), thread names, events."""
        parts = [m.text for m in self.messages]
        parts += [a.get("filename", "") for m in self.messages for a in m.attachments]
        parts += self.thread_names
        for e in self.events:
            parts += [e.get("name") or "", e.get("description") or ""]
        return "\n".join(p for p in parts if p)

    @property
    def text_without_spoilers(self) -> str:
        """Return `text` with `||spoiler||` spans blanked, as a member sees it before clicking them."""
        return hide_spoilers(self.text)

    def __contains__(self, needle: str) -> bool:
        return needle in self.text


SPOILER = re.compile(r"\|\|.+?\|\|", re.DOTALL)


def hide_spoilers(text: str) -> str:
    """Blank every `||spoiler||` span."""
    return SPOILER.sub("||▒▒▒||", text)


def what_member_sees(world: World, user_id: int) -> View:
    """Compute a member's view of the whole emulated Discord."""
    view = View()
    readable: set[int] = set()
    for ch in world.channels.values():
        if not world.can_see(ch, user_id):
            continue
        if ch.type == ChannelType.DM and user_id not in ch.recipient_ids:
            continue
        if ch.is_thread:
            view.threads.append(ch)
        else:
            view.channels.append(ch)
        if world.can_read_history(ch, user_id):
            readable.add(ch.id)
    for stored in sorted(world.messages.values(), key=lambda m: m.id):
        if stored.deleted:
            continue
        if stored.ephemeral_for is not None:
            if stored.ephemeral_for == user_id:
                view.messages.append(Message(world, stored))
            continue
        if stored.channel_id in readable:
            view.messages.append(Message(world, stored))
    for guild in world.guilds.values():
        if user_id in guild.members:
            # Guild Scheduled Event permissions: a STAGE_INSTANCE or VOICE event needs VIEW_CHANNEL on its channel.
            view.events.extend(
                e
                for e in guild.scheduled_events.values()
                if not e.get("channel_id")
                or (
                    int(e["channel_id"]) in world.channels
                    and world.can_see(world.channels[int(e["channel_id"])], user_id)
                )
            )
    return view
