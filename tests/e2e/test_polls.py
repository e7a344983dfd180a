"""Native polls through the emulator: votes kept as they happen, after downtime, and at the close."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest


async def eventually(check, *, within: float = 5.0, what: str = "the condition"):
    """Re-run an async check until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def poll_message(club, channel):
    return next(m for m in reversed(club.bot_messages(channel)) if m.poll)


def stored_by_text(poll, counts):
    return {o.answer: counts.get(o.position, 0) for o in poll.options if counts.get(o.position, 0)}


async def test_votes_are_kept_as_members_vote_and_final_counts_match(club, clock, admin, harness, store):
    alice, bob, carol = club.member("alice"), club.member("bob"), club.member("carol")
    general = club.default_channel
    reply = await admin.slash(
        "poll create", question="Which book next?", answers="Emma; Dracula; Beloved", duration="1d"
    )
    assert reply.ephemeral and "Poll #1 posted" in reply.content, reply.content
    message = poll_message(club, general)
    assert [a["poll_media"]["text"] for a in message.payload["poll"]["answers"]] == [
        "Emma",
        "Dracula",
        "Beloved",
    ]
    info = club.bot_messages(general)[-1]
    assert info.embed["title"] == "Which book next?" and "1. Emma" in info.embed["description"]
    [poll] = await store.polls.recent(club.guild.id)
    assert poll.message_id == message.id and poll.info_message_id == info.id

    await alice.vote(message, "Emma")
    await bob.vote(message, "Dracula")
    await carol.vote(message, "Emma")
    await bob.vote(message, "Beloved")  # single choice: Discord moves bob's vote
    await alice.unvote(message, "Emma")
    await alice.vote(message, "Dracula")

    async def stored_matches():
        return stored_by_text(poll, await store.polls.vote_counts(poll.id)) == message.poll_counts()

    await eventually(stored_matches, what="stored votes to equal Discord's")
    assert message.poll_counts() == {"Emma": 1, "Dracula": 1, "Beloved": 1}
    assert await store.polls.votes(poll.id) == {1: {carol.id}, 2: {alice.id}, 3: {bob.id}}

    await clock.advance(timedelta(days=1))
    assert message.poll_finalized
    closed = await store.polls.get(poll.id)
    assert not closed.is_open
    assert {o.answer: o.final_votes for o in closed.options} == {"Emma": 1, "Dracula": 1, "Beloved": 1}
    final = next(f for f in info.embed["fields"] if f["name"] == "Final votes")
    assert final["value"].count("**1** vote (33%)") == 3
    results = club.bot_messages(general)[-1]
    assert results.embed["title"] == "Results: Which book next?"
    assert "Tie between **Emma**, **Dracula**, **Beloved**" in results.embed["description"]
    assert "3 members voted" in results.embed["footer"]["text"]
    # The poll message itself was never edited by the bot.
    assert not club.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}") or all(
        str(message.id) not in r.path
        for r in club.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
    )
    choices = await alice.autocomplete("poll results", "poll", "which")
    assert choices == [{"name": "#1 Which book next? (closed)", "value": "1"}]
    assert await admin.autocomplete("poll end", "poll", "") == []  # only open polls can be ended
    shown = await alice.slash("poll results", poll="1")
    assert shown.ephemeral and "**1** vote (33%) · Emma" in shown.embed["description"]


async def test_votes_cast_while_the_bot_is_down_are_not_lost(club, clock, admin, harness):
    alice, bob, carol, dan = (club.member(n) for n in ("alice", "bob", "carol", "dan"))
    await admin.slash(
        "poll create", question="Film night?", answers="Nosferatu; Metropolis", duration="2d", multiple=True
    )
    message = poll_message(club, club.default_channel)
    await alice.vote(message, "Nosferatu")
    await bob.vote(message, "Metropolis")
    store = harness.store
    await eventually(lambda: _has_votes(store, 2), what="the first votes")

    await harness.stop()
    await bob.unvote(message, "Metropolis")
    await carol.vote(message, "Nosferatu")
    await carol.vote(message, "Metropolis")
    await dan.vote(message, "Metropolis")
    bot = await harness.restart()
    cog = bot.get_cog("Polls")
    await eventually(lambda: _reconciled(cog), what="the reconciliation after the restart")
    store = harness.store
    [poll] = await store.polls.recent(club.guild.id)
    assert (
        stored_by_text(poll, await store.polls.vote_counts(poll.id))
        == message.poll_counts()
        == {
            "Nosferatu": 2,
            "Metropolis": 2,
        }
    )
    assert await store.polls.votes(poll.id) == {1: {alice.id, carol.id}, 2: {carol.id, dan.id}}

    # And a vote while the bot is back is recorded live again; /poll end finalises with Discord's counts.
    await bob.vote(message, "Nosferatu")
    ended = await admin.slash("poll end", poll=str(poll.id))
    assert "has ended" in ended.content
    assert message.poll_finalized
    closed = await store.polls.get(poll.id)
    assert (
        {o.answer: o.final_votes for o in closed.options}
        == message.poll_counts()
        == {
            "Nosferatu": 3,
            "Metropolis": 2,
        }
    )
    again = await admin.slash("poll end", poll=str(poll.id))
    assert again.ephemeral and "already ended" in again.content
    await clock.advance(timedelta(days=3))  # the cancelled deadline does nothing
    assert (
        len(
            [
                m
                for m in club.bot_messages(club.default_channel)
                if m.embeds and "Results" in m.embeds[0].get("title", "")
            ]
        )
        == 1
    )


