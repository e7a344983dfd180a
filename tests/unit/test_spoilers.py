"""The one spoiler rule, exhaustively: every state against every scope, and progress sweeps."""

from __future__ import annotations

import itertools
import math

import pytest

from bot.domain import MemberStatus, ProgressUnit, State, Work, WorkKind
from bot.spoilers import (
    NO_SPOILERS,
    BookAndFilm,
    BookUpTo,
    Film,
    NoSpoilers,
    Scope,
    ScopeFormatError,
    SeriesUpTo,
    WholeBook,
    describe_scope,
    may_see,
    reason_hidden,
    scope_from_str,
    scope_to_str,
    scope_work_ids,
)

MAPPED = 1  # 20 chapters in 3 mapped parts, 400 pages
BARE = 2  # nothing known about its structure
UNMAPPED = 3  # 30 chapters and 2 parts, but no chapter ranges for the parts
PAGELESS = 4  # 10 chapters, page count unknown
FILM = 10  # adapts MAPPED
SERIES = 20  # 8 episodes, adapts MAPPED
OPEN_SERIES = 21  # episode count unknown
MISSING = 99  # no such work

WORKS: dict[int, Work] = {
    MAPPED: Work(
        MAPPED,
        WorkKind.BOOK,
        "The Lantern Keeper",
        creator="Ada Quill",
        year=2021,
        chapters=20,
        parts=("Arrival", "Storm", "Return"),
        part_last_chapters=(6, 13, 20),
        pages=400,
    ),
    BARE: Work(BARE, WorkKind.BOOK, "Bleak House", creator="Charles Dickens"),
    UNMAPPED: Work(UNMAPPED, WorkKind.BOOK, "The Salt Road", chapters=30, parts=("One", "Two")),
    PAGELESS: Work(PAGELESS, WorkKind.BOOK, "Cranford", chapters=10),
    FILM: Work(FILM, WorkKind.FILM, "The Lantern Keeper", year=2023, adapts_work_id=MAPPED),
    SERIES: Work(SERIES, WorkKind.SERIES, "Harbour Lights", year=2024, episodes=8, adapts_work_id=MAPPED),
    OPEN_SERIES: Work(OPEN_SERIES, WorkKind.SERIES, "Tin Orchard"),
}


def status(
    work_id: int, state: State, unit: ProgressUnit | None = None, value: float | None = None
) -> dict[int, MemberStatus]:
    """Return a one-work status mapping."""
    return {work_id: MemberStatus(work_id, state, unit, value)}


def both(*parts: dict[int, MemberStatus]) -> dict[int, MemberStatus]:
    """Merge status mappings."""
    merged: dict[int, MemberStatus] = {}
    for part in parts:
        merged.update(part)
    return merged


# --- Every state against every scope, without progress --------------------------------------

SCOPES: dict[str, Scope] = {
    "none": NO_SPOILERS,
    "book ch1": BookUpTo(MAPPED, chapter=1),
    "book ch20": BookUpTo(MAPPED, chapter=20),
    "book part1": BookUpTo(MAPPED, part=1),
    "book part3": BookUpTo(MAPPED, part=3),
    "whole book": WholeBook(MAPPED),
    "film": Film(FILM),
    "whole series": Film(SERIES),
    "series ep1": SeriesUpTo(SERIES, episode=1),
    "series ep8": SeriesUpTo(SERIES, episode=8),
    "book and film": BookAndFilm(MAPPED, FILM),
    "book and series": BookAndFilm(MAPPED, SERIES),
}
BOOK_SCOPES = {"book ch1", "book ch20", "book part1", "book part3", "whole book"}
FILM_SCOPES = {"film", "whole series", "series ep1", "series ep8"}

# Which states (held on every work the scope names) reveal each scope, with no progress recorded.
VISIBLE_WITH: dict[str, set[State]] = {
    "none": set(State),
    **{name: {State.READ} for name in BOOK_SCOPES},
    **{name: {State.WATCHED} for name in FILM_SCOPES},
    # A single state can never satisfy both a book and a film requirement.
    "book and film": set(),
    "book and series": set(),
}


def statuses_on_scope(scope: Scope, state: State) -> dict[int, MemberStatus]:
    """Give the member `state` on every work the scope names."""
    return both(*(status(work_id, state) for work_id in scope_work_ids(scope)))


