"""Turn what a member typed into one catalog work, or explain which titles they might mean."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.domain import Work, WorkKind
from bot.errors import NotFound
from bot.store import CatalogRepository
from bot.text import LIMITS, code_span, escape, shorten
from bot.titles import MAX_QUERY, Candidate, Match, Resolution, ResolutionKind, match_titles, resolve_title
from bot.workers import Workers, WorkTimeout

if TYPE_CHECKING:
    from bot.client import BookClubBot

# Autocomplete fills in this form, so a picked choice resolves exactly even when titles repeat.
_PICKED = re.compile(r"^#(\d+)$")
TitleQuery = app_commands.Range[str, 1, MAX_QUERY]
"""A title option: Discord refuses longer text, so matching never sees more than MAX_QUERY characters."""
KIND_LABEL = {WorkKind.BOOK: "book", WorkKind.FILM: "film", WorkKind.SERIES: "series"}


ECHO_LIMIT = 160
"""Characters of one escaped title shown in a message, so a list of them always fits."""


def italic(text: str, limit: int = ECHO_LIMIT) -> str:
    """Italicise text from members or exports, escaped so it cannot break the message, ping or link."""
    return f"*{escape(text, limit=limit)}*"


def work_label(work: Work) -> str:
    """Return "Title (year)" for display in lists and messages."""
    return f"{work.title} ({work.year})" if work.year else work.title


def choice_name(work: Work) -> str:
    """Return the line an autocomplete list shows for a work (at most 100 characters)."""
    extra = " · ".join(x for x in (KIND_LABEL[work.kind], work.creator or "") if x)
    # Choice names are plain text (no markdown), so they are only cut, not escaped.
    return shorten(f"{work_label(work)} · {extra}", LIMITS.choice_name)


def _candidates(works: Iterable[Work]) -> list[Candidate]:
    return [(w.id, w.title, w.creator) for w in works]


def _filter(works: Mapping[int, Work], kinds: Iterable[WorkKind] | None) -> dict[int, Work]:
    if kinds is None:
        return dict(works)
    wanted = set(kinds)
    return {i: w for i, w in works.items() if w.kind in wanted}


INLINE_CHARS = 15_000
"""Catalog text (titles and authors) matched on the event loop; a bigger catalog is matched in a worker."""
MATCH_BUDGET = 5.0
"""Seconds a worker may spend matching one title before the member is told to try again."""


def _heavy(candidates: list[Candidate]) -> bool:
    return sum(len(title) + len(extra or "") for _, title, extra in candidates) > INLINE_CHARS


async def _off_loop(workers: Workers | None, candidates: list[Candidate], function: Any, *args: Any) -> Any:
    """Run a matching function inline for a small catalog, else in a worker process (CPU, not the loop)."""
    if workers is None or not _heavy(candidates):
        return function(*args)
    try:
        return await workers.run(function, *args, budget=MATCH_BUDGET)
    except WorkTimeout as exc:
        raise NotFound("Matching that title took too long; pick it from the list as you type.") from exc


async def choices_for(
    works: Mapping[int, Work],
    current: str,
    kinds: Iterable[WorkKind] | None = None,
    *,
    workers: Workers | None = None,
) -> list[app_commands.Choice[str]]:
    """Return up to 25 autocomplete choices for what the member has typed so far."""
    pool = _filter(works, kinds)
    candidates = _candidates(pool.values())
    # Autocomplete text is not validated by Discord like a submitted option; cut it here.
    matches: list[Match] = await _off_loop(
        workers, candidates, match_titles, current[:MAX_QUERY], candidates, 25
    )
    return [app_commands.Choice(name=choice_name(pool[m.id]), value=f"#{m.id}") for m in matches]


async def find_work(
    works: Mapping[int, Work],
    query: str,
    kinds: Iterable[WorkKind] | None = None,
    *,
    what: str = "title",
    workers: Workers | None = None,
) -> Work:
    """Return the one work `query` names (matched off the loop for a big catalog), or raise NotFound."""
    pool = _filter(works, kinds)
    if _PICKED.match(query.strip()) or not pool:
        return pick_work(pool, query, what=what)
    candidates = _candidates(pool.values())
    resolution: Resolution = await _off_loop(workers, candidates, resolve_title, query, candidates)
    return pick_work(pool, query, what=what, resolution=resolution)


def pick_work(
    works: Mapping[int, Work],
    query: str,
    kinds: Iterable[WorkKind] | None = None,
    *,
    what: str = "title",
    resolution: Resolution | None = None,
) -> Work:
    """Return the one work `query` names, or raise a message listing the closest matches."""
    pool = _filter(works, kinds)
    picked = _PICKED.match(query.strip())
    if picked:
        work = pool.get(int(picked.group(1)))
        if work is None:
            raise NotFound(f"That {what} is no longer in the catalog; pick another from the list.")
        return work
    if not pool:
        raise NotFound(f"The club's catalog has no {what}s yet: an organizer can add one with `/book add`.")
    if resolution is None:
        resolution = resolve_title(query, _candidates(pool.values()))
    if resolution.kind is ResolutionKind.FOUND and resolution.match is not None:
        return pool[resolution.match.id]
    shown = code_span(query)
    options = ", ".join(italic(work_label(pool[m.id])) for m in resolution.options[:5])
    if resolution.kind is ResolutionKind.AMBIGUOUS and len(resolution.options) > 1:
        raise NotFound(f"{shown} matches several {what}s: {options}. Pick one from the list as you type.")
    if resolution.kind is ResolutionKind.AMBIGUOUS:
        raise NotFound(
            f"No {what} called {shown}. Did you mean {options}? Pick it from the list as you type."
        )
    hint = f" Closest: {options}." if options else ""
    raise NotFound(f"No {what} called {shown} in the club's catalog.{hint} Suggest it with `/book suggest`.")


async def resolve_work(
    catalog: CatalogRepository,
    guild_id: int,
    query: str,
    kinds: Iterable[WorkKind] | None = None,
    *,
    what: str = "title",
    workers: Workers | None = None,
) -> Work:
    """Load the guild's catalog and pick the work `query` names."""
    return await find_work(await catalog.works(guild_id), query, kinds, what=what, workers=workers)


