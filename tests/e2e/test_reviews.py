"""Reviews end to end: featured reviews from files, members' reviews and ratings, lists and threads."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakediscord import Upload

GOODREADS = (Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "goodreads.csv").read_bytes()
SPOILER_WORDS = ("ice raft", "burning windmill", "little girl into a lake")


def posts(club, channel):
    """Return the bot's public messages in a channel (ephemeral answers left out)."""
    return [m for m in club.bot_messages(channel) if not m.ephemeral]


def plain(text: str) -> str:
    """Drop markdown escapes, to compare with what Discord renders."""
    return text.replace("\\", "")


def message_size(message) -> int:
    total = len(message.content or "")
    for embed in message.embeds:
        total += len(embed.get("title", "")) + len(embed.get("description", ""))
        total += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return total


def assert_within_limits(message) -> None:
    assert len(message.content or "") <= 2000
    assert len(message.embeds) <= 10
    assert message_size(message) <= 6000
    for embed in message.embeds:
        assert len(embed.get("description", "")) <= 4096
        assert len(embed.get("title", "")) <= 256
        assert all(len(f["value"]) <= 1024 for f in embed.get("fields", []))


async def test_bundled_featured_review_posts_with_buttons_and_a_thread(
    club, admin, alice, catalog, store, announcements
):
    reply = await admin.slash("review feature", bundled="frankenstein-1818-and-1931.md")
    assert reply.ephemeral and "Posted the whole text" in reply.content, reply.content
    posts = club.bot_messages(announcements)
    header = posts[0]
    assert (
        header.embed["title"].replace("\\", "") == "Two creatures, one name: Shelley's novel and Whale's film"
    )
    fields = {f["name"]: plain(f["value"]) for f in header.embed["fields"]}
    assert fields["Rating"] == "★★★★½ 4.5/5"
    assert fields["Spoilers"] == "Frankenstein (book) + Frankenstein (1931 film)"
    assert header.embed["author"]["name"] == "The bookclub-bot project"
    assert [b.label for b in header.buttons] == ["📖 I read it", "I'm reading…", "🎬 I watched it"]
    for post in posts:
        assert_within_limits(post)
        assert not post.pinged
    # The ending is behind spoiler markup for everyone until they click it.
    seen = club.text_member_sees(alice, reveal_spoilers=False)
    assert "Mary Shelley's novel and James Whale's film" in seen
    for words in SPOILER_WORDS:
        assert words not in seen
        assert words in club.text_member_sees(alice)
    thread = club.thread(header.thread.name) if header.thread else None
    assert thread is not None and "Frankenstein (book) + Frankenstein (1931 film)" in thread.name
    first = club.messages_in(thread)[0]
    assert "Spoiler scope: **Frankenstein (book) + Frankenstein (1931 film)**" in plain(first.content)
    [review] = [r for r in await store.reviews.member_reviews(club.guild.id, catalog["frank"])] or [None]
    assert review is None  # featured reviews are not members' reviews

    # The status buttons record the title reviewed.
    clicked = await alice.click(header, "📖 I read it")
    assert clicked.content == "Recorded: *Frankenstein (1818)*: read it."


def long_review(chars: int = 20_000) -> tuple[bytes, list[str], list[str]]:
    """Build a review file of about `chars` characters; return it, its open words and its secret words."""
    visible: list[str] = []
    secret: list[str] = []
    parts = ["---", "title: The Lantern Keeper", "rating: 3.5", "author: Club Organizer", "---"]
    n = 0
    while sum(len(p) for p in parts) < chars:
        n += 1
        if n % 4 == 0:
            # A spoiler section longer than one embed, so the split has to happen inside it.
            words = [f"secret{n}x{i}" for i in range(12)]
            secret.extend(words)
            body = "\n\n".join(
                f"In chapter {n} the keeper {' and '.join(words[j : j + 3])} happen at the lighthouse, "
                "which changes everything the reader believed about the harbour. " * 6
                for j in range(0, 12, 3)
            )
            parts += [":::spoiler", body, ":::"]
        else:
            word = f"open{n}word"
            visible.append(word)
            parts.append(
                f"Paragraph {n} says {word} about the novel, with [a link number {n}](https://example.org/reviews/{n}?page=2) "
                f"and `code {n}` inline. The prose is steady; the pacing in this stretch is patient and the "
                "descriptions of the sea are the best part of the book, sentence after sentence. " * 3
            )
    return "\n\n".join(parts).encode(), visible, secret


