"""How the club's discussions went, in counts: interested, let in, took part (no names, no rankings)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain import Work
from bot.services.discussions import render
from bot.store import Discussion, OwnPart, ParticipationCounts


def discussion_line(d: Discussion, works: Mapping[int, Work], counts: ParticipationCounts) -> str:
    """Return one discussion with its counts; "let in" only for gated ones, where the bot lets members in."""
    parts = [f"{counts.interested} interested"]
    if d.mode == "gated":
        parts.append(f"{counts.let_in} let in")
    parts.append(f"{counts.took_part} took part")
    return f"<t:{int(d.opens_at.timestamp())}:d> · {render.scope_line(d, works)} · " + ", ".join(parts)


def own_mark(part: OwnPart | None) -> str:
    """Return what the asking member did for one discussion (their own, so it may name them: "you")."""
    if part is None:
        return ""
    if part.took_part:
        return " · **you took part**"
    return " · you were interested" if part.interested else ""


def own_summary(held: Sequence[Discussion], mine: Mapping[int, OwnPart]) -> str:
    """Return the member's own part in the discussions shown, as plain counts."""
    took = sum(1 for d in held if (p := mine.get(d.id)) and p.took_part)
    interested = sum(1 for d in held if (p := mine.get(d.id)) and p.interested)
    n = len(held)
    return (
        f"You took part in {took} of these {n} discussion{'s' if n != 1 else ''} and marked "
        f"{interested} Interested. Only you see this."
    )
