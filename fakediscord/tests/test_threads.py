"""Private threads as Discord runs them: mentions add members, `invitable`, archived lists, lock and archive."""

from __future__ import annotations

import discord
import pytest

from fakediscord import Channel, FakeDiscord
from fakediscord.tests.sample_bot import SampleBot

NO_MANAGE_THREADS = [
    "view_channel",
    "send_messages",
    "send_messages_in_threads",
    "create_public_threads",
    "create_private_threads",
    "read_message_history",
]


async def private_thread(
    club: FakeDiscord, bot: SampleBot, name: str, *, invitable: bool = True, parent: Channel | None = None
) -> tuple[discord.Thread, Channel]:
    """Have the bot open a private thread under `parent` (default #general)."""
    cid = (parent or club.default_channel).id  # type: ignore[union-attr]
    channel = await club.wait_until(lambda: bot.get_channel(cid), what="CHANNEL_CREATE")
    assert isinstance(channel, discord.TextChannel)
    th = await channel.create_thread(name=name, type=discord.ChannelType.private_thread, invitable=invitable)
    return th, club.thread(name)


async def test_mention_adds_member_who_sees_parent_without_pinging(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    hidden = club.text_channel("staff", private=True, visible_to=["bot"])
    th, thread = await private_thread(club, bot, "Gated", parent=hidden)
    outsider = club.member("outsider")
    await th.send(f"{outsider.mention} read this", allowed_mentions=discord.AllowedMentions.none())
    assert outsider.id not in thread.thread_members  # cannot see #staff, so a mention cannot add them

    th2, thread2 = await private_thread(club, bot, "Chapter 9 spoilers")
    said = await th2.send(f"{alice.mention} the twist", allowed_mentions=discord.AllowedMentions.none())
    assert alice.id in thread2.thread_members
    assert "the twist" in club.text_member_sees(alice)
    assert not club.pings_of(alice)
    await club.wait_until(lambda: ("thread_join", alice.id) in bot.events, what="THREAD_MEMBERS_UPDATE")
    assert said.content.endswith("the twist")


async def test_mention_that_may_ping_pings_the_added_member(club: FakeDiscord, bot: SampleBot) -> None:
    bob = club.member("bob")
    th, thread = await private_thread(club, bot, "Welcome")
    await th.send(f"hi {bob.mention}", allowed_mentions=discord.AllowedMentions(users=True))
    assert bob.id in thread.thread_members
    assert [m.content for m in club.pings_of(bob)] == [f"hi {bob.mention}"]


async def test_edit_that_adds_a_mention_adds_the_member_silently(club: FakeDiscord, bot: SampleBot) -> None:
    bob = club.member("bob")
    th, thread = await private_thread(club, bot, "Quiet")
    msg = await th.send("nothing yet")
    assert bob.id not in thread.thread_members
    await msg.edit(content=f"now {bob.mention}", allowed_mentions=discord.AllowedMentions(users=True))
    assert bob.id in thread.thread_members
    assert not club.pings_of(bob)


async def test_ephemeral_mention_adds_no_one(club: FakeDiscord, bot: SampleBot) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    th, thread = await private_thread(club, bot, "Secret")
    await th.add_user(discord.Object(alice.id))
    reply = await alice.slash("whisper", in_channel=thread, member=bob)
    assert reply.ephemeral and bob.mention in reply.content
    assert bob.id not in thread.thread_members
    assert "Secret" not in club.what_member_sees(bob).thread_names
    await alice.slash("mention", in_channel=thread, member=bob, ping=False)  # the same, not ephemeral
    assert bob.id in thread.thread_members


@pytest.mark.club(bot_permissions=NO_MANAGE_THREADS)
async def test_not_invitable_thread_needs_manage_threads(club: FakeDiscord, bot: SampleBot) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    th, thread = await private_thread(club, bot, "Closed", invitable=False)
    with pytest.raises(discord.Forbidden) as refused:
        await th.add_user(discord.Object(alice.id))
    assert refused.value.code == 50013
    await th.send(f"{bob.mention} come in")  # nor does a mention add anyone
    assert set(thread.thread_members) == {club.world.bot_user.id}

    th2, thread2 = await private_thread(club, bot, "Open", invitable=True)
    await th2.add_user(discord.Object(alice.id))
    await th2.send(f"{bob.mention} come in")
    assert {alice.id, bob.id} <= set(thread2.thread_members)


async def test_not_invitable_thread_with_manage_threads(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    th, thread = await private_thread(club, bot, "Moderated", invitable=False)
    assert thread.invitable is False
    await th.add_user(discord.Object(alice.id))
    assert alice.id in thread.thread_members


@pytest.mark.club(bot_permissions=NO_MANAGE_THREADS)
async def test_private_archived_list_needs_manage_threads(club: FakeDiscord, bot: SampleBot) -> None:
    th, _ = await private_thread(club, bot, "Old")
    await th.edit(archived=True)
    general = bot.get_channel(club.default_channel.id)  # type: ignore[union-attr]
    assert isinstance(general, discord.TextChannel)
    with pytest.raises(discord.Forbidden):
        [t async for t in general.archived_threads(private=True)]
    joined = [t async for t in general.archived_threads(private=True, joined=True)]
    assert [t.name for t in joined] == ["Old"]
    assert [t async for t in general.archived_threads()] == []


async def test_private_archived_list_with_manage_threads(club: FakeDiscord, bot: SampleBot) -> None:
    th, _ = await private_thread(club, bot, "Old")
    await th.edit(archived=True)
    general = bot.get_channel(club.default_channel.id)  # type: ignore[union-attr]
    assert isinstance(general, discord.TextChannel)
    assert [t.name async for t in general.archived_threads(private=True)] == ["Old"]


@pytest.mark.club(bot_permissions=NO_MANAGE_THREADS)
async def test_lock_needs_manage_threads_and_archived_thread_only_unarchives(
    club: FakeDiscord, bot: SampleBot
) -> None:
    th, thread = await private_thread(club, bot, "Mine")
    with pytest.raises(discord.Forbidden):
        await th.edit(locked=True)
    await th.edit(name="Mine, renamed", archived=True)  # the creator may rename and archive its thread
    assert thread.archived and thread.name == "Mine, renamed"
    with pytest.raises(discord.HTTPException) as refused:
        await th.edit(name="again")
    assert refused.value.code == 50083
    await th.edit(archived=False)
    assert not thread.archived


async def test_locked_thread_with_manage_threads(club: FakeDiscord, bot: SampleBot) -> None:
    th, thread = await private_thread(club, bot, "Locked")
    await th.edit(locked=True, archived=True)
    assert thread.locked and thread.archived
    await th.edit(archived=False)
    assert not thread.archived and thread.locked
    general = bot.get_channel(club.default_channel.id)
    assert isinstance(general, discord.TextChannel)
    public = await general.create_thread(name="Public", type=discord.ChannelType.public_thread)
    with pytest.raises(discord.HTTPException) as refused:
        await public.edit(invitable=False)  # only private threads are invitable
    assert refused.value.status == 400


async def test_membership_changes_need_an_open_thread(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    th, thread = await private_thread(club, bot, "Archived soon")
    await th.add_user(discord.Object(alice.id))
    await th.edit(archived=True)
    for change in (
        th.remove_user(discord.Object(alice.id)),
        th.leave(),
        th.add_user(discord.Object(club.member("bob").id)),
    ):
        with pytest.raises(discord.HTTPException) as refused:
            await change
        assert refused.value.code == 50083
    await th.edit(archived=False)
    await th.remove_user(discord.Object(alice.id))
    assert alice.id not in thread.thread_members


async def test_active_threads_lists_the_bots_private_thread_with_has_more(
    club: FakeDiscord, bot: SampleBot
) -> None:
    th, _ = await private_thread(club, bot, "Listed")
    guild = bot.get_guild(club.guild.id)
    assert guild is not None
    listed = await guild.active_threads()  # the response must carry `has_more` (ThreadsResponse)
    assert [t.id for t in listed] == [th.id]
    club.assert_no_violations()


def test_nested_message_mentions_are_plain_users() -> None:
    from fakediscord import payloads

    stored = {
        "id": "1",
        "guild_id": "2",
        "member": {},
        "mentions": [{"id": "3", "username": "a", "member": {}}],
    }
    assert payloads.nested_message(stored) == {"id": "1", "mentions": [{"id": "3", "username": "a"}]}