@pytest.mark.parametrize(("name", "state"), list(itertools.product(SCOPES, State)))
def test_every_state_against_every_scope(name: str, state: State) -> None:
    scope = SCOPES[name]
    statuses = statuses_on_scope(scope, state)
    expected = state in VISIBLE_WITH[name]
    assert may_see(statuses, scope, WORKS) is expected
    assert (reason_hidden(statuses, scope, WORKS) is None) is expected


@pytest.mark.parametrize("name", list(SCOPES))
def test_no_status_hides_everything_but_no_spoilers(name: str) -> None:
    assert may_see({}, SCOPES[name], WORKS) is (name == "none")


@pytest.mark.parametrize(("book_state", "screen_state"), list(itertools.product(State, State)))
def test_book_and_film_needs_both_finished(book_state: State, screen_state: State) -> None:
    statuses = both(status(MAPPED, book_state), status(FILM, screen_state), status(SERIES, screen_state))
    expected = book_state is State.READ and screen_state is State.WATCHED
    assert may_see(statuses, BookAndFilm(MAPPED, FILM), WORKS) is expected
    assert may_see(statuses, BookAndFilm(MAPPED, SERIES), WORKS) is expected


def test_reading_the_book_never_unlocks_the_film() -> None:
    read = status(MAPPED, State.READ)
    assert may_see(read, WholeBook(MAPPED), WORKS)
    assert not may_see(read, Film(FILM), WORKS)
    assert not may_see(read, SeriesUpTo(SERIES, episode=1), WORKS)
    assert not may_see(read, BookAndFilm(MAPPED, FILM), WORKS)


def test_watching_the_film_never_unlocks_the_book() -> None:
    watched = both(status(FILM, State.WATCHED), status(SERIES, State.WATCHED))
    assert may_see(watched, Film(FILM), WORKS)
    assert not may_see(watched, BookUpTo(MAPPED, chapter=1), WORKS)
    assert not may_see(watched, WholeBook(MAPPED), WORKS)
    assert not may_see(watched, BookAndFilm(MAPPED, FILM), WORKS)


def test_a_status_on_another_work_does_not_count() -> None:
    other_book_read = status(BARE, State.READ)
    assert not may_see(other_book_read, WholeBook(MAPPED), WORKS)
    other_film_watched = status(FILM, State.WATCHED)
    assert not may_see(other_film_watched, Film(SERIES), WORKS)


# --- Progress sweeps ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", [State.READING, State.DNF])
def test_chapter_progress_reveals_exactly_up_to_itself(state: State) -> None:
    for progress, chapter in itertools.product(range(26), range(1, 21)):
        statuses = status(MAPPED, state, ProgressUnit.CHAPTER, progress)
        assert may_see(statuses, BookUpTo(MAPPED, chapter=chapter), WORKS) is (progress >= chapter), (
            progress,
            chapter,
        )
        # Reading every chapter is reading the book.
        assert may_see(statuses, WholeBook(MAPPED), WORKS) is (progress >= 20)


def test_fractional_chapter_progress_counts_only_whole_chapters() -> None:
    statuses = status(MAPPED, State.READING, ProgressUnit.CHAPTER, 6.9)
    assert may_see(statuses, BookUpTo(MAPPED, chapter=6), WORKS)
    assert not may_see(statuses, BookUpTo(MAPPED, chapter=7), WORKS)


def test_chapter_progress_on_a_book_without_chapter_count() -> None:
    for progress, chapter in itertools.product(range(40), range(1, 30)):
        statuses = status(BARE, State.READING, ProgressUnit.CHAPTER, progress)
        assert may_see(statuses, BookUpTo(BARE, chapter=chapter), WORKS) is (progress >= chapter)
        # Without a chapter count there is no telling when the book is done.
        assert not may_see(statuses, WholeBook(BARE), WORKS)


@pytest.mark.parametrize("state", [State.READING, State.DNF])
def test_part_progress_reveals_exactly_up_to_itself(state: State) -> None:
    for progress, part in itertools.product(range(5), range(1, 4)):
        statuses = status(MAPPED, state, ProgressUnit.PART, progress)
        assert may_see(statuses, BookUpTo(MAPPED, part=part), WORKS) is (progress >= part)
        assert may_see(statuses, WholeBook(MAPPED), WORKS) is (progress >= 3)


