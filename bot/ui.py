"""Shared UI plumbing: buttons and views whose failures reach the member as an ephemeral reply."""

from __future__ import annotations

from typing import Any

import discord

from bot.errors import report_interaction_error


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
