"""`/status`: each member's "read it / watched it" status, progress, imports and export."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
import secrets
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain import STATE_RANK, MemberStatus, ProgressUnit, State, Work
from bot.errors import NotAllowed, NotConfigured, UserError
from bot.imports import (
    MAX_IMPORT_BYTES,
    ImportFileError,
    ImportPreview,
    ImportRow,
    SkippedRow,
    match_import,
    parse_upload,
)
from bot.lookup import choices_for, pick_work, work_label
from bot.statuses import (
    STATE_LABELS,
    StatusButton,
    build_update,
    confirmation,
    describe_status,
    pick_for_state,
)
from bot.store import CatalogRepository, GuildSettingsRepository, StatusRepository, StatusUpdate
from bot.ui import BookClubView, ReportsErrors

if TYPE_CHECKING:
    from bot.client import BookClubBot

log = logging.getLogger(__name__)

IMPORT_TTL = timedelta(minutes=15)
STATE_CHOICES = [app_commands.Choice(name=label, value=state.value) for state, label in STATE_LABELS.items()]


def _fit_lines(lines: list[str], limit: int = 1024) -> str:
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        if used + len(line) + 1 > limit - 20:
            out.append(f"… and {len(lines) - index} more")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out) or "-"


def _escape(text: str) -> str:
    return discord.utils.escape_markdown(text)


@dataclass
class PendingImport:
    """An import preview waiting for the member's confirmation."""

    guild_id: int
    user_id: int
    updates: list[StatusUpdate]
    created_at: datetime


def plan_import(
    preview: ImportPreview, current: dict[int, MemberStatus]
) -> tuple[list[tuple[ImportRow, StatusUpdate]], list[tuple[ImportRow, str]]]:
    """Turn matched rows into updates; rows that would change nothing or go backwards are kept out."""
    updates: list[tuple[ImportRow, StatusUpdate]] = []
    kept: list[tuple[ImportRow, str]] = []
    for row, work_id in preview.matched:
        state = row.state
        existing = current.get(work_id)
        if existing is not None and existing.state == state:
            kept.append((row, "already recorded"))
            continue
        if existing is not None and STATE_RANK[existing.state] > STATE_RANK[state]:
            kept.append((row, f"you already marked it {STATE_LABELS[existing.state]}"))
            continue
        at = datetime.combine(row.finished_at, time(12), tzinfo=UTC) if row.finished_at else None
        updates.append((row, StatusUpdate(work_id, state, at=at)))
    return updates, kept