def test_mapped_parts_and_chapters_stand_in_for_each_other() -> None:
    ends = WORKS[MAPPED].part_last_chapters
    for progress, part in itertools.product(range(21), range(1, 4)):
        statuses = status(MAPPED, State.READING, ProgressUnit.CHAPTER, progress)
        assert may_see(statuses, BookUpTo(MAPPED, part=part), WORKS) is (progress >= ends[part - 1])
    for parts_done, chapter in itertools.product(range(4), range(1, 21)):
        statuses = status(MAPPED, State.READING, ProgressUnit.PART, parts_done)
        chapters_done = ends[parts_done - 1] if parts_done else 0
        assert may_see(statuses, BookUpTo(MAPPED, chapter=chapter), WORKS) is (chapters_done >= chapter)


def test_unmapped_parts_need_part_progress_or_the_whole_book() -> None:
    for progress in range(30):
        statuses = status(UNMAPPED, State.READING, ProgressUnit.CHAPTER, progress)
        assert not may_see(statuses, BookUpTo(UNMAPPED, part=1), WORKS)
    finished = status(UNMAPPED, State.READING, ProgressUnit.CHAPTER, 30)
    assert may_see(finished, BookUpTo(UNMAPPED, part=2), WORKS)
    one_part = status(UNMAPPED, State.READING, ProgressUnit.PART, 1)
    assert may_see(one_part, BookUpTo(UNMAPPED, part=1), WORKS)
    assert not may_see(one_part, BookUpTo(UNMAPPED, chapter=1), WORKS)
    all_parts = status(UNMAPPED, State.READING, ProgressUnit.PART, 2)
    assert may_see(all_parts, BookUpTo(UNMAPPED, chapter=30), WORKS)


def test_part_progress_on_a_book_without_named_parts() -> None:
    statuses = status(BARE, State.READING, ProgressUnit.PART, 2)
    assert may_see(statuses, BookUpTo(BARE, part=2), WORKS)
    assert not may_see(statuses, BookUpTo(BARE, part=3), WORKS)
    assert not may_see(statuses, BookUpTo(BARE, chapter=1), WORKS)
    assert not may_see(statuses, WholeBook(BARE), WORKS)


