"""`/book`: organizers build the catalog, members suggest, organizers approve, the club picks a current book."""

from __future__ import annotations

from markdown_view import rendered

from bot.domain import WorkKind


async def titles(store, club):
    return sorted(
        (w.kind.value, w.title, w.year) for w in (await store.catalog.works(club.guild.id)).values()
    )


async def test_organizer_adds_a_book_with_parts_and_its_film(club, admin, harness, store):
    reply = await admin.slash(
        "book add",
        title="  The  Glass Orchard ",
        author="Mira Sol",
        year=2019,
        chapters=20,
        parts="Spring: 8; Autumn: 20",
    )
    assert reply.ephemeral
    assert (
        rendered(reply.content)
        == "Added *The Glass Orchard (2019)* (by Mira Sol, 20 chapters, 2 parts) to the catalog."
    )
    film = await admin.slash(
        "book adapt", book="glass orchard", title="The Glass Orchard", year=2024, director="Ines Park"
    )
    assert (
        rendered(film.content)
        == "Added the film *The Glass Orchard (2024)*, adapting *The Glass Orchard (2019)*."
    )
    works = await store.catalog.works(club.guild.id)
    book = next(w for w in works.values() if w.kind is WorkKind.BOOK)
    assert (book.parts, book.part_last_chapters, book.chapters) == (("Spring", "Autumn"), (8, 20), 20)
    screen = next(w for w in works.values() if w.kind is WorkKind.FILM)
    assert screen.adapts_work_id == book.id and screen.creator == "Ines Park"


async def test_bad_catalog_input_is_explained_and_nothing_is_added(club, admin, harness, store):
    cases = [
        ({"title": "Old Book", "year": 99999}, "not a plausible year"),
        ({"title": "Parted", "chapters": 10, "parts": "One: 5; Two: 12"}, "has 10 chapters"),
        ({"title": "Parted", "parts": "One: 5; Two"}, "every part"),
        ({"title": "Parted", "parts": "One: 9; Two: 3"}, "after the previous"),
    ]
    for options, expected in cases:
        reply = await admin.slash("book add", **options)
        assert reply.ephemeral and expected in rendered(reply.content), (options, rendered(reply.content))
    series = await admin.slash("book adapt", book="anything", title="X")
    assert "no books yet" in rendered(series.content)
    assert await titles(store, club) == []


async def test_duplicates_are_refused(club, admin, harness, store):
    await admin.slash("book add", title="Emma", author="Jane Austen", year=1815)
    again = await admin.slash("book add", title="emma", year=1815)
    assert again.ephemeral and rendered(again.content) == "*Emma* (1815) is in the catalog."
    assert await titles(store, club) == [("book", "Emma", 1815)]


async def test_members_cannot_add_but_can_suggest_and_organizers_approve(club, alice, admin, harness, store):
    refused = await alice.slash("book add", title="Emma")
    assert refused.ephemeral and "Only organizers" in rendered(refused.content)
    suggested = await alice.slash("book suggest", title="Middlemarch", author="George Eliot", year=1871)
    assert suggested.ephemeral and "suggested" in rendered(suggested.content)
    assert await titles(store, club) == []  # not in the catalog until approved
    listing = await alice.slash("book list")
    assert any("Middlemarch" in f["value"] for f in listing.embed["fields"])
    not_allowed = await alice.slash("book approve", suggestion="Middlemarch")
    assert "Only organizers" in rendered(not_allowed.content)
    choices = await admin.autocomplete("book approve", "suggestion", "middle")
    assert [c["name"] for c in choices] == ["Middlemarch (book)"]
    approved = await admin.slash("book approve", suggestion=choices[0]["value"])
    assert rendered(approved.content) == "*Middlemarch* is now in the catalog."
    assert await titles(store, club) == [("book", "Middlemarch", 1871)]
    suggestions = await store.catalog.suggestions(club.guild.id)
    assert suggestions == []


async def test_rejecting_a_suggestion_removes_it(club, alice, admin, harness, store):
    await alice.slash("book suggest", title="Ulysses", kind="book")
    unknown = await admin.slash("book reject", suggestion="Odyssey")
    assert "No waiting suggestion" in rendered(unknown.content) and "Ulysses" in rendered(unknown.content)
    rejected = await admin.slash("book reject", suggestion="ulysses")
    assert rendered(rejected.content) == "Removed the suggestion *Ulysses*."
    assert await store.catalog.suggestions(club.guild.id) == []


async def test_current_book_needs_an_announcement_channel(club, admin, harness, store):
    await admin.slash("book add", title="Emma", author="Jane Austen")
    reply = await admin.slash("book current", book="Emma")
    assert reply.ephemeral and "/club setup announcements" in rendered(reply.content)
    assert (await store.guilds.get(club.guild.id)).current_book_id is None


