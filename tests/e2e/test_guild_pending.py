"""An interaction that reaches the bot before its guild's GUILD_CREATE gets an honest answer."""

from __future__ import annotations

from bot_processes import guilds_arrived
from markdown_view import rendered

STILL_CONNECTING = "I'm still connecting to this server; try again in a few seconds."


async def test_command_before_guild_create_says_still_connecting_and_changes_nothing(
    club, admin, catalog, announcements, harness
):
    # After READY a shard's guilds are unavailable until their GUILD_CREATE, and interactions may come first
    # (discord-api-docs, Gateway Events, Ready): the emulator holds this guild's GUILD_CREATE back.
    club.gateway.held_guild_creates.add(club.guild.id)
    bot = await harness.restart()
    pending = bot.get_guild(club.guild.id)
    assert pending is None or pending.unavailable  # READY made it an unavailable guild

    early = await admin.slash("book current", book="pride and prejudice")
    assert early.ephemeral and rendered(early.content) == STILL_CONNECTING, early.content
    assert (await store_of(harness).guilds.get(club.guild.id)).current_book_id is None

    await club.gateway.release_guild_create(club.guild.id)
    await guilds_arrived(
        club, [0], timeout=5
    )  # what BotProcess.start waits for: the bot's heartbeat proves it
    arrived = bot.get_guild(club.guild.id)
    assert (
        arrived is not None and not arrived.unavailable and arrived.get_channel(announcements.id) is not None
    )
    reply = await admin.slash("book current", book="pride and prejudice")
    assert "I posted it in" in rendered(reply.content), reply.content
    assert (await store_of(harness).guilds.get(club.guild.id)).current_book_id == catalog["pride"]


def store_of(harness):
    """Return the restarted bot's store (the `store` fixture is the first start's)."""
    assert harness.store is not None
    return harness.store


async def test_button_click_before_guild_create_says_still_connecting_and_records_nothing(
    club, admin, alice, catalog, announcements, harness
):
    await admin.slash("book current", book="pride and prejudice")
    post = club.bot_messages(announcements)[-1]
    club.gateway.held_guild_creates.add(club.guild.id)
    bot = await harness.restart()

    early = await alice.click(post, "📖 I read it")
    assert early.ephemeral and rendered(early.content) == STILL_CONNECTING, early.content
    assert await store_of(harness).statuses.for_member(club.guild.id, alice.id) == {}

    await club.gateway.release_guild_create(club.guild.id)
    await club.wait_until(
        lambda: not getattr(bot.get_guild(club.guild.id), "unavailable", True), what="the guild"
    )
    read = await alice.click(post, "📖 I read it")
    assert rendered(read.content) == "Recorded: *Pride and Prejudice (1813)*: read it.", read.content
    assert catalog["pride"] in await store_of(harness).statuses.for_member(club.guild.id, alice.id)
