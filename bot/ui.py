"""Shared UI plumbing: buttons and views whose failures reach the member as an ephemeral reply."""

from __future__ import annotations

import re
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Generic, Self, TypeVar, dataclass_transform

import discord

from bot.errors import UserError, ensure_guild_ready, report_interaction_error

T = TypeVar("T")
ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])


class ReportsErrors:
    """Mix into a `DynamicItem`: implement `on_press`; any failure becomes an ephemeral reply.

    discord.py only logs exceptions raised by dynamic items (and silently drops a failing
    `interaction_check`), which would leave the member with "This interaction failed".
    """

    async def on_press(self, interaction: discord.Interaction[Any]) -> None:
        """Handle the click."""
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run `on_press` and report any error to the member."""
        try:
            ensure_guild_ready(interaction)
            await self.on_press(interaction)
        except Exception as exc:
            await report_interaction_error(interaction, exc)


def _ints(text: str) -> list[int]:
    return [int(p) for p in text.split(".") if p]


def _encode_ints(values: Sequence[int]) -> str:
    return ".".join(str(v) for v in values)


_FIELD_KINDS: dict[str, tuple[str, Callable[[str], Any], Callable[[Any], str]]] = {
    "int": (r"\d+", int, str),
    "ints": (r"[\d.]*", _ints, _encode_ints),  # a dot-separated list, possibly empty: 3.1.4
    "hex16": (r"[0-9a-f]{16}", str, str),
}
_FIELD = re.compile(r"\{(?P<name>[a-z_]+):(?P<kind>[a-z0-9_|]+)\}")


class CustomId:
    """A persistent component's custom id, declared once: literal text with typed fields.

    `CustomId("bookclub:poll:{poll_id:int}:cast:{picks:ints}")` gives the regex discord.py matches
    against (`template`), `format(poll_id=3, picks=[2, 1])` gives "bookclub:poll:3:cast:2.1", and
    `parse(match)` gives back `{"poll_id": 3, "picks": [2, 1]}`. A field's kind is `int`, `ints`, `hex16`,
    or a choice of literal words, `{action:read|watched}`.
    """

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self._fields: dict[str, tuple[Callable[[str], Any], Callable[[Any], str]]] = {}
        # The literal text between fields, and each field's encoder, so `format` is one join.
        self._literals: list[str] = []
        self._encoders: list[tuple[str, Callable[[Any], str]]] = []
        pattern, end = [], 0
        for field in _FIELD.finditer(spec):
            name, kind = field["name"], field["kind"]
            if kind in _FIELD_KINDS:
                regex, parse, encode = _FIELD_KINDS[kind]
            else:
                regex, parse, encode = "|".join(map(re.escape, kind.split("|"))), str, str
            pattern += [re.escape(spec[end : field.start()]), f"(?P<{name}>{regex})"]
            self._fields[name] = (parse, encode)
            self._literals.append(spec[end : field.start()])
            self._encoders.append((name, encode))
            end = field.end()
        pattern.append(re.escape(spec[end:]))
        self._tail = spec[end:]
        self.template = re.compile("".join(pattern))

    def __repr__(self) -> str:
        return f"CustomId({self.spec!r})"

    def format(self, **values: Any) -> str:
        """Return the custom id for these field values; refuses a value the template would not match."""
        if values.keys() != self._fields.keys():
            raise TypeError(f"{self.spec} takes {sorted(self._fields)}, not {sorted(values)}")
        pieces: list[str] = []
        for literal, (name, encode) in zip(self._literals, self._encoders, strict=True):
            pieces += (literal, encode(values[name]))
        text = "".join(pieces) + self._tail
        if self.template.fullmatch(text) is None or len(text) > 100:  # Discord's custom_id limit
            raise ValueError(f"{text!r} is not a valid {self.spec} custom id")
        return text

    @property
    def names(self) -> tuple[str, ...]:
        """Return the field names, in the order the id spells them."""
        return tuple(self._fields)

    def parse(self, match: re.Match[str]) -> dict[str, Any]:
        """Return the typed field values of a matched custom id."""
        return {name: parse(match[name]) for name, (parse, _) in self._fields.items()}


class Persistent(ReportsErrors, discord.ui.DynamicItem[ItemT], template=r"(?!)"):
    """A component that keeps working after a restart, declared once by its custom id.

    Subclass with the id's format, `class StatusButton(Persistent[discord.ui.Button[Any]],
    custom_id="bookclub:status:{work_id:int}:{action:read|watched}")`, take the fields as keyword-able
    `__init__` parameters, and build the item with `custom_id=self.ids.format(...)`. discord.py
    rebuilds a clicked one with `cls(**fields)`; implement `on_press` (failures reach the member).
    """

    ids: ClassVar[CustomId]

    def __init_subclass__(cls, *, custom_id: str | None = None, **kwargs: Any) -> None:
        if custom_id is None:  # a shared base such as PersistentButton: it matches nothing itself
            super().__init_subclass__(template=r"(?!)", **kwargs)
            return
        cls.ids = CustomId(custom_id)
        super().__init_subclass__(template=cls.ids.template, **kwargs)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the component from its custom id's fields."""
        return cls(**cls.ids.parse(match))


@dataclass_transform()
class PersistentButton(Persistent[discord.ui.Button[Any]]):
    """A persistent button with a fixed label, declared in its class line; its id fields are its fields.

    `class JoinButton(PersistentButton, custom_id="bookclub:discussion:join:{discussion_id:int}",
    label="Join the discussion", style=discord.ButtonStyle.primary)` with `discussion_id: int` in the
    body is built as `JoinButton(7)` or `JoinButton(discussion_id=7)` (type checkers read the fields
    as its parameters); buttons whose label changes with their state build their item themselves.
    """

    label: ClassVar[str]
    style: ClassVar[discord.ButtonStyle]

    def __init_subclass__(
        cls,
        *,
        custom_id: str | None = None,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        **kwargs: Any,
    ) -> None:
        cls.label, cls.style = label, style
        super().__init_subclass__(custom_id=custom_id, **kwargs)

    def __init__(self, *args: Any, **fields: Any) -> None:
        fields.update(zip(self.ids.names, args, strict=False))
        for name, value in fields.items():
            setattr(self, name, value)
        super().__init__(
            discord.ui.Button(label=self.label, style=self.style, custom_id=self.ids.format(**fields))
        )


class BookClubView(discord.ui.View):
    """A view whose item failures reach the member as an ephemeral reply."""

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Refuse (through `on_error`) a click from a guild this process has not received yet."""
        ensure_guild_ready(interaction)
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        """Report the failure."""
        await report_interaction_error(interaction, error)


def submitted_value(data: dict[str, Any], custom_id: str) -> str:
    """Return a text input's value (or a select's first choice) from a modal submission's raw data."""
    for row in data.get("components", []):
        for component in row.get("components", [row.get("component")] if "component" in row else []):
            if component and component.get("custom_id") == custom_id:
                if "values" in component:
                    return str((component.get("values") or [""])[0])
                return str(component.get("value") or "")
    return ""


ModalHandler = Callable[..., Awaitable[None]]
"""`handler(interaction, **fields)`: the custom id's typed fields as keywords; values via `submitted_value`."""


class ModalRouter:
    """Answers modal submissions from their custom id alone, including modals opened before a restart.

    discord.py keeps modals in memory only, so without this a form opened before a restart would go
    unanswered. A feature `add`s its modals' ids at `cog_load` (as it adds its dynamic buttons) and
    `remove`s them at `cog_unload`; a failing handler reaches the member as an ephemeral reply.
    """

    def __init__(self) -> None:
        self._routes: dict[CustomId, ModalHandler] = {}

    def add(self, ids: CustomId, handler: ModalHandler) -> None:
        """Route submissions whose custom id matches `ids` to `handler`."""
        self._routes[ids] = handler

    def remove(self, *ids: CustomId) -> None:
        """Stop routing these ids (their feature unloaded)."""
        for one in ids:
            self._routes.pop(one, None)

    async def dispatch(self, interaction: discord.Interaction[Any]) -> bool:
        """Answer the interaction if it is a routed modal submission; return whether it was."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return False
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        for ids, handler in list(self._routes.items()):
            match = ids.template.fullmatch(custom_id)
            if match is not None:
                try:
                    ensure_guild_ready(interaction)
                    await handler(interaction, **ids.parse(match))
                except Exception as exc:
                    await report_interaction_error(interaction, exc)
                return True
        return False


def buttons_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """Return a persistent view holding the given (dynamic) items."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


class Part(Generic[T]):
    """A typed name for what a feature's components need at click time (its service, its cog).

    Persistent components are rebuilt by discord.py from their custom id alone, so they cannot be
    handed their feature's objects when they are made. The feature's cog `provide`s the object at
    `cog_load` and `withdraw`s it at `cog_unload`; a component asks for it with `Part.of`, typed,
    without importing the cog (which imports the component: that circle is what this replaces).
    """

    def __init__(self, name: str, *, missing: str) -> None:
        self.name = name
        self.missing = missing  # what the member is told while the feature is not loaded

    def __repr__(self) -> str:
        return f"Part({self.name!r})"

    def provide(self, client: discord.Client, value: T) -> None:
        """Make `value` what `of` answers on this client."""
        _PARTS.setdefault(client, {})[self] = value

    def withdraw(self, client: discord.Client) -> None:
        """Forget what this client was given (the feature unloaded)."""
        _PARTS.get(client, {}).pop(self, None)

    def of(self, client: discord.Client) -> T:
        """Return what the feature provided on this client, or refuse with the member-facing message."""
        value = _PARTS.get(client, {}).get(self)
        if value is None:
            raise UserError(self.missing)
        return value

    def get(self, client: discord.Client) -> T | None:
        """Return what the feature provided on this client, or None while it is not loaded."""
        return _PARTS.get(client, {}).get(self)


_PARTS: weakref.WeakKeyDictionary[discord.Client, dict[Part[Any], Any]] = weakref.WeakKeyDictionary()
"""Per client, so two bots in one process (tests, shards) never see each other's services."""
