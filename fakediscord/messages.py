"""Create, edit and render messages: mentions and allowed_mentions, replies, polls, attachments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from . import payloads
from .errors import DiscordHTTPError, bad_request, form_error
from .events import Events
from .permissions import FLAGS
from .world import (
    MENTION_ROLE,
    MENTION_USER,
    Attachment,
    Channel,
    ChannelType,
    PollState,
    StoredMessage,
    World,
)

EPHEMERAL = 1 << 6
LOADING = 1 << 7
# "The maximum request size when sending a message is 25 MiB" (Message resource, Create Message, Limitations).
MAX_REQUEST_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENTS = 10
# Message resource, Message Flags: IS_COMPONENTS_V2 `1 << 15`; the component types that need it (Component
# Reference, Component Types): Section 9, Text Display 10, Thumbnail 11, Media Gallery 12, File 13, Separator 14,
# Container 17. LEGACY_FIELDS are those the flag forbids (Create Message, JSON/Form Params).
IS_COMPONENTS_V2 = 1 << 15
V2_COMPONENT_TYPES = frozenset({9, 10, 11, 12, 13, 14, 17})
LEGACY_FIELDS = ("content", "embeds", "sticker_ids", "poll")
# Message resource, Attachment Flags: IS_SPOILER `1 << 3`, "this attachment was marked as a spoiler and is
# blurred until clicked"; set by `is_spoiler` in the attachment request, and (change-log, "Attachment Editing and
# is_spoiler Param") "the legacy SPOILER_ filename prefix will continue to mark attachments as a spoiler".
IS_SPOILER_ATTACHMENT = 1 << 3
SPOILER_PREFIX = "SPOILER_"
EDITABLE_FIELDS = ("content", "embeds", "components", "flags", "attachments", "allowed_mentions")


@dataclass
class Upload:
    """A file a member attaches (to a slash option or a message)."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


