"""Typed, read-only views over message payloads for assertions in tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .messages import LOADING
from .world import StoredMessage, World


@dataclass(frozen=True)
class Button:
    """A button on a message."""

    label: str | None
    custom_id: str | None
    style: int
    disabled: bool
    url: str | None
    emoji: str | None


@dataclass(frozen=True)
class SelectOption:
    """One option of a string select."""

    label: str
    value: str
    description: str | None
    default: bool


@dataclass(frozen=True)
class Select:
    """A select menu on a message."""

    custom_id: str
    type: int
    placeholder: str | None
    options: list[SelectOption]
    min_values: int
    max_values: int
    disabled: bool


@dataclass(frozen=True)
class ModalField:
    """A text input (or select) inside a modal."""

    custom_id: str
    label: str | None
    type: int
    style: int | None
    required: bool
    value: str | None
    max_length: int | None


@dataclass
class Modal:
    """A modal the bot opened for a member."""

    custom_id: str
    title: str
    fields: list[ModalField]
    raw: dict[str, Any]
    interaction_id: int
    channel_id: int


def walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten action rows, containers, sections and labels into a list of leaf components."""
    out: list[dict[str, Any]] = []
    for c in components or []:
        out.append(c)
        if "components" in c:
            out.extend(walk_components(c["components"]))
        if isinstance(c.get("component"), dict):
            out.extend(walk_components([c["component"]]))
        if isinstance(c.get("accessory"), dict):
            out.extend(walk_components([c["accessory"]]))
    return out


def _emoji_text(e: dict[str, Any] | None) -> str | None:
    if not e:
        return None
    return e.get("name")


def embed_text(embed: dict[str, Any]) -> str:
    """Return all human-readable text in an embed."""
    parts = [
        embed.get("title"),
        embed.get("description"),
        (embed.get("author") or {}).get("name"),
        (embed.get("footer") or {}).get("text"),
    ]
    for f in embed.get("fields") or []:
        parts += [f.get("name"), f.get("value")]
    return "\n".join(p for p in parts if p)


def components_text(components: list[dict[str, Any]]) -> str:
    """Return labels, placeholders, option labels and text displays in components."""
    parts: list[str] = []
    for c in walk_components(components):
        parts += [c.get("label"), c.get("placeholder"), c.get("content")]  # type: ignore[list-item]
        for o in c.get("options") or []:
            parts += [o.get("label"), o.get("description")]
    return "\n".join(p for p in parts if p)


