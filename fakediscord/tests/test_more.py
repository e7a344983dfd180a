"""Uploads, deleting the original, entity selects, context menus, thread auto-archive, global limit, intents."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import discord
import pytest

from fakediscord import FakeClock, FakeDiscord
from fakediscord.tests.sample_bot import SampleBot


async def test_bot_upload_is_served_on_the_cdn(club: FakeDiscord, bot: SampleBot) -> None:
    reply = await club.member("alice").slash("upload")
    assert reply.message.attachments[0]["filename"] == "notes.txt"
    assert reply.message.attachment_bytes() == b"page 42"
    async with aiohttp.ClientSession() as http, http.get(reply.message.attachments[0]["url"]) as resp:
        assert await resp.read() == b"page 42"
    assert "notes.txt" in club.text_member_sees(club.member("bob"))


async def test_delete_original(club: FakeDiscord, bot: SampleBot) -> None:
    reply = await club.member("alice").slash("vanish")
    await club.wait_until(lambda: ("vanished",) in bot.events, what="the deletion")
    assert reply.message.deleted
    assert "now you see me" not in club.text_member_sees(club.member("bob"))


async def test_user_select_and_context_menus(club: FakeDiscord, bot: SampleBot) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    ask = await alice.slash("assign")
    assert (await alice.choose(ask, "Who reads next?", [bob])).content == "assigned bob"
    said = await bob.say(club.text_channel("general"), "a fine sentence")
    assert (await alice.message_command("Quote", said)).content == "quoted: a fine sentence"
    assert (await alice.user_command("Greet", bob)).content == "hi bob"


async def test_threads_auto_archive_by_the_clock(club: FakeDiscord, bot: SampleBot, clock: FakeClock) -> None:
    alice = club.member("alice")
    await alice.slash("thread", name="Chapter 2", private=False)
    thread = club.thread("Chapter 2")
    cached = bot.get_channel(thread.id)
    assert isinstance(cached, discord.Thread)
    await clock.advance(timedelta(hours=23))
    assert not thread.archived
    await clock.advance(timedelta(hours=2))
    assert thread.archived
    await club.wait_until(lambda: cached.archived, what="THREAD_UPDATE in the bot's cache")
    await alice.say(thread, "reviving")  # a member posting unarchives it, as in Discord
    assert not thread.archived


@pytest.mark.club(rate_limits=True)
async def test_global_limit(club: FakeDiscord) -> None:
    headers = {"Authorization": f"Bot {club.token}"}
    statuses = []
    async with aiohttp.ClientSession() as http:
        for _ in range(52):
            async with http.get(f"{club.api_base}/users/@me", headers=headers) as resp:
                statuses.append(resp.status)
                if resp.status == 429:
                    body = await resp.json()
                    assert body["global"] is True and resp.headers["X-RateLimit-Global"] == "true"
    assert 429 in statuses and statuses.index(429) == 50


async def test_without_message_content_intent_content_is_empty(club: FakeDiscord) -> None:
    class NoContentBot(SampleBot):
        def __init__(self, guild_id: int) -> None:
            super().__init__(guild_id)
            self._connection._intents.message_content = False

    b = NoContentBot(club.guild.id)
    import asyncio

    task = asyncio.create_task(b.start(club.token))
    try:
        await asyncio.wait_for(b.ready_event.wait(), 10)
        alice = club.member("alice")
        await alice.say(club.text_channel("general"), "secret words")
        await club.wait_until(lambda: any(e[0] == "message" for e in b.events), what="MESSAGE_CREATE")
        assert ("message", "", alice.id) in b.events
    finally:
        await b.close()
        await asyncio.wait_for(task, 5)


async def test_start_stop_is_fast_and_restores_discord_py() -> None:
    import time

    import discord.http

    before = discord.http.Route.BASE
    started = time.perf_counter()
    club = await FakeDiscord.start()
    club.connect_discord_py()
    assert club.api_base == discord.http.Route.BASE
    await club.stop()
    assert time.perf_counter() - started < 0.5
    assert before == discord.http.Route.BASE


async def test_missing_spec_dir_skips_visibly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKEDISCORD_SPEC_DIR", "/nonexistent/discord-spec")
    async with FakeDiscord() as club:
        assert club.validator is None
        assert club.validation_skipped_reason and "spec validation skipped" in club.validation_skipped_reason
        club.assert_no_violations()


@pytest.mark.club(
    bot_permissions=[
        "view_channel",
        "send_messages",
        "manage_roles",
        "manage_threads",
        "create_public_threads",
        "send_messages_in_threads",
    ]
)
async def test_roles_and_thread_deletion_through_discord_py(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    readers = club.role("Readers")
    guild = bot.get_guild(club.guild.id)
    assert guild is not None
    await club.wait_until(lambda: guild.get_member(alice.id) and guild.get_role(readers.id), what="cache")
    member = guild.get_member(alice.id)
    assert member is not None
    await member.add_roles(discord.Object(readers.id))
    assert readers in alice.roles
    made = await guild.create_role(name="Finishers", mentionable=True)
    assert club.role("Finishers").id == made.id
    with pytest.raises(discord.Forbidden) as denied:
        await guild.create_role(name="Admins", permissions=discord.Permissions(administrator=True))
    assert denied.value.code == 50013
    channel = guild.get_channel(club.default_channel.id)  # type: ignore[union-attr]
    assert isinstance(channel, discord.TextChannel)
    thread = await channel.create_thread(name="tmp", type=discord.ChannelType.public_thread)
    await thread.delete()
    assert thread.id not in club.world.channels


async def test_unimplemented_route_fails_the_test(club: FakeDiscord, bot: SampleBot) -> None:
    guild = bot.get_guild(club.guild.id)
    assert guild is not None
    with pytest.raises(discord.HTTPException):
        await guild.fetch_ban(discord.Object(1))
    with pytest.raises(AssertionError, match="unimplemented"):
        club.assert_no_violations()
    club.unhandled.clear()


async def test_member_leaves(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    await alice.slash("thread", name="Leaving soon", private=False)
    await alice.say(club.thread("Leaving soon"), "bye")
    guild = bot.get_guild(club.guild.id)
    assert guild is not None
    await club.wait_until(lambda: guild.get_member(alice.id), what="alice in the cache")
    await club.remove_member(alice)
    await club.wait_until(lambda: guild.get_member(alice.id) is None, what="GUILD_MEMBER_REMOVE")
    assert alice.id not in club.thread("Leaving soon").thread_members
