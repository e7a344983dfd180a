""" "Hide as spoiler": members shield their own messages, organizers anyone's; nothing leaks on the way."""

from __future__ import annotations

from cogs.discussions._shield import spoiler_parts
from fakediscord import Upload

TWIST = "the lighthouse keeper was Mara all along"


def posts(club, channel):
    """The bot's public posts in a channel (its ephemeral answers are only for the member who asked)."""
    return [m for m in club.bot_messages(channel) if not m.ephemeral]


async def test_member_hides_their_own_message_with_its_attachment(club, harness, alice, bob):
    general = club.default_channel
    said = await alice.say(
        general,
        f"Wow, {TWIST}! ||already hidden|| and a stray || pipe, cc {bob.mention}",
        files=[Upload("ending.png", b"\x89PNG fake bytes", "image/png")],
    )
    assert TWIST in club.text_member_sees(bob, reveal_spoilers=False)

    # Without an LLM the bot lacks the Message Content intent, so Discord blanks alice's text everywhere except
    # in the interaction's resolved message: the repost below can only come from there.
    assert not harness.bot.intents.message_content
    done = await alice.message_command("Hide as spoiler", said)
    assert done.ephemeral and "behind spoiler tags" in done.content
    assert said.deleted
    (repost,) = posts(club, general)
    assert repost.content.startswith("alice wrote (hidden as a spoiler):\n||")
    assert repost.content.endswith("||")
    assert TWIST not in club.text_member_sees(bob, reveal_spoilers=False)
    assert TWIST in club.text_member_sees(bob, reveal_spoilers=True)
    assert [a["filename"] for a in repost.attachments] == ["SPOILER_ending.png"]
    assert repost.attachment_bytes(0) == b"\x89PNG fake bytes"
    # The mention became a name (no ping, and it could not pull anyone into a private thread).
    assert bob.mention not in repost.content and "bob" in repost.content
    assert club.pings_of(bob) == []


async def test_a_member_cannot_hide_someone_elses_message_but_an_organizer_can(
    club, harness, admin, alice, bob
):
    general = club.default_channel
    said = await bob.say(general, f"Spoiler: {TWIST}")
    refused = await alice.message_command("Hide as spoiler", said)
    assert refused.ephemeral and "only your own messages" in refused.content
    assert not said.deleted and posts(club, general) == []

    done = await admin.message_command("Hide as spoiler", said)
    assert "behind spoiler tags" in done.content and said.deleted
    assert posts(club, general)[0].content.startswith("bob wrote")
    assert TWIST not in club.text_member_sees(alice, reveal_spoilers=False)


async def test_oversized_attachment_is_refused_before_anything_is_deleted(club, harness, alice):
    general = club.default_channel
    big = Upload("film.mkv", b"\0" * (10 * 1024 * 1024 + 1))
    said = await alice.say(general, f"Clip of {TWIST}", files=[big])
    refused = await alice.message_command("Hide as spoiler", said)
    assert refused.ephemeral and "larger than the 10 MB" in refused.content
    assert not said.deleted and posts(club, general) == []


def test_long_text_is_split_and_every_part_stays_inside_its_markup():
    text = ("A twist || with pipes || and more. " * 150).strip()  # ~5,000 characters
    parts = spoiler_parts("alice", text)
    assert len(parts) >= 3
    for part in parts:
        assert len(part) <= 2000
        header, body = part.split("\n", 1)
        assert header in ("alice wrote (hidden as a spoiler):", "alice (continued):")
        # One opening and one closing marker: every member pipe is escaped inside.
        assert body.startswith("||") and body.endswith("||")
        assert body[2:-2].replace("\\|", "").count("|") == 0


async def test_without_manage_messages_nothing_is_reposted_or_deleted(club, harness, alice):
    general = club.default_channel
    await club.set_permissions(general, "bot", deny=["manage_messages"])
    said = await alice.say(general, f"Oops: {TWIST}")
    refused = await alice.message_command("Hide as spoiler", said)
    assert refused.ephemeral and "Manage Messages" in refused.content
    assert not said.deleted and posts(club, general) == []