def test_percent_progress_keeps_a_one_chapter_margin() -> None:
    chapters = 20
    for percent, chapter in itertools.product(range(101), range(1, 21)):
        statuses = status(MAPPED, State.READING, ProgressUnit.PERCENT, percent)
        credited = min(percent * chapters // 100 - 1, chapters - 1)
        visible = may_see(statuses, BookUpTo(MAPPED, chapter=chapter), WORKS)
        assert visible is (credited >= chapter), (percent, chapter)
        if visible:
            # Conservative: the member is at least one whole (average) chapter past the scope.
            assert percent * chapters / 100 >= chapter + 1
        assert not may_see(statuses, WholeBook(MAPPED), WORKS)


def test_percent_progress_is_monotonic() -> None:
    for chapter in range(1, 21):
        seen = [
            may_see(
                status(MAPPED, State.READING, ProgressUnit.PERCENT, p / 2),
                BookUpTo(MAPPED, chapter=chapter),
                WORKS,
            )
            for p in range(201)
        ]
        assert seen == sorted(seen), chapter


def test_percent_rounding_does_not_cost_a_chapter() -> None:
    # 70 * 10 / 100 is 7.000000000000001 and 0.29 * 100 is 28.999999999999996 in floats.
    cranford = status(PAGELESS, State.READING, ProgressUnit.PERCENT, 70.0)
    assert may_see(cranford, BookUpTo(PAGELESS, chapter=6), WORKS)
    assert not may_see(cranford, BookUpTo(PAGELESS, chapter=7), WORKS)
    works = {5: Work(5, WorkKind.BOOK, "Long", chapters=100)}
    statuses = status(5, State.READING, ProgressUnit.PERCENT, 29.0)
    assert may_see(statuses, BookUpTo(5, chapter=28), works)


def test_percent_maps_to_parts_through_chapters() -> None:
    # 40 % of 20 chapters credits 7 chapters: part 1 (chapters 1-6) but not part 2 (to 13).
    statuses = status(MAPPED, State.READING, ProgressUnit.PERCENT, 40)
    assert may_see(statuses, BookUpTo(MAPPED, part=1), WORKS)
    assert not may_see(statuses, BookUpTo(MAPPED, part=2), WORKS)


def test_page_progress_converts_through_the_page_count() -> None:
    pages, chapters = 400, 20
    for page, chapter in itertools.product(range(0, 401, 5), range(1, 21)):
        statuses = status(MAPPED, State.READING, ProgressUnit.PAGE, page)
        credited = min(page * chapters // pages - 1, chapters - 1)
        assert may_see(statuses, BookUpTo(MAPPED, chapter=chapter), WORKS) is (credited >= chapter)
    assert not may_see(status(MAPPED, State.READING, ProgressUnit.PAGE, 400), WholeBook(MAPPED), WORKS)


@pytest.mark.parametrize(
    ("work_id", "unit", "value"),
    [
        (BARE, ProgressUnit.PERCENT, 99),  # no chapter count
        (BARE, ProgressUnit.PAGE, 999),  # no chapter or page count
        (PAGELESS, ProgressUnit.PAGE, 999),  # chapters known, pages not
    ],
)
def test_unmappable_progress_hides(work_id: int, unit: ProgressUnit, value: float) -> None:
    statuses = status(work_id, State.READING, unit, value)
    assert not may_see(statuses, BookUpTo(work_id, chapter=1), WORKS)
    assert not may_see(statuses, WholeBook(work_id), WORKS)


def test_episode_progress_reveals_exactly_up_to_itself() -> None:
    for progress, episode in itertools.product(range(11), range(1, 9)):
        statuses = status(SERIES, State.WATCHING, ProgressUnit.EPISODE, progress)
        assert may_see(statuses, SeriesUpTo(SERIES, episode=episode), WORKS) is (progress >= episode)
        assert may_see(statuses, Film(SERIES), WORKS) is (progress >= 8)


def test_episode_progress_without_episode_count_never_finishes_the_series() -> None:
    statuses = status(OPEN_SERIES, State.WATCHING, ProgressUnit.EPISODE, 50)
    assert may_see(statuses, SeriesUpTo(OPEN_SERIES, episode=50), WORKS)
    assert not may_see(statuses, Film(OPEN_SERIES), WORKS)


@pytest.mark.parametrize(
    "statuses",
    [
        status(MAPPED, State.READING),  # no progress
        status(MAPPED, State.READING, ProgressUnit.CHAPTER, None),
        status(MAPPED, State.READING, None, 12),
        status(MAPPED, State.READING, ProgressUnit.CHAPTER, -1),
        status(MAPPED, State.READING, ProgressUnit.CHAPTER, math.nan),
        status(MAPPED, State.READING, ProgressUnit.CHAPTER, math.inf),
        status(MAPPED, State.READING, ProgressUnit.EPISODE, 12),  # a unit books do not have
        status(MAPPED, State.WANT_TO_READ, ProgressUnit.CHAPTER, 20),  # progress on a wish list
        status(MAPPED, State.DNF),  # gave up, point unknown
        status(MAPPED, State.WATCHED),  # a film state on a book
    ],
)
def test_unusable_book_progress_hides(statuses: dict[int, MemberStatus]) -> None:
    assert not may_see(statuses, BookUpTo(MAPPED, chapter=1), WORKS)
    assert reason_hidden(statuses, BookUpTo(MAPPED, chapter=1), WORKS) is not None


@pytest.mark.parametrize(
    "statuses",
    [
        status(SERIES, State.WATCHING),
        status(SERIES, State.WATCHING, ProgressUnit.CHAPTER, 5),
        status(SERIES, State.WANT_TO_WATCH, ProgressUnit.EPISODE, 8),
        status(SERIES, State.READ),
    ],
)
def test_unusable_series_progress_hides(statuses: dict[int, MemberStatus]) -> None:
    assert not may_see(statuses, SeriesUpTo(SERIES, episode=1), WORKS)


def test_watching_is_not_a_film_state() -> None:
    statuses = status(FILM, State.WATCHING, ProgressUnit.EPISODE, 99)
    assert not may_see(statuses, Film(FILM), WORKS)


# --- Broken references --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope",
    [
        BookUpTo(MISSING, chapter=1),
        WholeBook(MISSING),
        Film(MISSING),
        SeriesUpTo(MISSING, episode=1),
        BookAndFilm(MISSING, FILM),
        BookAndFilm(MAPPED, MISSING),
        # Wrong kinds: a book scope on a film, a film scope on a book, episodes of a film.
        BookUpTo(FILM, chapter=1),
        WholeBook(SERIES),
        Film(MAPPED),
        SeriesUpTo(FILM, episode=1),
        BookAndFilm(FILM, MAPPED),
    ],
)
def test_unknown_or_mismatched_work_hides_even_from_someone_finished(scope: Scope) -> None:
    everything = {
        work_id: MemberStatus(work_id, state)
        for work_id in (*WORKS, MISSING)
        for state in [State.READ if work_id < FILM else State.WATCHED]
    }
    assert not may_see(everything, scope, WORKS)
    reason = reason_hidden(everything, scope, WORKS)
    assert reason is not None and "stays hidden" in reason


def test_no_spoilers_is_visible_with_an_empty_catalog() -> None:
    assert may_see({}, NO_SPOILERS, {})
    assert reason_hidden({}, NO_SPOILERS, {}) is None


# --- Messages and labels ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "statuses", "expected"),
    [
        (
            BookUpTo(MAPPED, chapter=12),
            {},
            "You need to have read *The Lantern Keeper* up to chapter 12 first.",
        ),
        (BookUpTo(MAPPED, part=2), {}, "You need to have read *The Lantern Keeper* up to part 2 first."),
        (WholeBook(BARE), {}, "You need to have finished *Bleak House* first."),
        (Film(FILM), {}, "You need to have watched *The Lantern Keeper* (2023) first."),
        (Film(SERIES), {}, "You need to have watched all of *Harbour Lights* (2024) first."),
        (
            SeriesUpTo(SERIES, episode=3),
            {},
            "You need to have watched *Harbour Lights* (2024) up to episode 3 first.",
        ),
        (
            BookAndFilm(MAPPED, FILM),
            {},
            "You need to have finished *The Lantern Keeper* and watched *The Lantern Keeper* (2023) first.",
        ),
        (
            BookAndFilm(MAPPED, FILM),
            status(MAPPED, State.READ),
            "You need to have watched *The Lantern Keeper* (2023) first.",
        ),
        (
            BookAndFilm(MAPPED, FILM),
            status(FILM, State.WATCHED),
            "You need to have finished *The Lantern Keeper* first.",
        ),
    ],
)
def test_reason_hidden_says_what_to_finish(
    scope: Scope, statuses: dict[int, MemberStatus], expected: str
) -> None:
    assert reason_hidden(statuses, scope, WORKS) == expected


