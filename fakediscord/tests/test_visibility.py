"""What members see: private channels, public and private threads, ephemerals, embeds and labels."""

from __future__ import annotations

from fakediscord import FakeDiscord
from fakediscord.tests.sample_bot import SampleBot


async def test_ephemeral_only_for_invoker(club: FakeDiscord, bot: SampleBot) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    reply = await alice.slash("secret")
    assert reply.ephemeral
    assert "the butler did it" in club.text_member_sees(alice)
    assert "the butler did it" not in club.text_member_sees(bob)
    assert reply.message not in club.messages_in(club.text_channel("general"))


async def test_embed_fields_footer_and_buttons_are_text(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    await alice.slash("card")
    text = club.text_member_sees(alice)
    for piece in ("Chapter 3", "Discuss!", "Due", "Friday", "Book club", "I read it", "Pick a book", "Dune"):
        assert piece in text
    assert club.what_member_sees(alice).embeds[0]["title"] == "Chapter 3"


async def test_private_thread_visible_to_members_only(club: FakeDiscord, bot: SampleBot) -> None:
    alice, bob, carol = club.member("alice"), club.member("bob"), club.member("carol")
    await alice.slash("thread", name="Spoilers ch. 9", private=True, member=bob)
    thread = club.thread("Spoilers ch. 9")
    assert set(thread.thread_members) == {club.world.bot_user.id, bob.id}
    assert "welcome to Spoilers ch. 9" in club.text_member_sees(bob)
    assert "Spoilers ch. 9" in club.what_member_sees(bob).thread_names
    assert "Spoilers ch. 9" not in club.text_member_sees(carol)
    assert "welcome to Spoilers ch. 9" not in club.text_member_sees(alice)
    await club.wait_until(lambda: ("thread_join", bob.id) in bot.events, what="THREAD_MEMBERS_UPDATE")


async def test_public_thread_visible_to_all(club: FakeDiscord, bot: SampleBot) -> None:
    alice, carol = club.member("alice"), club.member("carol")
    await alice.slash("thread", name="Chapter 1", private=False)
    assert "welcome to Chapter 1" in club.text_member_sees(carol)
    await carol.say(club.thread("Chapter 1"), "loved it")
    assert carol.id in club.thread("Chapter 1").thread_members


async def test_private_channel_overwrites(club: FakeDiscord, bot: SampleBot) -> None:
    mods = club.role("Mods")
    olga, alice = club.member("olga", roles=[mods]), club.member("alice")
    back = club.text_channel("backstage", private=True, visible_to=[mods, "bot"])
    await olga.say(back, "the ending is sad")
    assert "the ending is sad" in club.text_member_sees(olga)
    assert "the ending is sad" not in club.text_member_sees(alice)
    assert "view_channel" not in alice.permissions_in(back)
    await club.set_permissions(back, alice, allow=["view_channel"], deny=["read_message_history"])
    assert "view_channel" in alice.permissions_in(back)
    assert "the ending is sad" not in club.text_member_sees(alice)  # no history permission


async def test_spoiler_markup_hidden_until_revealed(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    await alice.say(club.text_channel("general"), "the ending: ||the butler did it|| wow")
    assert "butler" in club.text_member_sees(alice)
    hidden = club.text_member_sees(alice, reveal_spoilers=False)
    assert "butler" not in hidden and "the ending" in hidden and "wow" in hidden
