"""Statuses by command, by button (also after a restart), and who/club overviews."""

from __future__ import annotations

import pytest
from markdown_view import rendered

from bot.domain import MemberStatus, ProgressUnit, State


async def history_sources(store, guild_id, user_id):
    return [(c.work_id, c.state, c.source) for c in await store.statuses.history(guild_id, user_id)]


async def test_set_status_by_command_with_progress(club, alice, catalog, store):
    reply = await alice.slash("status set", title="lantern keeper", state="reading", progress="ch 12")
    assert reply.ephemeral
    assert rendered(reply.content) == "Recorded: *The Lantern Keeper (2021)*: reading (ch. 12/30)."
    statuses = await store.statuses.for_member(club.guild.id, alice.id)
    assert statuses == {
        catalog["lantern"]: MemberStatus(catalog["lantern"], State.READING, ProgressUnit.CHAPTER, 12)
    }
    assert await history_sources(store, club.guild.id, alice.id) == [
        (catalog["lantern"], State.READING, "command")
    ]


async def test_autocomplete_is_fuzzy_and_picks_exactly(club, alice, catalog, store):
    choices = await alice.autocomplete("status set", "title", "lanturn keper")
    names = [c["name"] for c in choices]
    assert names[:2] == [
        "The Lantern Keeper (2021) · book · Ada Quill",
        "The Lantern Keeper (2023) · film · Noor Haddad",
    ]
    film_choice = choices[1]["value"]
    reply = await alice.slash("status set", title=film_choice, state="watched")
    assert rendered(reply.content) == "Recorded: *The Lantern Keeper (2023)*: watched it."
    assert (await store.statuses.for_member(club.guild.id, alice.id))[
        catalog["lantern_film"]
    ].state is State.WATCHED


async def test_ambiguous_and_unknown_titles_name_the_closest(club, alice, catalog, store):
    ambiguous = await alice.slash("status who", title="The Lantern Keeper")
    assert ambiguous.ephemeral
    assert "matches several" in rendered(ambiguous.content)
    assert "The Lantern Keeper (2021)" in rendered(
        ambiguous.content
    ) and "The Lantern Keeper (2023)" in rendered(ambiguous.content)
    unknown = await alice.slash("status set", title="Pride and Prejudise and Zombies", state="read")
    assert "No title called" in unknown.content and "Did you mean *Pride and Prejudice (1813)*?" in rendered(
        unknown.content
    )
    nothing = await alice.slash("status set", title="Zzyzx Road Atlas", state="read")
    assert "No title called `Zzyzx Road Atlas` in the club's catalog." in rendered(nothing.content)
    assert await store.statuses.for_member(club.guild.id, alice.id) == {}


async def test_bad_status_input_is_explained_and_nothing_written(club, alice, catalog, store):
    cases = [
        ({"title": "Pride and Prejudice", "state": "watched"}, "its statuses are"),
        ({"title": "lantern keeper", "state": "reading", "progress": "ch 99"}, "has 30 chapters"),
        ({"title": "lantern keeper", "state": "reading", "progress": "halfway"}, "could not read"),
        ({"title": "Nosferatu", "state": "watched", "progress": "12"}, "Progress goes with"),
        ({"title": "Pride and Prejudice", "state": "read", "progress": "150%"}, "Progress goes with"),
    ]
    for options, expected in cases:
        reply = await alice.slash("status set", **options)
        assert reply.ephemeral and expected in rendered(reply.content), (options, rendered(reply.content))
    assert await store.statuses.for_member(club.guild.id, alice.id) == {}
    assert await store.statuses.history(club.guild.id, alice.id) == []


async def test_backticks_in_progress_cannot_break_out_of_the_echo(club, alice, catalog, store):
    typed = "x` **@everyone** `y"
    reply = await alice.slash("status set", title="lantern keeper", state="reading", progress=typed)
    assert reply.ephemeral and "could not read" in reply.content, reply.content
    echoed = reply.content.split("could not read ", 1)[1].split(" as progress", 1)[0]
    # One code span holding everything typed: no bold and no mention outside it.
    assert echoed.startswith("`") and echoed.endswith("`") and echoed.count("`") == 2, echoed
    assert "**@everyone**" in echoed, echoed
    assert await store.statuses.for_member(club.guild.id, alice.id) == {}


async def test_buttons_on_the_current_book_post_record_status(
    club, alice, bob, admin, catalog, store, announcements
):
    reply = await admin.slash("book current", book="lantern keeper", adaptation=f"#{catalog['lantern_film']}")
    assert reply.ephemeral and "now on *The Lantern Keeper (2021)*" in rendered(reply.content)
    post = club.bot_messages(announcements)[-1]
    assert rendered(post.embed["title"]) == "Now reading: The Lantern Keeper (2021)"
    assert [b.label for b in post.buttons] == ["📖 I read it", "I'm reading…", "🎬 I watched it"]
    assert not post.pinged

    read = await alice.click(post, "📖 I read it")
    assert read.ephemeral and rendered(read.content) == "Recorded: *The Lantern Keeper (2021)*: read it."
    watched = await alice.click(post, "🎬 I watched it")
    assert rendered(watched.content) == "Recorded: *The Lantern Keeper (2023)*: watched it."

    asked = await bob.click(post, "I'm reading…")
    assert asked.modal is not None
    done = await bob.submit_modal(asked, {"progress": "45%"})
    assert (
        done.ephemeral and rendered(done.content) == "Recorded: *The Lantern Keeper (2021)*: reading (45%)."
    )

    assert (await store.statuses.for_member(club.guild.id, alice.id)) == {
        catalog["lantern"]: MemberStatus(catalog["lantern"], State.READ),
        catalog["lantern_film"]: MemberStatus(catalog["lantern_film"], State.WATCHED),
    }
    assert (await store.statuses.for_member(club.guild.id, bob.id))[catalog["lantern"]] == MemberStatus(
        catalog["lantern"], State.READING, ProgressUnit.PERCENT, 45
    )
    assert {s for _, _, s in await history_sources(store, club.guild.id, alice.id)} == {"button"}
    # Others never see a member's confirmation.
    assert "Recorded:" not in rendered(club.text_member_sees(bob)).replace(rendered(done.content), "")


