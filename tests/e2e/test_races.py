"""Races and retries end in clear answers: nothing half-done, nothing logged as a bug, nothing posted twice."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from markdown_view import rendered

from bot.domain import ProgressUnit, State, WorkKind
from bot.store import NewWork, ShorterThanProgress, StatusRejected, StatusUpdate
from fakediscord import Upload

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
WEBHOOK_EDIT = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_ref}"
WEBHOOK_POST = "/webhooks/{webhook_id}/{webhook_token}"


async def test_store_never_lets_a_chapter_count_drop_below_progress(club, catalog, store):
    guild, lantern = club.guild.id, catalog["lantern"]  # 30 chapters
    await store.statuses.set(
        guild, 1, StatusUpdate(lantern, State.READING, ProgressUnit.CHAPTER, 25), source="t"
    )
    with pytest.raises(ShorterThanProgress):
        await store.catalog.update(guild, lantern, {"chapters": 20})
    await store.catalog.update(guild, lantern, {"chapters": 26})
    with pytest.raises(StatusRejected) as rejected:
        await store.statuses.set(
            guild, 2, StatusUpdate(lantern, State.READING, ProgressUnit.CHAPTER, 27), source="t"
        )
    assert not rejected.value.gone
    await store.catalog.remove(guild, lantern)
    with pytest.raises(StatusRejected) as gone:
        await store.statuses.set(guild, 2, StatusUpdate(lantern, State.READ), source="t")
    assert gone.value.gone


async def test_book_edit_racing_progress_never_leaves_progress_past_the_end(
    club, admin, catalog, store, error_log
):
    guild, lantern = club.guild.id, catalog["lantern"]
    members = [club.member(f"reader{n}") for n in range(6)]
    for round_ in range(4):
        await store.catalog.update(guild, lantern, {"chapters": 30})
        async with store.db.transaction() as tx:
            await tx.execute("DELETE FROM statuses WHERE work_id = ?", (lantern,))
        edit = admin.slash("book edit", title=f"#{lantern}", chapters=10 + round_)
        sets = [
            m.slash("status set", title=f"#{lantern}", state="reading", progress=str(20 + n))
            for n, m in enumerate(members)
        ]
        replies = await asyncio.gather(edit, *sets)
        for reply in replies:
            text = rendered(reply.content)
            assert reply.ephemeral and (
                "Saved" in text
                or "Recorded" in text
                or "already at" in text
                or "past" in text
                or "shortened" in text
            ), text
        work = await store.catalog.get(guild, lantern)
        furthest = await store.statuses.furthest_progress(guild, lantern, ProgressUnit.CHAPTER)
        assert work is not None and work.chapters is not None
        assert furthest is None or furthest <= work.chapters, (round_, furthest, work.chapters)
    assert error_log.records == []


async def test_clicks_racing_book_remove_say_the_title_is_gone(
    club, admin, announcements, catalog, store, error_log
):
    await admin.slash("book current", book=f"#{catalog['pride']}")
    post = club.bot_messages(announcements)[-1]
    ask = await admin.slash("book remove", title=f"#{catalog['pride']}")
    members = [club.member(f"clicker{n}") for n in range(8)]
    results = await asyncio.gather(
        admin.click(ask.message, "Remove it"), *(m.click(post, "📖 I read it") for m in members)
    )
    for reply in results[1:]:
        text = rendered(reply.content)
        assert reply.ephemeral and (
            text.startswith("Recorded") or "no longer in the club's catalog" in text
        ), text
    assert await store.catalog.get(club.guild.id, catalog["pride"]) is None
    assert await store.statuses.for_work(club.guild.id, catalog["pride"]) == []
    assert error_log.records == []  # no foreign-key failure logged as a bug
    late = await members[0].click(post, "📖 I read it")
    assert "no longer in the club's catalog" in rendered(late.content)


async def test_pressing_import_again_after_a_lost_answer_says_it_was_imported(club, alice, catalog, store):
    data = (FIXTURES / "goodreads.csv").read_bytes()
    preview = await alice.slash("status import", file=Upload("goodreads.csv", data, "text/csv"))
    # The import lands, but neither its answer nor the error report reaches the member.
    club.fail("PATCH", WEBHOOK_EDIT, status=404, body={"message": "Unknown Message", "code": 10008})
    club.fail("POST", WEBHOOK_POST, status=404, body={"message": "Unknown Webhook", "code": 10015})
    with pytest.raises(AssertionError, match="sent nothing"):
        await alice.click(preview.message, "Import these", followup_timeout=1.0)
    assert len(await store.statuses.for_member(club.guild.id, alice.id)) == 3

    again = await alice.click(preview.message, "Import these")
    assert rendered(again.content).startswith("Already imported 3 statuses")
    history = await store.statuses.history(club.guild.id, alice.id)
    assert len(history) == 3  # recorded once


@contextlib.asynccontextmanager
async def another_writer_holds_the_statuses(harness) -> AsyncIterator[None]:
    """Hold the statuses for writing from another connection (process), on either backend."""
    url = harness.production_settings.database_url
    if url is None:
        other = sqlite3.connect(harness.db_path, timeout=0.1)
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.rollback()
            other.close()
        return
    conn = await asyncpg.connect(url.get())
    try:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("LOCK TABLE statuses IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            await tx.rollback()
    finally:
        await conn.close()


async def test_a_busy_database_does_not_use_up_the_import_preview(club, alice, catalog, store, harness):
    data = (FIXTURES / "goodreads.csv").read_bytes()
    preview = await alice.slash("status import", file=Upload("goodreads.csv", data, "text/csv"))
    # Another process holds the write lock past the bot's busy timeout (5 s).
    async with another_writer_holds_the_statuses(harness):
        busy = await alice.click(preview.message, "Import these", followup_timeout=10.0)
    assert "nothing was imported" in rendered(busy.text) and "again" in rendered(busy.text)
    assert await store.statuses.for_member(club.guild.id, alice.id) == {}

    done = await alice.click(preview.message, "Import these")
    assert rendered(done.content).startswith("Imported 3 statuses")


async def test_book_current_answers_before_a_slow_post_and_posts_once(club, admin, announcements, catalog):
    club.slow("POST", "/channels/{channel_id}/messages", 4.0)
    reply = await admin.slash("book current", book=f"#{catalog['frank']}", followup_timeout=10.0)
    assert reply.ephemeral and "now on *Frankenstein (1818)*" in rendered(reply.text)
    posts = [m for m in club.bot_messages(announcements) if m.embeds]
    assert len(posts) == 1


async def test_book_current_on_a_rate_limited_channel_posts_once(club, admin, alice, announcements, catalog):
    club.ratelimiter.enabled = True
    club.ratelimiter.overrides[("POST", "/channels/{channel_id}/messages")] = (1, 3.0)
    first = await admin.slash("book current", book=f"#{catalog['frank']}")
    second = await admin.slash("book current", book=f"#{catalog['pride']}", followup_timeout=10.0)
    assert "Frankenstein" in rendered(first.text) and "Pride and Prejudice" in rendered(second.text)
    titles = [m.embeds[0]["title"] for m in club.bot_messages(announcements) if m.embeds]
    assert [rendered(t) for t in titles] == [
        "Now reading: Frankenstein (1818)",
        "Now reading: Pride and Prejudice (1813)",
    ]


async def test_setting_progress_past_a_shortened_book_is_refused_clearly(club, admin, alice, catalog, store):
    guild, lantern = club.guild.id, catalog["lantern"]
    # The work as the member's command read it had 30 chapters; the write sees the new length.
    await store.catalog.update(guild, lantern, {"chapters": 12})
    reply = await alice.slash("status set", title=f"#{lantern}", state="reading", progress="20")
    assert "past the end" in rendered(reply.content) or "shortened" in rendered(reply.content)
    assert await store.statuses.for_member(guild, alice.id) == {}
    work = await store.catalog.add(guild, NewWork(WorkKind.BOOK, "Short Book", chapters=3))
    ok = await alice.slash("status set", title=f"#{work}", state="reading", progress="3")
    assert rendered(ok.content).startswith("Recorded")