async def test_a_20000_character_review_is_posted_completely_within_limits(
    club, admin, alice, catalog, store, announcements
):
    data, visible, secret = long_review()
    assert len(data) >= 20_000
    reply = await admin.slash("review feature", file=Upload("lantern.md", data), followup_timeout=15)
    assert reply.ephemeral and "Posted the whole text" in reply.content, reply.content
    posts = club.bot_messages(announcements)
    assert len(posts) >= 4 and sum(len(p.embeds) for p in posts) >= 5
    for post in posts:
        assert_within_limits(post)
    text = "\n".join(e.get("description", "") for p in posts for e in p.embeds)
    # Every word arrives, in order; every link and code span is whole.
    positions = [text.index(w) for w in visible]
    assert positions == sorted(positions)
    for n in range(1, 200):
        if f"open{n}word" in visible:
            assert f"[a link number {n}](https://example.org/reviews/{n}?page=2)" in text
            assert f"`code {n}`" in text
    for word in secret:
        assert word in text
    # Spoiler sections never show outside the markup, in any message or embed.
    hidden = club.text_member_sees(alice, reveal_spoilers=False)
    assert all(w in hidden for w in visible)
    assert not any(w in hidden for w in secret)
    # A member's own spoiler markup cannot close the review's early: nothing in the text is unbalanced.
    for post in posts:
        for embed in post.embeds:
            assert len(re.findall(r"(?<!\\)\|\|", embed.get("description", ""))) % 2 == 0


async def test_featured_review_thread_is_gated_in_gated_mode(
    club, admin, alice, bob, catalog, store, announcements, clock
):
    discussions = club.text_channel("discussions")
    await admin.slash("club setup", spoiler_mode="gated", discussions=discussions)
    reply = await admin.slash("review feature", bundled="frankenstein-1818-and-1931.md")
    assert reply.ephemeral and "Posted" in reply.content, reply.content
    header = club.bot_messages(announcements)[0]
    assert "Join the comments" in [b.label for b in header.buttons]
    [thread] = club.threads_in(discussions)
    assert thread.type == 12 and thread.invitable is False
    assert "Frankenstein (book) + Frankenstein (1931 film)" in thread.name
    assert thread.name not in club.what_member_sees(alice).thread_names

    refused = await alice.click(header, "Join the comments")
    assert refused.ephemeral and "You need to have finished *Frankenstein*" in refused.content
    assert thread.name not in club.what_member_sees(alice).thread_names

    await alice.slash("status set", title=f"#{catalog['frank']}", state="read")
    await alice.slash("status set", title=f"#{catalog['frank_film']}", state="watched")
    # A quiet week archives the thread; joining still works.
    await clock.advance(timedelta(days=8))
    assert club.thread(thread.name).archived
    joined = await alice.click(header, "Join the comments")
    assert joined.ephemeral and "You're in" in joined.content, joined.content
    assert thread.name in club.what_member_sees(alice).thread_names
    assert thread.name not in club.what_member_sees(bob).thread_names


async def test_featured_review_comments_stay_on_the_post_when_discussions_are_a_tagged_forum(
    club, admin, catalog, store, announcements
):
    forum = club.forum_channel("book-forum", tags=["Fiction", "Film"], require_tag=True)
    saved = await admin.slash("club setup", discussions=forum, spoiler_mode="tagged", tag="Film")
    assert "will carry the tag **Film**" in saved.content
    reply = await admin.slash("review feature", bundled="frankenstein-1818-and-1931.md")
    assert reply.ephemeral and "Posted" in reply.content, reply.content
    header = club.bot_messages(announcements)[0]
    # The comment thread hangs off the review in the announcement channel, not in the forum: Discord
    # has no tags for such a thread, so the forum's "Require tags" never applies to it.
    (thread,) = [t for t in club.world.channels.values() if t.is_thread]
    assert thread.parent_id == announcements.id and thread.id == header.id
    assert thread.applied_tags == [] and club.threads_in(forum) == []
    row = await store.db.fetch_one("SELECT thread_id FROM reviews WHERE kind = 'featured'")
    assert row is not None and row["thread_id"] == thread.id


async def test_bad_featured_input_changes_nothing(club, admin, alice, catalog, store, announcements):
    before = len(club.bot_messages(announcements))
    cases = [
        ({"file": Upload("empty.md", b"")}, "is empty"),
        ({"file": Upload("big.md", b"x" * 300_000)}, "at most 256 KB"),
        ({"file": Upload("r.md", b"---\ntitle: Zzyzx Road Atlas\n---\nText.")}, "No title called"),
        ({"file": Upload("r.md", b"---\ntitle: Frankenstein\nrating: 9\n---\nText.")}, "0.5 to 5 in halves"),
        ({"bundled": "nope.md"}, "No bundled review"),
        ({}, "exactly one source"),
    ]
    for options, expected in cases:
        reply = await admin.slash("review feature", **options)
        assert reply.ephemeral and expected in reply.content, (options, reply.content)
    not_organizer = await alice.slash("review feature", bundled="frankenstein-1818-and-1931.md")
    assert not_organizer.ephemeral and "Only organizers" in not_organizer.content
    assert len(club.bot_messages(announcements)) == before
    assert await store.db.fetch_all("SELECT * FROM reviews") == []


