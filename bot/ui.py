"""Shared UI plumbing: buttons and views whose failures reach the member as an ephemeral reply."""

from __future__ import annotations

import weakref
from typing import Any, Generic, TypeVar

import discord

from bot.errors import UserError, report_interaction_error

T = TypeVar("T")


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
            await self.on_press(interaction)
        except Exception as exc:
            await report_interaction_error(interaction, exc)


class BookClubView(discord.ui.View):
    """A view whose item failures reach the member as an ephemeral reply."""

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
