"""The one spoiler rule: may a member see content with a given spoiler scope.

Every feature (discussion threads, reviews, summaries, reminders) asks `may_see`; nothing else
decides visibility. The rule is conservative: whenever it cannot be sure a member is past the
spoiler point (unknown work, missing status, progress it cannot map), the content stays hidden.

Progress semantics. Progress counts what is *finished*: chapter 7 means chapters 1-7 are read,
part 2 means parts 1-2, episode 4 means episodes 1-4. A scope "up to chapter N" covers chapters
1..N, so chapter progress p satisfies it iff p >= N.

Percent and page progress. Chapter lengths are unknown, so a member at p % of a book with C
chapters is credited with floor(p * C / 100) - 1 finished chapters: floor(p * C / 100) if the
chapters were even, minus one because they rarely are. Page progress is converted to a percentage
with the book's page count. Without a chapter count (or, for pages, a page count) such progress
satisfies no chapter or part scope, and neither ever counts as finishing the book: the member
marks it read for that.

Parts. A part scope K is satisfied by part progress >= K. Chapter progress can satisfy it (and
part progress can satisfy a chapter scope) only when the book records the last chapter of each
part (`Work.part_last_chapters`); otherwise only part progress or finishing the book does.

Adaptations. Book progress never unlocks film content and film progress never unlocks book
content: `BookAndFilm` needs the whole book read and the whole film (or series) watched.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.domain import MemberStatus, ProgressUnit, State, Work, WorkKind, state_applies

__all__ = [
    "NO_SPOILERS",
    "BookAndFilm",
    "BookUpTo",
    "Film",
    "NoSpoilers",
    "Scope",
    "ScopeFormatError",
    "SeriesUpTo",
    "WholeBook",
    "describe_scope",
    "may_see",
    "reason_hidden",
    "scope_from_str",
    "scope_to_str",
    "scope_work_ids",
]


def _require_positive(name: str, value: int) -> None:
    """Raise ValueError unless `value` is a positive int (bools excluded)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")


@dataclass(frozen=True, slots=True)
class NoSpoilers:
    """Content anyone may see."""


@dataclass(frozen=True, slots=True)
class BookUpTo:
    """Content that spoils a book up to and including a chapter, or a (1-based) part."""

    book_id: int
    chapter: int | None = None
    part: int | None = None

    def __post_init__(self) -> None:
        """Require exactly one of chapter and part."""
        _require_positive("book_id", self.book_id)
        if (self.chapter is None) == (self.part is None):
            raise ValueError("BookUpTo needs exactly one of chapter= or part=")
        if self.chapter is not None:
            _require_positive("chapter", self.chapter)
        if self.part is not None:
            _require_positive("part", self.part)


@dataclass(frozen=True, slots=True)
class WholeBook:
    """Content that spoils a whole book."""

    book_id: int

    def __post_init__(self) -> None:
        """Reject ids that cannot exist."""
        _require_positive("book_id", self.book_id)


@dataclass(frozen=True, slots=True)
class Film:
    """Content that spoils a whole film, or a whole series."""

    film_id: int

    def __post_init__(self) -> None:
        """Reject ids that cannot exist."""
        _require_positive("film_id", self.film_id)


@dataclass(frozen=True, slots=True)
class SeriesUpTo:
    """Content that spoils a series up to and including an episode."""

    series_id: int
    episode: int

    def __post_init__(self) -> None:
        """Reject ids and episodes that cannot exist."""
        _require_positive("series_id", self.series_id)
        _require_positive("episode", self.episode)


@dataclass(frozen=True, slots=True)
class BookAndFilm:
    """Content comparing a book with its adaptation: spoils both entirely."""

    book_id: int
    film_id: int

    def __post_init__(self) -> None:
        """Reject ids that cannot exist."""
        _require_positive("book_id", self.book_id)
        _require_positive("film_id", self.film_id)


Scope = NoSpoilers | BookUpTo | WholeBook | Film | SeriesUpTo | BookAndFilm

NO_SPOILERS = NoSpoilers()


# --- What a member has covered -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Coverage:
    """How far a member is known to be through one work; None means "cannot tell"."""

    finished: bool = False
    chapters: int | None = None
    parts: int | None = None
    episodes: int | None = None
    # Why progress could not be used, for the member-facing hint.
    unmapped: ProgressUnit | None = None


_NOTHING = _Coverage()
_FINISHED = _Coverage(finished=True)


