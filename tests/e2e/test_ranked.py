"""Nomination rounds and ranked-choice polls through the emulator."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

TITLES = [
    "Amber Road",
    "Brass Orchard",
    "Cinder Psalm",
    "Driftwood Choir",
    "Ember Lane",
    "Fjord Letters",
    "Glass Harbour",
    "Hollow Lantern",
    "Iron Meadow",
    "Juniper Vault",
    "Kestrel Night",
    "Linen Atlas",
    "Marrow Tide",
    "Nettle Crown",
]
A, B, C, D = TITLES[:4]


def ranked_post(club, channel):
    return next(
        m
        for m in reversed(club.bot_messages(channel))
        if any(b.label == "Rank your choices" for b in m.buttons)
    )


async def cast(member, post, ranking):
    """Rank titles through the ephemeral flow, one select per choice, then cast."""
    screen = await member.click(post, "Rank your choices")
    assert screen.ephemeral
    for i, title in enumerate(ranking, start=1):
        await member.choose(screen.message, f"Your choice #{i}", [title])
    done = await member.click(screen.message, "Cast ballot")
    assert "Ballot cast" in done.content, done.content
    return screen


async def test_fourteen_nominations_become_a_ranked_vote_with_ties(
    club, clock, admin, catalog, store, announcements, harness
):
    members = [club.member(f"m{i}") for i in range(1, 10)]
    opened = await admin.slash("nominations open", only="books")
    assert "Nominations are open (books)" in opened.content
    for i, title in enumerate(TITLES):
        reply = await members[i % 9].slash("nominate", title=title, pitch=f"Pitch for {title}")
        assert reply.content == f"Nominated *{title}*.", reply.content
    again = await members[5].slash("nominate", title="amber road", pitch="Seconded!")
    assert "already nominated: your pitch is added" in again.content
    rnd = await store.nominations.current_round(club.guild.id)
    nominations = await store.nominations.nominations(rnd.id)
    assert [n.title for n in nominations] == TITLES
    assert [p.pitch for p in nominations[0].pitches] == ["Pitch for Amber Road", "Seconded!"]
    listed = await members[2].slash("nominations list")
    assert listed.embed["title"] == "Nominations (14)"
    assert "1. *Amber Road*: “Pitch for Amber Road” / “Seconded!”" in listed.embed["description"]
    # New titles became suggestions for the organizers.
    assert {s.title for s in await store.catalog.suggestions(club.guild.id)} == set(TITLES)

    closed = await admin.slash("nominations close", duration="3d")
    assert "ranked-choice poll #1 with 14 titles" in closed.content, closed.content
    post = ranked_post(club, announcements)
    assert post.embed["fields"][1] == {"name": "Ballots cast", "value": "0", "inline": True}

    # Hand-checked count (positions in nomination order, A first):
    # first preferences A3 B3 C2 D1, ten titles with none. Rounds 1-10 eliminate the ten empty titles,
    # last nominated first (equal in every round). Round 11: D out, its ballot moves to C. Round 12:
    # A3 B3 C3, a three-way tie: C had fewer in round 1, so C goes (one ballot to A, one to B, one
    # exhausted). Round 13: A4 B4 tie, equal in every earlier round, so B (nominated after A) goes.
    # Round 14: A alone wins.
    ballots = [[A], [A, C], [A, B], [B], [B, A], [B, D], [C, B], [C, A], [D, C]]
    for member, ranking in zip(members, ballots, strict=True):
        await cast(member, post, ranking)
    # A member changes their mind before the close; only the last ballot counts.
    changing = club.member("zoe")
    await cast(changing, post, [D])
    screen = await changing.click(post, "Rank your choices")
    assert "Your cast ballot:\n1. Driftwood Choir" in screen.content
    withdrawn = await changing.click(screen.message, "Withdraw my ballot")
    assert withdrawn.content == "Your ballot is withdrawn."
    late = await members[0].click(post, "Rank your choices")  # left open until after the close

    [poll] = await store.polls.recent(club.guild.id)
    assert await store.polls.voters(poll.id) == 9
    # The turnout on the post follows, debounced: far fewer edits than ballots, the last one exact.
    await harness.bot.get_cog("Polls").service.tallies.flush()
    assert post.embed["fields"][1]["value"] == "9"
    edits = [
        r
        for r in club.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
        if str(post.id) in r.path
    ]
    assert 1 <= len(edits) < 11
    await clock.advance(timedelta(days=3))
    poll = await store.polls.get(poll.id)
    assert not poll.is_open and poll.winner_position == 1
    result = json.loads(poll.result)
    assert [r["eliminated"] for r in result["rounds"]] == [*range(14, 4, -1), 4, 3, 2, None]
    assert result["rounds"][11]["votes"] == {"1": 3, "2": 3, "3": 3}
    assert result["rounds"][11]["tie_break"] == "fewest votes in round 1"
    assert result["rounds"][11]["transfers"] == {"1": 1, "2": 1, "exhausted": 1}
    assert result["rounds"][12]["tie_break"] == "nominated last among the tied"
    assert result["rounds"][13]["votes"] == {"1": 5}

    results = club.bot_messages(announcements)[-1]
    text = results.embed["description"]
    assert "Winner: **Amber Road** after 14 round(s)." in text
    assert "Cinder Psalm eliminated (tie for last place, broken by: fewest votes in round 1)" in text
    assert results.attachments and results.attachment_bytes(0).startswith(b"\x89PNG")
    # Ballots are secret: no member's name or choice list appears anywhere public.
    public = club.text_member_sees(club.member("outsider"))
    assert all(m.name not in public for m in members)
    # The post no longer takes ballots, and an old flow is refused.
    assert post.buttons == []
    refused = await members[0].choose(late.message, "Your choice #1", [B])
    assert refused.ephemeral and "has closed" in refused.content

    # /poll results shows the count as it was made, even after members' ballots are forgotten.
    shown = await members[3].slash("poll results", poll="1")
    assert shown.embed["description"] == text
    for m in members[:5]:
        await store.privacy.forget(m.id)
    assert (await members[3].slash("poll results", poll="1")).embed["description"] == text

    # Organizers make the winner the current book (approving the suggestion).
    denied = await members[0].click(results, "Make the winner our current pick")
    assert "Only organizers" in denied.content
    crowned = await admin.click(results, "Make the winner our current pick")
    assert "*Amber Road* is now the club's current book" in crowned.content
    settings = await store.guilds.get(club.guild.id)
    amber = next(n.work_id for n in nominations if n.title == A)
    assert settings.current_book_id == amber


async def test_small_round_becomes_a_discord_poll_and_big_rounds_are_refused(
    club, admin, catalog, store, announcements
):
    alice = club.member("alice")
    await admin.slash("nominations open")
    await alice.slash("nominate", title="Frankenstein (1818)", pitch="Spooky")
    await alice.slash("nominate", title=f"#{catalog['nosferatu']}")
    film_round = await admin.slash("nominations close", duration="1d")
    assert "poll #1 with 2 titles" in film_round.content
    message = next(m for m in club.bot_messages(announcements) if m.poll)
    assert [a["poll_media"]["text"] for a in message.payload["poll"]["answers"]] == [
        "Frankenstein (1818)",
        "Nosferatu (1922)",
    ]

    await admin.slash("nominations open", only="films")
    wrong = await alice.slash("nominate", title=f"#{catalog['pride']}")
    assert (
        wrong.ephemeral and "This round takes only films; *Pride and Prejudice* is a book." in wrong.content
    )
    for i in range(26):
        await alice.slash("nominate", title=f"Film number {i}", kind="film")
    too_many = await admin.slash("nominations close", style="ranked")
    assert "at most 25 titles" in too_many.content
    assert (await store.nominations.current_round(club.guild.id)) is not None  # still open, nothing posted
    assert len(await store.polls.recent(club.guild.id)) == 1
    choices = await admin.autocomplete("nominations remove", "title", "number 2")
    assert [c["name"] for c in choices][:2] == ["Film number 2", "Film number 20"]
    removed = await admin.slash("nominations remove", title=choices[0]["value"])
    assert removed.content == "*Film number 2* is out of the round (25 left)."
    denied = await alice.slash("nominations remove", title="Film number 3")
    assert "Only organizers" in denied.content
    ranked = await admin.slash("nominations close", style="ranked")
    assert "ranked-choice poll #2 with 25 titles" in ranked.content


async def test_ballot_flow_survives_a_restart(club, clock, admin, catalog, announcements, harness):
    alice = club.member("alice")
    await admin.slash("nominations open")
    for title in ("Pride and Prejudice", "Frankenstein (1818)", "Nosferatu"):
        await alice.slash("nominate", title=title)
    closed = await admin.slash("nominations close", style="ranked", duration="2d")
    assert "ranked-choice poll #1 with 3 titles" in closed.content
    post = ranked_post(club, announcements)
    screen = await alice.click(post, "Rank your choices")
    await alice.choose(screen.message, "Your choice #1", ["Nosferatu (1922)"])

    await harness.restart()
    # The flow opened before the restart goes on from its custom ids; the post's button still works.
    await alice.choose(screen.message, "Your choice #2", ["Pride and Prejudice (1813)"])
    done = await alice.click(screen.message, "Cast ballot")
    shown = done.content.replace("\\", "")  # titles are markdown-escaped: "\\(1922\\)"
    assert "Ballot cast" in shown and "1. Nosferatu (1922)\n2. Pride and Prejudice (1813)" in shown
    bob = club.member("bob")
    await cast(bob, post, ["Frankenstein (1818)"])
    store = harness.store
    assert sorted(await store.polls.ballots(1)) == [[2], [3, 1]]

    await clock.advance(timedelta(days=2))  # the close timer, scheduled before the restart
    poll = await store.polls.get(1)
    assert not poll.is_open
    results = club.bot_messages(announcements)[-1]
    # Round 1: Nosferatu 1, Frankenstein 1, Pride 0 (out); round 2 is a tie at 1-1 broken by round 1 (equal)
    # and then nomination order: Nosferatu was nominated last, so Frankenstein wins.
    assert "Winner: **Frankenstein (1818)**" in results.embed["description"].replace("\\", "")


async def test_making_a_ranked_winner_current_records_the_previous_book_as_finished(
    club, clock, admin, catalog, store, announcements
):
    """The poll's button and `/book current` share one rule: moving on means the club finished it."""
    await admin.slash("book current", book=f"#{catalog['pride']}", adaptation=f"#{catalog['frank_film']}")
    alice, bob = club.member("alice"), club.member("bob")
    await admin.slash("nominations open", only="books")
    for title in ("Frankenstein (1818)", "Amber Road", "Brass Orchard"):
        await alice.slash("nominate", title=title)
    await admin.slash("nominations close", style="ranked", duration="1d")
    post = ranked_post(club, announcements)
    await cast(alice, post, ["Amber Road"])
    await cast(bob, post, ["Amber Road", "Brass Orchard"])
    await clock.advance(timedelta(days=1))
    results = club.bot_messages(announcements)[-1]
    assert "Winner: **Amber Road**" in results.embed["description"]
    assert await store.reviews.finished(club.guild.id) == []

    crowned = await admin.click(results, "Make the winner our current pick")
    assert "*Amber Road* is now the club's current book" in crowned.content
    amber = next(w.id for w in (await store.catalog.works(club.guild.id)).values() if w.title == "Amber Road")
    settings = await store.guilds.get(club.guild.id)
    # Only the book slot changed: the film stays current, Pride and Prejudice is finished.
    assert (settings.current_book_id, settings.current_adaptation_id) == (amber, catalog["frank_film"])
    assert [f.work_id for f in await store.reviews.finished(club.guild.id)] == [catalog["pride"]]
    history = await alice.slash("club history")
    assert "Pride and Prejudice" in history.embed["description"]
    assert "Amber Road" not in history.embed["description"]

    # Posting the winner's status buttons afterwards finishes nothing more (Amber Road is still current),
    # except the film the club no longer watches.
    await admin.slash("book current", book="Amber Road")
    finished = {f.work_id for f in await store.reviews.finished(club.guild.id)}
    assert finished == {catalog["pride"], catalog["frank_film"]}


async def test_a_tally_waiting_to_be_redrawn_at_a_crash_is_redrawn_on_start(
    club, clock, admin, catalog, announcements, harness
):
    alice, bob = club.member("alice"), club.member("bob")
    await admin.slash("nominations open")
    for title in ("Pride and Prejudice", "Frankenstein (1818)", "Nosferatu"):
        await alice.slash("nominate", title=title)
    await admin.slash("nominations close", style="ranked", duration="2d")
    post = ranked_post(club, announcements)
    await cast(alice, post, ["Nosferatu (1922)"])  # redrawn at once
    await cast(bob, post, ["Frankenstein (1818)"])  # redraw deferred by the debouncer, then the bot stops
    await harness.restart()
    assert len(await harness.store.polls.ballots(1)) == 2

    def shown() -> str:
        return ranked_post(club, announcements).embed["fields"][1]["value"]

    for _ in range(200):  # the start's reconciliation runs in the background
        if shown() == "2":
            break
        await asyncio.sleep(0.01)
    assert shown() == "2"
