"""Pure logic for `/discussion`: a scope from the organizer's options, and reading plans."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import Work, WorkKind
from bot.errors import UserError
from bot.lookup import italic, work_label
from bot.spoilers import BookAndFilm, BookUpTo, Film, Scope, SeriesUpTo, WholeBook

# The organizer's choice of scope, as offered by `/discussion schedule scope:`.
SCOPE_KINDS: dict[str, str] = {
    "chapter": "the book up to chapter N",
    "part": "the book up to named part N",
    "book": "the whole book",
    "screen": "the film, or a series up to episode N",
    "book_vs_film": "book vs film: the whole book and its adaptation",
}

MAX_PLAN_SESSIONS = 12


def adaptation_of(works: Mapping[int, Work], book: Work) -> Work | None:
    """Return the one film or series adapting `book`, if exactly one does."""
    found = [w for w in works.values() if w.adapts_work_id == book.id]
    return found[0] if len(found) == 1 else None


def build_scope(kind: str, main: Work, screen: Work | None, up_to: int | None) -> tuple[Scope, Work]:
    """Return the scope the organizer asked for and the work it is filed under, or explain what is wrong."""
    label = italic(work_label(main))
    if kind in ("chapter", "part", "book", "book_vs_film") and main.kind is not WorkKind.BOOK:
        raise UserError(f"{label} is a {main.kind.value}: this scope needs a book. Pick the book it adapts.")
    if kind == "chapter":
        if up_to is None:
            raise UserError("Say up to which chapter with `up_to:`, e.g. `up_to: 6`.")
        if main.chapters is not None and up_to > main.chapters:
            raise UserError(
                f"{label} has {main.chapters} chapters, so `up_to:` goes from 1 to {main.chapters}."
            )
        return BookUpTo(main.id, chapter=up_to), main
    if kind == "part":
        if not main.parts:
            raise UserError(
                f"{label} has no named parts in the catalog: use a chapter scope, or add parts with `/book edit`."
            )
        if up_to is None or up_to > len(main.parts):
            raise UserError(
                f"{label} has {len(main.parts)} parts: give `up_to:` from 1 to {len(main.parts)}."
            )
        return BookUpTo(main.id, part=up_to), main
    if kind == "book":
        return WholeBook(main.id), main
    if kind == "screen":
        film = main if main.kind is not WorkKind.BOOK else screen
        if film is None:
            raise UserError(
                f"{label} is a book with no single adaptation in the catalog: name the film with `adaptation:`."
            )
        if up_to is not None:
            if film.kind is not WorkKind.SERIES:
                raise UserError(
                    f"{italic(work_label(film))} is a film: leave `up_to:` empty for the whole film."
                )
            if film.episodes is not None and up_to > film.episodes:
                raise UserError(
                    f"{italic(work_label(film))} has {film.episodes} episodes: give `up_to:` from 1 to {film.episodes}."
                )
            return SeriesUpTo(film.id, up_to), film
        return Film(film.id), film
    if kind == "book_vs_film":
        if screen is None:
            raise UserError(f"{label} has no single adaptation in the catalog: name it with `adaptation:`.")
        if screen.kind is WorkKind.BOOK:
            raise UserError(f"{italic(work_label(screen))} is a book: `adaptation:` needs a film or series.")
        return BookAndFilm(main.id, screen.id), main
    raise UserError(f"Unknown scope `{kind}`: pick one from the list.")


@dataclass(frozen=True)
class PlannedSession:
    """One session of a reading plan."""

    scope: BookUpTo
    opens_at: datetime


def split_evenly(total: int, sessions: int) -> list[int]:
    """Return where each of `sessions` sessions ends, covering 1..total as evenly as possible (23, 4 → 6, 12, 18, 23)."""
    return [math.ceil(total * i / sessions) for i in range(1, sessions + 1)]


def session_times(first: datetime, sessions: int, every_days: int, tz: ZoneInfo) -> list[datetime]:
    """Return each session's start: the same wall-clock time in the club's zone, `every_days` apart."""
    local = first.astimezone(tz).replace(tzinfo=None)
    times = []
    for i in range(sessions):
        wall = local + timedelta(days=every_days * i)
        # Round-tripping through UTC moves a wall time that DST skips forward by the gap, never backwards.
        times.append(wall.replace(tzinfo=tz).astimezone(UTC))
    return times


def plan_sessions(
    book: Work, sessions: int, by: str, first: datetime, every_days: int, tz: ZoneInfo
) -> list[PlannedSession]:
    """Split a book into `sessions` discussions by chapter or by named part, or explain why it cannot be."""
    label = italic(work_label(book))
    if book.kind is not WorkKind.BOOK:
        raise UserError(f"{label} is a {book.kind.value}: a reading plan needs a book.")
    if not 2 <= sessions <= MAX_PLAN_SESSIONS:
        raise UserError(f"A plan has 2 to {MAX_PLAN_SESSIONS} sessions.")
    if by == "part":
        if not book.parts:
            raise UserError(f"{label} has no named parts in the catalog: plan it by chapter instead.")
        if sessions > len(book.parts):
            raise UserError(
                f"{label} has {len(book.parts)} parts: plan at most {len(book.parts)} sessions by part."
            )
        ends = split_evenly(len(book.parts), sessions)
        scopes = [BookUpTo(book.id, part=end) for end in ends]
    else:
        if not book.chapters:
            raise UserError(
                f"{label} has no chapter count in the catalog: add it with `/book edit chapters:`, or plan by part."
            )
        if sessions > book.chapters:
            raise UserError(f"{label} has {book.chapters} chapters: plan at most {book.chapters} sessions.")
        scopes = [BookUpTo(book.id, chapter=end) for end in split_evenly(book.chapters, sessions)]
    times = session_times(first, sessions, every_days, tz)
    return [PlannedSession(scope, at) for scope, at in zip(scopes, times, strict=True)]


@dataclass(frozen=True)
class ReadingPlan:
    """A reading plan an organizer confirmed: which book, how many sessions, split how, from when."""

    book_id: int
    sessions: int
    by: str  # "ch" (chapters, evenly) or "part" (the book's named parts)
    first: datetime
    every_days: int
    minutes: int

    def sessions_for(self, book: Work, tz: ZoneInfo) -> list[PlannedSession]:
        """Return the plan's sessions for `book` in the club's time zone, or explain why it cannot be split."""
        return plan_sessions(book, self.sessions, self.by, self.first, self.every_days, tz)
