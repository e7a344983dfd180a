"""Catalog and status types shared by the spoiler rule, imports, the store and the cogs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise


class WorkKind(StrEnum):
    """What medium a catalog entry is."""

    BOOK = "book"
    FILM = "film"
    SERIES = "series"


class State(StrEnum):
    """Where a member is with a work; which states apply depends on the work's kind."""

    WANT_TO_READ = "want_to_read"
    READING = "reading"
    READ = "read"
    DNF = "dnf"
    WANT_TO_WATCH = "want_to_watch"
    WATCHING = "watching"
    WATCHED = "watched"


class ProgressUnit(StrEnum):
    """How a member's progress through a work is counted."""

    CHAPTER = "chapter"
    # PART is counted like CHAPTER: "part 2" means parts 1 and 2 are finished.
    PART = "part"
    PAGE = "page"
    PERCENT = "percent"
    EPISODE = "episode"


STATES_BY_KIND: dict[WorkKind, frozenset[State]] = {
    WorkKind.BOOK: frozenset({State.WANT_TO_READ, State.READING, State.READ, State.DNF}),
    WorkKind.FILM: frozenset({State.WANT_TO_WATCH, State.WATCHED}),
    WorkKind.SERIES: frozenset({State.WANT_TO_WATCH, State.WATCHING, State.WATCHED}),
}

UNITS_BY_KIND: dict[WorkKind, frozenset[ProgressUnit]] = {
    WorkKind.BOOK: frozenset(
        {ProgressUnit.CHAPTER, ProgressUnit.PART, ProgressUnit.PAGE, ProgressUnit.PERCENT}
    ),
    WorkKind.FILM: frozenset(),
    WorkKind.SERIES: frozenset({ProgressUnit.EPISODE}),
}


# How far along a state is, for choosing between two records of one work (an import never moves a
# finished title back to "reading").
STATE_RANK: dict[State, int] = {
    State.WANT_TO_READ: 0,
    State.WANT_TO_WATCH: 0,
    State.DNF: 1,
    State.READING: 2,
    State.WATCHING: 2,
    State.READ: 3,
    State.WATCHED: 3,
}


def state_applies(kind: WorkKind, state: State) -> bool:
    """Return whether `state` is a valid status for a work of `kind`."""
    return state in STATES_BY_KIND[kind]


@dataclass(frozen=True, slots=True)
class Work:
    """A catalog entry: a book, a film or a series, possibly adapting a book."""

    id: int
    kind: WorkKind
    title: str
    # Author for a book, director or creator for a film or series.
    creator: str | None = None
    year: int | None = None
    chapters: int | None = None
    # Named parts in reading order; a part scope uses its 1-based index.
    parts: tuple[str, ...] = ()
    # Last chapter of each part (same length as `parts`, increasing); lets part and chapter
    # progress stand in for each other. Empty when the organizers did not say.
    part_last_chapters: tuple[int, ...] = ()
    # Page count of the club's edition; page progress is only usable when this is known.
    pages: int | None = None
    episodes: int | None = None
    adapts_work_id: int | None = None

    def __post_init__(self) -> None:
        """Reject part-to-chapter maps that would make the spoiler rule guess."""
        ends = self.part_last_chapters
        if ends:
            if len(ends) != len(self.parts):
                raise ValueError("part_last_chapters needs one entry per part")
            if any(b <= a for a, b in pairwise(ends)) or ends[0] < 1:
                raise ValueError("part_last_chapters must be positive and strictly increasing")
            if self.chapters is not None and ends[-1] > self.chapters:
                raise ValueError("part_last_chapters goes past the book's last chapter")


@dataclass(frozen=True, slots=True)
class MemberStatus:
    """One member's status for one work, with progress when they are part-way through."""

    work_id: int
    state: State
    progress_unit: ProgressUnit | None = None
    progress_value: float | None = None
