"""Gateway faults: close codes, TCP drop, op 7, op 9, RESUME replay, fatal codes."""

from __future__ import annotations

import asyncio

import discord
import pytest

from fakediscord import FakeDiscord
from fakediscord.tests.sample_bot import SampleBot


async def ping_pong(club: FakeDiscord, who: str = "alice") -> None:
    member = club.member(who)
    general = club.text_channel("general")
    before = len(club.bot_messages(general))
    await member.say(general, "!ping")
    await club.wait_until(lambda: len(club.bot_messages(general)) > before, timeout=5, what="pong")
    assert club.bot_messages(general)[-1].content == "pong"


@pytest.mark.parametrize("how", ["4000", "drop"])
async def test_resume_replays_events_sent_while_disconnected(
    club: FakeDiscord, bot: SampleBot, how: str
) -> None:
    alice = club.member("alice")
    await club.settle()
    session = club.gateway.session
    assert session is not None
    if how == "drop":
        await club.gateway.drop()
    else:
        await club.gateway.close(4000)
    await alice.say(club.text_channel("general"), "said while the bot was away")
    await club.wait_until(lambda: ("resumed",) in bot.events, timeout=5, what="RESUMED")
    assert club.gateway.session is session and club.gateway.resume_count == 1
    await club.wait_until(
        lambda: ("message", "said while the bot was away", alice.id) in bot.events,
        what="the replayed MESSAGE_CREATE",
    )
    await ping_pong(club)


async def test_op7_reconnect_resumes(club: FakeDiscord, bot: SampleBot) -> None:
    await club.gateway.request_reconnect()
    await club.wait_until(lambda: ("resumed",) in bot.events, timeout=5, what="RESUMED")
    await ping_pong(club)


async def test_op9_resumable(club: FakeDiscord, bot: SampleBot) -> None:
    await club.gateway.invalidate_session(resumable=True)
    await club.wait_until(lambda: ("resumed",) in bot.events, timeout=5, what="RESUMED")
    await ping_pong(club)


async def test_op9_not_resumable_reidentifies(club: FakeDiscord, bot: SampleBot) -> None:
    await club.gateway.invalidate_session(resumable=False)
    await club.wait_until(
        lambda: club.gateway.identify_count == 2 and club.gateway.connected, timeout=5, what="a new IDENTIFY"
    )
    await ping_pong(club)


async def test_4009_session_timeout_reidentifies(club: FakeDiscord, bot: SampleBot) -> None:
    await club.gateway.close(4009)
    await club.wait_until(
        lambda: club.gateway.identify_count == 2 and club.gateway.connected, timeout=5, what="a new IDENTIFY"
    )
    await ping_pong(club)


async def test_4004_is_fatal(club: FakeDiscord, bot: SampleBot) -> None:
    await club.gateway.close(4004)
    await club.wait_until(bot.is_closed, timeout=5, what="discord.py to give up")
    assert club.gateway.identify_count == 1


async def test_4014_disallowed_intents(club: FakeDiscord) -> None:
    club.gateway.allowed_intents = 0
    b = SampleBot(club.guild.id)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await asyncio.wait_for(b.start(club.token), 5)
    await b.close()


async def test_bad_token(club: FakeDiscord) -> None:
    b = SampleBot(club.guild.id)
    with pytest.raises(discord.LoginFailure):
        await b.start("not-the-token")
    await b.close()


@pytest.mark.club(heartbeat_interval_ms=100)
async def test_zombie_connection_is_detected_and_resumed(club: FakeDiscord) -> None:
    async with club.run_bot(SampleBot(club.guild.id, heartbeat_timeout=0.5)) as b:
        club.gateway.drop_heartbeat_ack = True
        await club.wait_until(lambda: club.gateway.resume_count == 1, timeout=5, what="a RESUME")
        club.gateway.drop_heartbeat_ack = False
        await club.wait_until(lambda: ("resumed",) in b.events, timeout=5, what="RESUMED")
        await ping_pong(club)