def test_reason_hidden_hints_when_progress_cannot_be_mapped() -> None:
    statuses = status(BARE, State.READING, ProgressUnit.PERCENT, 90)
    reason = reason_hidden(statuses, BookUpTo(BARE, chapter=3), WORKS)
    assert reason is not None
    assert reason.startswith("You need to have read *Bleak House* up to chapter 3 first.")
    assert "percent" in reason


def test_reason_hidden_hints_when_parts_are_not_mapped() -> None:
    statuses = status(UNMAPPED, State.READING, ProgressUnit.CHAPTER, 25)
    reason = reason_hidden(statuses, BookUpTo(UNMAPPED, part=1), WORKS)
    assert reason is not None and "in parts" in reason


def test_reason_hidden_escapes_markdown_in_titles() -> None:
    works = {7: Work(7, WorkKind.BOOK, "*Stars* _and_ `code`")}
    reason = reason_hidden({}, WholeBook(7), works)
    assert reason == r"You need to have finished *\*Stars\* \_and\_ \`code\`* first."


def test_reason_for_a_missing_work_names_no_title() -> None:
    assert reason_hidden({}, WholeBook(MISSING), WORKS) == (
        "This is tied to a title that is not in the club catalog, so it stays hidden."
    )


@pytest.mark.parametrize(
    ("scope", "label"),
    [
        (NO_SPOILERS, "No spoilers"),
        (BookUpTo(MAPPED, chapter=12), "The Lantern Keeper, up to ch. 12"),
        # Parts by number only: a part's name can be a spoiler.
        (BookUpTo(MAPPED, part=2), "The Lantern Keeper, up to part 2"),
        (WholeBook(BARE), "Bleak House (whole book)"),
        (Film(FILM), "The Lantern Keeper (2023 film)"),
        (Film(SERIES), "Harbour Lights (whole series)"),
        (SeriesUpTo(SERIES, episode=4), "Harbour Lights, up to ep. 4"),
        (BookAndFilm(MAPPED, FILM), "The Lantern Keeper (book) + The Lantern Keeper (2023 film)"),
        (WholeBook(MISSING), "unknown title #99 (whole book)"),
        (Film(MISSING), "unknown title #99 (film)"),
    ],
)
def test_describe_scope(scope: Scope, label: str) -> None:
    assert describe_scope(scope, WORKS) == label


def test_describe_scope_never_names_a_part() -> None:
    for part in (1, 2, 3):
        label = describe_scope(BookUpTo(MAPPED, part=part), WORKS)
        assert not any(name in label for name in WORKS[MAPPED].parts)


# --- Storage codec ------------------------------------------------------------------------------