def _progress(status: MemberStatus) -> int | float | None:
    """Return the usable progress value, or None if absent, negative or not a number."""
    value = status.progress_value
    if status.progress_unit is None or value is None or isinstance(value, bool):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value


def _book_coverage(status: MemberStatus | None, book: Work) -> _Coverage:
    """Return how much of `book` the member has read, erring towards less."""
    if status is None or not state_applies(WorkKind.BOOK, status.state):
        return _NOTHING
    if status.state is State.READ:
        return _FINISHED
    if status.state not in (State.READING, State.DNF):
        return _NOTHING
    value = _progress(status)
    if value is None:
        return _NOTHING
    unit = status.progress_unit
    chapters: int | None = None
    parts: int | None = None
    ends = book.part_last_chapters
    if unit is ProgressUnit.CHAPTER:
        chapters = math.floor(value)
        if book.chapters is not None and chapters >= book.chapters:
            return _FINISHED
    elif unit is ProgressUnit.PART:
        parts = math.floor(value)
        if book.parts and parts >= len(book.parts):
            return _FINISHED
        if ends:
            chapters = ends[parts - 1] if parts >= 1 else 0
    elif unit in (ProgressUnit.PERCENT, ProgressUnit.PAGE):
        percent = value
        if unit is ProgressUnit.PAGE:
            if not book.pages:
                return _Coverage(unmapped=unit)
            percent = value * 100 / book.pages
        if not book.chapters:
            return _Coverage(unmapped=unit)
        # The epsilon absorbs float error (0.7 * 10 = 7.000000000000001 is fine, 6.999… is not);
        # the "- 1" is the deliberate one-chapter safety margin described in the module docstring.
        estimate = math.floor(percent * book.chapters / 100 + 1e-9) - 1
        chapters = max(0, min(estimate, book.chapters - 1))
    else:
        return _NOTHING
    if parts is None and chapters is not None and ends:
        parts = sum(1 for end in ends if end <= chapters)
    return _Coverage(chapters=chapters, parts=parts)


def _screen_coverage(status: MemberStatus | None, work: Work) -> _Coverage:
    """Return how much of a film or series the member has watched."""
    if status is None or not state_applies(work.kind, status.state):
        return _NOTHING
    if status.state is State.WATCHED:
        return _FINISHED
    if status.state is State.WATCHING and status.progress_unit is ProgressUnit.EPISODE:
        value = _progress(status)
        if value is None:
            return _NOTHING
        episodes = math.floor(value)
        if work.episodes is not None and episodes >= work.episodes:
            return _FINISHED
        return _Coverage(episodes=episodes)
    return _NOTHING


# --- The rule ---------------------------------------------------------------------------------


class _Hidden:
    """Why one requirement of a scope is not met; rendered into member-facing text."""

    __slots__ = ("hint", "need")

    def __init__(self, need: str, hint: str | None = None) -> None:
        self.need = need
        self.hint = hint


def _lookup(works: Mapping[int, Work], work_id: int, kinds: tuple[WorkKind, ...]) -> Work | _Hidden:
    """Return the work if it exists and has an expected kind, else why the content stays hidden."""
    work = works.get(work_id)
    if work is None:
        return _Hidden("", "This is tied to a title that is not in the club catalog, so it stays hidden.")
    if work.kind not in kinds:
        return _Hidden(
            "",
            "This post's spoiler setting points at the wrong kind of title, so it stays hidden. "
            "Ask an organizer to fix it.",
        )
    return work


_UNMAPPED_HINT = {
    ProgressUnit.PERCENT: "Your progress is in percent, which I can't match to chapters of this book",
    ProgressUnit.PAGE: "Your progress is in pages, which I can't match to chapters of this book",
}


def _check_book_up_to(
    scope: BookUpTo, statuses: Mapping[int, MemberStatus], works: Mapping[int, Work]
) -> _Hidden | None:
    """Return why a book-up-to scope is not met, or None if it is."""
    book = _lookup(works, scope.book_id, (WorkKind.BOOK,))
    if isinstance(book, _Hidden):
        return book
    cov = _book_coverage(statuses.get(book.id), book)
    if cov.finished:
        return None
    if scope.chapter is not None:
        if cov.chapters is not None and cov.chapters >= scope.chapter:
            return None
        need = f"read {_md_title(book)} up to chapter {scope.chapter}"
    else:
        assert scope.part is not None  # guaranteed by BookUpTo.__post_init__
        if cov.parts is not None and cov.parts >= scope.part:
            return None
        need = f"read {_md_title(book)} up to part {scope.part}"
    hint = None
    if cov.unmapped is not None:
        hint = f"{_UNMAPPED_HINT[cov.unmapped]}: set it in chapters, or mark the book read."
    elif scope.part is not None and cov.chapters is not None and not book.part_last_chapters:
        hint = "This book's parts aren't mapped to chapters: set your progress in parts instead."
    return _Hidden(need, hint)


