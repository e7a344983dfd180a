"""`/club stats` lines: counts only, "let in" only where the bot lets members in, the asker's own part."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import Work, WorkKind
from bot.spoilers import BookUpTo
from bot.store import Discussion, OwnPart, ParticipationCounts
from cogs.club._stats import discussion_line, own_mark, own_summary

WORKS = {1: Work(1, WorkKind.BOOK, "The Lantern Keeper", chapters=30)}
WHEN = datetime(2026, 11, 6, 18, tzinfo=UTC)


def discussion(i: int, mode: str) -> Discussion:
    return Discussion(
        id=i,
        guild_id=9,
        work_id=1,
        scope=BookUpTo(1, chapter=10),
        title="The Lantern Keeper",
        questions=("Why does Mara leave?",),
        opens_at=WHEN,
        closes_at=WHEN,
        channel_id=2,
        thread_id=3,
        event_id=4,
        mode=mode,  # type: ignore[arg-type]
        state="closed",
        created_by=None,
    )


def test_a_gated_line_has_all_three_counts_and_a_tagged_one_no_let_in():
    counts = ParticipationCounts(interested=4, let_in=3, took_part=5)
    gated = discussion_line(discussion(1, "gated"), WORKS, counts)
    assert (
        gated
        == f"<t:{int(WHEN.timestamp())}:d> · **The Lantern Keeper, up to ch. 10** · 4 interested, 3 let in, 5 took part"
    )
    tagged = discussion_line(discussion(2, "tagged"), WORKS, counts)
    assert tagged.endswith("· 4 interested, 5 took part")
    assert "Mara" not in gated + tagged  # questions never appear


def test_the_members_own_part():
    held = [discussion(1, "gated"), discussion(2, "tagged"), discussion(3, "gated")]
    mine = {1: OwnPart(interested=True, let_in=True, took_part=True), 2: OwnPart(interested=True)}
    assert own_mark(mine.get(1)) == " · **you took part**"
    assert own_mark(mine.get(2)) == " · you were interested"
    assert own_mark(mine.get(3)) == ""
    assert own_summary(held, mine).startswith(
        "You took part in 1 of these 3 discussions and marked 2 Interested."
    )
