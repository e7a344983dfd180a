"""Shards: IDENTIFY's `shard`, guilds routed by the sharding formula, close codes 4010 and 4011, GET /gateway/bot.

Topics "Gateway" (Sharding, Sharding Formula, Get Gateway Bot) and "Opcodes and Status Codes"
(Gateway Close Event Codes 4010 Invalid shard, 4011 Sharding required).
"""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import discord
import pytest

from fakediscord import FakeClock, FakeDiscord
from fakediscord.gateway import shard_of
from fakediscord.tests.rest import call
from fakediscord.tests.test_gateway import closed_with, identify, open_gateway


async def spread_guilds(club: FakeDiscord, clock: FakeClock, extra: int) -> list[int]:
    """Add guilds a millisecond apart, so their ids (timestamp in the high bits) fall on different shards."""
    ids = [club.guild.id]
    for n in range(extra):
        await clock.advance(timedelta(milliseconds=1))
        ids.append(club.add_guild(f"club {n}").id)
    return ids


def guild_creates(club: FakeDiscord, shard: int) -> set[int]:
    """Return the guilds whose GUILD_CREATE went to a shard's session."""
    sess = club.gateway.sessions[shard]
    return {int(f["d"]["id"]) for f in sess.buffer if f["t"] == "GUILD_CREATE"}


async def test_an_auto_sharded_client_gets_each_guild_on_its_own_shard(
    club: FakeDiscord, clock: FakeClock
) -> None:
    ids = await spread_guilds(club, clock, 5)
    assert {shard_of(g, 2) for g in ids} == {0, 1}  # the test means something only if both shards hold guilds
    client = discord.AutoShardedClient(intents=discord.Intents(guilds=True), shard_count=2)
    async with club.run_bot(client):
        await club.wait_until(lambda: len(client.guilds) == len(ids), timeout=5, what="every guild")
        assert sorted(club.gateway.sessions) == [0, 1]
        for shard in (0, 1):
            assert guild_creates(club, shard) == {g for g in ids if shard_of(g, 2) == shard}
            assert club.gateway.sessions[shard].shard == (shard, 2)
        assert {g.id: g.shard_id for g in client.guilds} == {g: shard_of(g, 2) for g in ids}
        # Events without a guild (DMs among them) go to shard 0 only.
        assert club.gateway.session_for("MESSAGE_CREATE", {"channel_id": "1"}) is club.gateway.sessions[0]

        # A guild joined later is announced on its shard only.
        await clock.advance(timedelta(milliseconds=1))
        late = club.add_guild("late club")
        await club.wait_until(lambda: client.get_guild(late.id) is not None, timeout=5, what="the late guild")
        assert client.get_guild(late.id).shard_id == shard_of(late.id, 2)  # type: ignore[union-attr]
        assert late.id in guild_creates(club, shard_of(late.id, 2))
        assert late.id not in guild_creates(club, 1 - shard_of(late.id, 2))


async def test_an_unsharded_bot_is_shard_zero_of_one_and_gets_every_guild(
    club: FakeDiscord, clock: FakeClock
) -> None:
    ids = await spread_guilds(club, clock, 3)
    async with aiohttp.ClientSession() as http:
        ws = await open_gateway(club, http)
        await ws.send_json(identify(club))
        ready = await ws.receive_json()
        assert ready["d"]["shard"] == [0, 1]
        assert {int(g["id"]) for g in ready["d"]["guilds"]} == set(ids)
        await ws.close()


@pytest.mark.club(allow_violations=True)
@pytest.mark.parametrize("shard", [[2, 2], [0, 0], [-1, 2], "0,2"])
async def test_an_invalid_shard_closes_4010(club: FakeDiscord, shard: object) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await open_gateway(club, http)
        await ws.send_json(identify(club, shard=shard))
        assert await closed_with(ws) == 4010
    assert [(v.source, v.code) for v in club.violations] == [("bot-gateway", "4010")]


async def test_too_many_guilds_for_one_session_closes_4011_and_sharding_is_then_accepted(
    club: FakeDiscord, clock: FakeClock
) -> None:
    ids = await spread_guilds(club, clock, 3)
    club.gateway.max_guilds_per_shard = 2  # as Discord's 2,500, scaled down
    async with aiohttp.ClientSession() as http:
        ws = await open_gateway(club, http)
        await ws.send_json(identify(club))
        assert await closed_with(ws) == 4011
        shards = []
        for shard in (0, 1):
            ws = await open_gateway(club, http)
            await ws.send_json(identify(club, shard=[shard, 2]))
            ready = await ws.receive_json()
            assert ready["t"] == "READY" and ready["d"]["shard"] == [shard, 2]
            shards.append({int(g["id"]) for g in ready["d"]["guilds"]})
            await ws.close()
    assert shards == [{g for g in ids if shard_of(g, 2) == 0}, {g for g in ids if shard_of(g, 2) == 1}]
    assert club.violations == []  # Discord asking for shards is not the bot's mistake


async def test_gateway_bot_recommends_shards_for_the_guild_count(
    club: FakeDiscord, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, body = await call(club, "GET", "/gateway/bot")
    assert status == 200 and body["shards"] == 1 and body["session_start_limit"]["max_concurrency"] == 1
    monkeypatch.setattr("fakediscord.gateway.GUILDS_PER_RECOMMENDED_SHARD", 2)
    await spread_guilds(club, clock, 4)  # 5 guilds
    club.gateway.max_concurrency = 16
    status, body = await call(club, "GET", "/gateway/bot")
    assert body["shards"] == 3 and body["session_start_limit"]["max_concurrency"] == 16
