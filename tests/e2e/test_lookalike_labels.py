"""Labels members type that only look different (or look empty) through the emulator: one label, or refused."""

from __future__ import annotations

import pytest
from markdown_view import rendered

COMPOSED = "\u00c9mile"  # É as one code point
DECOMPOSED = "E\u0301mile"  # E followed by a combining acute accent


def public_messages(club):
    return [m for m in club.bot_messages() if not m.ephemeral]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (COMPOSED, DECOMPOSED),
        ("Emma", "Em\u200bma"),
        ("\uff25\uff4d\uff4d\uff41", "Emma"),  # "Emma" in full-width letters
        ("**Emma**", "Emma"),
        ("||Emma||", "__emma__"),
    ],
    ids=["decomposed-accent", "zero-width-space", "full-width", "bold", "spoiler-underline"],
)
async def test_answers_that_only_look_different_are_refused_as_one_answer(
    club, admin, harness, store, first, second
):
    reply = await admin.slash("poll create", question="Next?", answers=f"{first}; Dracula; {second}")
    assert reply.ephemeral and "given twice" in reply.content, reply.content
    assert await store.polls.recent(club.guild.id) == []
    assert public_messages(club) == []


@pytest.mark.parametrize(
    "answer", ["\u200b", "\u200b\u200d\ufeff", "|| ||", "` `", "** **", "\u2060~~\u2060~~"]
)
async def test_answers_that_look_empty_are_refused_and_nothing_is_written(
    club, admin, harness, store, answer
):
    reply = await admin.slash("poll create", question="Next?", answers=f"Emma; {answer}; Dracula")
    assert reply.ephemeral, reply.content
    assert (
        "Answer 2" in reply.content and "is empty once formatting and invisible characters" in reply.content
    )
    assert await store.polls.recent(club.guild.id) == []
    assert public_messages(club) == []


async def test_an_answer_is_shown_as_typed_even_though_it_is_compared_normalised(club, admin, harness, store):
    reply = await admin.slash("poll create", question="Next?", answers="**Emma**; \uff24racula")
    assert reply.ephemeral and "Poll #1 posted" in reply.content, reply.content
    poll_message = next(m for m in public_messages(club) if m.poll)
    assert [a["poll_media"]["text"] for a in poll_message.payload["poll"]["answers"]] == [
        "**Emma**",
        "\uff24racula",
    ]
    [poll] = await store.polls.recent(club.guild.id)
    assert [o.label for o in poll.options] == ["**Emma**", "\uff24racula"]


@pytest.mark.parametrize("time", ["\u200b", "|| ||", "` `"])
async def test_a_date_poll_time_that_looks_empty_is_refused(club, admin, harness, store, time):
    await admin.slash("club setup", timezone="Europe/Paris")
    reply = await admin.slash("poll dates", question="When?", times=f"Friday 7pm; {time}", duration="1d")
    assert reply.ephemeral and "Time 2" in reply.content and "is empty once" in reply.content, reply.content
    assert await store.polls.recent(club.guild.id) == []


async def test_one_title_typed_three_ways_is_one_nomination_and_one_suggestion(
    club, admin, alice, bob, harness, store
):
    carol = club.member("carol")
    await admin.slash("nominations open", only="books")
    first = await alice.slash("nominate", title="The Glass Harbour", pitch="Sea and salt")
    assert first.content == "Nominated *The Glass Harbour*.", first.content
    for member, typed in ((bob, "The Glass Harbour\u200b"), (carol, "THE GLASS HARBOUR ")):
        again = await member.slash("nominate", title=typed, pitch=f"Seconded by {member.name}")
        assert again.content == "*The Glass Harbour* was already nominated: your pitch is added to it.", (
            again.content
        )
    rnd = await store.nominations.current_round(club.guild.id)
    [nomination] = await store.nominations.nominations(rnd.id)
    assert nomination.title == "The Glass Harbour"
    assert {p.user_id for p in nomination.pitches} == {alice.id, bob.id, carol.id}
    assert [s.title for s in await store.catalog.suggestions(club.guild.id)] == ["The Glass Harbour"]


async def test_a_suggestion_typed_differently_is_the_same_suggestion(club, alice, bob, harness, store):
    await alice.slash("book suggest", title="The Glass Harbour")
    again = await bob.slash("book suggest", title="\uff34\uff28\uff25 glass HARBOUR\u200b")
    assert again.ephemeral and "already suggested and waiting for an organizer" in again.content, (
        again.content
    )
    assert [s.title for s in await store.catalog.suggestions(club.guild.id)] == ["The Glass Harbour"]


async def test_a_clashing_suggestion_is_echoed_without_its_markup(club, alice, bob, harness, store):
    await alice.slash("book suggest", title="The ||Glass|| Harbour")
    again = await bob.slash("book suggest", title="the glass harbour")
    assert again.ephemeral and "already suggested" in again.content, again.content
    # The stored title is shown as typed, its spoiler bars escaped so they show instead of hiding text.
    assert "\\|\\|Glass\\|\\|" in again.content, again.content
    assert rendered(again.content).startswith("*The ||Glass|| Harbour*"), again.content


@pytest.mark.parametrize("title", ["\u200b", "|| ||", "** **"])
async def test_a_title_that_looks_empty_is_neither_nominated_nor_suggested(
    club, admin, alice, harness, store, title
):
    await admin.slash("nominations open")
    nominated = await alice.slash("nominate", title=title)
    assert nominated.ephemeral and "empty" in nominated.content, nominated.content
    suggested = await alice.slash("book suggest", title=title)
    assert suggested.ephemeral and "empty" in suggested.content, suggested.content
    rnd = await store.nominations.current_round(club.guild.id)
    assert await store.nominations.nominations(rnd.id) == []
    assert await store.catalog.suggestions(club.guild.id) == []
