"""Fuzzy title matching: normalisation, ranking for autocomplete, and resolving a typed title."""

from __future__ import annotations

import pytest

from bot.titles import (
    MIN_SCORE,
    Candidate,
    Match,
    ResolutionKind,
    fold_text,
    match_titles,
    normalize_title,
    resolve_title,
)

CATALOG: list[Candidate] = [
    (1, "Dune", "Frank Herbert"),
    (2, "Dune Messiah", "Frank Herbert"),
    (3, "Emma", "Jane Austen"),
    (4, "Emmanuel", None),
    (5, "The Lord of the Rings: The Fellowship of the Ring", "J. R. R. Tolkien"),
    (6, "Pride and Prejudice", "Jane Austen"),
    (7, "Frankenstein", "Mary Shelley"),
    (8, "Catch-22", "Joseph Heller"),
    (9, "L'Étranger", "Albert Camus"),
    (10, "Les Misérables", "Victor Hugo"),
    (11, "Ender's Game", "Orson Scott Card"),
    (12, "Crime & Punishment", "Fyodor Dostoevsky"),
    (13, "Moby-Dick; or, The Whale", "Herman Melville"),
    (14, "A Tale of Two Cities", "Charles Dickens"),
    (15, "Das Boot", None),
    (16, "The Lantern Keeper (Harbour Lights, #1)", "Ada Quill"),
]


def ids(matches: list[Match]) -> list[int]:
    """Return the ids of matches, in order."""
    return [match.id for match in matches]


# --- Normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Dune", "dune"),
        ("  DUNE  ", "dune"),
        ("The Hobbit", "hobbit"),
        ("A Tale of Two Cities", "tale of two cities"),
        ("An Unquiet Mind", "unquiet mind"),
        ("Les Misérables", "miserables"),
        ("La Peste", "peste"),
        ("Le Petit Prince", "petit prince"),
        ("El Túnel", "tunel"),
        ("Der Process", "process"),
        ("Die Verwandlung", "verwandlung"),
        ("Das Boot", "boot"),
        ("L'Étranger", "etranger"),
        ("L’Étranger", "etranger"),
        ("Crime & Punishment", "crime and punishment"),
        ("Crime and Punishment", "crime and punishment"),
        ("Ender's Game", "enders game"),
        ("Ender’s Game", "enders game"),
        ("Catch-22", "catch 22"),
        ("Moby-Dick", "moby dick"),
        ("Cien años de soledad", "cien anos de soledad"),
        ("Straße", "strasse"),
        ("Ærø Ø", "aero o"),
        ("Łódź", "lodz"),
        ("Dr. Jekyll   and\tMr. Hyde", "dr jekyll and mr hyde"),
        ("The Lord of the Rings: The Fellowship of the Ring", "lord of the rings the fellowship of the ring"),
        # A lone article is the title itself.
        ("A", "a"),
        ("The", "the"),
        # Only one leading article goes.
        ("The The", "the"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_normalize_title(title: str, key: str) -> None:
    assert normalize_title(title) == key


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("The Lord of the Rings: The Fellowship of the Ring", "lord of the rings"),
        ("Dune (Dune Chronicles, #1)", "dune"),
        ("The Lantern Keeper (Harbour Lights, #1)", "lantern keeper"),
        ("Dune [Deluxe Edition] (Dune, #1)", "dune"),
        ("Frankenstein; or, The Modern Prometheus", "frankenstein"),
        ("Frankenstein: or, The Modern Prometheus", "frankenstein"),
        ("Dune - Part Two", "dune"),
        ("Dune – Part Two", "dune"),
        ("Spider-Man", "spider man"),  # a hyphen without spaces is not a subtitle
        ("Dune", "dune"),
        # Nothing before the separator: keep the whole title.
        (": Dune", "dune"),
        ("(1984)", "1984"),
    ],
)
def test_normalize_title_without_subtitle(title: str, key: str) -> None:
    assert normalize_title(title, drop_subtitle=True) == key


def test_fold_text_keeps_articles() -> None:
    assert fold_text("The Brontë Sisters & Co.") == "the bronte sisters and co"


def test_fold_text_is_idempotent() -> None:
    for _, title, _ in CATALOG:
        folded = fold_text(title)
        assert fold_text(folded) == folded
        assert fold_text(normalize_title(title)) == normalize_title(title)


