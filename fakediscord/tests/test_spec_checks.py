"""Spec validation answers bad requests the way Discord does and records them."""

from __future__ import annotations

import pytest

from fakediscord import FakeDiscord
from fakediscord.tests.sample_bot import SampleBot


def need_validation(club: FakeDiscord) -> None:
    assert club.validator is not None, club.validation_skipped_reason


@pytest.mark.club(allow_violations=True)
async def test_2001_character_message_rejected(club: FakeDiscord, bot: SampleBot) -> None:
    need_validation(club)
    alice = club.member("alice")
    with pytest.raises(AssertionError, match="did not answer"):
        await alice.slash("long", length=2001, timeout=0.5)
    await club.wait_until(
        lambda: any(e[0] == "long_error" for e in bot.events), what="the bot's HTTPException"
    )
    error = next(e for e in bot.events if e[0] == "long_error")
    assert error[1:3] == (400, 50035)
    assert [v.field for v in club.violations] == ["data.content"]
    assert club.violations[0].source == "request"
    with pytest.raises(AssertionError, match="1 Discord spec violation"):
        club.assert_no_violations()


async def test_2000_characters_is_fine(club: FakeDiscord, bot: SampleBot) -> None:
    reply = await club.member("alice").slash("long", length=2000)
    assert len(reply.content) == 2000


@pytest.mark.club(allow_violations=True)
async def test_eleven_answer_poll_rejected(club: FakeDiscord, bot: SampleBot) -> None:
    need_validation(club)
    with pytest.raises(AssertionError, match="did not answer"):
        await club.member("alice").slash("poll", answers=11, timeout=0.5)
    await club.wait_until(
        lambda: any(e[0] == "poll_error" for e in bot.events), what="the bot's HTTPException"
    )
    assert next(e for e in bot.events if e[0] == "poll_error")[1:3] == (400, 50035)
    assert any(v.field.endswith("poll.answers") for v in club.violations)


@pytest.mark.club(validate=False)
async def test_validation_can_be_switched_off(club: FakeDiscord, bot: SampleBot) -> None:
    assert club.validation_skipped_reason == "spec validation switched off (validate=False)"
    reply = await club.member("alice").slash("long", length=2001)
    assert len(reply.content) == 2001
