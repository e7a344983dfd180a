"""Star ratings: one 0.5-5 scale in halves for members; imports keep their own precision."""

from __future__ import annotations

import math
from collections.abc import Iterable

from bot.errors import UserError

MIN_RATING = 0.5
MAX_RATING = 5.0


def parse_member_rating(value: float | str) -> float:
    """Return a member's rating on the 0.5-5 scale in halves, or explain what is allowed."""
    try:
        rating = float(str(value).strip().replace(",", "."))
    except ValueError:
        rating = math.nan
    if not math.isfinite(rating) or not MIN_RATING <= rating <= MAX_RATING or (rating * 2) % 1:
        raise UserError(
            f"Ratings go from 0.5 to 5 stars in halves (0.5, 1, 1.5, … 5), not `{str(value)[:20]}`."
        )
    return rating


def round_to_half(rating: float) -> float:
    """Round a rating to the nearest half star, halves of halves going up (3.75 → 4)."""
    return math.floor(rating * 2 + 0.5) / 2


def stars(rating: float) -> str:
    """Render a rating as stars rounded to halves, e.g. "★★★½☆ 3.5/5"."""
    shown = min(MAX_RATING, max(MIN_RATING, round_to_half(rating)))
    full = int(shown)
    half = shown - full >= 0.5
    empty = 5 - full - (1 if half else 0)
    number = f"{shown:g}"
    return "★" * full + ("½" if half else "") + "☆" * empty + f" {number}/5"


def average(ratings: Iterable[float]) -> float | None:
    """Return the mean of the ratings, or None when there are none."""
    values = list(ratings)
    return sum(values) / len(values) if values else None


def describe_average(ratings: Iterable[float]) -> str:
    """Render an average with its count, e.g. "★★★★☆ 4/5 (3.83 from 6 ratings)"."""
    values = list(ratings)
    mean = average(values)
    if mean is None:
        return "no ratings yet"
    noun = "rating" if len(values) == 1 else "ratings"
    return f"{stars(mean)} (average {mean:.2f} from {len(values)} {noun})"