# --- Ranking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("Dune", 1),
        ("dune", 1),
        ("dun", 1),  # prefix typing
        ("d", 1),
        ("dune mess", 2),
        ("Dnue", 1),  # transposed letters
        ("emma", 3),
        ("Emmanuel", 4),
        ("lord of the rings", 5),  # subtitle missing
        ("fellowship of the ring", 5),
        ("fell ring", 5),  # word starts
        ("the lord", 5),  # with the article
        ("lord", 5),
        ("Pride & Prejudice", 6),
        ("pride and prejudise", 6),  # typo
        ("Frankenstien", 7),
        ("frankenstein", 7),
        ("catch22", 8),
        ("catch 22", 8),
        ("letranger", 9),
        ("l'etranger", 9),
        ("etranger", 9),
        ("miserables", 10),
        ("Les Miserables", 10),
        ("Enders Game", 11),
        ("ender's", 11),
        ("crime and punishment", 12),
        ("crime punishment", 12),
        ("moby dick", 13),
        ("tale of two cities", 14),
        ("the tale of two cities", 14),  # wrong article
        ("boot", 15),
        ("das boot", 15),
        ("lantern keeper", 16),  # without the series note
        ("the lantern keeper (harbour lights #1)", 16),
        ("herbert", 1),  # the extra text (author) is searchable too
        ("austen", 3),
    ],
)
def test_best_match(query: str, best: int) -> None:
    matches = match_titles(query, CATALOG)
    assert matches, query
    assert matches[0].id == best, (query, matches[:3])


@pytest.mark.parametrize("query", ["xyzzy", "qqqq", "zebra crossing", "12345"])
def test_nonsense_matches_nothing(query: str) -> None:
    assert match_titles(query, CATALOG) == []


def test_exact_beats_prefix_emma_vs_emmanuel() -> None:
    matches = match_titles("Emma", CATALOG)
    assert ids(matches)[:2] == [3, 4]
    assert matches[0].score == 1.0
    assert matches[1].score < matches[0].score


def test_scores_are_sorted_and_bounded() -> None:
    for query in ["d", "du", "dune", "the", "a tale", "frank", "xx", "emm", "moby"]:
        matches = match_titles(query, CATALOG)
        scores = [match.score for match in matches]
        assert scores == sorted(scores, reverse=True)
        assert all(MIN_SCORE <= score <= 1 for score in scores)


def test_prefix_scores_rise_as_the_member_types() -> None:
    title = [(1, "Frankenstein", None)]
    scores = [match_titles("Frankenstein"[:n], title)[0].score for n in range(1, 13)]
    assert scores == sorted(scores)
    assert scores[-1] == 1.0


def test_ties_keep_candidate_order() -> None:
    candidates: list[Candidate] = [(7, "Dune", "1984 film"), (3, "Dune", "2021 film"), (5, "Dune", "book")]
    assert ids(match_titles("dune", candidates)) == [7, 3, 5]


def test_limit() -> None:
    candidates: list[Candidate] = [(n, f"Volume {n}", None) for n in range(1, 60)]
    assert len(match_titles("volume", candidates)) == 25
    assert len(match_titles("volume", candidates, limit=5)) == 5


def test_empty_query_lists_candidates_in_the_given_order() -> None:
    matches = match_titles("", CATALOG, limit=3)
    assert ids(matches) == [1, 2, 3]
    assert all(match.score == 0 for match in matches)
    assert ids(match_titles("  !? ", CATALOG, limit=2)) == [1, 2]


def test_match_carries_the_extra_text() -> None:
    assert match_titles("dune", CATALOG)[0] == Match(1, "Dune", 1.0, "Frank Herbert")


def test_extra_text_ranks_below_title_matches() -> None:
    candidates: list[Candidate] = [(1, "Herbert West", None), (2, "Dune", "Frank Herbert")]
    assert ids(match_titles("herbert", candidates)) == [1, 2]


def test_matching_many_candidates_is_fast() -> None:
    import time

    candidates: list[Candidate] = [
        (n, f"Invented Title Number {n} of the Long Shelf", None) for n in range(2000)
    ]
    started = time.perf_counter()
    match_titles("invented title numbr 1999", candidates)
    assert time.perf_counter() - started < 2.0


# --- Resolving ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Dune", 1),
        ("DUNE", 1),
        ("emma", 3),  # exact, although "Emmanuel" starts the same
        ("Emmanuel", 4),
        ("lord of the rings", 5),  # unique once the subtitle is dropped
        ("Dune (Dune Chronicles, #1)", 1),  # the query's series note is dropped
        ("pride and prejudise", 6),  # a close typo with a clear lead
        ("Frankenstien", 7),
        ("catch22", 8),
        ("L'Étranger", 9),
        ("letranger", 9),
        ("les miserables", 10),
        ("crime and punishment", 12),
        ("a tale of two cities", 14),
        ("lantern keeper", 16),
    ],
)
def test_resolve_found(query: str, found: int) -> None:
    resolution = resolve_title(query, CATALOG)
    assert resolution.kind is ResolutionKind.FOUND, (query, resolution)
    assert resolution.match is not None and resolution.match.id == found
    assert ids(resolution.options) == [found]


