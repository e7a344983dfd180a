"""The `/status` command group."""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain import State
from bot.errors import NotConfigured, UserError
from bot.lookup import AnyTitle, TitleQuery, suggest_titles, work_label
from bot.replies import reply
from bot.services.statuses import (
    PROGRESS_MODAL,
    STATE_LABELS,
    StatusButton,
    answer_progress_modal,
    build_update,
    confirmation,
    describe_status,
    pick_for_state,
    record_status,
)
from bot.store import (
    IMPORT_PREVIEW_TTL,
    CatalogRepository,
    GuildSettingsRepository,
    ImportPreviewRepository,
    StatusRepository,
)
from bot.text import LIMITS, code_span, escape, fit_lines
from bot.ui import BookClubView
from bot.workers import WorkTimeout
from cogs.status._imports import ImportButton, plan_import
from cogs.status._render import export_csv, export_files, import_preview_embed, progress_histogram
from cogs.status.importers import MAX_IMPORT_BYTES, ImportFileError, prepare_import

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from bot.workers import Workers

log = logging.getLogger(__name__)

# Seconds an import may spend parsing and matching, and an export writing CSV, in a worker process.
IMPORT_BUDGET = 20.0
EXPORT_BUDGET = 20.0

STATE_CHOICES = [app_commands.Choice(name=label, value=state.value) for state, label in STATE_LABELS.items()]


