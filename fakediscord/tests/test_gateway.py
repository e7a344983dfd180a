"""Gateway faults: close codes, TCP drop, op 7, op 9, RESUME replay, fatal codes."""

from __future__ import annotations

import asyncio

import aiohttp
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


IDENTIFY_PROPERTIES = {"os": "linux", "browser": "probe", "device": "probe"}


async def open_gateway(club: FakeDiscord, http: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
    """Connect to the gateway as a client would and read HELLO."""
    ws = await http.ws_connect(club.gateway_url)
    hello = await ws.receive_json()
    assert hello["op"] == 10
    return ws


async def closed_with(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    """Read until the server closes; return the close code."""
    while True:
        msg = await ws.receive(timeout=3)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            return ws.close_code


def identify(club: FakeDiscord, **over: object) -> dict[str, object]:
    """Return an IDENTIFY frame, with `over` replacing or (when None) removing fields."""
    d: dict[str, object] = {"token": club.token, "properties": IDENTIFY_PROPERTIES, "intents": 513}
    for key, value in over.items():
        if value is None:
            d.pop(key, None)
        else:
            d[key] = value
    return {"op": 2, "d": d}


@pytest.mark.club(allow_violations=True)
async def test_unknown_opcode_closes_4001(club: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await open_gateway(club, http)
        await ws.send_json({"op": 99, "d": None})
        assert await closed_with(ws) == 4001
    assert [(v.source, v.code) for v in club.violations] == [("bot-gateway", "4001")]


@pytest.mark.club(allow_violations=True)
@pytest.mark.parametrize("missing", ["intents", "properties", "token"])
async def test_identify_without_a_required_field_closes_4002(club: FakeDiscord, missing: str) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await open_gateway(club, http)
        await ws.send_json(identify(club, **{missing: None}))
        assert await closed_with(ws) == 4002
    assert [(v.source, v.code) for v in club.violations] == [("bot-gateway", "4002")]
    assert missing in club.violations[0].message


@pytest.mark.club(allow_violations=True)
async def test_second_identify_closes_4005(club: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await open_gateway(club, http)
        await ws.send_json(identify(club))
        ready = await ws.receive_json()
        assert ready["t"] == "READY"  # the first, complete IDENTIFY is accepted
        await ws.send_json(identify(club))
        assert await closed_with(ws) == 4005
    assert [(v.source, v.code) for v in club.violations] == [("bot-gateway", "4005")]


async def test_complete_identify_and_heartbeat_are_accepted(club: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await open_gateway(club, http)
        await ws.send_json({"op": 1, "d": None})
        assert (await ws.receive_json())["op"] == 11
        await ws.send_json(identify(club))
        assert (await ws.receive_json())["t"] == "READY"
        await ws.close()
    assert club.violations == []