class ImportButton(
    ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"bookclub:import:(?P<action>confirm|cancel):(?P<token>[0-9a-f]{16})",
):
    """Confirm or cancel an import preview."""

    def __init__(self, action: str, token: str) -> None:
        self.action = action
        self.token = token
        label, style = (
            ("Import these", discord.ButtonStyle.success)
            if action == "confirm"
            else ("Cancel", discord.ButtonStyle.secondary)
        )
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"bookclub:import:{action}:{token}")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ImportButton:
        """Rebuild the button from its custom id."""
        return cls(match["action"], match["token"])

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Apply the whole import in one transaction, or drop it."""
        cog = interaction.client.get_cog("StatusCog")
        assert isinstance(cog, StatusCog)
        pending = cog.pending_imports.get(self.token)
        if pending is not None and pending.user_id != interaction.user.id:
            raise NotAllowed("This import belongs to someone else; run `/status import` with your own file.")
        cog.pending_imports.pop(self.token, None)
        if self.action == "cancel":
            await interaction.response.edit_message(
                content="Import cancelled: nothing was changed.", embed=None, view=None
            )
            return
        if pending is None or interaction.client.clock.now() - pending.created_at > IMPORT_TTL:
            raise UserError("This preview has expired (or the bot restarted); run `/status import` again.")
        try:
            count = await cog.statuses.set_many(
                pending.guild_id, pending.user_id, pending.updates, source="import"
            )
        except sqlite3.IntegrityError as exc:  # a title left the catalog after the preview
            raise UserError(
                "The club's catalog changed since this preview, so nothing was imported; "
                "run `/status import` again."
            ) from exc
        log.info("User %s imported %d statuses in guild %s", pending.user_id, count, pending.guild_id)
        await interaction.response.edit_message(
            content=f"Imported {count} statuses. `/status show` lists them.", embed=None, view=None
        )


@app_commands.guild_only()
class StatusCog(commands.GroupCog, group_name="status", group_description="What you have read and watched"):
    """Members' statuses."""

    def __init__(
        self,
        bot: BookClubBot,
        catalog: CatalogRepository,
        statuses: StatusRepository,
        guilds: GuildSettingsRepository,
    ) -> None:
        self.bot = bot
        self.catalog = catalog
        self.statuses = statuses
        self.guilds = guilds
        self.pending_imports: dict[str, PendingImport] = {}
        super().__init__()

    async def cog_load(self) -> None:
        """Route status and import buttons here, including on messages sent before a restart."""
        self.bot.add_dynamic_items(StatusButton, ImportButton)

    async def cog_unload(self) -> None:
        """Stop routing the buttons here."""
        self.bot.remove_dynamic_items(StatusButton, ImportButton)

    async def title_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest any catalog title."""
        assert interaction.guild_id is not None
        return choices_for(await self.catalog.works(interaction.guild_id), current)

    @app_commands.command(name="set", description="Record what you have read or watched, and how far you are")
    @app_commands.describe(
        title="A book, film or series from the club's catalog",
        state="Where you are with it",
        progress="How far, for reading/watching: 12 (chapter), p 140, 45%, part 2, ep 3",
    )
    @app_commands.choices(state=STATE_CHOICES)
    @app_commands.autocomplete(title=title_autocomplete)
    async def set_status(
        self,
        interaction: discord.Interaction[BookClubBot],
        title: str,
        state: app_commands.Choice[str],
        progress: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        """Set the member's status for one title."""
        assert interaction.guild_id is not None
        work = pick_for_state(await self.catalog.works(interaction.guild_id), title, State(state.value))
        update = build_update(work, State(state.value), progress)
        status = await self.statuses.set(interaction.guild_id, interaction.user.id, update, source="command")
        await interaction.response.send_message(confirmation(work, status), ephemeral=True)

    @app_commands.command(name="show", description="Show your statuses, or another member's")
    @app_commands.describe(member="Whose statuses to show (default: yours)")
    async def show(
        self, interaction: discord.Interaction[BookClubBot], member: discord.Member | None = None
    ) -> None:
        """List a member's statuses, most recent first."""
        assert interaction.guild_id is not None
        who = member or interaction.user
        works = await self.catalog.works(interaction.guild_id)
        records = [
            r
            for r in await self.statuses.records_for_member(interaction.guild_id, who.id)
            if r.status.work_id in works
        ]
        embed = discord.Embed(title=f"{who.display_name}'s shelf", colour=discord.Colour.blurple())
        if not records:
            embed.description = (
                "Nothing recorded yet. Use `/status set`, the buttons on club posts, or `/status import`."
                if who == interaction.user
                else "Nothing recorded yet."
            )
        lines = [
            f"{_escape(work_label(works[r.status.work_id]))}: {describe_status(r.status, works[r.status.work_id])}"
            f" (<t:{int(r.updated_at.timestamp())}:d>)"
            for r in records
        ]
        if lines:
            embed.description = _fit_lines(lines, 4000)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="who", description="Who has read or watched a title, and who is where")
    @app_commands.describe(title="A book, film or series from the club's catalog")
    @app_commands.autocomplete(title=title_autocomplete)
    async def who(self, interaction: discord.Interaction[BookClubBot], title: str) -> None:
        """Group members by their status for one title (mentions never ping)."""
        assert interaction.guild_id is not None
        work = pick_work(await self.catalog.works(interaction.guild_id), title)
        records = await self.statuses.for_work(interaction.guild_id, work.id)
        embed = discord.Embed(title=f"Who and where: {work_label(work)}", colour=discord.Colour.blurple())
        by_state: dict[State, list[str]] = {}
        for record in records:
            progress = describe_status(record.status, work)
            suffix = f" ({progress.split('(', 1)[1]}" if "(" in progress else ""
            by_state.setdefault(record.status.state, []).append(f"<@{record.user_id}>{suffix}")
        for state, label in STATE_LABELS.items():
            if state in by_state:
                names = by_state[state]
                embed.add_field(
                    name=f"{label.capitalize()} ({len(names)})", value=_fit_lines(names), inline=False
                )
        if not records:
            embed.description = "Nobody has recorded a status for it yet."
        else:
            embed.set_footer(text=f"{len(records)} members in all")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="club", description="How the club is doing with the current book")
    async def club(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Overview of the current book: finished, reading (with a progress distribution), and the adaptation."""
        assert interaction.guild_id is not None
        settings = await self.guilds.get(interaction.guild_id)
        works = await self.catalog.works(interaction.guild_id)
        book = works.get(settings.current_book_id) if settings.current_book_id else None
        if book is None:
            raise NotConfigured(
                "The club has no current book yet: an organizer can choose one with `/book current`."
            )
        records = await self.statuses.for_work(interaction.guild_id, book.id)
        counts = Counter(r.status.state for r in records)
        embed = discord.Embed(title=f"The club and {work_label(book)}", colour=discord.Colour.green())
        embed.add_field(name="Finished", value=str(counts[State.READ]))
        embed.add_field(name="Reading", value=str(counts[State.READING]))
        embed.add_field(name="Want to read", value=str(counts[State.WANT_TO_READ]))
        if counts[State.DNF]:
            embed.add_field(name="Did not finish", value=str(counts[State.DNF]))
        histogram = progress_histogram(book, [r.status for r in records if r.status.state is State.READING])
        if histogram:
            embed.add_field(name="Where readers are", value=histogram, inline=False)
        screen = works.get(settings.current_adaptation_id) if settings.current_adaptation_id else None
        if screen is not None:
            watched = sum(
                1
                for r in await self.statuses.for_work(interaction.guild_id, screen.id)
                if r.status.state is State.WATCHED
            )
            embed.add_field(name=f"Watched {work_label(screen)}", value=str(watched), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(
        name="import",
        description="Import your Goodreads, StoryGraph or Letterboxd export (you confirm first)",
    )
    @app_commands.describe(
        file="Goodreads or StoryGraph library CSV, Letterboxd watched.csv/diary.csv or the export .zip"
    )
    async def import_file(
        self, interaction: discord.Interaction[BookClubBot], file: discord.Attachment
    ) -> None:
        """Parse an export, match it against the catalog and show a preview to confirm."""
        assert interaction.guild_id is not None
        if file.size > MAX_IMPORT_BYTES:
            raise UserError(
                f"`{_escape(file.filename)}` is {file.size / 1_048_576:.1f} MB; imports can be at most "
                f"{MAX_IMPORT_BYTES // 1_048_576} MB. Export only your library CSV (or the Letterboxd zip)."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            raise UserError("I could not download that file from Discord; please attach it again.") from exc
        try:
            parsed = await asyncio.to_thread(parse_upload, file.filename, data)
        except ImportFileError as exc:
            raise UserError(exc.message) from exc
        works = await self.catalog.works(interaction.guild_id)
        preview = match_import(parsed.rows, works)
        current = await self.statuses.for_member(interaction.guild_id, interaction.user.id)
        planned, kept = plan_import(preview, current)
        embed = import_preview_embed(parsed.format.label, planned, kept, preview, parsed.skipped, works)
        if not planned:
            await interaction.followup.send(
                "Nothing to import: no row adds anything to your statuses in this club's catalog.",
                embed=embed,
                ephemeral=True,
            )
            return
        self._expire_imports()
        token = secrets.token_hex(8)
        self.pending_imports[token] = PendingImport(
            interaction.guild_id, interaction.user.id, [u for _, u in planned], self.bot.clock.now()
        )
        view = BookClubView(timeout=None)
        view.add_item(ImportButton("confirm", token)).add_item(ImportButton("cancel", token))
        await interaction.followup.send(
            f"Here is what importing would do. Nothing changes until you press **Import these** (valid {int(IMPORT_TTL.total_seconds() // 60)} minutes).",
            embed=embed,
            view=view,
            ephemeral=True,
        )

    def _expire_imports(self) -> None:
        now = self.bot.clock.now()
        for token, pending in list(self.pending_imports.items()):
            if now - pending.created_at > IMPORT_TTL:
                del self.pending_imports[token]

    @app_commands.command(name="export", description="Download your statuses and their history as CSV")
    async def export(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Send the member their own records as two CSV files."""
        assert interaction.guild_id is not None
        works = await self.catalog.works(interaction.guild_id)
        records = await self.statuses.records_for_member(interaction.guild_id, interaction.user.id)
        history = await self.statuses.history(interaction.guild_id, interaction.user.id)
        if not records and not history:
            raise UserError("You have no statuses to export yet.")
        current = io.StringIO()
        writer = csv.writer(current)
        writer.writerow(["title", "kind", "year", "state", "progress_unit", "progress_value", "updated_at"])
        for r in records:
            w = works.get(r.status.work_id)
            writer.writerow(
                [
                    *_export_row(w, r.status.state, r.status.progress_unit, r.status.progress_value),
                    r.updated_at.isoformat(),
                ]
            )
        changes = io.StringIO()
        writer = csv.writer(changes)
        writer.writerow(
            ["title", "kind", "year", "state", "progress_unit", "progress_value", "source", "changed_at"]
        )
        for c in history:
            w = works.get(c.work_id)
            writer.writerow(
                [
                    *_export_row(w, c.state, c.progress_unit, c.progress_value),
                    c.source,
                    c.changed_at.isoformat(),
                ]
            )
        files = [
            discord.File(io.BytesIO(current.getvalue().encode("utf-8")), filename="statuses.csv"),
            discord.File(io.BytesIO(changes.getvalue().encode("utf-8")), filename="status_history.csv"),
        ]
        await interaction.response.send_message(
            f"Your {len(records)} statuses and {len(history)} changes in this server.",
            files=files,
            ephemeral=True,
        )


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
    embed = discord.Embed(title=f"Import from {source}", colour=discord.Colour.blurple())
    embed.add_field(
        name=f"Will record ({len(planned)})",
        value=_fit_lines(
            [f"{_escape(work_label(works[u.work_id]))}: {STATE_LABELS[u.state]}" for _, u in planned]
        ),
        inline=False,
    )
    if kept:
        embed.add_field(
            name=f"Unchanged ({len(kept)})",
            value=_fit_lines([f"{_escape(r.title)}: {why}" for r, why in kept]),
            inline=False,
        )
    left_out = [f"line {r.source_line}: {_escape(r.title)} ({why})" for r, why in preview.unmatched]
    left_out += [f"line {s.source_line}: {_escape(s.title or '?')} ({s.reason})" for s in skipped]
    if left_out:
        embed.add_field(
            name=f"Not in the club's catalog or unreadable ({len(left_out)})",
            value=_fit_lines(left_out),
            inline=False,
        )
    return embed


async def setup(bot: BookClubBot) -> None:
    """Register the cog."""
    await bot.add_cog(StatusCog(bot, bot.store.catalog, bot.store.statuses, bot.store.guilds))
