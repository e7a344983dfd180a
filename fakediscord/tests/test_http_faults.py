"""HTTP faults, rate limits and the request log."""

from __future__ import annotations

import time

import aiohttp
import discord
import pytest

from fakediscord import FakeDiscord
from fakediscord.permissions import BOT_INVITE_PERMISSIONS
from fakediscord.tests.sample_bot import SampleBot
from fakediscord.tests.test_gateway import ping_pong

MESSAGES = "/channels/{channel_id}/messages"


async def test_http_500_is_retried(club: FakeDiscord, bot: SampleBot) -> None:
    club.fail("POST", MESSAGES, 500)
    started = time.perf_counter()
    await ping_pong(club)
    assert time.perf_counter() - started >= 1.0  # discord.py sleeps 1 s before the retry
    await club.settle()  # the echo can reach the bot before the request's own record is complete
    assert [r.status for r in club.requests_to("POST", MESSAGES)] == [500, 200]


async def test_http_503_is_not_retried(club: FakeDiscord, bot: SampleBot) -> None:
    olga = club.member("olga")
    club.fail("POST", MESSAGES, 503)
    reply = await olga.slash("post", channel=club.text_channel("general"), text="hi")
    assert reply.content == "failed 503 0"


async def test_injected_429_is_waited_out(club: FakeDiscord, bot: SampleBot) -> None:
    club.fail(
        "POST",
        MESSAGES,
        429,
        body={"message": "You are being rate limited.", "retry_after": 0.2, "global": False},
    )
    started = time.perf_counter()
    await ping_pong(club)
    assert time.perf_counter() - started >= 0.2


async def test_slow_route(club: FakeDiscord, bot: SampleBot) -> None:
    club.slow("POST", MESSAGES, 0.3)
    started = time.perf_counter()
    await ping_pong(club)
    assert time.perf_counter() - started >= 0.3


@pytest.mark.club(rate_limits=True)
async def test_bucket_limits_and_headers(club: FakeDiscord) -> None:
    club.ratelimiter.overrides[("POST", MESSAGES)] = (2, 0.5)
    url = f"{club.api_base}/channels/{club.default_channel.id}/messages"  # type: ignore[union-attr]
    headers = {"Authorization": f"Bot {club.token}"}
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(3):
            async with http.post(url, json={"content": "x"}, headers=headers) as resp:
                statuses.append(resp.status)
                last_headers, body = resp.headers, await resp.json()
    assert statuses == [200, 200, 429]
    assert body["retry_after"] > 0 and body["global"] is False
    assert last_headers["X-RateLimit-Scope"] == "user"
    assert last_headers["X-RateLimit-Limit"] == "2"


@pytest.mark.club(rate_limits=True)
async def test_discord_py_respects_buckets(club: FakeDiscord, bot: SampleBot) -> None:
    club.ratelimiter.overrides[("POST", MESSAGES)] = (2, 0.3)
    alice = club.member("alice")
    started = time.perf_counter()
    reply = await alice.slash("spam", count=5)
    assert reply.content == "spammed"
    assert time.perf_counter() - started >= 0.6  # two bucket resets
    assert all(r.status == 200 for r in club.requests_to("POST", MESSAGES))


async def test_permissions_403(club: FakeDiscord, bot: SampleBot) -> None:
    olga = club.member("olga")
    quiet = club.text_channel("quiet")
    await club.set_permissions(quiet, "bot", deny=["send_messages"])
    reply = await olga.slash("post", channel=quiet, text="hi")
    assert reply.content == "failed 403 50013"
    hidden = club.text_channel("hidden")
    await club.set_permissions(hidden, "bot", deny=["view_channel"])
    reply = await olga.slash("post", channel=hidden, text="hi")
    assert reply.content == "failed 403 50001"


async def test_request_log_counts_rest_calls(club: FakeDiscord, bot: SampleBot) -> None:
    before = len(club.requests)
    await club.member("alice").slash("echo", text="x")
    new = club.requests[before:]
    assert [r.route for r in new] == ["/interactions/{interaction_id}/{interaction_token}/callback"]
    assert new[0].status == 200


async def test_allowed_mentions_recorded(club: FakeDiscord, bot: SampleBot) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    quiet = await alice.slash("mention", member=bob, ping=False)
    assert quiet.message.pinged == []
    loud = await alice.slash("mention", member=bob, ping=True)
    assert loud.message.pinged == ["bob"]  # @everyone is not allowed and the bot lacks mention_everyone
    assert club.pings_of(bob) == [loud.message]


async def test_reply_and_dm(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    said = await alice.say(club.text_channel("general"), "!reply")
    await club.wait_until(lambda: club.last_reply_to(alice), what="the reply")
    reply = club.last_reply_to(alice)
    assert reply.reply_to == said.id and reply.pinged == ["alice"]
    await alice.dm_bot("!ping")
    await club.wait_until(lambda: club.last_reply_to(alice).content == "pong", what="the DM answer")
    assert "pong" in club.text_member_sees(alice)


@pytest.mark.club(bot_permissions=[*BOT_INVITE_PERMISSIONS, "pin_messages"])  # pinning is not in the invite
async def test_bot_side_features(club: FakeDiscord, bot: SampleBot) -> None:
    """History, pins, reactions, forum posts, scheduled events and thread members through discord.py."""
    alice = club.member("alice")
    general = club.text_channel("general")
    forum = club.forum_channel("reviews", tags=["fiction"])
    await club.wait_until(lambda: bot.get_channel(forum.id), what="the forum in the bot's cache")
    for k in range(5):
        await alice.say(general, f"m{k}")
    channel = bot.get_channel(general.id)
    assert isinstance(channel, discord.TextChannel)
    history = [m.content async for m in channel.history(limit=3)]
    assert history == ["m4", "m3", "m2"]
    oldest = [m.content async for m in channel.history(limit=2, oldest_first=True)]
    assert oldest == ["m0", "m1"]
    msg = await channel.fetch_message(club.messages_in(general)[0].id)
    await msg.pin()
    await msg.add_reaction("👍")
    assert [m.content async for m in channel.pins()] == ["m0"]
    assert club.messages_in(general)[0].reactions == {"👍": 1}
    await alice.react(club.messages_in(general)[0], "👍")
    assert club.messages_in(general)[0].reactions == {"👍": 2}
    f = bot.get_channel(forum.id)
    assert isinstance(f, discord.ForumChannel)
    post = await f.create_thread(name="Dune review", content="Five stars")
    assert post.thread.id == post.message.id
    assert "Five stars" in club.text_member_sees(alice) and "Dune review" in club.text_member_sees(alice)
    guild = bot.get_guild(club.guild.id)
    assert guild is not None
    start = club.clock.now() + __import__("datetime").timedelta(days=2)
    event = await guild.create_scheduled_event(
        name="Meetup",
        start_time=start,
        entity_type=discord.EntityType.external,
        location="Library",
        end_time=start + __import__("datetime").timedelta(hours=2),
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    assert [e["name"] for e in club.scheduled_events()] == ["Meetup"]
    await event.edit(name="Meetup v2")
    assert [e.name for e in await guild.fetch_scheduled_events()] == ["Meetup v2"]
    await event.delete()
    assert club.scheduled_events() == []
