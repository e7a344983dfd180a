"""Native polls: votes with gateway events, voters, expiry by the clock and by the bot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
import pytest

from fakediscord import FakeClock, FakeDiscord
from fakediscord.tests.sample_bot import SampleBot


async def test_vote_unvote_and_voters(club: FakeDiscord, bot: SampleBot) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    poll = await alice.slash("poll")
    assert poll.message.poll["question"]["text"] == "Next book?"
    await alice.vote(poll, "Option B")
    await bob.vote(poll, "Option B")
    await bob.vote(poll, "Option A")  # single choice: moves bob's vote
    await club.wait_until(lambda: ("vote_add", bob.id, 1) in bot.events, what="bob's vote")
    assert ("vote_remove", bob.id, 2) in bot.events
    assert poll.message.poll_counts() == {"Option A": 1, "Option B": 1}
    voters = await bot.http.get_poll_answer_voters(poll.message.channel_id, poll.message.id, 2)
    assert [u["username"] for u in voters["users"]] == ["alice"]
    await alice.unvote(poll, "Option B")
    await club.wait_until(lambda: ("vote_remove", alice.id, 2) in bot.events, what="alice's unvote")


async def test_poll_expires_when_clock_passes(club: FakeDiscord, bot: SampleBot, clock: FakeClock) -> None:
    alice = club.member("alice")
    poll = await alice.slash("poll")
    await alice.vote(poll, "Option A")
    await clock.advance(timedelta(hours=25))
    assert poll.message.poll_finalized
    cached = bot._connection._get_message(poll.message.id)
    assert cached is not None and cached.poll is not None
    # discord.py learns the winner from the POLL_RESULT system message (type 46).
    poll_obj = cached.poll
    await club.wait_until(
        lambda: poll_obj.victor_answer is not None, what="the poll result in the bot's cache"
    )
    assert poll_obj.victor_answer is not None and poll_obj.victor_answer.text == "Option A"
    channel = bot.get_channel(poll.message.channel_id)
    assert isinstance(channel, discord.TextChannel)
    fetched = await channel.fetch_message(poll.message.id)
    assert fetched.poll is not None and fetched.poll.is_finalised()
    result = club.messages_in(club.text_channel("general"))[-1]
    assert result.payload["type"] == 46
    assert {"name": "victor_answer_text", "value": "Option A", "inline": False} in result.embed["fields"]


async def test_bot_ends_poll(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    poll = await alice.slash("poll")
    channel = bot.get_channel(poll.message.channel_id)
    assert isinstance(channel, discord.TextChannel)
    msg = await channel.fetch_message(poll.message.id)
    ended = await msg.end_poll()
    assert ended.poll is not None and ended.poll.is_finalised()
    assert poll.message.poll_finalized


async def test_control_api_votes_in_bulk(club: FakeDiscord, bot: SampleBot) -> None:
    import aiohttp

    for name in ("alice", "bob", "carol"):
        club.member(name)
    poll = await club.member("alice").slash("poll")
    mid = str(poll.message.id)
    async with aiohttp.ClientSession() as http:
        url = club.http_base + "/_control/vote"
        async with http.post(url, json={"message_id": mid, "answers": [1], "members": 3}) as resp:
            assert (await resp.json())["sent"] == 3
        async with http.post(
            url, json={"message_id": mid, "answers": [1], "members": ["bob"], "unvote": True}
        ) as resp:
            assert (await resp.json())["sent"] == 1
    assert poll.message.poll_counts()["Option A"] == 2
    await club.wait_until(
        lambda: bot.events.count(("vote_add", club.member("carol").id, 1)) == 1, what="votes"
    )


async def test_a_poll_message_cannot_be_edited(club: FakeDiscord, bot: SampleBot) -> None:
    # Poll resource: "After creation, the poll message cannot be edited." (520003 Cannot edit a poll message)
    general = bot.get_channel(club.default_channel.id)  # type: ignore[union-attr]
    assert isinstance(general, discord.TextChannel)
    poll = discord.Poll(question="Next book?", duration=timedelta(hours=1))
    poll.add_answer(text="Dune")
    poll.add_answer(text="Emma")
    sent = await general.send("Vote!", poll=poll)
    changes: list[dict[str, Any]] = [{"content": "Vote now!"}, {"embeds": []}, {"suppress": True}]
    for change in changes:
        with pytest.raises(discord.HTTPException) as refused:
            await sent.edit(**change)
        assert refused.value.code == 520003
    assert club.bot_messages(club.default_channel)[-1].content == "Vote!"
    plain = await general.send("no poll here")
    await plain.edit(content="edited")  # the same edit on a message without a poll is fine
    assert club.bot_messages(club.default_channel)[-1].content == "edited"


async def test_a_deferred_response_can_carry_the_poll(club: FakeDiscord, bot: SampleBot) -> None:
    reply = await club.member("alice").slash("slow-poll")
    assert reply.message is not None and reply.message.poll is not None
    assert list(reply.message.poll_counts()) == ["Yes", "No"]


async def test_expiring_a_message_without_a_poll_answers_520006(club: FakeDiscord, bot: SampleBot) -> None:
    # Opcodes and Status Codes: 520006 "Cannot expire a non-poll message".
    general = bot.get_channel(club.default_channel.id)  # type: ignore[union-attr]
    assert isinstance(general, discord.TextChannel)
    plain = await general.send("no poll here")
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.end_poll(general.id, plain.id)
    assert (refused.value.status, refused.value.code) == (400, 520006)
    poll = discord.Poll(question="Next book?", duration=timedelta(hours=1))
    poll.add_answer(text="Dune")
    poll.add_answer(text="Emma")
    with_poll = await general.send(poll=poll)
    ended = await bot.http.end_poll(general.id, with_poll.id)
    assert ended["poll"]["results"]["is_finalized"] is True
