"""Instant-runoff counting of ranked ballots, round by round, with a deterministic tie-break.

The count, in plain words:

1. Each ballot counts for its highest-ranked candidate still in the race. A ballot with no such
   candidate left is *exhausted* and no longer counts towards the majority.
2. A candidate with more than half of the ballots still counting wins. So does the last candidate left.
3. Otherwise the candidate with the fewest votes is eliminated and its ballots move to their next
   choice still in the race (the *transfers*); then the next round starts.

Tie-break when several candidates share the fewest votes: look back at the earlier rounds, from the
first one on, and eliminate whoever had fewer votes in the earliest round where the tied candidates
differ. If they had equal votes in every round, eliminate the one nominated last (earlier nominations
survive). The count records every round where the tie-break decided an elimination.

An election with no non-empty ballot has no winner.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

C = TypeVar("C", bound=Hashable)


@dataclass(frozen=True)
class Round(Generic[C]):
    """One round: the votes each candidate still in the race held, and what happened next."""

    number: int
    votes: dict[C, int]
    exhausted: int
    eliminated: C | None = None
    # Where the eliminated candidate's ballots went (None: exhausted).
    transfers: dict[C | None, int] = field(default_factory=dict)
    tie_break: str | None = None  # how a tie for last place was broken, if there was one

    @property
    def continuing(self) -> int:
        """Return the number of ballots still counting in this round."""
        return sum(self.votes.values())


@dataclass(frozen=True)
class Count(Generic[C]):
    """The result of an instant-runoff count."""

    candidates: tuple[C, ...]
    ballots: int
    rounds: tuple[Round[C], ...]
    winner: C | None

    @property
    def tie_break_used(self) -> bool:
        """Return whether any elimination was decided by the tie-break rule."""
        return any(r.tie_break is not None for r in self.rounds)

    @property
    def eliminated(self) -> list[C]:
        """Return the candidates in the order they were eliminated."""
        return [r.eliminated for r in self.rounds if r.eliminated is not None]


def clean_ballot(ballot: Iterable[C], candidates: Iterable[C]) -> tuple[C, ...]:
    """Keep a ballot's known candidates in order, each once."""
    known = set(candidates)
    seen: set[C] = set()
    kept: list[C] = []
    for choice in ballot:
        if choice in known and choice not in seen:
            seen.add(choice)
            kept.append(choice)
    return tuple(kept)


def _top(ballot: Sequence[C], remaining: set[C]) -> C | None:
    for choice in ballot:
        if choice in remaining:
            return choice
    return None


def _break_tie(tied: list[C], history: list[dict[C, int]], order: dict[C, int]) -> tuple[C, str | None]:
    """Pick which of the candidates tied for last place to eliminate, and say why."""
    if len(tied) == 1:
        return tied[0], None
    names = tied
    for number, votes in enumerate(history, start=1):
        fewest = min(votes.get(c, 0) for c in names)
        lowest = [c for c in names if votes.get(c, 0) == fewest]
        if len(lowest) < len(names):
            names = lowest
            if len(names) == 1:
                return names[0], f"fewest votes in round {number}"
    last = max(names, key=order.__getitem__)
    return last, "nominated last among the tied"


def count(candidates: Sequence[C], ballots: Iterable[Sequence[C]]) -> Count[C]:
    """Count ranked ballots by instant runoff; `candidates` is in nomination order."""
    order = {c: i for i, c in enumerate(candidates)}
    if len(order) != len(candidates):
        raise ValueError("candidates must be distinct")
    cleaned = [clean_ballot(b, candidates) for b in ballots]
    remaining = set(candidates)
    rounds: list[Round[C]] = []
    history: list[dict[C, int]] = []
    winner: C | None = None
    if not any(cleaned) or not candidates:
        return Count(tuple(candidates), len(cleaned), (), None)
    while True:
        votes = {c: 0 for c in candidates if c in remaining}
        piles: dict[C, list[tuple[C, ...]]] = {c: [] for c in votes}
        exhausted = 0
        for ballot in cleaned:
            top = _top(ballot, remaining)
            if top is None:
                exhausted += 1
            else:
                votes[top] += 1
                piles[top].append(ballot)
        history.append(votes)
        continuing = sum(votes.values())
        leader = max(votes, key=lambda c: (votes[c], -order[c]))
        if votes[leader] * 2 > continuing or len(remaining) == 1:
            rounds.append(Round(len(rounds) + 1, votes, exhausted))
            winner = leader
            break
        fewest = min(votes.values())
        tied = [c for c in votes if votes[c] == fewest]
        loser, reason = _break_tie(tied, history[:-1], order)
        remaining.discard(loser)
        transfers: dict[C | None, int] = {}
        for ballot in piles[loser]:
            nxt = _top(ballot, remaining)
            transfers[nxt] = transfers.get(nxt, 0) + 1
        rounds.append(Round(len(rounds) + 1, votes, exhausted, loser, transfers, reason))
    return Count(tuple(candidates), len(cleaned), tuple(rounds), winner)