async def test_bad_progress_in_the_modal_is_explained(club, alice, admin, catalog, store, announcements):
    await admin.slash("book current", book="lantern keeper")
    post = club.bot_messages(announcements)[-1]
    asked = await alice.click(post, "I'm reading…")
    failed = await alice.submit_modal(asked, {"progress": "chapter 31"})
    assert failed.ephemeral and "has 30 chapters" in rendered(failed.content)
    assert await store.statuses.for_member(club.guild.id, alice.id) == {}


async def test_buttons_keep_working_after_a_restart(club, alice, admin, catalog, harness, announcements):
    await admin.slash("book current", book="pride and prejudice")
    post = club.bot_messages(announcements)[-1]
    await harness.restart()
    reply = await alice.click(post, "📖 I read it")
    assert rendered(reply.content) == "Recorded: *Pride and Prejudice (1813)*: read it."
    assert harness.store is not None
    statuses = await harness.store.statuses.for_member(club.guild.id, alice.id)
    assert statuses[catalog["pride"]].state is State.READ


async def test_progress_modal_opened_before_a_restart_is_still_answered(
    club, alice, admin, catalog, harness, announcements
):
    await admin.slash("book current", book="lantern keeper")
    post = club.bot_messages(announcements)[-1]
    asked = await alice.click(post, "I'm reading…")
    await harness.restart()
    done = await alice.submit_modal(asked, {"progress": "ch 7"})
    assert (
        done.ephemeral
        and rendered(done.content) == "Recorded: *The Lantern Keeper (2021)*: reading (ch. 7/30)."
    )
    assert harness.store is not None
    status = (await harness.store.statuses.for_member(club.guild.id, alice.id))[catalog["lantern"]]
    assert (status.state, status.progress_value) == (State.READING, 7)


async def test_status_who_groups_members_without_pinging(club, alice, bob, catalog, store):
    carol = club.member("carol")
    await alice.slash("status set", title="frankenstein (1818)", state="read")
    await bob.slash("status set", title=f"#{catalog['frank']}", state="reading", progress="p 140")
    await carol.slash("status set", title=f"#{catalog['frank']}", state="want_to_read")
    reply = await carol.slash("status who", title=f"#{catalog['frank']}")
    assert reply.ephemeral
    fields = {f["name"]: f["value"] for f in reply.embed["fields"]}
    assert fields == {
        "Want to read (1)": f"<@{carol.id}>",
        "Reading (1)": f"<@{bob.id}> (p. 140/280)",
        "Read it (1)": f"<@{alice.id}>",
    }
    assert reply.embed["footer"]["text"] == "3 members in all"
    assert not reply.message.pinged


async def test_status_club_overview(club, alice, bob, admin, catalog, store):
    none_yet = await alice.slash("status club")
    assert none_yet.ephemeral and "no current book" in rendered(none_yet.content)
    await admin.slash("book current", book="lantern keeper", adaptation=f"#{catalog['lantern_film']}")
    await alice.slash("status set", title=f"#{catalog['lantern']}", state="read")
    await alice.slash("status set", title=f"#{catalog['lantern_film']}", state="watched")
    await bob.slash("status set", title=f"#{catalog['lantern']}", state="reading", progress="4")
    carol = club.member("carol")
    await carol.slash("status set", title=f"#{catalog['lantern']}", state="reading", progress="80%")
    reply = await bob.slash("status club")
    fields = {rendered(f["name"]): f["value"] for f in reply.embed["fields"]}
    assert fields["Finished"] == "1" and fields["Reading"] == "2" and fields["Want to read"] == "0"
    assert fields["Watched The Lantern Keeper (2023)"] == "1"
    bars = fields["Where readers are"].splitlines()
    assert bars[0].endswith("█ 1") and bars[4].endswith("█ 1")  # ch. 4 in the first fifth, 80% in the last


async def test_show_lists_my_statuses(club, alice, bob, catalog):
    await alice.slash("status set", title=f"#{catalog['nosferatu']}", state="watched")
    mine = await alice.slash("status show")
    assert mine.ephemeral and "Nosferatu (1922): watched it" in rendered(mine.embed["description"])
    theirs = await bob.slash("status show", member=alice)
    assert "Nosferatu (1922): watched it" in rendered(theirs.embed["description"])


async def test_a_late_answer_is_not_retried(club, alice, catalog, store, error_log, caplog):
    """Past Discord's 3 s deadline the interaction is gone: the bot logs it once and does not answer twice."""
    club.interactions.deadline = 0.3
    club.slow("POST", "/interactions/{interaction_id}/{interaction_token}/callback", 0.5, times=None)
    with pytest.raises(AssertionError, match=r"10062|did not answer"):
        await alice.slash("status set", title=f"#{catalog['pride']}", state="read", timeout=2)
    await club.wait_until(lambda: sum(r.late_callbacks for r in club.interactions.records.values()) >= 1)
    await club.settle(quiet=0.8)
    assert sum(r.late_callbacks for r in club.interactions.records.values()) == 1  # no second try
    assert (await store.statuses.for_member(club.guild.id, alice.id))[catalog["pride"]].state is State.READ
    assert not error_log.records
    assert any("Answered too late" in r.getMessage() for r in caplog.records)
