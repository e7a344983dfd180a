"""`/privacy forget` through Discord: backups are mentioned, and an earlier import preview dies with the data."""

from __future__ import annotations

from pathlib import Path

from markdown_view import rendered

from fakediscord import Upload

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


async def test_an_import_preview_made_before_forget_cannot_be_confirmed_after(club, alice, catalog, store):
    data = (FIXTURES / "goodreads.csv").read_bytes()
    preview = await alice.slash("status import", file=Upload("goodreads.csv", data, "text/csv"))
    await alice.slash("status set", title=f"#{catalog['pride']}", state="read")
    ask = await alice.slash("privacy forget")
    assert "Backups" in rendered(ask.content)
    done = await alice.click(ask.message, "Yes, delete my data")
    assert rendered(done.content).startswith("Done.") and "Backups" in rendered(done.content)

    late = await alice.click(preview.message, "Import these")
    assert late.ephemeral and "expired" in rendered(late.content)
    assert await store.statuses.for_member(club.guild.id, alice.id) == {}
    assert (await store.privacy.count(alice.id)).total == 0