def all_sample_scopes() -> list[Scope]:
    """Return many scopes of every shape."""
    scopes: list[Scope] = [NO_SPOILERS]
    for a, b in itertools.product([1, 2, 9, 10, 12, 123456789012], [1, 3, 7, 20, 999]):
        scopes += [
            BookUpTo(a, chapter=b),
            BookUpTo(a, part=b),
            WholeBook(a),
            Film(a),
            SeriesUpTo(a, episode=b),
            BookAndFilm(a, b),
        ]
    return scopes


@pytest.mark.parametrize(
    ("scope", "text"),
    [
        (NO_SPOILERS, "none"),
        (BookUpTo(12, chapter=7), "book:12:ch:7"),
        (BookUpTo(12, part=2), "book:12:part:2"),
        (WholeBook(12), "book:12"),
        (Film(3), "film:3"),
        (SeriesUpTo(5, episode=4), "series:5:ep:4"),
        (BookAndFilm(12, 3), "bookfilm:12:3"),
    ],
)
def test_scope_codec_format(scope: Scope, text: str) -> None:
    assert scope_to_str(scope) == text
    assert scope_from_str(text) == scope


def test_scope_codec_round_trips() -> None:
    scopes = all_sample_scopes()
    texts = [scope_to_str(scope) for scope in scopes]
    assert len(set(texts)) == len(set(scopes))  # distinct scopes never share a string
    for scope, text in zip(scopes, texts, strict=True):
        assert scope_from_str(text) == scope
        assert scope_to_str(scope_from_str(text)) == text


def test_no_spoilers_decodes_to_the_singleton_value() -> None:
    assert scope_from_str("none") == NoSpoilers()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "None",
        " none",
        "book",
        "book:",
        "book:0",
        "book:01",
        "book:-1",
        "book:+1",
        "book:1.0",
        "book:1:ch:0",
        "book:1:ch:",
        "book:1:chapter:2",
        "book:1:ch:2:extra",
        "book:1:part:0",
        "film:abc",
        "film:1 ",
        "film:1\n",
        "bookfilm:1",
        "bookfilm:1:0",
        "series:1",
        "series:1:ep:0",
        "book:1234567890123456789012",
        "book:١٢",  # Arabic-Indic digits are digits to int(), not to the codec
    ],
)
def test_scope_from_str_rejects_malformed(text: str) -> None:
    with pytest.raises(ScopeFormatError):
        scope_from_str(text)


def test_scope_format_error_is_a_value_error() -> None:
    assert issubclass(ScopeFormatError, ValueError)


@pytest.mark.parametrize(
    "build",
    [
        lambda: BookUpTo(1),
        lambda: BookUpTo(1, chapter=1, part=1),
        lambda: BookUpTo(1, chapter=0),
        lambda: BookUpTo(1, part=-1),
        lambda: BookUpTo(0, chapter=1),
        lambda: BookUpTo(True, chapter=1),
        lambda: WholeBook(0),
        lambda: Film(-3),
        lambda: SeriesUpTo(1, episode=0),
        lambda: BookAndFilm(1, 0),
    ],
)
def test_invalid_scopes_cannot_be_built(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"parts": ("a", "b"), "part_last_chapters": (3,)},
        {"parts": ("a", "b"), "part_last_chapters": (3, 3)},
        {"parts": ("a", "b"), "part_last_chapters": (0, 3)},
        {"parts": ("a", "b"), "part_last_chapters": (3, 11), "chapters": 10},
    ],
)
def test_work_rejects_inconsistent_part_maps(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Work(1, WorkKind.BOOK, "x", **kwargs)  # type: ignore[arg-type]


def test_scope_work_ids() -> None:
    assert scope_work_ids(NO_SPOILERS) == ()
    assert scope_work_ids(BookUpTo(4, chapter=1)) == (4,)
    assert scope_work_ids(SeriesUpTo(5, episode=1)) == (5,)
    assert scope_work_ids(BookAndFilm(4, 6)) == (4, 6)


def test_may_see_agrees_with_reason_hidden_everywhere() -> None:
    states = list(State)
    units = [None, *ProgressUnit]
    scopes = [*SCOPES.values(), BookUpTo(UNMAPPED, part=1), BookUpTo(BARE, chapter=2)]
    for work_id, state, unit, value in itertools.product(WORKS, states, units, [None, 0, 5, 13, 50, 100]):
        statuses = status(work_id, state, unit, value)
        for scope in scopes:
            assert may_see(statuses, scope, WORKS) is (reason_hidden(statuses, scope, WORKS) is None)
