"""Ephemeral truth: `ephemeral` says whether other members can see a message, whatever flags the bot sent."""

from __future__ import annotations

from fakediscord import FakeDiscord
from fakediscord.tests.sample_bot import SampleBot


async def test_first_followup_after_public_deferral_is_public(club: FakeDiscord, bot: SampleBot) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    reply = await alice.slash("mixed", ephemeral=False)
    await club.wait_until(lambda: len(reply.followups) == 1, what="the second follow-up")
    assert reply.message is not None and reply.message.content == "first follow-up"
    assert not reply.ephemeral and not reply.message.ephemeral  # it asked for ephemeral, Discord ignored it
    assert "first follow-up" in club.text_member_sees(bob)
    second = reply.followups[0]
    assert second.ephemeral and "second follow-up" not in club.text_member_sees(bob)
    assert "second follow-up" in club.text_member_sees(alice)


async def test_first_followup_after_ephemeral_deferral_is_ephemeral(
    club: FakeDiscord, bot: SampleBot
) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    reply = await alice.slash("mixed", ephemeral=True)
    await club.wait_until(lambda: len(reply.followups) == 1, what="the second follow-up")
    assert reply.ephemeral and "first follow-up" not in club.text_member_sees(bob)
    second = reply.followups[0]
    assert not second.ephemeral and "second follow-up" in club.text_member_sees(bob)
