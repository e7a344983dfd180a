"""A thread passed as a slash-command option resolves as a full thread object, as the API spec types it."""

from __future__ import annotations

import discord
from discord import app_commands

from fakediscord import FakeDiscord
from fakediscord.world import ChannelType


class ThreadOptionBot(discord.Client):
    """A bot with one command that takes a thread and reports what discord.py resolved."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(intents=discord.Intents.none())
        self.tree = app_commands.CommandTree(self)
        self.guild_id = guild_id

        @self.tree.command(name="peek", description="Describe a thread")
        async def peek(interaction: discord.Interaction, thread: discord.Thread) -> None:
            await interaction.response.send_message(
                f"owner={thread.owner_id} parent={thread.parent_id} private={thread.type is discord.ChannelType.private_thread}"
            )

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)


async def test_thread_option_carries_owner_and_parent(club: FakeDiscord) -> None:
    alice = club.member("alice")
    general = club.text_channel("talk")
    thread = await club.open_thread(general, alice.id, "talk", ChannelType.PRIVATE_THREAD)
    async with club.run_bot(ThreadOptionBot(club.guild.id)):
        await club.wait_for_commands()
        reply = await alice.slash("peek", thread=thread)
    assert reply.content == f"owner={alice.id} parent={general.id} private=True"
