"""Connect, sync, slash commands."""

from __future__ import annotations

from fakediscord import FakeDiscord
from fakediscord.tests.sample_bot import SampleBot


async def test_bot_connects_and_syncs(club: FakeDiscord, bot: SampleBot) -> None:
    names = {c["name"] for c in club.commands()}
    assert {"club", "echo", "types", "card"} <= names
    assert club.requests_to("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
    assert bot.get_guild(club.guild.id) is not None


async def test_echo(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    reply = await alice.slash("echo", text="hello")
    assert reply.content == "hello"
    assert not reply.ephemeral