async def write_review(member, title, rating, body, spoilers="no", channel=None):
    opened = await member.slash("review write", title=title, rating=rating, in_channel=channel)
    assert opened.modal is not None, opened.content
    return await member.submit_modal(opened, {"body": body, "spoilers": spoilers})


async def test_member_reviews_replacement_double_submission_and_deletion(
    club, alice, bob, admin, catalog, store
):
    general = club.default_channel
    posted = await write_review(
        alice, "Pride and Prejudice", 4, "A chilling, sad book. The creature is the heart of it."
    )
    assert posted.ephemeral and "Posted your review of *Pride and Prejudice (1813)*" in posted.content, (
        posted.content
    )
    [message] = posts(club, general)
    assert message.embed["author"]["name"] == "alice rated it"
    assert {f["name"]: f["value"] for f in message.embed["fields"]}["Rating"] == "★★★★☆ 4/5"

    # The same text again (a second paste) is recognised and not posted twice.
    again = await write_review(
        alice, "Pride and Prejudice", 4, "A chilling, sad book.  The creature is the heart of it."
    )
    assert "already posted this review" in again.content
    assert len(posts(club, general)) == 1

    # A different text offers to replace the first; keeping changes nothing.
    second = await write_review(alice, "Pride and Prejudice", 3.5, "On reflection the middle drags.")
    assert "Replace that review with this one?" in second.content
    kept = await alice.click(second.message, "Keep the first one")
    assert "Kept your first review" in kept.content
    third = await write_review(
        alice, "Pride and Prejudice", 3.5, "On reflection the middle drags.", spoilers="yes"
    )
    replaced = await alice.click(third.message, "Replace my review")
    assert "Replaced your review" in replaced.content, replaced.content
    [message] = posts(club, general)
    assert message.edited and "On reflection" in message.embed["description"]
    assert "On reflection" not in club.text_member_sees(bob, reveal_spoilers=False)
    mine = await store.reviews.of_member(club.guild.id, catalog["pride"], alice.id)
    assert mine is not None and mine.rating == 3.5 and mine.spoiler
    assert await store.reviews.ratings(club.guild.id, catalog["pride"]) == [3.5]

    # Editing changes it in place; deleting removes the post and the row.
    opened = await alice.slash("review edit", title="Pride and Prejudice")
    edited = await alice.submit_modal(
        opened, {"rating": "5", "body": "Best book of the year.", "spoilers": "no"}
    )
    assert "Updated your review" in edited.content, edited.content
    [message] = posts(club, general)
    assert "Best book of the year." in message.embed["description"]
    gone = await alice.slash("review delete", title="Pride and Prejudice")
    assert "Deleted your review" in gone.content
    assert posts(club, general) == []
    assert await store.reviews.of_member(club.guild.id, catalog["pride"], alice.id) is None

    # Organizers may remove anyone's; members may not.
    await write_review(bob, "Pride and Prejudice", 2, "Not for me.")
    denied = await alice.slash("review remove", title="Pride and Prejudice", member=bob)
    assert "Only organizers" in denied.content
    removed = await admin.slash("review remove", title="Pride and Prejudice", member=bob)
    assert "Removed" in removed.content and posts(club, general) == []


async def test_double_click_submission_posts_once(club, alice, catalog, store):
    import asyncio

    opened = await alice.slash("review write", title="Pride and Prejudice", rating=4.5)
    values = {"body": "Submitted twice by a double click.", "spoilers": "no"}
    first, second = await asyncio.gather(
        alice.submit_modal(opened, values), alice.submit_modal(opened, values)
    )
    answers = sorted([first.content, second.content])
    assert any("Posted your review" in a for a in answers) and any("already posted" in a for a in answers), (
        answers
    )
    assert len(posts(club, club.default_channel)) == 1


async def test_bad_member_input_is_explained(club, alice, catalog, store):
    out_of_range = await alice.slash("review write", title="Pride and Prejudice", rating=7)
    assert out_of_range.ephemeral and out_of_range.modal is None and "0.5 to 5 stars" in out_of_range.content
    unknown = await alice.slash("review write", title="Zzyzx Road Atlas", rating=3)
    assert unknown.ephemeral and "No title called" in unknown.content
    nothing = await alice.slash("review delete", title="Pride and Prejudice")
    assert "You have no review" in nothing.content
    assert posts(club, club.default_channel) == []
    assert await store.db.fetch_all("SELECT * FROM reviews") == []


