"""Property-based fuzzing: every slash command, random option values within Discord's types and limits.

Whatever a member (or organizer, or admin) sends, the bot answers within Discord's deadline (the
emulator fails the action otherwise), logs no unhandled error, and sends nothing that breaks Discord's
spec. One emulator and one bot serve the whole module; examples are bounded to keep CI short.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_club import LeafCommand, LiveClub, live_club, offline_commands
from markdown_view import unbalanced_markup

from bot.domain import WorkKind
from bot.store import NewWork
from bot.text import label_key
from fakediscord import Upload

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
    # Invisible and look-alike characters, alone and as answers that only look different (";" splits).
    "\ufeff",
    "\u2060",
    "\u00ad",
    "\u200d",
    "|| ||",
    "` `",
    "Emma; Ｅｍｍａ",
    "E\u0301mma; Émma",
    "Emma;\u200bEmma",
    "**Emma**; emma",
    "The Glass Harbour\u200b",
    "THE GLASS HARBOUR ",
]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
WORDS = ["Frankenstein", "Pride", "Dune", "Shared", "ch 3", "45%"]
PIECES = st.one_of(TEXT, st.sampled_from(NASTY), st.sampled_from(WORDS))
# Titles that escaping doubles, so any reply listing several of them is long.
MARKUP = "*_~|`>[x](https://e.example)#:<-" * 7
GLASS = "The Glass Harbour"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveClub]:
    async with live_club(tmp_path_factory.mktemp("fuzz") / "bookclub.sqlite3") as running:
        guild = running.club.guild.id
        for title, chapters in (("Frankenstein", 24), ("Pride and Prejudice", 61), ("Dune", None)):
            await running.store.catalog.add(
                guild, NewWork(WorkKind.BOOK, title, "Some Author", chapters=chapters)
            )
        await running.store.catalog.add(guild, NewWork(WorkKind.FILM, "Frankenstein", "A Director", 1931))
        # A suggestion waiting for an organizer: look-alike titles must meet it, not sit beside it.
        # Its own title carries markup ("||"), which an echo of it must not let loose.
        await running.store.catalog.add(
            guild, NewWork(WorkKind.BOOK, f"{GLASS}||"), approved=False, suggested_by=1
        )
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
        types = option.get("channel_types")
        fitting = [c for c in live.channels.values() if not types or c.type in types]
        return st.sampled_from(fitting)
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
    who, options = data.draw(invocation(live, command), label="invocation")
    before = len(live.errors.records)
    # Fails on its own if the bot misses Discord's 3 s deadline or defers and never follows up.
    reply = await live.actors[who].slash(command.path, options=options, followup_timeout=10.0)
    assert reply.response_type is not None
    assert live.errors.records[before:] == [], [r.getMessage() for r in live.errors.records[before:]]
    assert live.club.violations == []
    for text in reply_texts(reply):
        assert unbalanced_markup(text) == [], (command.path, options, text)
    await assert_labels_stay_distinct(live)


async def assert_labels_stay_distinct(live: LiveClub) -> None:
    """Member-typed labels that look the same (or look empty) never end up stored side by side."""
    guild = live.club.guild.id
    for poll in await live.store.polls.recent(guild):
        keys = [label_key(o.answer) for o in poll.options]
        assert all(keys) and len(set(keys)) == len(keys), [o.answer for o in poll.options]
    works: list[Any] = list((await live.store.catalog.works(guild)).values())
    works += await live.store.catalog.suggestions(guild)
    seen: dict[tuple[object, object, str], str] = {}
    for work in works:
        key = (work.kind, work.year, label_key(work.title))
        assert key[2], work.title
        assert key not in seen, (seen.get(key), work.title)
        seen[key] = work.title


def reply_texts(reply: Any) -> list[str]:
    """Every separately rendered text of the answer and its follow-ups: content and each embed part."""
    texts = []
    for message in ([reply.message] if reply.message else []) + reply.followups:
        texts.append(message.content)
        for embed in message.embeds:
            texts += [embed.get("title") or "", embed.get("description") or ""]
            texts += [
                (embed.get("footer") or {}).get("text", ""),
                (embed.get("author") or {}).get("name", ""),
            ]
            for f in embed.get("fields", []):
                texts += [f["name"], f["value"]]
    return texts


# Typed into every text option in turn: a code span breakout with a ping, spoiler, bold and code marks,
# and a title the club already has waiting, plain and marked up (the "already suggested" echo).
HOSTILE = ["x` **@everyone** `y", "||", "**", "`", "@everyone", GLASS, f"**{GLASS}", f"`{GLASS}"]


def default_value(live: LiveClub, option: dict[str, Any]) -> Any:
    """A plain valid value for a required option that is not the one being walked."""
    kind = option["type"]
    if option.get("choices"):
        return option["choices"][0]["value"]
    if kind in (4, 10):
        return max(option.get("min_value", 1), min(1, option.get("max_value", 1)))
    if kind == 3:
        return "Dune"
    if kind == 5:
        return True
    if kind == 6:
        return live.actors["member"]
    if kind == 7:
        types = option.get("channel_types")
        return next(c for c in live.channels.values() if not types or c.type in types)
    if kind == 8:
        return live.roles["organizers"]
    if kind == 11:
        return Upload("goodreads.csv", b"Book Id,Title,Author,Exclusive Shelf\n", "text/csv")
    raise AssertionError(f"no default for option type {kind}")


WALKED = [c for c in COMMANDS if any(o["type"] == 3 and not o.get("choices") for o in c.options)]


@pytest.mark.parametrize("command", WALKED, ids=lambda c: c.path)
async def test_echoed_text_options_keep_the_reply_markup_closed(live: LiveClub, command: LeafCommand) -> None:
    """Whatever a member types into a text option, the reply's code spans, spoilers and bold stay paired.

    Each text option gets each hostile value, under every combination of the required choices (the
    state decides, say, whether a progress value is read at all).
    """
    plain = {o["name"]: default_value(live, o) for o in command.options if o.get("required")}
    choices = [o for o in command.options if o.get("required") and o.get("choices")]
    combos = itertools.product(*([c["value"] for c in o["choices"]] for o in choices))
    settings = [{**plain, **dict(zip([o["name"] for o in choices], combo, strict=True))} for combo in combos]
    walked = [o for o in command.options if o["type"] == 3 and not o.get("choices")]
    for option in walked:
        for value in HOSTILE:
            if not option.get("min_length", 0) <= len(value) <= option.get("max_length", 6000):
                continue
            for required in settings:
                options = {**required, option["name"]: value}
                reply = await live.actors["admin"].slash(command.path, options=options, followup_timeout=10.0)
                for text in reply_texts(reply):
                    assert unbalanced_markup(text) == [], (command.path, options, text)
