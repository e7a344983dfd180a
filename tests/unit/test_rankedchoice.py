"""Instant-runoff counting: hand-checked examples and properties that any correct count keeps."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from cogs.polls._rankedchoice import clean_ballot, count


def ballots_of(*groups: tuple[int, str]) -> list[list[str]]:
    """Expand (how many, "A>B>C") groups into ballots."""
    out: list[list[str]] = []
    for n, ranking in groups:
        out.extend([ranking.split(">") if ranking else [] for _ in range(n)])
    return out


def test_tennessee_capital_example() -> None:
    # The well-known textbook case (Wikipedia's "Instant-runoff voting" article): 100 voters choose a
    # state capital. Memphis leads on first preferences but loses once the others' ballots transfer.
    # Hand check: round 1 M42 N26 C15 K17, Chattanooga out (its 15 go to Knoxville);
    # round 2 M42 N26 K32, Nashville out (its 26 rank Chattanooga next, then Knoxville);
    # round 3 M42 K58: Knoxville has the majority.
    ballots = ballots_of((42, "M>N>C>K"), (26, "N>C>K>M"), (15, "C>K>N>M"), (17, "K>C>N>M"))
    result = count(["M", "N", "C", "K"], ballots)
    assert result.winner == "K"
    assert [r.votes for r in result.rounds] == [
        {"M": 42, "N": 26, "C": 15, "K": 17},
        {"M": 42, "N": 26, "K": 32},
        {"M": 42, "K": 58},
    ]
    assert result.eliminated == ["C", "N"]
    assert result.rounds[0].transfers == {"K": 15}
    assert result.rounds[1].transfers == {"K": 26}
    assert not result.tie_break_used


def test_majority_in_first_round_ends_the_count() -> None:
    result = count(["A", "B", "C"], ballots_of((3, "A"), (1, "B>A"), (1, "C")))
    assert result.winner == "A"
    assert len(result.rounds) == 1
    assert result.rounds[0].eliminated is None


def test_exhausted_ballots_leave_the_majority() -> None:
    # Round 1: A4 B3 C2, C out; one C ballot has no other choice (exhausted), the other goes to B.
    # Round 2: A4 B4 with 8 ballots still counting: no majority. A tie for last: round 1 had B3 < A4,
    # so B goes. Round 3: A alone wins with its 4 ballots.
    result = count(["A", "B", "C"], ballots_of((4, "A"), (3, "B"), (1, "C"), (1, "C>B")))
    assert [r.exhausted for r in result.rounds] == [0, 1, 5]
    assert result.rounds[0].transfers == {None: 1, "B": 1}
    assert result.rounds[1].tie_break == "fewest votes in round 1"
    assert result.winner == "A"


def test_tie_for_last_broken_by_earliest_round_that_differs() -> None:
    # Round 1: A6 B4 C3 D2, D out (one ballot to C, one exhausted). Round 2: A6 B4 C4: B and C tie
    # for last; in round 1 C had fewer (3 < 4), so C goes, three ballots to B, one exhausted.
    # Round 3: A6 B7 of 13 counting: B wins.
    ballots = ballots_of((6, "A"), (4, "B"), (3, "C>B"), (1, "D>C"), (1, "D"))
    result = count(["A", "B", "C", "D"], ballots)
    assert result.eliminated == ["D", "C"]
    assert result.rounds[1].votes == {"A": 6, "B": 4, "C": 4}
    assert result.rounds[1].tie_break == "fewest votes in round 1"
    assert result.rounds[1].transfers == {"B": 3, None: 1}
    assert result.rounds[2].votes == {"A": 6, "B": 7}
    assert result.winner == "B"


def test_complete_tie_eliminates_the_last_nominated() -> None:
    result = count(["A", "B"], ballots_of((1, "A"), (1, "B")))
    assert result.rounds[0].eliminated == "B"
    assert result.rounds[0].tie_break == "nominated last among the tied"
    assert result.winner == "A"
    # Nomination order decides, not the names.
    assert count(["B", "A"], ballots_of((1, "A"), (1, "B"))).winner == "B"


def test_no_ballots_no_winner() -> None:
    assert count(["A", "B"], []).winner is None
    assert count(["A", "B"], [[], []]).winner is None


def test_unknown_and_repeated_choices_are_ignored() -> None:
    assert clean_ballot(["A", "Z", "A", "B"], ["A", "B"]) == ("A", "B")


# Properties over small random elections: candidates are 0..n-1 in nomination order.
elections = st.integers(min_value=2, max_value=6).flatmap(
    lambda n: st.tuples(
        st.just(list(range(n))),
        st.lists(
            st.permutations(list(range(n))).flatmap(
                lambda p: st.integers(min_value=0, max_value=len(p)).map(lambda k: p[:k])
            ),
            max_size=40,
        ),
    )
)


@settings(max_examples=300, deadline=None)
@given(elections)
def test_a_majority_of_first_preferences_always_wins(election: tuple[list[int], list[list[int]]]) -> None:
    candidates, ballots = election
    firsts = Counter(b[0] for b in ballots if b)
    counted = sum(firsts.values())
    majority = [c for c, n in firsts.items() if n * 2 > counted]
    if majority:
        assert count(candidates, ballots).winner == majority[0]


@settings(max_examples=300, deadline=None)
@given(elections)
def test_removing_a_first_round_loser_keeps_the_winner(election: tuple[list[int], list[list[int]]]) -> None:
    candidates, ballots = election
    result = count(candidates, ballots)
    if result.tie_break_used or not result.rounds or result.rounds[0].eliminated is None:
        return
    gone = result.rounds[0].eliminated
    without = count([c for c in candidates if c != gone], [[c for c in b if c != gone] for b in ballots])
    assert without.winner == result.winner


@settings(max_examples=300, deadline=None)
@given(elections, st.randoms(use_true_random=False))
def test_count_does_not_depend_on_ballot_order(election: tuple[list[int], list[list[int]]], rnd) -> None:
    candidates, ballots = election
    shuffled = list(ballots)
    rnd.shuffle(shuffled)
    assert count(candidates, shuffled) == count(candidates, ballots)


@settings(max_examples=200, deadline=None)
@given(elections)
def test_every_round_accounts_for_every_ballot(election: tuple[list[int], list[list[int]]]) -> None:
    candidates, ballots = election
    result = count(candidates, ballots)
    for r in result.rounds:
        assert r.continuing + r.exhausted == len(ballots)
        if r.eliminated is not None:
            assert sum(r.transfers.values()) == r.votes[r.eliminated]
    if any(ballots):
        assert result.winner is not None
