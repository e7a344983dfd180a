"""Property-based fuzzing: every slash command, random option values within Discord's types and limits.

Whatever a member (or organizer, or admin) sends, the bot answers within Discord's deadline (the
emulator fails the action otherwise), logs no unhandled error, and sends nothing that breaks Discord's
spec. One emulator and one bot serve the whole module; examples are bounded to keep CI short.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from fakediscord import Upload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_club import LeafCommand, LiveClub, live_club, offline_commands

from bot.domain import WorkKind
from bot.store import NewWork

pytestmark = pytest.mark.asyncio(loop_scope="module")

COMMANDS = offline_commands()
EXAMPLES_PER_COMMAND = 30
# Text a hostile member would type: markdown, mentions, masked links, zero-width and RTL characters.
NASTY = [
    "@everyone",
    "<@&1>",
    "<@1>",
    "[x](https://evil.example)",
    "||",
    "```",
    "`",
    "*_~",
    "\u200b",
    "\u202e",
    "#1",
    "  ",
    ":",
    " - ",
    "(a)",
    "é",
]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
WORDS = ["Frankenstein", "Pride", "Dune", "Shared", "ch 3", "45%"]
PIECES = st.one_of(TEXT, st.sampled_from(NASTY), st.sampled_from(WORDS))
# Titles that escaping doubles, so any reply listing several of them is long.
MARKUP = "*_~|`>[x](https://e.example)#:<-" * 7


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveClub]:
    async with live_club(tmp_path_factory.mktemp("fuzz") / "bookclub.sqlite3") as running:
        guild = running.club.guild.id
        for title, chapters in (("Frankenstein", 24), ("Pride and Prejudice", 61), ("Dune", None)):
            await running.store.catalog.add(
                guild, NewWork(WorkKind.BOOK, title, "Some Author", chapters=chapters)
            )
        await running.store.catalog.add(guild, NewWork(WorkKind.FILM, "Frankenstein", "A Director", 1931))
        for n in range(8):
            title = f"Shared {MARKUP}"[:195] + f" {n}"
            await running.store.catalog.add(guild, NewWork(WorkKind.BOOK, title, "Some Author", 2000 + n))
            await running.store.catalog.add(
                guild, NewWork(WorkKind.BOOK, f"{n} {MARKUP}"[:200]), approved=False, suggested_by=1
            )
        yield running


def text_option(option: dict[str, Any]) -> st.SearchStrategy[str]:
    """Text within the option's length limits (Discord's 6,000 when it sets none)."""
    low, high = option.get("min_length", 0), option.get("max_length", 6000)
    joined = st.lists(PIECES, max_size=8).map("".join)
    long = st.builds(lambda piece, n: (piece or "x") * n, PIECES, st.integers(1, high))
    picked = st.integers(1, 40).map(lambda n: f"#{n}")
    text = st.one_of(joined, long, picked).map(lambda s: s[:high])
    return text.filter(lambda s: len(s) >= max(low, 1))


def option_strategy(live: LiveClub, option: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values Discord would accept for one option definition."""
    kind = option["type"]
    if option.get("choices"):
        return st.sampled_from([c["value"] for c in option["choices"]])
    if kind == 3:
        return text_option(option)
    if kind == 4:
        low = int(option.get("min_value", -(2**53)))
        high = int(option.get("max_value", 2**53))
        return st.one_of(st.integers(low, high), st.sampled_from([low, high]))
    if kind == 10:
        return st.floats(option.get("min_value", -1e9), option.get("max_value", 1e9), allow_nan=False)
    if kind == 5:
        return st.booleans()
    if kind == 6:
        return st.sampled_from(list(live.actors.values()))
    if kind == 7:
        allowed = option.get("channel_types")
        fitting = [c for c in live.channels.values() if allowed is None or c.type in allowed]
        return st.sampled_from(fitting) if fitting else st.nothing()
    if kind == 8:
        return st.sampled_from(list(live.roles.values()))
    if kind == 11:
        name = st.sampled_from(["goodreads.csv", "diary.csv", "export.zip", "x.png", "a`b\n.csv"])
        header = st.sampled_from(
            [b"Book Id,Title,Author,Exclusive Shelf\n", b"Name,Year\n", b"PK\x03\x04", b""]
        )
        body = st.binary(max_size=600)
        return st.builds(lambda n, h, b: Upload(n, h + b, "text/csv"), name, header, body)
    raise AssertionError(f"no strategy for option type {kind}")


def invocation(live: LiveClub, command: LeafCommand) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """Who runs the command, and with which options (required ones always, optional ones sometimes)."""
    fields = {}
    for option in command.options:
        value = option_strategy(live, option)
        fields[option["name"]] = value if option.get("required") else st.none() | value
    options = st.fixed_dictionaries(fields).map(lambda d: {k: v for k, v in d.items() if v is not None})
    return st.tuples(st.sampled_from(sorted(live.actors)), options)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.path)
@settings(
    max_examples=EXAMPLES_PER_COMMAND,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_any_input_is_answered_in_time_without_errors(
    live: LiveClub, command: LeafCommand, data: st.DataObject
) -> None:
    unfillable = [
        o["name"]
        for o in command.options
        if o.get("required") and o["type"] == 7 and option_strategy(live, o).is_empty
    ]
    if unfillable:
        pytest.skip(f"the fuzz club has no channel of the types {unfillable} need")
    who, options = data.draw(invocation(live, command), label="invocation")
    before = len(live.errors.records)
    # Fails on its own if the bot misses Discord's 3 s deadline or defers and never follows up.
    reply = await live.actors[who].slash(command.path, options=options, followup_timeout=10.0)
    assert reply.response_type is not None
    assert live.errors.records[before:] == [], [r.getMessage() for r in live.errors.records[before:]]
    assert live.club.violations == []
