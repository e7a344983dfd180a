"""DMs Discord cannot deliver: closed DMs (403 50007) and no server shared with the bot (403 50278)."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from fakediscord import Actor, FakeDiscord
from fakediscord.tests.rest import call
from fakediscord.tests.sample_bot import SampleBot


async def dm(club: FakeDiscord, member: Actor, content: str) -> tuple[int, dict]:
    """Open the DM channel with `member` (which always works) and post `content` in it."""
    status, channel = await call(club, "POST", "/users/@me/channels", {"recipient_id": str(member.id)})
    assert status == 200 and channel["type"] == 1
    return await call(club, "POST", f"/channels/{channel['id']}/messages", {"content": content})


async def test_closed_dms_answer_50007_and_opening_them_again_delivers(club: FakeDiscord) -> None:
    alice = club.member("alice")
    club.close_dms(alice)
    status, body = await dm(club, alice, "You can join the discussion")
    assert (status, body) == (403, {"message": "Cannot send messages to this user", "code": 50007})
    assert "join the discussion" not in club.text_member_sees(alice)
    club.close_dms(alice, closed=False)
    status, _ = await dm(club, alice, "You can join the discussion")
    assert status == 200
    assert club.last_reply_to(alice).content == "You can join the discussion"


async def test_no_shared_server_answers_50278(club: FakeDiscord) -> None:
    bob, carol = club.member("bob"), club.member("carol")
    club.share_no_server(bob)
    status, body = await dm(club, bob, "hello")
    assert (status, body["code"]) == (403, 50278)
    assert body["message"] == "Cannot send messages to this user due to having no mutual guilds"
    club.share_no_server(bob, no_server=False)
    assert (await dm(club, bob, "hello"))[0] == 200
    await club.remove_member(carol)  # leaving the only server shared with the bot has the same effect
    status, body = await dm(club, carol, "hello")
    assert (status, body["code"]) == (403, 50278)


async def test_discord_py_sees_a_forbidden_dm(club: FakeDiscord, bot: SampleBot) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    club.close_dms(alice)
    club.share_no_server(bob)
    for member, code in ((alice, 50007), (bob, 50278)):
        user = await bot.fetch_user(member.id)
        with pytest.raises(discord.Forbidden) as refused:
            await user.send("Your discussion opens tomorrow")
        assert refused.value.code == code
    delivered = await (await bot.fetch_user(club.member("carol").id)).send("Your discussion opens tomorrow")
    assert delivered.content == "Your discussion opens tomorrow"


async def test_the_control_api_marks_members(club: FakeDiscord) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    control = f"{club.http_base}/_control/dms"
    async with aiohttp.ClientSession() as http:
        async with http.post(control, json={"members": ["alice"], "accepts_dms": False}) as resp:
            assert (await resp.json())["ids"] == [str(alice.id)]
        async with http.post(control, json={"members": ["bob"], "shares_server": False}) as resp:
            assert resp.status == 200
    assert (await dm(club, alice, "hi"))[1]["code"] == 50007
    assert (await dm(club, bob, "hi"))[1]["code"] == 50278
    async with aiohttp.ClientSession() as http:
        both = {"members": ["alice", "bob"], "accepts_dms": True, "shares_server": True}
        async with http.post(control, json=both) as resp:
            assert resp.status == 200
    assert (await dm(club, alice, "hi"))[0] == (await dm(club, bob, "hi"))[0] == 200