class Title(app_commands.Transformer):
    """A title option: autocompletes from the club's catalog and resolves to the one `Work` it names.

    `title: app_commands.Transform[Work, Title()]` is the whole declaration; `Title(WorkKind.BOOK,
    what="book")` narrows both the suggestions and what resolves. Discord refuses longer text than
    MAX_QUERY, so matching never sees more; a title that names nothing (or several) is an ephemeral
    reply listing the closest matches, before the command runs.
    """

    def __init__(self, *kinds: WorkKind, what: str = "title") -> None:
        self.kinds: tuple[WorkKind, ...] | None = kinds or None
        self.what = what

    @property
    def type(self) -> discord.AppCommandOptionType:
        """A string option."""
        return discord.AppCommandOptionType.string

    @property
    def min_value(self) -> int:
        """At least one character (a string option's min_length)."""
        return 1

    @property
    def max_value(self) -> int:
        """At most MAX_QUERY characters (a string option's max_length)."""
        return MAX_QUERY

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[BookClubBot], value: str, /
    ) -> list[app_commands.Choice[str]]:
        """Suggest up to 25 catalog titles of the right kinds for what the member typed."""
        if interaction.guild_id is None:
            return []
        works = await interaction.client.store.catalog.works(interaction.guild_id)
        return await choices_for(works, str(value), self.kinds, workers=interaction.client.workers)

    async def transform(self, interaction: discord.Interaction[BookClubBot], value: str, /) -> Work:  # type: ignore[override]
        """Return the work the member picked or typed, or refuse with the closest matches."""
        if interaction.guild_id is None:
            raise NotFound("Titles belong to a server's catalog: use this command inside a server.")
        works = await interaction.client.store.catalog.works(interaction.guild_id)
        return await find_work(
            works, str(value), self.kinds, what=self.what, workers=interaction.client.workers
        )


AnyTitle = app_commands.Transform[Work, Title()]
"""Any catalog title (book, film or series)."""
BookTitle = app_commands.Transform[Work, Title(WorkKind.BOOK, what="book")]
"""A book of the catalog."""
ScreenTitle = app_commands.Transform[Work, Title(WorkKind.FILM, WorkKind.SERIES, what="film or series")]
"""A film or series of the catalog."""

suggest_titles = Title().autocomplete
"""Autocomplete for a title option that resolves itself (a featured review's "Title (year)")."""
