"""The permission matrix: every slash command of the bot x member, organizer, server admin, former organizer.

Generated from the command tree: a command carrying the `organizer_only()` check must refuse members
and organizers who lost the role, and let organizers and admins through; every other command must
refuse nobody. Its description must say "(organizers)" exactly when it carries the check. A new command is in the matrix without a new test.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from live_club import LeafCommand, LiveClub, live_club, offline_commands
from markdown_view import rendered

from bot.domain import WorkKind
from bot.store import NewWork
from fakediscord import Upload

pytestmark = pytest.mark.asyncio(loop_scope="module")

COMMANDS = offline_commands()
ROLES = ("member", "organizer", "admin", "former organizer")
ALLOWED = {"organizer", "admin"}
REFUSAL = "Only organizers"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "goodreads.csv"
_serial = itertools.count(1)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveClub]:
    async with live_club(tmp_path_factory.mktemp("matrix") / "bookclub.sqlite3") as running:
        yield running


async def option_value(live: LiveClub, option: dict[str, Any]) -> Any:
    """Return a valid value for an option, creating what it names (a fresh book, a suggestion)."""
    n = next(_serial)
    guild = live.club.guild.id
    kind, name = option["type"], option["name"]
    if option.get("choices"):
        return option["choices"][0]["value"]
    if kind == 3 and name == "suggestion":
        work = await live.store.catalog.add(
            guild, NewWork(WorkKind.BOOK, f"Suggested {n}"), approved=False, suggested_by=1
        )
        return f"#{work}"
    if kind == 3 and option.get("autocomplete"):
        work = await live.store.catalog.add(guild, NewWork(WorkKind.BOOK, f"Matrix book {n}", chapters=10))
        return f"#{work}"
    if kind == 3:
        return {"progress": "1", "timezone": "Europe/Paris", "parts": "One: 1"}.get(
            name, f"Matrix {name} {n}"
        )
    if kind == 4:
        return 2000 if name == "year" else max(int(option.get("min_value", 1)), 1)
    if kind == 10:
        return float(option.get("min_value", 1))
    if kind == 5:
        return False
    if kind == 6:
        return live.actors["member"]
    if kind == 7:
        return live.channels["announcements"]
    if kind == 8:
        return live.roles["organizers"]
    if kind == 11:
        return Upload("goodreads.csv", FIXTURE.read_bytes(), "text/csv")
    raise AssertionError(f"no value for option type {kind}")


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.path)
async def test_permission_matrix(live: LiveClub, command: LeafCommand, who: str) -> None:
    options = {o["name"]: await option_value(live, o) for o in command.options if o.get("required")}
    before = len(live.errors.records)
    reply = await live.actors[who].slash(command.path, options=options, followup_timeout=10.0)
    text = rendered(reply.text)
    refused = REFUSAL in text
    if command.organizers_only and who not in ALLOWED:
        assert refused and reply.ephemeral, f"/{command.path} let a {who} through: {text!r}"
    else:
        assert not refused, f"/{command.path} refused a {who}: {text!r}"
    assert live.errors.records[before:] == []
    assert live.club.violations == []


async def test_descriptions_say_organizers_exactly_where_the_check_is() -> None:
    assert [c.path for c in COMMANDS if c.says_organizers != c.organizers_only] == []


async def test_matrix_covers_every_command() -> None:
    assert {c.path for c in COMMANDS} >= {"book add", "status set", "privacy forget", "club setup"}
    assert any(c.organizers_only for c in COMMANDS) and not all(c.organizers_only for c in COMMANDS)
