"""The `/book` command group."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import organizer_only
from bot.domain import WorkKind
from bot.errors import NotConfigured, UserError
from bot.lookup import KIND_LABEL, AnyTitle, BookTitle, ScreenTitle, TitleQuery, italic, work_label
from bot.replies import reply, send
from bot.services.statuses import status_buttons
from bot.store import (
    CatalogRepository,
    GuildSettingsRepository,
    IntegrityError,
    NewWork,
    ShorterThanProgress,
    StatusRepository,
)
from bot.text import LIMITS, code_span, escape, fit_lines, label_key, shorten
from bot.ui import BookClubView
from cogs.catalog._input import (
    MAX_CREATOR,
    MAX_TITLE,
    check_year,
    clean_text,
    clean_title,
    parse_parts,
    work_label_of,
)
from cogs.catalog._views import RemoveWorkButton

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from bot.clock import Clock
    from bot.services.catalog import CatalogService
    from bot.workers import Workers

log = logging.getLogger(__name__)


@app_commands.guild_only()
class CatalogCog(
    commands.GroupCog, group_name="book", group_description="The club's books and their adaptations"
):
    """Adding, suggesting and choosing titles."""

    def __init__(
        self,
        bot: BookClubBot,
        *,
        catalog: CatalogRepository,
        guilds: GuildSettingsRepository,
        statuses: StatusRepository,
        catalog_service: CatalogService,
        clock: Clock,
        workers: Workers,
    ) -> None:
        self.bot = bot
        self.catalog = catalog
        self.guilds = guilds
        self.statuses = statuses
        self.catalog_service = catalog_service
        self.clock = clock
        self.workers = workers
        super().__init__()

    async def cog_load(self) -> None:
        """Route the remove confirmation buttons here, also after a restart."""
        self.bot.add_dynamic_items(RemoveWorkButton)

    async def cog_unload(self) -> None:
        """Stop routing the buttons here."""
        self.bot.remove_dynamic_items(RemoveWorkButton)

    async def suggestions_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest pending suggestions."""
        assert interaction.guild_id is not None
        pending = await self.catalog.suggestions(interaction.guild_id)
        needle = current[:MAX_TITLE].casefold()
        return [
            app_commands.Choice(
                name=shorten(f"{s.title} ({KIND_LABEL[s.kind]})", LIMITS.choice_name), value=f"#{s.id}"
            )
            for s in pending
            if needle in s.title.casefold()
        ][:25]

    @app_commands.command(name="add", description="Add a book to the club's catalog (organizers)")
    @app_commands.describe(
        title="The book's title",
        author="Who wrote it",
        year="Year of first publication",
        chapters="Number of chapters (lets members give progress by chapter)",
        pages="Page count of the edition the club reads",
        parts="Named parts in order, e.g. 'Book One: 12; Book Two: 30' (name: last chapter)",
    )
    @organizer_only()
    async def add_book(
        self,
        interaction: discord.Interaction[BookClubBot],
        title: app_commands.Range[str, 1, MAX_TITLE],
        author: app_commands.Range[str, 1, MAX_CREATOR] | None = None,
        year: int | None = None,
        chapters: app_commands.Range[int, 1, 2000] | None = None,
        pages: app_commands.Range[int, 1, 20000] | None = None,
        parts: app_commands.Range[str, 1, 1500] | None = None,
    ) -> None:
        """Add a book."""
        assert interaction.guild_id is not None
        new = NewWork(
            kind=WorkKind.BOOK,
            title=clean_title(title),
            creator=clean_text(author, "author", MAX_CREATOR),
            year=check_year(year),
            chapters=chapters,
            pages=pages,
            parts=parse_parts(parts, chapters),
        )
        await self.catalog.add(interaction.guild_id, new)
        details = ", ".join(
            x
            for x in (
                f"by {new.creator}" if new.creator else "",
                f"{chapters} chapters" if chapters else "",
                f"{len(new.parts)} parts" if new.parts else "",
            )
            if x
        )
        await reply(
            interaction,
            f"Added {italic(work_label_of(new))}{f' ({details})' if details else ''} to the catalog.",
        )

    @app_commands.command(name="adapt", description="Add a film or series adapting a book (organizers)")
    @app_commands.describe(
        book="The book it adapts",
        title="The film's or series' title",
        year="Release year (tells apart remakes)",
        kind="Film or series",
        episodes="Number of episodes, for a series",
        director="Director or creator",
    )
    @app_commands.choices(
        kind=[
            app_commands.Choice(name="film", value="film"),
            app_commands.Choice(name="series", value="series"),
        ]
    )
    @organizer_only()
    async def adapt(
        self,
        interaction: discord.Interaction[BookClubBot],
        book: BookTitle,
        title: app_commands.Range[str, 1, MAX_TITLE],
        year: int | None = None,
        kind: app_commands.Choice[str] | None = None,
        episodes: app_commands.Range[int, 1, 5000] | None = None,
        director: app_commands.Range[str, 1, MAX_CREATOR] | None = None,
    ) -> None:
        """Add an adaptation linked to a book."""
        assert interaction.guild_id is not None
        source = book
        work_kind = WorkKind(kind.value) if kind else WorkKind.FILM
        if episodes is not None and work_kind is not WorkKind.SERIES:
            raise UserError(
                "Episodes only make sense for a series: set `kind` to series, or leave episodes out."
            )
        new = NewWork(
            kind=work_kind,
            title=clean_title(title),
            creator=clean_text(director, "director", MAX_CREATOR),
            year=check_year(year),
            episodes=episodes,
            adapts_work_id=source.id,
        )
        await self.catalog.add(interaction.guild_id, new)
        await reply(
            interaction,
            f"Added the {work_kind.value} {italic(work_label_of(new))}, adapting {italic(work_label(source))}.",
        )

    @app_commands.command(
        name="suggest", description="Suggest a book or film for the club; organizers approve it"
    )
    @app_commands.describe(
        title="Its title", kind="Book, film or series", author="Author (or director)", year="Year"
    )
    @app_commands.choices(kind=[app_commands.Choice(name=k.value, value=k.value) for k in WorkKind])
    async def suggest(
        self,
        interaction: discord.Interaction[BookClubBot],
        title: app_commands.Range[str, 1, MAX_TITLE],
        kind: app_commands.Choice[str] | None = None,
        author: app_commands.Range[str, 1, MAX_CREATOR] | None = None,
        year: int | None = None,
    ) -> None:
        """Record a suggestion waiting for approval."""
        assert interaction.guild_id is not None
        new = NewWork(
            kind=WorkKind(kind.value) if kind else WorkKind.BOOK,
            title=clean_title(title),
            creator=clean_text(author, "author", MAX_CREATOR),
            year=check_year(year),
        )
        await self.catalog.add(interaction.guild_id, new, approved=False, suggested_by=interaction.user.id)
        await reply(
            interaction,
            f"Thanks! {italic(work_label_of(new))} is suggested; an organizer can approve it with `/book approve`.",
        )

    async def _pending(self, interaction: discord.Interaction, suggestion: str) -> tuple[int, str]:
        assert interaction.guild_id is not None
        pending = await self.catalog.suggestions(interaction.guild_id)
        if not pending:
            raise UserError("There are no suggestions waiting.")
        picked = re.match(r"^#(\d+)$", suggestion.strip())
        wanted = label_key(suggestion)
        for s in pending:
            if (picked and s.id == int(picked.group(1))) or (not picked and label_key(s.title) == wanted):
                return s.id, s.title
        names = ", ".join(italic(s.title, limit=80) for s in pending[:10])
        more = f" and {len(pending) - 10} more" if len(pending) > 10 else ""
        raise UserError(
            f"No waiting suggestion called {code_span(suggestion)}. Waiting: {names}{more}. "
            "Pick one from the list as you type."
        )

    @app_commands.command(
        name="approve", description="Approve a member's suggestion into the catalog (organizers)"
    )
    @app_commands.describe(suggestion="The suggestion to approve")
    @app_commands.autocomplete(suggestion=suggestions_autocomplete)
    @organizer_only()
    async def approve(self, interaction: discord.Interaction[BookClubBot], suggestion: TitleQuery) -> None:
        """Approve a suggestion."""
        assert interaction.guild_id is not None
        work_id, title = await self._pending(interaction, suggestion)
        await self.catalog.approve(interaction.guild_id, work_id)
        await reply(interaction, f"{italic(title)} is now in the catalog.")

    @app_commands.command(name="reject", description="Turn down a member's suggestion (organizers)")
    @app_commands.describe(suggestion="The suggestion to reject")
    @app_commands.autocomplete(suggestion=suggestions_autocomplete)
    @organizer_only()
    async def reject(self, interaction: discord.Interaction[BookClubBot], suggestion: TitleQuery) -> None:
        """Delete a suggestion."""
        assert interaction.guild_id is not None
        work_id, title = await self._pending(interaction, suggestion)
        await self.catalog.reject(interaction.guild_id, work_id)
        await reply(interaction, f"Removed the suggestion {italic(title)}.")

    @app_commands.command(name="edit", description="Fix a title's details (organizers)")
    @app_commands.describe(
        title="The book, film or series to change",
        new_title="Its corrected title",
        author="Author (or director)",
        year="Year of first publication or release",
        chapters="Number of chapters (books)",
        pages="Page count of the club's edition (books)",
        parts="Named parts, e.g. 'Book One: 12; Book Two: 30' (books; replaces the old parts)",
        episodes="Number of episodes (series)",
    )
    @organizer_only()
    async def edit(
        self,
        interaction: discord.Interaction[BookClubBot],
        title: AnyTitle,
        new_title: app_commands.Range[str, 1, MAX_TITLE] | None = None,
        author: app_commands.Range[str, 1, MAX_CREATOR] | None = None,
        year: int | None = None,
        chapters: app_commands.Range[int, 1, 2000] | None = None,
        pages: app_commands.Range[int, 1, 20000] | None = None,
        parts: app_commands.Range[str, 1, 1500] | None = None,
        episodes: app_commands.Range[int, 1, 5000] | None = None,
    ) -> None:
        """Validate every change against the work and members' progress, then save them together."""
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        work = title
        book_only = {"chapters": chapters, "pages": pages, "parts": parts}
        if work.kind is not WorkKind.BOOK and any(v is not None for v in book_only.values()):
            raise UserError(
                f"{italic(work_label(work))} is a {work.kind.value}: chapters, pages and parts are for books."
            )
        if episodes is not None and work.kind is not WorkKind.SERIES:
            raise UserError(f"{italic(work_label(work))} is not a series: only series have episodes.")
        changes: dict[str, object] = {}
        if new_title is not None:
            changes["title"] = clean_title(new_title)
        if author is not None:
            changes["creator"] = clean_text(author, "author", MAX_CREATOR)
        if year is not None:
            changes["year"] = check_year(year)
        for column, value in (("chapters", chapters), ("pages", pages), ("episodes", episodes)):
            if value is not None:
                changes[column] = value
        new_parts = parse_parts(parts, chapters or work.chapters) if parts is not None else None
        if (
            new_parts is None
            and chapters is not None
            and work.part_last_chapters
            and work.part_last_chapters[-1] > chapters
        ):
            raise UserError(
                f"Its last part ends at chapter {work.part_last_chapters[-1]}: give the parts again with `parts`."
            )
        if not changes and new_parts is None:
            raise UserError("Nothing to change: give at least one new value.")
        try:
            saved = await self.catalog.update(guild_id, work.id, changes, new_parts)
        except ShorterThanProgress as exc:
            raise UserError(
                f"A member is already at {exc.unit} {exc.furthest:g} of {italic(work_label(work))}, "
                f"so it cannot have only {exc.value} {exc.column}."
            ) from exc
        except IntegrityError as exc:
            raise UserError(f"The catalog already has a {work.kind.value} with that title and year.") from exc
        log.info("Guild %s work %s edited by %s: %s", guild_id, work.id, interaction.user.id, sorted(changes))
        await reply(interaction, f"Saved {italic(work_label(saved))}.")

    @app_commands.command(
        name="remove", description="Remove a title and members' statuses for it (organizers; asks first)"
    )
    @app_commands.describe(title="The book, film or series to remove")
    @organizer_only()
    async def remove(self, interaction: discord.Interaction[BookClubBot], title: AnyTitle) -> None:
        """Ask for confirmation, saying what would be lost."""
        assert interaction.guild_id is not None
        work = title
        count = len(await self.statuses.for_work(interaction.guild_id, work.id))
        talks = len(await interaction.client.store.discussions.active_for_work(interaction.guild_id, work.id))
        calls_off = f" and calls off its {talks} upcoming or open discussions" if talks else ""
        view = BookClubView(timeout=None)
        view.add_item(RemoveWorkButton(work.id))
        await reply(
            interaction,
            f"Remove {italic(work_label(work))} from the catalog? This also deletes {count} members' statuses for it"
            f"{calls_off}, and cannot be undone. Dismiss this message to keep it.",
            view=view,
        )

    @app_commands.command(name="list", description="Show the club's catalog and waiting suggestions")
    async def list_catalog(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """List books with their adaptations."""
        assert interaction.guild_id is not None
        works = await self.catalog.works(interaction.guild_id)
        settings = await self.guilds.get(interaction.guild_id)
        pending = await self.catalog.suggestions(interaction.guild_id)
        lines = []
        for work in works.values():
            if work.kind is not WorkKind.BOOK:
                continue
            star = " ⭐ current" if work.id == settings.current_book_id else ""
            lines.append(f"📖 **{escape(work_label(work))}**{star}")
            for screen in works.values():
                if screen.adapts_work_id == work.id:
                    icon = "🎬" if screen.kind is WorkKind.FILM else "📺"
                    lines.append(f"  {icon} {escape(work_label(screen))}")
        for screen in works.values():
            if screen.kind is not WorkKind.BOOK and screen.adapts_work_id is None:
                lines.append(f"🎬 {escape(work_label(screen))}")
        embed = discord.Embed(title="Club catalog", colour=discord.Colour.blurple())
        embed.description = fit_lines(
            lines, LIMITS.embed_description, empty="Empty: an organizer can add books with `/book add`."
        )
        if pending:
            embed.add_field(
                name=f"Suggestions waiting ({len(pending)})",
                value=fit_lines(
                    [f"- {escape(s.title)} ({KIND_LABEL[s.kind]})" for s in pending], LIMITS.field_value
                ),
                inline=False,
            )
        await reply(interaction, embed=embed)

    @app_commands.command(name="finish", description="Record that the club finished a title (organizers)")
    @app_commands.describe(
        title="The book, film or series finished (default: the current book and adaptation)"
    )
    @organizer_only()
    async def finish(
        self, interaction: discord.Interaction[BookClubBot], title: AnyTitle | None = None
    ) -> None:
        """Record today's date as when the club finished a title, for `/club history`."""
        assert interaction.guild_id is not None
        works = await self.catalog.works(interaction.guild_id)
        finished = await self.catalog_service.finish(interaction.guild_id, works, title)
        names = " and ".join(italic(work_label(w)) for w in finished)
        today = int(self.clock.now().timestamp())
        await reply(
            interaction,
            f"Recorded: the club finished {names} on <t:{today}:D>. `/club history` lists what it has finished.",
        )

    @app_commands.command(
        name="current", description="Choose the book (and adaptation) the club is on now (organizers)"
    )
    @app_commands.describe(
        book="The book the club reads now", adaptation="Its film or series, if the club watches it too"
    )
    @organizer_only()
    async def current(
        self,
        interaction: discord.Interaction[BookClubBot],
        book: BookTitle,
        adaptation: ScreenTitle | None = None,
    ) -> None:
        """Set the current book and post the status buttons in the announcement channel."""
        guild = interaction.guild
        assert guild is not None
        chosen, screen = book, adaptation
        settings = await self.guilds.get(guild.id)
        channel = (
            guild.get_channel(settings.announcement_channel_id) if settings.announcement_channel_id else None
        )
        if channel is None:
            raise NotConfigured("Set an announcement channel first: `/club setup announcements:#channel`.")
        assert isinstance(channel, discord.TextChannel)
        # Answer first: the post may wait on a slow or rate-limited channel, and an answer that came
        # after Discord's deadline would be lost (and tempt the organizer to post twice).
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed = discord.Embed(
            title=f"Now reading: {escape(work_label(chosen))}", colour=discord.Colour.green()
        )
        if chosen.creator:
            embed.description = f"by {escape(chosen.creator)}"
        if screen is not None:
            embed.add_field(name="And watching", value=escape(work_label(screen)))
        embed.set_footer(
            text="Tell the club where you are: the buttons below record it (only you see the reply)."
        )
        view = BookClubView(timeout=None)
        for item in status_buttons(chosen, screen):
            view.add_item(item)
        try:
            await send(channel, embed=embed, view=view)
        except discord.Forbidden as exc:
            raise UserError(
                f"I cannot post in {channel.mention}: give me Send Messages and Embed Links there."
            ) from exc
        await self.catalog_service.make_current(
            guild.id, book_id=chosen.id, adaptation_id=screen.id if screen else None
        )
        await reply(
            interaction,
            f"The club is now on {italic(work_label(chosen))}{f' and {italic(work_label(screen))}' if screen else ''}; "
            f"I posted it in {channel.mention}.",
        )