class MessageService:
    """Turn request bodies into stored messages, keep their payloads current, delete them, react to them."""

    def __init__(self, world: World, events: Events, cdn_base: Callable[[], str]) -> None:
        self.world = world
        self.events = events
        self._cdn_base = cdn_base  # the loopback CDN's base URL, known once the server listens

    # -- creation ---------------------------------------------------------------------------------------
    def build(
        self,
        channel: Channel,
        author_id: int,
        body: dict[str, Any],
        *,
        files: list[Upload] | None = None,
        ephemeral_for: int | None = None,
        extra: dict[str, Any] | None = None,
        message_id: int | None = None,
    ) -> StoredMessage:
        """Create and store a message from a create-message body (not dispatched)."""
        world = self.world
        mid = message_id or world.new_id()
        author = world.users[author_id]
        flags = int(body.get("flags") or 0)
        if ephemeral_for is not None:
            flags |= EPHEMERAL
        payload: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel.id),
            "author": payloads.user(author),
            "content": body.get("content") or "",
            "timestamp": payloads.iso(world.clock.now()),
            "edited_timestamp": None,
            "tts": bool(body.get("tts")),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": _embeds(body.get("embeds")),
            "pinned": False,
            "type": 0,
            "flags": flags,
            "components": number_components(body.get("components")),
        }
        if body.get("nonce") is not None:
            payload["nonce"] = body["nonce"]
        if channel.guild_id:
            payload["guild_id"] = str(channel.guild_id)
            guild = world.guilds[channel.guild_id]
            if author_id in guild.members:
                payload["member"] = payloads.member(guild.members[author_id], with_user=False)
        stored = StoredMessage(payload, ephemeral_for=ephemeral_for)
        ref = body.get("message_reference")
        replied_author: int | None = None
        target = world.messages.get(int(ref["message_id"])) if ref and ref.get("message_id") else None
        if target is not None and (target.deleted or target.ephemeral_for is not None):
            target = None
        # A reply to a missing message with fail_if_not_exists false is sent "as a normal (non-reply) message".
        if ref and ref.get("message_id") and int(ref.get("type", 0) or 0) == 0 and target is not None:
            payload["type"] = 19
            payload["message_reference"] = {
                "type": 0,
                "message_id": str(ref["message_id"]),
                "channel_id": str(ref.get("channel_id") or channel.id),
                **({"guild_id": str(channel.guild_id)} if channel.guild_id else {}),
            }
            payload["referenced_message"] = payloads.nested_message(target.payload)
            replied_author = int(target.payload["author"]["id"])
        if files:
            payload["attachments"] = [self.store_attachment(channel, f, body, i) for i, f in enumerate(files)]
        elif body.get("attachments"):
            payload["attachments"] = [a for a in body["attachments"] if "url" in a]
        if body.get("poll"):
            self.attach_poll(stored, body["poll"])
        if extra:
            payload.update(extra)
        self.resolve_mentions(stored, channel, author_id, body.get("allowed_mentions"), replied_author)
        world.store_message(stored)
        return stored

    def store_attachment(
        self, channel: Channel, upload: Upload, body: dict[str, Any] | None = None, index: int = 0
    ) -> dict[str, Any]:
        """Keep an uploaded file on the loopback CDN and return its attachment object."""
        aid = self.world.new_id()
        self.world.attachments[aid] = Attachment(aid, upload.filename, upload.data, upload.content_type)
        url = f"{self._cdn_base()}/attachments/{channel.id}/{aid}/{upload.filename}"
        request: dict[str, Any] = {}
        for a in (body or {}).get("attachments") or []:
            if str(a.get("id")) == str(index):
                request = a
        out = {
            "id": str(aid),
            "filename": upload.filename,
            "size": len(upload.data),
            "url": url,
            "proxy_url": url,
            "content_type": upload.content_type,
        }
        if request.get("description"):
            out["description"] = request["description"]
        spoiler = upload.filename.startswith(SPOILER_PREFIX) or bool(request.get("is_spoiler"))
        if spoiler:
            out["flags"] = IS_SPOILER_ATTACHMENT
        return out

    def attach_poll(self, stored: StoredMessage, poll: dict[str, Any]) -> None:
        """Give a message its poll (on creation, or when a deferred response is first filled in)."""
        now = self.world.clock.now()
        hours = int(poll.get("duration") or 24)
        answers: list[dict[str, Any]] = [
            {"answer_id": i + 1, "poll_media": a.get("poll_media") or {}}
            for i, a in enumerate(poll.get("answers") or [])
        ]
        state = PollState(
            expiry=now + timedelta(hours=hours),
            allow_multiselect=bool(poll.get("allow_multiselect")),
            answer_ids=[int(a["answer_id"]) for a in answers],
        )
        stored.poll = state
        stored.payload["poll"] = {
            "question": poll.get("question") or {},
            "answers": answers,
            "expiry": payloads.iso(state.expiry),
            "allow_multiselect": state.allow_multiselect,
            "layout_type": int(poll.get("layout_type") or 1),
            "results": {"is_finalized": False, "answer_counts": []},
        }

    def refresh_poll(self, stored: StoredMessage) -> None:
        """Rewrite the poll results in the payload from the vote state."""
        if stored.poll is None:
            return
        counts = stored.poll.counts(me=self.world.bot_user.id)
        stored.payload["poll"]["results"] = {
            "is_finalized": stored.poll.finalized,
            "answer_counts": [c for c in counts if c["count"] or stored.poll.finalized],
        }

    # -- Discord's refusals -----------------------------------------------------------------------------
    def check_body(
        self,
        channel: Channel,
        body: dict[str, Any],
        files: list[Upload],
        size: int,
        *,
        creating: bool,
        existing: StoredMessage | None = None,
    ) -> None:
        """Refuse a create/edit-message body as Discord does (limits that the OpenAPI file does not carry).

        `existing` is the message an edit changes (its flags decide the Components V2 rules).
        """
        check_components_v2(body, existing)
        if size > MAX_REQUEST_BYTES:
            raise DiscordHTTPError(413, 40005, "Request entity too large")
        guild = self.world.guild_of(channel)
        limit = guild.attachment_size_limit if guild else 10 * 1024 * 1024
        if any(len(f.data) > limit for f in files):
            # Uploading Files: "The file upload size limit applies to each file in a request."
            raise DiscordHTTPError(413, 40005, "Request entity too large")
        if len(files) > MAX_ATTACHMENTS or len(body.get("attachments") or []) > MAX_ATTACHMENTS:
            raise form_error("attachments", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        allowed = body.get("allowed_mentions") or {}
        for kind in ("users", "roles"):
            # Allowed mentions: `parse` is "mutually exclusive" with `users`/`roles`; both is a validation error.
            if kind in (allowed.get("parse") or []) and allowed.get(kind):
                raise form_error(
                    f"allowed_mentions.{kind}",
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
                )
        for path, c in walk_with_paths(body.get("components") or [], "components"):
            # A button other than premium (style 6) shows a label or an emoji; Discord answered a label-less
            # one with "label: This field is required" (discordjs/discord.js#5675); emoji-only is accepted.
            if c.get("type") == 2 and c.get("style") != 6 and not c.get("label") and not c.get("emoji"):
                raise form_error(f"{path}.label", "BASE_TYPE_REQUIRED", "This field is required")
        ref = body.get("message_reference") or {}
        if creating and ref.get("message_id") and int(ref.get("type", 0) or 0) == 0:
            target = self.world.messages.get(int(ref["message_id"]))
            missing = target is None or target.deleted or target.ephemeral_for is not None
            # Message Reference: fail_if_not_exists "default true": error instead of sending a plain message.
            if missing and ref.get("fail_if_not_exists", True) is not False:
                raise form_error("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")

    # -- editing ----------------------------------------------------------------------------------------
    def edit(self, stored: StoredMessage, body: dict[str, Any], *, files: list[Upload] | None = None) -> None:
        """Apply an edit-message body (a deferred response's first fill-in may carry a poll)."""
        payload = stored.payload
        if stored.poll is not None:
            # Poll resource: "After creation, the poll message cannot be edited." (520003)
            raise bad_request(520003, "Cannot edit a poll message")
        if body.get("poll") and payload["flags"] & LOADING:
            self.attach_poll(stored, body["poll"])
        if "content" in body:
            payload["content"] = body["content"] or ""
        if "components" in body:
            payload["components"] = number_components(body["components"])
        if "embeds" in body:
            payload["embeds"] = _embeds(body["embeds"])
        if "flags" in body and body["flags"] is not None:
            # Visibility is fixed when a message is created: the first follow-up after a deferral fills in the
            # deferred message and takes its visibility whatever flags it asks for (as Discord does).
            # IS_COMPONENTS_V2: "Once a message has been sent with this flag, it can't be removed from that
            # message" (Component Reference).
            keep = payload["flags"] & (EPHEMERAL | IS_COMPONENTS_V2)
            payload["flags"] = (int(body["flags"]) & ~EPHEMERAL) | keep
        payload["flags"] &= ~LOADING
        if "attachments" in body or files:
            channel = self.world.channels[stored.channel_id]
            requests = {str(a.get("id")): a for a in body.get("attachments") or []}
            kept = [_respoiler(a, requests[a["id"]]) for a in payload["attachments"] if a["id"] in requests]
            new = [self.store_attachment(channel, f, body, i) for i, f in enumerate(files or [])]
            payload["attachments"] = kept + new
        payload["edited_timestamp"] = payloads.iso(self.world.clock.now())
        if "content" in body or "allowed_mentions" in body:
            channel = self.world.channels[stored.channel_id]
            self.resolve_mentions(
                stored, channel, int(payload["author"]["id"]), body.get("allowed_mentions"), None
            )

    # -- mentions ---------------------------------------------------------------------------------------
    def resolve_mentions(
        self,
        stored: StoredMessage,
        channel: Channel,
        author_id: int,
        allowed: dict[str, Any] | None,
        replied_author: int | None,
    ) -> None:
        """Decide whom a message pings, honouring allowed_mentions as Discord does."""
        world = self.world
        payload = stored.payload
        content = payload.get("content") or ""
        parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse") or [])
        allowed_users = {int(u) for u in (allowed or {}).get("users") or []}
        allowed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
        guild = world.guild_of(channel)
        author_perms = world.permissions_in(channel, author_id) if guild else 0
        user_ids = [int(u) for u in MENTION_USER.findall(content)]
        users = [
            u
            for u in dict.fromkeys(user_ids)
            if u in world.users and ("users" in parse or u in allowed_users)
        ]
        roles: list[int] = []
        if guild is not None:
            for rid in dict.fromkeys(int(r) for r in MENTION_ROLE.findall(content)):
                role = guild.roles.get(rid)
                if role is None or not ("roles" in parse or rid in allowed_roles):
                    continue
                if role.mentionable or author_perms & FLAGS["mention_everyone"]:
                    roles.append(rid)
        everyone = (
            ("@everyone" in content or "@here" in content)
            and "everyone" in parse
            and bool(guild is None or author_perms & FLAGS["mention_everyone"])
        )
        pinged: set[int] = set(users)
        if replied_author is not None and (allowed is None or allowed.get("replied_user")):
            pinged.add(replied_author)
        if guild is not None and (everyone or roles):  # walking every member is costly in big guilds
            for m in guild.members.values():
                if everyone or any(r in m.role_ids for r in roles):
                    pinged.add(m.user.id)
        elif everyone:
            pinged.update(channel.recipient_ids)
        pinged.discard(author_id)
        pinged = (
            {u for u in pinged if world.can_see(channel, u)} if channel.type != ChannelType.DM else pinged
        )
        stored.pinged, stored.pinged_roles, stored.pinged_everyone = pinged, set(roles), everyone
        mention_objs = []
        for u in users:
            obj = payloads.user(world.users[u])
            if guild is not None and u in guild.members:
                obj["member"] = payloads.member(guild.members[u], with_user=False)
            mention_objs.append(obj)
        if replied_author is not None and replied_author in pinged and replied_author not in users:
            mention_objs.append(payloads.user(world.users[replied_author]))
        payload["mentions"] = mention_objs
        payload["mention_roles"] = [str(r) for r in roles]
        payload["mention_everyone"] = everyone

    # -- deletion and reactions -------------------------------------------------------------------------
    async def delete(self, stored: StoredMessage) -> None:
        """Delete a message and tell the bot."""
        stored.deleted = True
        if stored.ephemeral_for is None:
            data: dict[str, Any] = {"id": str(stored.id), "channel_id": str(stored.channel_id)}
            if stored.payload.get("guild_id"):
                data["guild_id"] = stored.payload["guild_id"]
            await self.events.dispatch("MESSAGE_DELETE", data)
        self.events.notify()

    async def react(self, stored: StoredMessage, user_id: int, emoji: str) -> None:
        """Add a reaction by `user_id`."""
        users = stored.reactions.setdefault(emoji, [])
        if user_id in users:
            return
        users.append(user_id)
        self._render_reactions(stored)
        data = self._reaction_event(stored, user_id, emoji)
        guild = self.world.guild_of(self.world.channels[stored.channel_id])
        if guild is not None and user_id in guild.members:
            data["member"] = payloads.member(guild.members[user_id])
        data["message_author_id"] = stored.payload["author"]["id"]
        await self.events.dispatch("MESSAGE_REACTION_ADD", data)

    async def unreact(self, stored: StoredMessage, user_id: int, emoji: str) -> None:
        """Remove a reaction by `user_id`."""
        users = stored.reactions.get(emoji, [])
        if user_id not in users:
            return
        users.remove(user_id)
        if not users:
            del stored.reactions[emoji]
        self._render_reactions(stored)
        await self.events.dispatch("MESSAGE_REACTION_REMOVE", self._reaction_event(stored, user_id, emoji))

    def _reaction_event(self, stored: StoredMessage, user_id: int, emoji: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": str(stored.channel_id),
            "message_id": str(stored.id),
            "emoji": emoji_object(emoji),
            "burst": False,
            "type": 0,
        }
        if stored.payload.get("guild_id"):
            data["guild_id"] = stored.payload["guild_id"]
        return data

    def _render_reactions(self, stored: StoredMessage) -> None:
        me = self.world.bot_user.id
        stored.payload["reactions"] = [
            {
                "emoji": emoji_object(e),
                "count": len(u),
                "count_details": {"burst": 0, "normal": len(u)},
                "me": me in u,
                "me_burst": False,
                "burst_colors": [],
            }
            for e, u in stored.reactions.items()
        ]


def check_components_v2(body: dict[str, Any], existing: StoredMessage | None = None) -> None:
    """Apply the IS_COMPONENTS_V2 rules to a create/edit body (and, for an edit, the message it changes).

    Message resource, Create Message: "When the flag IS_COMPONENTS_V2 is set, the message can only contain
    components. Providing content, embeds, sticker_ids, poll, or shared_client_theme will fail with a 400 BAD
    REQUEST response." Edit Message: "the IS_COMPONENTS_V2 flag can only be set. When the IS_COMPONENTS_V2 flag
    is set, any of the used content, embeds, sticker_ids, or poll fields must have their values reset to empty."
    Component Reference: Section, Text Display, Thumbnail, Media Gallery, File, Separator and Container need the
    flag ("To use these components, you need to send the message flag 1 << 15 (IS_COMPONENTS_V2)"). Without it a
    message's top level holds only action rows, as Discord's union error says.
    """
    had = bool(existing is not None and int(existing.payload.get("flags") or 0) & IS_COMPONENTS_V2)
    v2 = had or bool(int(body.get("flags") or 0) & IS_COMPONENTS_V2)
    if v2:
        for key in LEGACY_FIELDS:
            # A leftover on the message being switched to V2 counts unless this edit empties it.
            left = existing is not None and not had and existing.payload.get(key) and key not in body
            if body.get(key) or left:
                raise form_error(
                    key,
                    "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                    f"The '{key}' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
                )
        return
    for path, c in walk_with_paths(body.get("components") or [], "components"):
        if c.get("type") in V2_COMPONENT_TYPES:
            top = path.count(".") == 1
            allowed = "(1,)" if top else "(2, 3, 4, 5, 6, 7, 8)"
            raise form_error(path, "UNION_TYPE_CHOICES", f'Value of field "type" must be one of {allowed}.')


def _respoiler(attachment: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """Apply an edit's `is_spoiler` to a kept attachment.

    "You can optionally update the description and is_spoiler fields of existing attachments"
    (Message resource, Attachment Request Structure).
    """
    out = dict(attachment)
    if request.get("description") is not None:
        out["description"] = request["description"]
    if "is_spoiler" in request:
        spoiler = bool(request["is_spoiler"]) or out["filename"].startswith(SPOILER_PREFIX)
        flags = int(out.get("flags") or 0) & ~IS_SPOILER_ATTACHMENT
        out["flags"] = flags | (IS_SPOILER_ATTACHMENT if spoiler else 0)
        if not out["flags"]:
            out.pop("flags")
    return out


def emoji_object(key: str) -> dict[str, Any]:
    """Turn "👍" or "name:123" into an emoji object."""
    if ":" in key:
        name, _, eid = key.rpartition(":")
        return {"id": eid, "name": name.lstrip("<a:").lstrip(":"), "animated": False}
    return {"id": None, "name": key}


def walk_with_paths(items: list[dict[str, Any]], prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """Return every component with its form-error path (`components.0.components.1`)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for i, c in enumerate(items):
        path = f"{prefix}.{i}"
        out.append((path, c))
        out += walk_with_paths(c.get("components") or [], f"{path}.components")
        for key in ("accessory", "component"):
            if isinstance(c.get(key), dict):
                out.append((f"{path}.{key}", c[key]))
    return out


def number_components(components: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Copy components, giving each one Discord's sequential numeric `id` when the bot sent none."""
    counter = [0]
    used: set[int] = set()

    def collect(items: list[dict[str, Any]]) -> None:
        for c in items:
            if isinstance(c.get("id"), int):
                used.add(c["id"])
            collect(c.get("components") or [])
            for key in ("component", "accessory"):
                if isinstance(c.get(key), dict):
                    collect([c[key]])

    def walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for c in items:
            c = dict(c)
            if not isinstance(c.get("id"), int):
                counter[0] += 1
                while counter[0] in used:
                    counter[0] += 1
                c["id"] = counter[0]
            if "components" in c:
                c["components"] = walk(c["components"] or [])
            for key in ("component", "accessory"):
                if isinstance(c.get(key), dict):
                    c[key] = walk([c[key]])[0]
            out.append(c)
        return out

    collect(components or [])
    return walk(components or [])


def _embeds(embeds: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Return embeds as Discord stores them: rich, text trimmed, every field with its `inline` flag."""
    out = []
    for e in embeds or []:
        e = trimmed_embed(e)
        e.setdefault("type", "rich")
        if isinstance(e.get("fields"), list):
            e["fields"] = [{**f, "inline": bool(f.get("inline"))} for f in e["fields"]]
        out.append(e)
    return out


def trimmed_embed(embed: Any) -> Any:
    """Copy an embed with its counted text trimmed.

    Message resource, Embed Limits: "Leading and trailing whitespace characters are not included (they are
    trimmed automatically)" in title, description, field name and value, footer text and author name.
    """
    if not isinstance(embed, dict):
        return embed
    out = _stripped(embed, "title", "description")
    for key, field in (("footer", "text"), ("author", "name")):
        if isinstance(out.get(key), dict):
            out[key] = _stripped(out[key], field)
    if isinstance(out.get("fields"), list):
        out["fields"] = [_stripped(f, "name", "value") if isinstance(f, dict) else f for f in out["fields"]]
    return out


def _stripped(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v.strip() if k in keys and isinstance(v, str) else v for k, v in obj.items()}
