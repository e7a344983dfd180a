"""Shards in one process: each server is served by the shard Discord routes it to, commands work on all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.domain import State, WorkKind
from bot.store import NewWork
from fakediscord.gateway import shard_of


@pytest.fixture
def bot_options() -> dict[str, Any]:
    """Run the bot as two shards, as `python -m bot run --shard-count 2` does."""
    return {"shard_count": 2}


async def test_two_shards_in_one_process_serve_servers_on_either_shard(club, clock, harness, store):
    # A second server a fake millisecond later: a guild id's high bits are its creation time.
    other = None
    while other is None or shard_of(other.id, 2) == shard_of(club.guild.id, 2):
        await clock.advance(timedelta(milliseconds=1))
        other = club.add_guild("Second Club")
    bot = harness.bot
    assert bot is not None
    await club.wait_until(lambda: bot.get_guild(other.id) is not None, timeout=5, what="the second server")
    assert sorted(club.gateway.sessions) == [0, 1]
    assert {g.id: g.shard_id for g in bot.guilds} == {g: shard_of(g, 2) for g in (club.guild.id, other.id)}

    await bot.tree.sync()  # global commands, as `python -m bot sync` registers them
    for guild in (club.guild, other):
        work_id = await store.catalog.add(guild.id, NewWork(WorkKind.BOOK, "The Lantern Keeper", "A. Author"))
        member = club.member("alice", guild=guild)
        here = club.text_channel("general", guild=guild)
        reply = await member.slash("status set", in_channel=here, title=f"#{work_id}", state="read")
        assert reply.ephemeral and "read" in reply.content, reply.content
        stored = await store.statuses.for_member(guild.id, member.id)
        assert stored[work_id].state is State.READ
    # Each server's interactions reached the bot on that server's shard only.
    for shard, session in club.gateway.sessions.items():
        asked_from = {int(f["d"]["guild_id"]) for f in session.buffer if f["t"] == "INTERACTION_CREATE"}
        assert asked_from == {g for g in (club.guild.id, other.id) if shard_of(g, 2) == shard}
