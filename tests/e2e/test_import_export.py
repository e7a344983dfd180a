"""`/status import` (Goodreads, StoryGraph, Letterboxd), `/status export` and `/privacy forget`."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from markdown_view import rendered

from bot.domain import State
from bot.store import IMPORT_PREVIEW_TTL
from cogs.status._imports import EXPIRED
from fakediscord import Upload

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def upload(name: str) -> Upload:
    return Upload(name, (FIXTURES / name).read_bytes(), "text/csv")


async def states(store, club, member) -> dict[int, State]:
    return {w: s.state for w, s in (await store.statuses.for_member(club.guild.id, member.id)).items()}


async def test_goodreads_import_previews_then_lands_exactly_the_matched_rows(club, alice, catalog, store):
    preview = await alice.slash("status import", file=upload("goodreads.csv"))
    assert preview.ephemeral
    assert len(club.cdn_downloads) == 1  # downloaded once, from Discord's CDN
    fields = {f["name"]: rendered(f["value"]) for f in preview.embed["fields"]}
    will = next(v for k, v in fields.items() if k.startswith("Will record"))
    assert "Pride and Prejudice (1813): read it" in will
    assert "Frankenstein (1818): reading" in will
    assert "The Lantern Keeper (2021): read it" in will
    assert any(k.startswith("Not in the club's catalog") and "Moby-Dick" in v for k, v in fields.items())
    assert await states(store, club, alice) == {}  # nothing before confirming

    done = await alice.click(preview.message, "Import these")
    assert rendered(done.content).startswith("Imported 3 statuses")
    assert await states(store, club, alice) == {
        catalog["pride"]: State.READ,
        catalog["frank"]: State.READING,
        catalog["lantern"]: State.READ,
    }
    history = await store.statuses.history(club.guild.id, alice.id)
    assert {c.source for c in history} == {"import"}
    pride = next(c for c in history if c.work_id == catalog["pride"])
    assert pride.changed_at.date().isoformat() == "2024-03-14"  # the "Date Read" from the export


async def test_storygraph_import(club, alice, catalog, store):
    preview = await alice.slash("status import", file=upload("storygraph.csv"))
    assert "StoryGraph" in preview.embed["title"]
    await alice.click(preview.message, "Import these")
    assert await states(store, club, alice) == {
        catalog["pride"]: State.READ,
        catalog["frank"]: State.READING,
        catalog["lantern"]: State.DNF,
    }


@pytest.mark.parametrize("name", ["letterboxd_watched.csv", "letterboxd_diary.csv"])
async def test_letterboxd_csv_import(club, alice, catalog, store, name):
    preview = await alice.slash("status import", file=upload(name))
    assert "Letterboxd" in preview.embed["title"]
    await alice.click(preview.message, "Import these")
    got = await states(store, club, alice)
    if name == "letterboxd_watched.csv":
        # Frankenstein (1931) and The Lantern Keeper (2023) are the club's films; the books stay untouched.
        assert got == {
            catalog["nosferatu"]: State.WATCHED,
            catalog["frank_film"]: State.WATCHED,
            catalog["lantern_film"]: State.WATCHED,
        }
    else:  # the diary names only Nosferatu (1922) of the club's films; its 2024 remake is not in the catalog
        assert got == {catalog["nosferatu"]: State.WATCHED}


async def test_letterboxd_zip_import(club, alice, catalog, store):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.write(FIXTURES / "letterboxd_watched.csv", "watched.csv")
        zf.write(FIXTURES / "letterboxd_diary.csv", "diary.csv")
        zf.writestr("profile.csv", "Date Joined,Username\n2020-01-01,alice\n")
    preview = await alice.slash(
        "status import", file=Upload("letterboxd-alice-2026.zip", buffer.getvalue(), "application/zip")
    )
    await alice.click(preview.message, "Import these")
    assert await states(store, club, alice) == {
        catalog["nosferatu"]: State.WATCHED,
        catalog["frank_film"]: State.WATCHED,
        catalog["lantern_film"]: State.WATCHED,
    }


async def test_import_never_downgrades_and_can_be_cancelled(club, alice, catalog, store):
    await alice.slash("status set", title=f"#{catalog['frank']}", state="read")
    preview = await alice.slash("status import", file=upload("goodreads.csv"))
    fields = {f["name"]: rendered(f["value"]) for f in preview.embed["fields"]}
    unchanged = next(v for k, v in fields.items() if k.startswith("Unchanged"))
    assert "you already marked it read it" in unchanged
    cancelled = await alice.click(preview.message, "Cancel")
    assert rendered(cancelled.content) == "Import cancelled: nothing was changed."
    assert await states(store, club, alice) == {catalog["frank"]: State.READ}


@pytest.mark.parametrize(
    ("upload_file", "expected"),
    [
        (Upload("cover.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png"), "not"),
        (Upload("notes.csv", b"title,notes\nDune,great\n", "text/csv"), "doesn't look like"),
        (Upload("empty.csv", b"", "text/csv"), "empty"),
        (Upload("broken.zip", b"PK\x03\x04 this is not really a zip", "application/zip"), "zip"),
    ],
)
async def test_bad_files_change_nothing_and_say_why(club, alice, catalog, store, upload_file, expected):
    reply = await alice.slash("status import", file=upload_file)
    assert reply.ephemeral
    assert expected in reply.content.lower(), rendered(reply.content)
    assert await states(store, club, alice) == {}


async def test_a_20_mb_upload_is_refused_before_downloading(club, alice, catalog, store):
    big = Upload("goodreads_library_export.csv", b"x" * (20 * 1024 * 1024), "text/csv")
    reply = await alice.slash("status import", file=big)
    assert (
        reply.ephemeral and "20.0 MB" in rendered(reply.content) and "at most 5 MB" in rendered(reply.content)
    )
    assert club.cdn_downloads == []  # the bot never downloaded it
    assert await states(store, club, alice) == {}


async def test_someone_else_cannot_confirm_my_import(club, alice, bob, catalog, store):
    preview = await alice.slash("status import", file=upload("goodreads.csv"))
    # The preview is ephemeral, so bob cannot even see it; the button itself also checks.
    with pytest.raises(AssertionError):
        await bob.click(preview.message, "Import these")
    assert await states(store, club, bob) == {}


async def test_export_gives_my_records_as_csv(club, alice, catalog, store):
    await alice.slash("status set", title=f"#{catalog['lantern']}", state="reading", progress="10")
    await alice.slash("status set", title=f"#{catalog['lantern']}", state="read")
    reply = await alice.slash("status export")
    assert reply.ephemeral
    names = [a["filename"] for a in reply.message.attachments]
    assert names == ["statuses.csv", "status_history.csv"]
    current = list(csv.DictReader(io.StringIO(reply.message.attachment_bytes(0).decode())))
    assert [(r["title"], r["kind"], r["state"]) for r in current] == [("The Lantern Keeper", "book", "read")]
    history = list(csv.DictReader(io.StringIO(reply.message.attachment_bytes(1).decode())))
    assert [(r["state"], r["progress_value"], r["source"]) for r in history] == [
        ("reading", "10", "command"),
        ("read", "", "command"),
    ]


async def test_export_with_nothing_recorded_says_so(club, alice, catalog):
    reply = await alice.slash("status export")
    assert reply.ephemeral and "no statuses" in rendered(reply.content)


async def test_privacy_forget_asks_then_deletes_only_my_data(club, alice, bob, catalog, store):
    await alice.slash("status set", title=f"#{catalog['pride']}", state="read")
    await bob.slash("status set", title=f"#{catalog['pride']}", state="read")
    ask = await alice.slash("privacy forget")
    assert ask.ephemeral and "1 reading/watching statuses" in rendered(ask.content)
    cancelled = await alice.click(ask.message, "Cancel")
    assert "nothing was deleted" in rendered(cancelled.content)
    assert await states(store, club, alice) == {catalog["pride"]: State.READ}

    ask = await alice.slash("privacy forget")
    done = await alice.click(ask.message, "Yes, delete my data")
    assert rendered(done.content).startswith("Done.")
    assert (await store.privacy.count(alice.id)).total == 0
    assert await states(store, club, bob) == {catalog["pride"]: State.READ}
    again = await alice.slash("privacy forget")
    assert "I store nothing about you" in rendered(again.content)


async def test_import_is_all_or_nothing_when_the_catalog_changed(club, alice, catalog, store):
    preview = await alice.slash("status import", file=upload("goodreads.csv"))
    await store.catalog.remove(club.guild.id, catalog["lantern"])  # gone between preview and confirm
    failed = await alice.click(preview.message, "Import these")
    assert failed.ephemeral and "catalog changed since this preview" in rendered(failed.content)
    assert await states(store, club, alice) == {}


async def test_a_preview_survives_a_restart_and_confirms_after_it(club, alice, catalog, store, harness):
    preview = await alice.slash("status import", file=upload("goodreads.csv"))
    await harness.restart()  # the preview is in the database, not in the process that showed it
    done = await alice.click(preview.message, "Import these")
    assert rendered(done.content).startswith("Imported 3 statuses"), rendered(done.content)
    assert await states(harness.store, club, alice) == {
        catalog["pride"]: State.READ,
        catalog["frank"]: State.READING,
        catalog["lantern"]: State.READ,
    }


async def test_import_pressed_twice_at_once_records_once(club, alice, catalog, store):
    preview = await alice.slash("status import", file=upload("goodreads.csv"))
    first, second = await asyncio.gather(
        alice.click(preview.message, "Import these"), alice.click(preview.message, "Import these")
    )
    # Both presses edit the one ephemeral preview; it ends saying what was recorded, with no error.
    for answer in (first, second):
        assert "imported 3 statuses and 2 ratings" in rendered(answer.content).lower(), rendered(
            answer.content
        )
    history = await store.statuses.history(club.guild.id, alice.id)
    assert len(history) == 3  # one change per title, not two
    rated = await store.db.fetch_all(
        "SELECT work_id FROM reviews WHERE author_id = ? AND guild_id = ?", (alice.id, club.guild.id)
    )
    assert len(rated) == 2
    row = await store.db.fetch_one("SELECT imported_statuses, imported_ratings FROM import_previews")
    assert row is not None and (row[0], row[1]) == (3, 2)


async def test_an_expired_preview_is_refused_and_purged(club, alice, catalog, store, clock):
    preview = await alice.slash("status import", file=upload("goodreads.csv"))
    await clock.advance(IMPORT_PREVIEW_TTL + timedelta(seconds=1))
    refused = await alice.click(preview.message, "Import these")
    assert refused.ephemeral
    assert rendered(refused.content) == rendered(EXPIRED)
    assert await states(store, club, alice) == {}
    assert await store.db.fetch_all("SELECT token FROM import_previews") == []


async def test_forget_erases_a_pending_preview(club, alice, bob, catalog, store):
    preview = await alice.slash("status import", file=upload("goodreads.csv"))
    await bob.slash("status import", file=upload("goodreads.csv"))
    ask = await alice.slash("privacy forget")
    assert "1 status-import previews" in rendered(ask.content), rendered(ask.content)
    await alice.click(ask.message, "Yes, delete my data")
    rows = await store.db.fetch_all("SELECT user_id FROM import_previews")
    assert [r["user_id"] for r in rows] == [bob.id]  # only alice's preview went
    refused = await alice.click(preview.message, "Import these")
    assert "expired" in rendered(refused.content)
    assert await states(store, club, alice) == {}
