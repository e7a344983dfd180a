"""Buttons, selects, modals, deferral, follow-ups, edits, ephemeral replies and the deadlines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fakediscord import FakeClock, FakeDiscord
from fakediscord.interactions import InteractionType
from fakediscord.tests.rest import call
from fakediscord.tests.sample_bot import SampleBot


async def test_embed_button_click_updates_message(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    card = await alice.slash("card")
    assert card.content == "Reading card"
    assert card.embed["title"] == "Chapter 3"
    assert [b.label for b in card.buttons] == ["I read it", "Private note"]
    reply = await alice.click(card, "I read it")
    assert reply.message == card.message
    assert reply.content == "alice read it"
    assert club.messages_in(club.text_channel("general"))[-1].content == "alice read it"


async def test_click_by_custom_id_gives_ephemeral(club: FakeDiscord, bot: SampleBot) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    card = await alice.slash("card")
    note = await bob.click(card, "sample:note")
    assert note.ephemeral and note.content == "note for bob"
    assert "note for bob" in club.text_member_sees(bob)
    assert "note for bob" not in club.text_member_sees(alice)
    assert club.last_reply_to(bob).content == "note for bob"


async def test_select_by_value_and_label(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    card = await alice.slash("card")
    assert (await alice.choose(card, "sample:pick", ["A"])).content == "picked A"
    assert (await alice.choose(card, "Pick a book", ["Emma"])).content == "picked B"
    with pytest.raises(AssertionError, match="not an option"):
        await alice.choose(card, "sample:pick", ["Z"])


async def test_modal_round_trip(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    opened = await alice.slash("progress")
    assert opened.modal is not None and opened.modal.title == "Your progress"
    assert [f.custom_id for f in opened.modal.fields] == ["progress"]
    with pytest.raises(AssertionError, match="at most 5"):
        await alice.submit_modal(opened, {"progress": "123456"})
    done = await alice.submit_modal(opened, {"Page": "12"})
    assert done.content == "you are on page 12" and done.ephemeral


async def test_defer_then_follow_up(club: FakeDiscord, bot: SampleBot) -> None:
    alice, bob = club.member("alice"), club.member("bob")
    reply = await alice.slash("slow")
    assert reply.content == "done thinking" and not reply.message.loading
    hidden = await alice.slash("slow", ephemeral=True)
    assert hidden.ephemeral
    assert "done thinking" in club.text_member_sees(bob)  # only the public one
    assert club.text_member_sees(bob).count("done thinking") == 1
    assert club.text_member_sees(alice).count("done thinking") == 2


async def test_edit_original(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    reply = await alice.slash("edit-later")
    await club.wait_until(lambda: reply.message.content == "second", what="the edit")
    assert reply.message.edited


@pytest.mark.club(interaction_deadline=0.2)
async def test_three_second_deadline_gives_10062(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    with pytest.raises(AssertionError, match=r"after the 0\.2 s deadline"):
        await alice.slash("late", seconds=0.3, timeout=2)
    await club.wait_until(lambda: ("late_error", 10062) in bot.events, what="the bot's NotFound")


async def test_no_answer_times_out_clearly(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    with pytest.raises(AssertionError, match=r"did not answer /late within 0\.1 s"):
        await alice.slash("late", seconds=0.3, timeout=0.1)


async def test_token_expires_after_15_fake_minutes(
    club: FakeDiscord, bot: SampleBot, clock: FakeClock
) -> None:
    alice = club.member("alice")
    with pytest.raises(AssertionError, match="deferred /much-later but sent nothing"):
        await alice.slash("much-later", followup_timeout=0.1)
    await clock.advance(timedelta(minutes=16))
    await club.wait_until(
        lambda: ("followup_error", 401, 50027) in bot.events, what="the expired-token error"
    )


def spoiler_select(**extra: Any) -> dict[str, Any]:
    """A modal's labelled string select, as discord.py 2.7 sends `ui.Label(component=ui.Select(...))`."""
    options = [{"label": "No spoilers", "value": "no"}, {"label": "Spoilers", "value": "yes"}]
    return {
        "type": 18,
        "label": "Contains spoilers?",
        "component": {"type": 3, "custom_id": "spoilers", "options": options, **extra},
    }


async def test_modal_selects_cannot_be_disabled_or_optional_while_required(club: FakeDiscord) -> None:
    # Component Reference, String Select: "Using disabled in a modal will result in an error", and
    # "min_values must be either omitted or at least 1 if required is omitted or true".
    assert club.default_channel is not None
    alice = club.member("alice")
    rec = await club.interactions.create(
        InteractionType.APPLICATION_COMMAND,
        alice.id,
        club.default_channel,
        {"id": "1", "name": "review", "type": 1},
        label="/review",
    )
    callback = f"/interactions/{rec.id}/{rec.token}/callback"

    async def modal(select: dict[str, Any]) -> tuple[int, Any]:
        data = {"custom_id": "review", "title": "Your review", "components": [select]}
        return await call(club, "POST", callback, {"type": 9, "data": data}, auth=False)

    for bad, field in (
        (spoiler_select(disabled=True), "disabled"),
        (spoiler_select(min_values=0), "min_values"),
        (spoiler_select(min_values=0, required=True), "min_values"),
    ):
        status, refused = await modal(bad)
        assert (status, refused["code"]) == (400, 50035), bad
        assert field in refused["errors"]["data"]["components"]["0"]["component"]
    assert not rec.responded
    status, _ = await modal(spoiler_select(min_values=0, required=False, disabled=False))
    assert status == 204 and rec.response_type == 9
