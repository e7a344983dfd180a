"""What one member's page receives: built only from the emulator's view for that member, server-side.

Nothing here reads a message, thread or event except through `what_member_sees`, so another member's
private thread or ephemeral reply never reaches this member's page, not even hidden.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from demo._markdown import Names, render
from fakediscord import Actor, FakeDiscord, Message
from fakediscord.visibility import View, what_member_sees
from fakediscord.world import ChannelType, snowflake_time

BUTTON_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link", 6: "premium"}


@functools.lru_cache(maxsize=4096)
def _cached_render(text: str, names: Names, inline: bool) -> str:
    return render(text, names, inline=inline)


def _names(club: FakeDiscord, view: View) -> Names:
    world = club.world
    users = {uid: (u.global_name or u.name) for uid, u in world.users.items()}
    roles = {rid: r.name for rid, r in club.guild.roles.items()}
    channels = {c.id: c.name or "" for c in [*view.channels, *view.threads] if c.type != ChannelType.DM}
    return Names(users=_Frozen(users), roles=_Frozen(roles), channels=_Frozen(channels))


class _Frozen(dict[int, str]):
    """A dict that can key the render cache (the names change rarely; a new view builds a new one)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))


def _component(c: dict[str, Any]) -> dict[str, Any] | None:
    kind = c.get("type")
    if kind == 2:
        emoji = (c.get("emoji") or {}).get("name")
        return {
            "kind": "button",
            "label": " ".join(x for x in (emoji, c.get("label")) if x),
            "match": c.get("custom_id") or c.get("label"),
            "style": BUTTON_STYLES.get(int(c.get("style", 1)), "secondary"),
            "disabled": bool(c.get("disabled")),
            "url": c.get("url"),
        }
    if kind in (3, 5, 6, 7, 8):
        return {
            "kind": "select",
            "custom_id": c.get("custom_id"),
            "placeholder": c.get("placeholder") or "Make a selection",
            "min": int(c.get("min_values", 1)),
            "max": int(c.get("max_values", 1)),
            "disabled": bool(c.get("disabled")),
            "options": [
                {"label": o.get("label"), "value": o.get("value"), "description": o.get("description")}
                for o in c.get("options") or []
            ],
            "entity": kind != 3,
        }
    return None


def _rows(components: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    rows = []
    for row in components:
        inner = row.get("components") if row.get("type") == 1 else [row]
        items = [x for x in (_component(c) for c in inner or []) if x is not None]
        if items:
            rows.append(items)
    return rows


def _embed(e: dict[str, Any], md: Any) -> dict[str, Any]:
    return {
        "title": md(e.get("title"), True),
        "url": e.get("url") if str(e.get("url", "")).startswith(("http://", "https://")) else None,
        "description": md(e.get("description"), False),
        "color": f"#{int(e['color']):06x}" if e.get("color") is not None else None,
        "author": (e.get("author") or {}).get("name"),
        "footer": (e.get("footer") or {}).get("text"),
        "fields": [
            {
                "name": md(f.get("name"), True),
                "value": md(f.get("value"), False),
                "inline": bool(f.get("inline")),
            }
            for f in e.get("fields") or []
        ],
        "image": bool(e.get("image")),
    }


def _poll(m: Message, user_id: int) -> dict[str, Any] | None:
    payload = m.poll
    stored = m.stored.poll
    if payload is None or stored is None:
        return None
    return {
        "question": payload["question"].get("text", ""),
        "multiple": bool(payload.get("allow_multiselect")),
        "expiry": payload.get("expiry"),
        "finalized": stored.finalized,
        "answers": [
            {
                "id": a["answer_id"],
                "text": a["poll_media"].get("text", ""),
                "count": len(stored.votes.get(a["answer_id"], [])),
                "mine": user_id in stored.votes.get(a["answer_id"], []),
            }
            for a in payload["answers"]
        ],
    }


def _message(m: Message, user_id: int, md: Any, visible_threads: set[int]) -> dict[str, Any]:
    author = m.payload.get("author") or {}
    started = m.thread
    return {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "author": author.get("global_name") or author.get("username") or "?",
        "bot": m.from_bot,
        "at": snowflake_time(m.id).isoformat(),
        "html": md(m.content, False),
        "embeds": [_embed(e, md) for e in m.embeds],
        "rows": _rows(m.components),
        "poll": _poll(m, user_id),
        "ephemeral": m.ephemeral,
        "loading": m.loading,
        "edited": m.edited,
        "system": int(m.payload.get("type", 0)) not in (0, 19, 20),
        "attachments": [a.get("filename", "") for a in m.attachments],
        "reactions": m.reactions,
        "thread": str(started.id) if started is not None and started.id in visible_threads else None,
        "command": (m.payload.get("interaction_metadata") or m.payload.get("interaction") or {}).get("name"),
    }


def _event(e: dict[str, Any], md: Any) -> dict[str, Any]:
    return {
        "id": str(e["id"]),
        "name": e.get("name") or "",
        "description": md(e.get("description"), False),
        "start": e.get("scheduled_start_time"),
        "end": e.get("scheduled_end_time"),
        "status": {1: "scheduled", 2: "active", 3: "completed", 4: "canceled"}.get(
            int(e.get("status", 1)), "?"
        ),
        "location": (e.get("entity_metadata") or {}).get("location"),
    }


def member_state(club: FakeDiscord, member: Actor, *, now: datetime) -> dict[str, Any]:
    """Return everything `member`'s page shows: their channels, threads, DMs, messages and events."""
    view = what_member_sees(club.world, member.id)
    names = _names(club, view)

    def md(text: str | None, inline: bool) -> str:
        return _cached_render(text, names, inline) if text else ""

    visible_threads = {t.id for t in view.threads}
    channels = []
    for ch in sorted(view.channels, key=lambda c: (c.position, c.id)):
        if ch.type == ChannelType.DM:
            continue
        threads = [
            {
                "id": str(t.id),
                "name": t.name or "",
                "private": t.type == ChannelType.PRIVATE_THREAD,
                "archived": t.archived,
                "locked": t.locked,
                "joined": member.id in t.thread_members,
            }
            for t in sorted(view.threads, key=lambda t: t.id)
            if t.parent_id == ch.id
        ]
        channels.append(
            {"id": str(ch.id), "name": ch.name or "", "topic": ch.topic or "", "threads": threads}
        )
    dms = [
        {"id": str(ch.id), "name": club.world.bot_user.name}
        for ch in view.channels
        if ch.type == ChannelType.DM and member.id in ch.recipient_ids
    ]
    messages: dict[str, list[dict[str, Any]]] = {}
    for m in view.messages:
        messages.setdefault(str(m.channel_id), []).append(_message(m, member.id, md, visible_threads))
    return {
        "me": {"id": str(member.id), "name": member.name},
        "now": now.isoformat(),
        "server": club.guild.name,
        "channels": channels,
        "dms": dms,
        "messages": messages,
        "events": [
            _event(e, md) for e in sorted(view.events, key=lambda e: e.get("scheduled_start_time") or "")
        ],
    }


def visible_message(club: FakeDiscord, member: Actor, message_id: int) -> Message | None:
    """Return the message if `member` can see it now (what an action on it must check first)."""
    view = what_member_sees(club.world, member.id)
    return next((m for m in view.messages if m.id == message_id), None)


def visible_channel(club: FakeDiscord, member: Actor, channel_id: int) -> Any:
    """Return the channel or thread if `member` can see it now, else None."""
    view = what_member_sees(club.world, member.id)
    return next((c for c in [*view.channels, *view.threads] if c.id == channel_id), None)