def _check_whole_book(
    book_id: int, statuses: Mapping[int, MemberStatus], works: Mapping[int, Work]
) -> _Hidden | None:
    """Return why a whole-book requirement is not met, or None if it is."""
    book = _lookup(works, book_id, (WorkKind.BOOK,))
    if isinstance(book, _Hidden):
        return book
    if _book_coverage(statuses.get(book.id), book).finished:
        return None
    return _Hidden(f"finished {_md_title(book)}")


def _check_film(
    film_id: int, statuses: Mapping[int, MemberStatus], works: Mapping[int, Work]
) -> _Hidden | None:
    """Return why a whole-film (or whole-series) requirement is not met, or None if it is."""
    work = _lookup(works, film_id, (WorkKind.FILM, WorkKind.SERIES))
    if isinstance(work, _Hidden):
        return work
    if _screen_coverage(statuses.get(work.id), work).finished:
        return None
    if work.kind is WorkKind.SERIES:
        return _Hidden(f"watched all of {_md_title(work)}")
    return _Hidden(f"watched {_md_title(work)}")


def _check_series_up_to(
    scope: SeriesUpTo, statuses: Mapping[int, MemberStatus], works: Mapping[int, Work]
) -> _Hidden | None:
    """Return why a series-up-to scope is not met, or None if it is."""
    series = _lookup(works, scope.series_id, (WorkKind.SERIES,))
    if isinstance(series, _Hidden):
        return series
    cov = _screen_coverage(statuses.get(series.id), series)
    if cov.finished or (cov.episodes is not None and cov.episodes >= scope.episode):
        return None
    return _Hidden(f"watched {_md_title(series)} up to episode {scope.episode}")


def _unmet(scope: Scope, statuses: Mapping[int, MemberStatus], works: Mapping[int, Work]) -> list[_Hidden]:
    """Return every unmet requirement of `scope` (empty: the member may see it)."""
    found: list[_Hidden | None]
    match scope:
        case NoSpoilers():
            return []
        case BookUpTo():
            found = [_check_book_up_to(scope, statuses, works)]
        case WholeBook(book_id=book_id):
            found = [_check_whole_book(book_id, statuses, works)]
        case Film(film_id=film_id):
            found = [_check_film(film_id, statuses, works)]
        case SeriesUpTo():
            found = [_check_series_up_to(scope, statuses, works)]
        case BookAndFilm(book_id=book_id, film_id=film_id):
            found = [_check_whole_book(book_id, statuses, works), _check_film(film_id, statuses, works)]
        case _:
            # An unknown scope type is a programming error, but hiding is the safe failure.
            return [_Hidden("", "This content has a spoiler setting I don't understand, so it stays hidden.")]
    return [item for item in found if item is not None]


def may_see(statuses: Mapping[int, MemberStatus], scope: Scope, works: Mapping[int, Work]) -> bool:
    """Return whether a member with `statuses` (keyed by work id) may see content with `scope`."""
    return not _unmet(scope, statuses, works)


def reason_hidden(
    statuses: Mapping[int, MemberStatus], scope: Scope, works: Mapping[int, Work]
) -> str | None:
    """Return a member-facing explanation of why content is hidden, or None if they may see it."""
    unmet = _unmet(scope, statuses, works)
    if not unmet:
        return None
    # A broken reference explains itself; progress requirements are joined into one sentence.
    for item in unmet:
        if not item.need:
            return item.hint
    needs = " and ".join(item.need for item in unmet)
    text = f"You need to have {needs} first."
    hints = [item.hint for item in unmet if item.hint]
    if hints:
        text += " " + " ".join(hints)
    return text


def scope_work_ids(scope: Scope) -> tuple[int, ...]:
    """Return the ids of the works a scope refers to (for loading only the statuses it needs)."""
    match scope:
        case BookUpTo(book_id=book_id) | WholeBook(book_id=book_id):
            return (book_id,)
        case Film(film_id=film_id):
            return (film_id,)
        case SeriesUpTo(series_id=series_id):
            return (series_id,)
        case BookAndFilm(book_id=book_id, film_id=film_id):
            return (book_id, film_id)
    return ()


# --- Labels ---------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\*_~|`>\[\]])")