async def _has_votes(store, n):
    row = await store.db.fetch_one("SELECT COUNT(*) FROM poll_votes")
    return row[0] == n


async def _reconciled(cog):
    return cog.service.reconciling.done


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"answers": "Emma; emma"}, "given twice"),
        ({"answers": "Emma; ; Dracula"}, "is empty"),
        ({"answers": "Emma"}, "at least 2 answers"),
        ({"answers": "; ".join(f"Book {i}" for i in range(11))}, "at most 10 answers"),
        ({"answers": "Emma; " + "x" * 56}, "at most 55 characters"),
        ({"answers": "Emma; Dracula", "duration": "30 minutes"}, "could not read the duration"),
        ({"answers": "Emma; Dracula", "duration": "33d"}, "1 hour to 32 days"),
        ({"answers": "Emma; Dracula", "duration": "0h"}, "1 hour to 32 days"),
    ],
)
async def test_bad_poll_input_is_explained_and_nothing_is_written(
    club, admin, harness, store, options, expected
):
    options = {"question": "Next?", **options}
    reply = await admin.slash("poll create", **options)
    assert reply.ephemeral and expected in reply.content, reply.content
    assert await store.polls.recent(club.guild.id) == []
    assert [m for m in club.bot_messages() if not m.ephemeral] == []


async def test_discord_refuses_an_overlong_question_before_the_bot_sees_it(club, admin, harness, store):
    # The option carries Discord's own limit (max_length 300), so the client refuses it and says why.
    with pytest.raises(AssertionError, match="longer than 300"):
        await admin.slash("poll create", question="q" * 301, answers="Emma; Dracula")
    assert await store.polls.recent(club.guild.id) == []


async def test_members_cannot_create_or_end_polls(club, alice, harness, store):
    reply = await alice.slash("poll create", question="Next?", answers="A; B")
    assert reply.ephemeral and "Only organizers" in reply.content
    assert await store.polls.recent(club.guild.id) == []


async def test_a_poll_that_ended_while_the_bot_was_down_is_finalised_on_restart(club, clock, admin, harness):
    alice, bob = club.member("alice"), club.member("bob")
    await admin.slash("poll create", question="Tea or coffee?", answers="Tea; Coffee", duration="2h")
    message = poll_message(club, club.default_channel)
    await alice.vote(message, "Tea")
    await harness.stop()
    await bob.vote(message, "Coffee")
    await clock.advance(timedelta(hours=3))  # Discord ends the poll; the bot is not there to see it
    assert message.poll_finalized
    bot = await harness.restart()
    store = harness.store
    [poll] = await store.polls.recent(club.guild.id)

    async def closed():
        found = await store.polls.get(poll.id)
        return found if not found.is_open else None

    await bot.scheduler.wait_idle()
    found = await eventually(closed, what="the late close timer")
    assert {o.answer: o.final_votes for o in found.options} == {"Tea": 1, "Coffee": 1}
    results = club.bot_messages(club.default_channel)[-1]
    assert results.embed["title"] == "Results: Tea or coffee?"
    assert "Tie between **Tea**, **Coffee**" in results.embed["description"]


async def test_reconciliation_pages_through_every_voter(club, clock, admin, harness):
    await admin.slash("poll create", question="Big club?", answers="Yes; No", duration="1d")
    message = poll_message(club, club.default_channel)
    await harness.stop()
    crowd = [club.member(f"reader{i:03}") for i in range(230)]  # three pages of 100 from Discord
    for member in crowd:
        await member.vote(message, "Yes")
    await crowd[0].vote(message, "No")  # single choice: moves one vote
    bot = await harness.restart()
    await eventually(lambda: _reconciled(bot.get_cog("Polls")), what="the reconciliation")
    [poll] = await harness.store.polls.recent(club.guild.id)
    votes = await harness.store.polls.votes(poll.id)
    assert votes == {1: {m.id for m in crowd[1:]}, 2: {crowd[0].id}}
    pages = [
        r for r in club.requests_to("GET", "/channels/{channel_id}/polls/{message_id}/answers/{answer_id}")
    ]
    assert len(pages) >= 4  # answer 1: 100 + 100 + 29 + an empty page; answer 2: at least one