class Message:
    """A message as members see it; re-reads the emulator so it stays current after edits."""

    def __init__(self, world: World, stored: StoredMessage) -> None:
        self._world = world
        self._stored = stored

    # identity
    @property
    def id(self) -> int:
        """Return the message id."""
        return self._stored.id

    @property
    def channel_id(self) -> int:
        """Return the channel id."""
        return self._stored.channel_id

    @property
    def channel(self) -> Any:
        """Return the channel (world Channel)."""
        return self._world.channels[self.channel_id]

    @property
    def payload(self) -> dict[str, Any]:
        """Return the raw wire payload."""
        return self._stored.payload

    @property
    def stored(self) -> StoredMessage:
        """Return the emulator's record."""
        return self._stored

    # content
    @property
    def content(self) -> str:
        """Return the text content."""
        return self.payload.get("content") or ""

    @property
    def author_id(self) -> int:
        """Return the author's user id."""
        return int(self.payload["author"]["id"])

    @property
    def author_name(self) -> str:
        """Return the author's username."""
        return self.payload["author"]["username"]

    @property
    def from_bot(self) -> bool:
        """Tell whether the bot wrote it."""
        return self.author_id == self._world.bot_user.id

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """Return the embeds (dicts)."""
        return self.payload.get("embeds") or []

    @property
    def embed(self) -> dict[str, Any]:
        """Return the only/first embed (AssertionError if none)."""
        if not self.embeds:
            raise AssertionError(f"message has no embed: {self!r}")
        return self.embeds[0]

    @property
    def components(self) -> list[dict[str, Any]]:
        """Return the raw component tree."""
        return self.payload.get("components") or []

    @property
    def buttons(self) -> list[Button]:
        """Return every button, in order."""
        return [
            Button(
                c.get("label"),
                c.get("custom_id"),
                c.get("style", 1),
                bool(c.get("disabled")),
                c.get("url"),
                _emoji_text(c.get("emoji")),
            )
            for c in walk_components(self.components)
            if c.get("type") == 2
        ]

    def button(self, label_or_id: str) -> Button:
        """Return the button with this label or custom_id."""
        for b in self.buttons:
            if label_or_id in (b.label, b.custom_id):
                return b
        raise AssertionError(
            f"no button {label_or_id!r} on the message; buttons: "
            f"{[b.label or b.custom_id for b in self.buttons]}"
        )

    @property
    def selects(self) -> list[Select]:
        """Return every select menu."""
        out = []
        for c in walk_components(self.components):
            if c.get("type") in (3, 5, 6, 7, 8):
                out.append(
                    Select(
                        c["custom_id"],
                        c["type"],
                        c.get("placeholder"),
                        [
                            SelectOption(o["label"], o["value"], o.get("description"), bool(o.get("default")))
                            for o in c.get("options") or []
                        ],
                        int(c.get("min_values", 1)),
                        int(c.get("max_values", 1)),
                        bool(c.get("disabled")),
                    )
                )
        return out

    @property
    def flags(self) -> int:
        """Return the message flags."""
        return int(self.payload.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        """Tell whether only the invoker sees it (what members see, not just the flag the bot asked for)."""
        return self.stored.ephemeral_for is not None

    @property
    def loading(self) -> bool:
        """Tell whether it is still a deferred 'thinking...' placeholder."""
        return bool(self.flags & LOADING)

    @property
    def edited(self) -> bool:
        """Tell whether it was edited."""
        return self.payload.get("edited_timestamp") is not None

    @property
    def deleted(self) -> bool:
        """Tell whether it was deleted."""
        return self._stored.deleted

    @property
    def pinned(self) -> bool:
        """Tell whether it is pinned."""
        return bool(self.payload.get("pinned"))

    @property
    def attachments(self) -> list[dict[str, Any]]:
        """Return attachment objects."""
        return self.payload.get("attachments") or []

    def attachment_bytes(self, index: int = 0) -> bytes:
        """Return an attachment's stored bytes."""
        att = self.attachments[index]
        return self._world.attachments[int(att["id"])].data

    @property
    def reply_to(self) -> int | None:
        """Return the id of the message this replies to."""
        ref = self.payload.get("message_reference")
        return int(ref["message_id"]) if ref and ref.get("message_id") else None

    @property
    def reactions(self) -> dict[str, int]:
        """Return emoji -> count."""
        return {e: len(u) for e, u in self._stored.reactions.items()}

    @property
    def pinged(self) -> list[str]:
        """Return the usernames of everybody this message notified (after allowed_mentions)."""
        users = self._world.users
        return sorted(users[u].name for u in self._stored.pinged)

    @property
    def pinged_ids(self) -> set[int]:
        """Return the user ids this message notified."""
        return set(self._stored.pinged)

    @property
    def poll(self) -> dict[str, Any] | None:
        """Return the poll payload, if any."""
        return self.payload.get("poll")

    def poll_counts(self) -> dict[str, int]:
        """Return answer text -> live vote count."""
        if self._stored.poll is None or self.poll is None:
            raise AssertionError("message has no poll")
        votes = self._stored.poll.votes
        return {
            a["poll_media"].get("text", str(a["answer_id"])): len(votes.get(a["answer_id"], []))
            for a in self.poll["answers"]
        }

    @property
    def poll_finalized(self) -> bool:
        """Tell whether the poll has ended."""
        return bool(self._stored.poll and self._stored.poll.finalized)

    @property
    def thread(self) -> Any:
        """Return the thread started from this message, or None."""
        ch = self._world.channels.get(self.id)
        return ch if ch is not None and ch.is_thread else None

    @property
    def text(self) -> str:
        """Return all visible text: content, embeds, components, poll."""
        parts = [self.content, *(embed_text(e) for e in self.embeds), components_text(self.components)]
        if self.poll:
            parts.append(self.poll["question"].get("text", ""))
            parts += [a["poll_media"].get("text", "") for a in self.poll["answers"]]
        return "\n".join(p for p in parts if p)

    def refreshed(self) -> Message:
        """Return self (payloads are live); kept for readability in tests."""
        return self

    def __repr__(self) -> str:
        content = self.content if len(self.content) < 60 else self.content[:57] + "..."
        extra = f", {len(self.embeds)} embed(s)" if self.embeds else ""
        extra += ", ephemeral" if self.ephemeral else ""
        return f"<Message {self.id} by {self.author_name}: {content!r}{extra}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


@dataclass
class Reply:
    """What the bot did in answer to a member's action.

    `message` is the visible answer (the response, the edited deferral or the first follow-up);
    `modal` is set when the bot opened a modal; `choices` for autocomplete; `followups` all follow-ups.
    """

    action: str
    message: Message | None = None
    modal: Modal | None = None
    choices: list[dict[str, Any]] = field(default_factory=list)
    response_type: int | None = None
    interaction_id: int | None = None
    followup_source: Callable[[], list[Message]] | None = None

    @property
    def followups(self) -> list[Message]:
        """Return every follow-up message sent so far (live: later follow-ups show up too)."""
        return self.followup_source() if self.followup_source else []

    def _msg(self) -> Message:
        if self.message is None:
            what = "a modal" if self.modal else f"response type {self.response_type}"
            raise AssertionError(f"{self.action} got {what}, not a message")
        return self.message

    @property
    def content(self) -> str:
        """Return the answer's content."""
        return self._msg().content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """Return the answer's embeds."""
        return self._msg().embeds

    @property
    def embed(self) -> dict[str, Any]:
        """Return the answer's first embed."""
        return self._msg().embed

    @property
    def ephemeral(self) -> bool:
        """Tell whether the answer is ephemeral."""
        return self._msg().ephemeral

    @property
    def buttons(self) -> list[Button]:
        """Return the answer's buttons."""
        return self._msg().buttons

    @property
    def selects(self) -> list[Select]:
        """Return the answer's selects."""
        return self._msg().selects

    @property
    def components(self) -> list[dict[str, Any]]:
        """Return the answer's raw components."""
        return self._msg().components

    @property
    def text(self) -> str:
        """Return all text of the answer and its follow-ups."""
        parts = [
            m.text for m in ([self.message] if self.message else []) + self.followups if m is not self.message
        ]
        if self.message:
            parts.insert(0, self.message.text)
        if self.modal:
            parts.append(self.modal.title)
        return "\n".join(parts)

    def __repr__(self) -> str:
        if self.modal:
            return f"<Reply to {self.action}: modal {self.modal.title!r}>"
        if self.choices:
            return f"<Reply to {self.action}: {len(self.choices)} choices>"
        return f"<Reply to {self.action}: {self.message!r}>"