async def test_current_book_post_is_seen_by_members_and_pings_nobody(
    club, alice, admin, catalog, store, announcements
):
    reply = await admin.slash("book current", book="pride and prejudice")
    assert "I posted it in" in rendered(reply.content)
    assert (await store.guilds.get(club.guild.id)).current_book_id == catalog["pride"]
    assert "Now reading: Pride and Prejudice (1813)" in rendered(club.text_member_sees(alice))
    assert club.pings_of(alice) == []


async def test_organizer_fixes_a_books_details(club, admin, alice, catalog, store):
    await alice.slash("status set", title=f"#{catalog['lantern']}", state="reading", progress="ch 20")
    too_few = await admin.slash("book edit", title=f"#{catalog['lantern']}", chapters=12)
    assert too_few.ephemeral and "already at chapter 20" in rendered(too_few.content)
    wrong_kind = await admin.slash("book edit", title=f"#{catalog['nosferatu']}", chapters=3)
    assert "is a film" in rendered(wrong_kind.content)
    nothing = await admin.slash("book edit", title=f"#{catalog['lantern']}")
    assert "Nothing to change" in rendered(nothing.content)
    clash = await admin.slash(
        "book edit", title=f"#{catalog['frank']}", new_title="Pride and Prejudice", year=1813
    )
    assert "already has a book with that title" in rendered(clash.content)
    refused = await alice.slash("book edit", title=f"#{catalog['lantern']}", chapters=40)
    assert "Only organizers" in rendered(refused.content)

    saved = await admin.slash(
        "book edit",
        title=f"#{catalog['lantern']}",
        new_title="The Lantern-Keeper",
        chapters=32,
        parts="Dusk: 16; Dawn: 32",
    )
    assert rendered(saved.content) == "Saved *The Lantern-Keeper (2021)*."
    work = await store.catalog.get(club.guild.id, catalog["lantern"])
    assert (work.title, work.chapters, work.parts, work.part_last_chapters) == (
        "The Lantern-Keeper",
        32,
        ("Dusk", "Dawn"),
        (16, 32),
    )
    mine = await alice.slash("status show")
    assert "The Lantern-Keeper (2021): reading (ch. 20/32)" in rendered(mine.embed["description"])


async def test_removing_a_title_asks_first_and_takes_its_statuses(club, admin, alice, catalog, store):
    await admin.slash("book current", book=f"#{catalog['pride']}")
    await alice.slash("status set", title=f"#{catalog['pride']}", state="read")
    ask = await admin.slash("book remove", title=f"#{catalog['pride']}")
    assert ask.ephemeral and "deletes 1 members' statuses" in rendered(ask.content)
    second_ask = await admin.slash("book remove", title=f"#{catalog['pride']}")
    assert await store.catalog.get(club.guild.id, catalog["pride"]) is not None  # nothing yet
    done = await admin.click(ask.message, "Remove it")
    assert rendered(done.content) == "Removed *Pride and Prejudice (1813)* from the catalog."
    assert await store.catalog.get(club.guild.id, catalog["pride"]) is None
    assert await store.statuses.for_member(club.guild.id, alice.id) == {}
    assert (await store.guilds.get(club.guild.id)).current_book_id is None
    again = await admin.click(second_ask.message, "Remove it")
    assert again.ephemeral and "already gone" in rendered(again.content)


async def test_members_cannot_remove_titles(club, alice, catalog, store):
    refused = await alice.slash("book remove", title=f"#{catalog['pride']}")
    assert refused.ephemeral and "Only organizers" in rendered(refused.content)
    assert await store.catalog.get(club.guild.id, catalog["pride"]) is not None


async def test_titles_written_by_members_never_ping_or_break_formatting(
    club, admin, alice, announcements, harness, store
):
    owls = club.role("Night Owls", mentionable=True)
    owl = club.member("owl", roles=[owls])
    await admin.slash("club setup", announcements=announcements)
    hostile = f"@everyone *read* <@&{owls.id}> now"
    suggested = await alice.slash("book suggest", title=hostile)
    assert "\\*read\\*" in suggested.content  # markdown escaped, shown as typed
    await admin.slash("book approve", suggestion=hostile)
    await admin.slash("book current", book=hostile)
    post = club.bot_messages(announcements)[-1]
    assert hostile in rendered(post.embed["title"])
    assert all(not m.pinged and not m.payload.get("mention_everyone") for m in club.bot_messages())
    assert club.pings_of(alice) == [] and club.pings_of(owl) == []
    assert not suggested.message.payload["mention_roles"]