async def test_list_shows_average_count_and_pages(club, alice, catalog, store, harness):
    members = [club.member(f"reader{i}") for i in range(7)]
    for i, member in enumerate(members):
        await write_review(
            member, "Pride and Prejudice", 3 + (i % 3) * 0.5, f"Review number {i} by a reader."
        )
    listed = await alice.slash("review list", title="Pride and Prejudice")
    assert listed.ephemeral
    assert plain(listed.embed["description"]).startswith("★★★½☆ 3.5/5 (average 3.43 from 7 ratings)")
    assert "Page 1 of 2" in listed.embed["footer"]["text"]
    assert len(listed.embed["fields"]) == 5
    await harness.restart()
    older = await alice.click(listed.message, "Older ▶")
    assert "Page 2 of 2" in older.message.embed["footer"]["text"]
    assert len(older.message.embed["fields"]) == 2


async def test_imported_ratings_count_in_the_average_and_a_written_review_replaces_them(
    club, alice, bob, catalog, store
):
    # Goodreads: alice rated Pride and Prejudice 5 stars.
    preview = await alice.slash("status import", file=Upload("goodreads.csv", GOODREADS))
    assert "ratings, which count in the club's averages" in preview.content
    done = await alice.click(preview.message, "Import these")
    assert "ratings" in done.content, done.content
    # Letterboxd's ratings.csv (refused before): bob rated the 1931 Frankenstein.
    ratings_csv = (
        b"Date,Name,Year,Letterboxd URI,Rating\n2024-05-01,Frankenstein,1931,https://boxd.it/x,3.5\n"
    )
    preview = await bob.slash("status import", file=Upload("ratings.csv", ratings_csv))
    done = await bob.click(preview.message, "Import these")
    assert done.content.startswith("Imported 1 statuses and 1 ratings"), done.content

    await write_review(bob, "Pride and Prejudice", 3, "Witty, and the ending is earned.")
    listed = await bob.slash("review list", title="Pride and Prejudice")
    assert plain(listed.embed["description"]).startswith("★★★★☆ 4/5 (average 4.00 from 2 ratings)")
    assert "1 written review, 1 rating imported from other sites" in listed.embed["description"]
    film = await bob.slash("review list", title=f"#{catalog['frank_film']}")
    assert plain(film.embed["description"]).startswith("★★★½☆ 3.5/5 (average 3.50 from 1 rating)")

    # alice's written review replaces her imported rating: still one rating from her.
    await write_review(alice, "Pride and Prejudice", 4, "Even better the second time.")
    assert sorted(await store.reviews.ratings(club.guild.id, catalog["pride"])) == [3.0, 4.0]


async def test_club_history_lists_finished_titles_with_ratings(
    club, admin, alice, bob, catalog, store, clock
):

    empty = await alice.slash("club history")
    assert "Nothing yet" in empty.embed["description"]
    await admin.slash("book current", book="Pride and Prejudice")
    await write_review(alice, "Pride and Prejudice", 4, "Sharp.")
    await write_review(bob, "Pride and Prejudice", 5, "Sharper.")
    await clock.advance(timedelta(days=30))
    # Choosing the next book records that the club finished the one before.
    await admin.slash("book current", book="Frankenstein", adaptation=f"#{catalog['frank_film']}")
    await clock.advance(timedelta(days=30))
    finished = await admin.slash("book finish")
    assert "the club finished *Frankenstein (1818)* and *Frankenstein (1931)*" in finished.content, (
        finished.content
    )
    denied = await alice.slash("book finish", title="Nosferatu")
    assert "Only organizers" in denied.content
    history = await alice.slash("club history")
    lines = plain(history.embed["description"]).splitlines()
    assert len(lines) == 3
    assert "*Pride and Prejudice (1813)* · ★★★★½ 4.5/5 from 2 ratings" in lines[-1]
    assert "*Frankenstein (1818)* · no ratings yet" in "\n".join(lines[:2])
    recorded = await store.reviews.finished(club.guild.id)
    assert recorded[-1].finished_at == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


async def test_review_form_and_replace_buttons_work_after_a_restart(club, alice, catalog, harness):
    opened = await alice.slash("review write", title="Pride and Prejudice", rating=4)
    await harness.restart()
    posted = await alice.submit_modal(opened, {"body": "Written before the restart.", "spoilers": "no"})
    assert "Posted your review" in posted.content, posted.content
    second = await write_review(alice, "Pride and Prejudice", 2, "Changed my mind.")
    await harness.restart()
    replaced = await alice.click(second.message, "Replace my review")
    assert "Replaced your review" in replaced.content, replaced.content
    [message] = posts(club, club.default_channel)
    assert "Changed my mind." in message.embed["description"]
    assert (await harness.store.reviews.ratings(club.guild.id, catalog["pride"])) == [2.0]
    assert second.message.buttons == []  # the choice is made: the buttons are gone