@pytest.mark.parametrize(
    ("query", "offered"),
    [
        ("emm", {3, 4}),  # a prefix of both
        ("dun", {1, 2}),  # prefix typing is offered, never chosen
        ("Dnue", {1}),  # a typo too rough to trust on a short title
        ("austen", {3, 6}),  # only the author matched
        ("fell ring", {5}),
    ],
)
def test_resolve_ambiguous(query: str, offered: set[int]) -> None:
    resolution = resolve_title(query, CATALOG)
    assert resolution.kind is ResolutionKind.AMBIGUOUS, (query, resolution)
    assert resolution.match is None
    assert offered <= set(ids(resolution.options))


def test_resolve_never_picks_emmanuel_for_emma() -> None:
    only_emmanuel: list[Candidate] = [(4, "Emmanuel", None), (1, "Dune", None)]
    resolution = resolve_title("Emma", only_emmanuel)
    assert resolution.kind is ResolutionKind.AMBIGUOUS
    assert ids(resolution.options) == [4]


def test_resolve_never_picks_a_similar_short_title() -> None:
    resolution = resolve_title("Emma", [(1, "Gemma", None)])
    assert resolution.kind is not ResolutionKind.FOUND


def test_resolve_two_works_with_one_title_is_ambiguous() -> None:
    candidates: list[Candidate] = [(1, "Dune", "book"), (2, "Dune", "1984 film"), (3, "Dune Messiah", None)]
    resolution = resolve_title("dune", candidates)
    assert resolution.kind is ResolutionKind.AMBIGUOUS
    assert ids(resolution.options) == [1, 2]


def test_resolve_two_subtitle_matches_is_ambiguous() -> None:
    candidates: list[Candidate] = [(1, "Dune: Part One", None), (2, "Dune: Part Two", None)]
    resolution = resolve_title("dune", candidates)
    assert resolution.kind is ResolutionKind.AMBIGUOUS
    assert ids(resolution.options) == [1, 2]


def test_resolve_needs_a_margin_between_typos() -> None:
    candidates: list[Candidate] = [(1, "Middlemarch", None), (2, "Middlemarsh", None)]
    resolution = resolve_title("Middlemarck", candidates)
    assert resolution.kind is ResolutionKind.AMBIGUOUS
    assert set(ids(resolution.options)) == {1, 2}


def test_resolve_unknown_offers_the_closest_titles() -> None:
    resolution = resolve_title("Dunes of Arrakis", CATALOG)
    assert resolution.kind is ResolutionKind.UNKNOWN
    assert resolution.match is None
    assert 1 in ids(resolution.options) or 2 in ids(resolution.options)
    assert len(resolution.options) <= 5


def test_resolve_nonsense_is_unknown_without_options() -> None:
    resolution = resolve_title("xyzzy", CATALOG)
    assert resolution.kind is ResolutionKind.UNKNOWN
    assert resolution.options == []


@pytest.mark.parametrize("query", ["", "   ", "?!"])
def test_resolve_empty_query(query: str) -> None:
    assert resolve_title(query, CATALOG).kind is ResolutionKind.UNKNOWN


def test_resolve_with_no_candidates() -> None:
    resolution = resolve_title("dune", [])
    assert resolution.kind is ResolutionKind.UNKNOWN
    assert resolution.options == []


# --- Bounded work -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("x" + " (a)" * 5000, "x"),  # thousands of notes are stripped one scan each
        ("Dune" + " " * 5000 + "Messiah", "dune messiah"),  # a long run of spaces before no separator
        ("Dune" + " " * 5000 + ": Part Two", "dune"),
        ("Dune (a) [b] (c)", "dune"),
        ("Dune (a)] (c)", "dune a"),  # an unbalanced note is kept
    ],
)
def test_subtitle_stripping_of_hostile_titles(title: str, key: str) -> None:
    assert normalize_title(title, drop_subtitle=True) == key


def test_queries_are_cut_to_the_longest_option_discord_accepts() -> None:
    from bot.titles import MAX_QUERY

    long_query = "Dune" + " x" * 5000
    # Only the first MAX_QUERY characters are scored, so the prefix still finds nothing spurious.
    assert len(long_query) > MAX_QUERY
    assert resolve_title(long_query, CATALOG).kind is ResolutionKind.UNKNOWN
