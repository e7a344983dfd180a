"""Replies that used to run past Discord's 2,000 characters (and so never arrived) now fit.

Both tests failed on main: Discord refused the reply (50035), so the member got no answer at all.
"""

from __future__ import annotations

import re

from markdown_view import rendered

from bot.domain import WorkKind
from bot.store import NewWork
from bot.text import LIMITS

# Every character escaping doubles, and a masked link and a ping for good measure: 200 characters.
MARKUP = "*_~|`>[x](https://e.example)#:<-" * 6


async def test_approving_a_mistyped_name_while_ten_long_suggestions_wait(club, admin, alice, catalog):
    for n in range(10):
        title = f"{n} {MARKUP}"[:200]
        suggested = await alice.slash("book suggest", title=title)
        assert len(suggested.content) <= LIMITS.content
    reply = await admin.slash("book approve", suggestion="Middlemarsh")
    assert reply.ephemeral
    assert len(reply.content) <= LIMITS.content
    assert rendered(reply.content).startswith("No waiting suggestion called `Middlemarsh`. Waiting: ")
    assert not re.search(r"(?<!\\)\]\(https://", reply.content)  # a masked link in a title never renders


async def test_ambiguous_title_among_markdown_heavy_titles(club, alice, catalog, store):
    for n in range(8):
        title = f"Shared {MARKUP}"[:195] + f" {n}"
        await store.catalog.add(club.guild.id, NewWork(WorkKind.BOOK, title, "Ann Author", 2000 + n))
    reply = await alice.slash("status who", title="Shared")
    assert reply.ephemeral
    assert len(reply.content) <= LIMITS.content
    assert "matches several titles" in reply.content or "Did you mean" in reply.content, reply.content
    assert not re.search(r"(?<!\\)\]\(https://", reply.content)
    # The echo of what was typed stays one closed code span, whatever it holds.
    tricky = await alice.slash("status who", title="Shared ``` *x* `")
    assert len(tricky.content) <= LIMITS.content
    assert "`Shared ˋˋˋ *x* ˋ`" in tricky.content
    assert len(re.findall(r"(?<!\\)`", tricky.content)) == 2  # titles' own backticks are escaped