def _md_title(work: Work) -> str:
    """Return the work's title in italics, escaped so it cannot break Discord markdown."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", work.title)
    text = f"*{escaped}*"
    if work.kind is not WorkKind.BOOK and work.year is not None:
        # The year tells a film apart from the book it adapts, which usually shares the title.
        text += f" ({work.year})"
    return text


def _plain_title(works: Mapping[int, Work], work_id: int) -> str:
    """Return a work's title for plain-text labels, or a placeholder for an unknown id."""
    work = works.get(work_id)
    return work.title if work is not None else f"unknown title #{work_id}"


def _screen_label(works: Mapping[int, Work], work_id: int) -> str:
    """Return "Title (2021 film)" or "Title (whole series)" for a film scope."""
    work = works.get(work_id)
    if work is None:
        return f"unknown title #{work_id} (film)"
    if work.kind is WorkKind.SERIES:
        return f"{work.title} (whole series)"
    return f"{work.title} ({work.year} film)" if work.year is not None else f"{work.title} (film)"


def describe_scope(scope: Scope, works: Mapping[int, Work]) -> str:
    """Return a plain-text label for a scope, e.g. "Dune, up to ch. 12"; it names no plot content.

    Parts are given by number, not name, because a part's name can itself be a spoiler.
    """
    match scope:
        case NoSpoilers():
            return "No spoilers"
        case BookUpTo(book_id=book_id, chapter=chapter, part=part):
            where = f"ch. {chapter}" if chapter is not None else f"part {part}"
            return f"{_plain_title(works, book_id)}, up to {where}"
        case WholeBook(book_id=book_id):
            return f"{_plain_title(works, book_id)} (whole book)"
        case Film(film_id=film_id):
            return _screen_label(works, film_id)
        case SeriesUpTo(series_id=series_id, episode=episode):
            return f"{_plain_title(works, series_id)}, up to ep. {episode}"
        case BookAndFilm(book_id=book_id, film_id=film_id):
            return f"{_plain_title(works, book_id)} (book) + {_screen_label(works, film_id)}"
    return "Unknown spoiler setting"


# --- Storage codec ----------------------------------------------------------------------------


class ScopeFormatError(ValueError):
    """A stored scope string is malformed."""


# Canonical positive integers only, so that every accepted string round-trips unchanged.
_ID = r"([1-9][0-9]{0,17})"


def _book_chapter(book_id: int, chapter: int) -> Scope:
    """Build a chapter scope from its decoded numbers."""
    return BookUpTo(book_id, chapter=chapter)


def _book_part(book_id: int, part: int) -> Scope:
    """Build a part scope from its decoded numbers."""
    return BookUpTo(book_id, part=part)


_CODEC: list[tuple[re.Pattern[str], Callable[..., Scope]]] = [
    (re.compile(rf"book:{_ID}:ch:{_ID}"), _book_chapter),
    (re.compile(rf"book:{_ID}:part:{_ID}"), _book_part),
    (re.compile(rf"book:{_ID}"), WholeBook),
    (re.compile(rf"film:{_ID}"), Film),
    (re.compile(rf"series:{_ID}:ep:{_ID}"), SeriesUpTo),
    (re.compile(rf"bookfilm:{_ID}:{_ID}"), BookAndFilm),
]


def scope_to_str(scope: Scope) -> str:
    """Encode a scope for storage, e.g. "none", "book:12", "book:12:ch:7", "book:12:part:2" or "film:3"."""
    match scope:
        case NoSpoilers():
            return "none"
        case BookUpTo(book_id=book_id, chapter=chapter, part=part):
            return f"book:{book_id}:ch:{chapter}" if chapter is not None else f"book:{book_id}:part:{part}"
        case WholeBook(book_id=book_id):
            return f"book:{book_id}"
        case Film(film_id=film_id):
            return f"film:{film_id}"
        case SeriesUpTo(series_id=series_id, episode=episode):
            return f"series:{series_id}:ep:{episode}"
        case BookAndFilm(book_id=book_id, film_id=film_id):
            return f"bookfilm:{book_id}:{film_id}"
    raise TypeError(f"not a spoiler scope: {scope!r}")


def scope_from_str(text: str) -> Scope:
    """Decode a string written by `scope_to_str`; raise ScopeFormatError if it is malformed."""
    if text == "none":
        return NO_SPOILERS
    for pattern, build in _CODEC:
        found = pattern.fullmatch(text)
        if found:
            return build(*(int(group) for group in found.groups()))
    raise ScopeFormatError(f"not a spoiler scope: {text!r}")