@app_commands.guild_only()
class StatusCog(commands.GroupCog, group_name="status", group_description="What you have read and watched"):
    """Members' statuses."""

    def __init__(
        self,
        bot: BookClubBot,
        *,
        catalog: CatalogRepository,
        statuses: StatusRepository,
        guilds: GuildSettingsRepository,
        previews: ImportPreviewRepository,
        workers: Workers,
    ) -> None:
        self.workers = workers
        self.bot = bot
        self.catalog = catalog
        self.statuses = statuses
        self.guilds = guilds
        self.previews = previews
        super().__init__()

    async def cog_load(self) -> None:
        """Route status and import buttons here, including on messages sent before a restart."""
        self.bot.add_dynamic_items(StatusButton, ImportButton)
        self.bot.modals.add(PROGRESS_MODAL, answer_progress_modal)

    async def cog_unload(self) -> None:
        """Stop routing the buttons here."""
        self.bot.remove_dynamic_items(StatusButton, ImportButton)
        self.bot.modals.remove(PROGRESS_MODAL)

    @app_commands.command(name="set", description="Record what you have read or watched, and how far you are")
    @app_commands.describe(
        title="A book, film or series from the club's catalog",
        state="Where you are with it",
        progress="How far, for reading/watching: 12 (chapter), p 140, 45%, part 2, ep 3",
    )
    @app_commands.choices(state=STATE_CHOICES)
    # Which kinds fit depends on the state ("read" means a book), so `pick_for_state` resolves it.
    @app_commands.autocomplete(title=suggest_titles)
    async def set_status(
        self,
        interaction: discord.Interaction[BookClubBot],
        title: TitleQuery,
        state: app_commands.Choice[str],
        progress: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        """Set the member's status for one title."""
        assert interaction.guild_id is not None
        works = await self.catalog.works(interaction.guild_id)
        work = await pick_for_state(works, title, State(state.value), workers=self.workers)
        update = build_update(work, State(state.value), progress)
        status = await record_status(
            self.statuses, interaction.guild_id, interaction.user.id, work, update, source="command"
        )
        await reply(interaction, confirmation(work, status))

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
        embed = discord.Embed(title=f"{escape(who.display_name)}'s shelf", colour=discord.Colour.blurple())
        if not records:
            embed.description = (
                "Nothing recorded yet. Use `/status set`, the buttons on club posts, or `/status import`."
                if who == interaction.user
                else "Nothing recorded yet."
            )
        lines = [
            f"{escape(work_label(works[r.status.work_id]), limit=160)}: "
            f"{describe_status(r.status, works[r.status.work_id])}"
            f" (<t:{int(r.updated_at.timestamp())}:d>)"
            for r in records
        ]
        if lines:
            embed.description = fit_lines(lines, LIMITS.embed_description)
        await reply(interaction, embed=embed)

    @app_commands.command(name="who", description="Who has read or watched a title, and who is where")
    @app_commands.describe(title="A book, film or series from the club's catalog")
    async def who(self, interaction: discord.Interaction[BookClubBot], title: AnyTitle) -> None:
        """Group members by their status for one title (mentions never ping)."""
        assert interaction.guild_id is not None
        work = title
        records = await self.statuses.for_work(interaction.guild_id, work.id)
        embed = discord.Embed(
            title=f"Who and where: {escape(work_label(work))}", colour=discord.Colour.blurple()
        )
        by_state: dict[State, list[str]] = {}
        for record in records:
            progress = describe_status(record.status, work)
            suffix = f" ({progress.split('(', 1)[1]}" if "(" in progress else ""
            by_state.setdefault(record.status.state, []).append(f"<@{record.user_id}>{suffix}")
        for state, label in STATE_LABELS.items():
            if state in by_state:
                names = by_state[state]
                embed.add_field(
                    name=f"{label.capitalize()} ({len(names)})",
                    value=fit_lines(names, LIMITS.field_value),
                    inline=False,
                )
        if not records:
            embed.description = "Nobody has recorded a status for it yet."
        else:
            embed.set_footer(text=f"{len(records)} members in all")
        await reply(interaction, embed=embed)

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
        embed = discord.Embed(title=f"The club and {escape(work_label(book))}", colour=discord.Colour.green())
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
            embed.add_field(name=f"Watched {escape(work_label(screen))}", value=str(watched), inline=False)
        await reply(interaction, embed=embed)

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
                f"{code_span(file.filename, 60)} is {file.size / 1_048_576:.1f} MB; imports can be at most "
                f"{MAX_IMPORT_BYTES // 1_048_576} MB. Export only your library CSV (or the Letterboxd zip)."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            raise UserError("I could not download that file from Discord; please attach it again.") from exc
        works = await self.catalog.works(interaction.guild_id)
        try:
            parsed, preview = await self.workers.run(
                prepare_import, file.filename, data, works, budget=IMPORT_BUDGET
            )
        except ImportFileError as exc:
            raise UserError(exc.message) from exc
        except WorkTimeout as exc:
            raise UserError(
                "Reading that file took too long, so nothing was imported. Export only your library "
                "CSV (or split it) and try again."
            ) from exc
        current = await self.statuses.for_member(interaction.guild_id, interaction.user.id)
        planned, kept = plan_import(preview, current)
        ratings = [(work_id, row.rating) for row, work_id in preview.matched if row.rating is not None]
        embed = import_preview_embed(parsed.format.label, planned, kept, preview, parsed.skipped, works)
        if not planned and not ratings:
            await reply(
                interaction,
                "Nothing to import: no row adds anything to your statuses in this club's catalog.",
                embed=embed,
            )
            return
        token = await self.previews.add(
            interaction.guild_id, interaction.user.id, [u for _, u in planned], ratings, parsed.format.value
        )
        rated = (
            f" It also carries {len(ratings)} ratings, which count in the club's averages." if ratings else ""
        )
        view = BookClubView(timeout=None)
        view.add_item(ImportButton("confirm", token)).add_item(ImportButton("cancel", token))
        await reply(
            interaction,
            f"Here is what importing would do.{rated} Nothing changes until you press **Import these** (valid {int(IMPORT_PREVIEW_TTL.total_seconds() // 60)} minutes).",
            embed=embed,
            view=view,
        )

    @app_commands.command(name="export", description="Download your statuses and their history as CSV")
    async def export(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Send the member their own records as two CSV files."""
        assert interaction.guild_id is not None
        works = await self.catalog.works(interaction.guild_id)
        records = await self.statuses.records_for_member(interaction.guild_id, interaction.user.id)
        history = await self.statuses.history(interaction.guild_id, interaction.user.id)
        if not records and not history:
            raise UserError("You have no statuses to export yet.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            csvs = await self.workers.run(export_csv, records, history, works, budget=EXPORT_BUDGET)
        except WorkTimeout as exc:
            raise UserError("Writing your export took too long; please try again later.") from exc
        files = export_files(*csvs)
        await reply(
            interaction,
            f"Your {len(records)} statuses and {len(history)} changes in this server.",
            files=files,
        )
