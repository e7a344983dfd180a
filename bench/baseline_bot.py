"""The baseline: a bare discord.py client answering the "📖 I read it" button with no storage at all."""

from __future__ import annotations

import re
from typing import Any

import discord

# Like the real bot: it never joins voice, so discord.py's warnings about voice libraries are noise.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

# The same custom id template as `bot.services.statuses.StatusButton`, restricted to the action the bench clicks.
TEMPLATE = r"bookclub:status:(?P<work_id>\d+):read"


def baseline_intents() -> discord.Intents:
    """Return the intents the real bot asks for when summaries are off, so both get the same events."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.guild_polls = True
    intents.guild_scheduled_events = True
    return intents


class ReadButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """A persistent "📖 I read it" button that only answers."""

    def __init__(self, work_id: int) -> None:
        self.work_id = work_id
        super().__init__(
            discord.ui.Button(
                label="📖 I read it",
                style=discord.ButtonStyle.success,
                custom_id=f"bookclub:status:{work_id}:read",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReadButton:
        """Rebuild the button from its custom id."""
        return cls(int(match["work_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer ephemerally, as the real bot does, without recording anything."""
        await interaction.response.send_message("Recorded: *The Lantern Keeper*: read it.", ephemeral=True)


class BareBot(discord.Client):
    """A `discord.Client` whose only feature is the read button."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("intents", baseline_intents())
        super().__init__(allowed_mentions=discord.AllowedMentions.none(), **options)

    async def setup_hook(self) -> None:
        """Register the button so clicks on any message carrying it are handled."""
        self.add_dynamic_items(ReadButton)


def read_view(work_id: int) -> discord.ui.View:
    """Return a view holding the read button, to post under a message."""
    view = discord.ui.View(timeout=None)
    view.add_item(ReadButton(work_id))
    return view
