"""How `/status` renders lists, charts, previews and exports."""

from __future__ import annotations

import io

import discord

from bot.domain import MemberStatus, ProgressUnit, State, Work
from bot.lookup import work_label
from bot.services.statuses import STATE_LABELS
from bot.store import StatusChange, StatusRecord, StatusUpdate
from bot.text import LIMITS, escape, fit_lines
from cogs.status._spreadsheet import write_csv
from cogs.status.importers import ImportPreview, ImportRow, SkippedRow


def export_csv(
    records: list[StatusRecord], history: list[StatusChange], works: dict[int, Work]
) -> tuple[bytes, bytes]:
    """Write a member's statuses and their history as two CSV documents (safe to open in a spreadsheet)."""
    current = write_csv(
        ["title", "kind", "year", "state", "progress_unit", "progress_value", "updated_at"],
        (
            [
                *_export_row(
                    works.get(r.status.work_id),
                    r.status.state,
                    r.status.progress_unit,
                    r.status.progress_value,
                ),
                r.updated_at.isoformat(),
            ]
            for r in records
        ),
    )
    changes = write_csv(
        ["title", "kind", "year", "state", "progress_unit", "progress_value", "source", "changed_at"],
        (
            [
                *_export_row(works.get(c.work_id), c.state, c.progress_unit, c.progress_value),
                c.source,
                c.changed_at.isoformat(),
            ]
            for c in history
        ),
    )
    return current, changes


def export_files(statuses: bytes, history: bytes) -> list[discord.File]:
    """Attach the two CSV documents of an export."""
    return [
        discord.File(io.BytesIO(statuses), filename="statuses.csv"),
        discord.File(io.BytesIO(history), filename="status_history.csv"),
    ]


def _export_row(work: Work | None, state: State, unit: ProgressUnit | None, value: float | None) -> list[str]:
    return [
        work.title if work else "(removed from catalog)",
        work.kind.value if work else "",
        str(work.year) if work and work.year else "",
        state.value,
        unit.value if unit else "",
        f"{value:g}" if value is not None else "",
    ]


def progress_histogram(book: Work, statuses: list[MemberStatus], buckets: int = 5) -> str:
    """Render where readers are as a small bar chart (by chapter when the book has chapters)."""
    if not statuses:
        return ""
    values: list[float] = []
    unknown = 0
    for s in statuses:
        if s.progress_value is None:
            unknown += 1
        elif s.progress_unit is ProgressUnit.PERCENT:
            values.append(s.progress_value / 100)
        elif s.progress_unit is ProgressUnit.CHAPTER and book.chapters:
            values.append(s.progress_value / book.chapters)
        elif s.progress_unit is ProgressUnit.PAGE and book.pages:
            values.append(s.progress_value / book.pages)
        elif s.progress_unit is ProgressUnit.PART and book.parts:
            values.append(s.progress_value / len(book.parts))
        else:
            unknown += 1
    counts = [0] * buckets
    for v in values:
        counts[min(int(v * buckets), buckets - 1)] += 1
    lines = []
    for i, count in enumerate(counts):
        low, high = i * 100 // buckets, (i + 1) * 100 // buckets
        if book.chapters:
            label = f"ch. {max(1, round(book.chapters * low / 100))}-{round(book.chapters * high / 100)}"
        else:
            label = f"{low}-{high}%"
        lines.append(f"`{label:>10}` {'█' * count} {count}")
    if unknown:
        lines.append(f"no progress given: {unknown}")
    return "\n".join(lines)


def import_preview_embed(
    source: str,
    planned: list[tuple[ImportRow, StatusUpdate]],
    kept: list[tuple[ImportRow, str]],
    preview: ImportPreview,
    skipped: list[SkippedRow],
    works: dict[int, Work],
) -> discord.Embed:
    """Show what an import would record and what it leaves out, and why."""
    # Titles and reasons come from the export (a reason may quote a shelf or an author): all escaped.
    embed = discord.Embed(title=f"Import from {source}", colour=discord.Colour.blurple())
    embed.add_field(
        name=f"Will record ({len(planned)})",
        value=fit_lines(
            [
                f"{escape(work_label(works[u.work_id]), limit=120)}: {STATE_LABELS[u.state]}"
                for _, u in planned
            ],
            LIMITS.field_value,
        ),
        inline=False,
    )
    if kept:
        embed.add_field(
            name=f"Unchanged ({len(kept)})",
            value=fit_lines(
                [f"{escape(r.title, limit=120)}: {escape(why)}" for r, why in kept], LIMITS.field_value
            ),
            inline=False,
        )
    left_out = [
        f"line {r.source_line}: {escape(r.title, limit=120)} ({escape(why, limit=300)})"
        for r, why in preview.unmatched
    ]
    left_out += [
        f"line {s.source_line}: {escape(s.title or '?', limit=120)} ({escape(s.reason, limit=300)})"
        for s in skipped
    ]
    if left_out:
        embed.add_field(
            name=f"Not in the club's catalog or unreadable ({len(left_out)})",
            value=fit_lines(left_out, LIMITS.field_value),
            inline=False,
        )
    return embed
