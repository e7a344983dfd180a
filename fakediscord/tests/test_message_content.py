"""The Message Content intent: other people's message content is blank without it, in events and REST alike.

Discord API docs, events/gateway.mdx "Message Content Intent" and resources/message.mdx (message object):
`content`, `embeds`, `attachments` and `components` come back empty and `poll` is left out, except for the
app's own messages, DMs with the app, messages that mention it and a message context menu's target.
"""

from __future__ import annotations

import discord
from discord import app_commands

from fakediscord import FakeDiscord, Upload

POLL = {"question": {"text": "Next book?"}, "answers": [{"poll_media": {"text": "Dune"}}], "duration": 24}


class ContentBot(discord.Client):
    """A bot that records what it receives, with a message context menu quoting its target."""

    def __init__(self, guild_id: int, *, content: bool) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = content
        super().__init__(intents=intents)
        self.tree = app_commands.CommandTree(self)
        self.guild_id = guild_id
        self.seen: dict[int, discord.Message] = {}

        @self.tree.context_menu(name="Quote")
        async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(f"quoted:{message.content}", ephemeral=True)

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)

    async def on_message(self, message: discord.Message) -> None:
        self.seen[message.id] = message


async def _member_posts(club: FakeDiscord) -> dict[str, int]:
    """Post one message of each kind; return their ids by name."""
    alice, general = club.member("alice"), club.text_channel("general")
    plain = await alice.say(
        general, "the twist is", files=[Upload("notes.txt", b"x")], embeds=[{"title": "Chapter 9"}]
    )
    mention = await alice.say(general, f"<@{club.world.bot_user.id}> hello bot")
    reply = await alice.say(general, "and then", reply_to=plain)
    poll = club.messages.build(general, alice.id, {"poll": POLL})
    await club.events.message_created(poll)
    return {"plain": plain.id, "mention": mention.id, "reply": reply.id, "poll": poll.id}


async def test_history_and_get_message_are_blank_without_the_intent(club: FakeDiscord) -> None:
    general = club.text_channel("general")
    async with club.run_bot(ContentBot(club.guild.id, content=False)) as bot:
        ids = await _member_posts(club)
        own = await bot.get_channel(general.id).send("bot text")
        channel = bot.get_channel(general.id)
        history = {m.id: m async for m in channel.history(limit=10)}
        fetched = await channel.fetch_message(ids["plain"])
    for msg in (history[ids["plain"]], fetched):
        assert (msg.content, msg.embeds, msg.attachments) == ("", [], [])
    assert history[ids["poll"]].poll is None
    assert history[ids["mention"]].content.endswith("hello bot")
    assert history[own.id].content == "bot text"
    reply = history[ids["reply"]]
    assert reply.content == ""
    assert reply.reference is not None and reply.reference.resolved is not None
    assert reply.reference.resolved.content == ""


async def test_gateway_events_are_blank_without_the_intent(club: FakeDiscord) -> None:
    async with club.run_bot(ContentBot(club.guild.id, content=False)) as bot:
        ids = await _member_posts(club)
        await club.wait_until(lambda: set(ids.values()) <= set(bot.seen), what="four MESSAGE_CREATEs")
    plain = bot.seen[ids["plain"]]
    assert (plain.content, plain.embeds, plain.attachments) == ("", [], [])
    assert bot.seen[ids["poll"]].poll is None
    assert bot.seen[ids["mention"]].content.endswith("hello bot")


async def test_pins_and_dms_without_the_intent(club: FakeDiscord) -> None:
    alice, general = club.member("alice"), club.text_channel("general")
    await club.set_permissions(general, "bot", allow=["pin_messages"])
    async with club.run_bot(ContentBot(club.guild.id, content=False)) as bot:
        said = await alice.say(general, "pinned words")
        dm = await alice.dm_bot("just for you")
        channel = bot.get_channel(general.id)
        await (await channel.fetch_message(said.id)).pin()
        pins = [m async for m in channel.pins()]
        dm_channel = await bot.fetch_channel(dm.channel_id)
        fetched_dm = await dm_channel.fetch_message(dm.id)
    assert [p.content for p in pins] == [""]
    assert fetched_dm.content == "just for you"


async def test_context_menu_target_keeps_its_content(club: FakeDiscord) -> None:
    alice = club.member("alice")
    async with club.run_bot(ContentBot(club.guild.id, content=False)):
        await club.wait_for_commands()
        said = await alice.say(club.text_channel("general"), "quote me")
        reply = await alice.message_command("Quote", said)
    assert reply.content == "quoted:quote me"


async def test_with_the_intent_everything_is_readable(club: FakeDiscord) -> None:
    general = club.text_channel("general")
    async with club.run_bot(ContentBot(club.guild.id, content=True)) as bot:
        ids = await _member_posts(club)
        history = {m.id: m async for m in bot.get_channel(general.id).history(limit=10)}
    plain = history[ids["plain"]]
    assert plain.content == "the twist is" and plain.embeds and plain.attachments
    assert history[ids["poll"]].poll is not None
