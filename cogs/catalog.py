"""`/book`: the club's catalog of books and their film or series adaptations."""

from __future__ import annotations

import itertools
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ensure_organizer
from bot.domain import WorkKind
from bot.errors import NotConfigured, UserError
from bot.lookup import KIND_LABEL, choices_for, pick_work, resolve_work, work_label
from bot.statuses import status_buttons
from bot.store import CatalogRepository, GuildSettingsRepository, NewWork
from bot.ui import BookClubView

if TYPE_CHECKING:
    from bot.client import BookClubBot

log = logging.getLogger(__name__)

MAX_TITLE = 200
MAX_CREATOR = 100
YEAR_RANGE = (1000, 2100)


def _clean_text(value: str | None, what: str, limit: int) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if not cleaned:
        return None
    if len(cleaned) > limit:
        raise UserError(f"The {what} is {len(cleaned)} characters long; keep it to {limit}.")
    return cleaned


def _title(value: str) -> str:
    title = _clean_text(value, "title", MAX_TITLE)
    if not title:
        raise UserError("Give a title.")
    return title


def _year(value: int | None) -> int | None:
    if value is not None and not YEAR_RANGE[0] <= value <= YEAR_RANGE[1]:
        raise UserError(
            f"{value} is not a plausible year: give the year of first publication or release, e.g. 1965."
        )
    return value


def parse_parts(text: str | None, chapters: int | None) -> tuple[tuple[str, int | None], ...]:
    """Read "Part One: 10; Part Two: 22" (name, then optionally its last chapter) into parts."""
    if not text or not text.strip():
        return ()
    parts: list[tuple[str, int | None]] = []
    for raw in re.split(r"[;\n]", text):
        piece = raw.strip()
        if not piece:
            continue
        match = re.match(r"^(?P<name>.+?)\s*:\s*(?P<last>\d+)$", piece)
        name, last = (match["name"], int(match["last"])) if match else (piece, None)
        if len(name) > 100:
            raise UserError(f"Part name `{name[:40]}…` is too long; keep each part name to 100 characters.")
        parts.append((name, last))
    if len(parts) > 50:
        raise UserError("A book can have at most 50 parts.")
    lasts = [last for _, last in parts]
    if any(last is not None for last in lasts):
        if any(last is None for last in lasts):
            raise UserError("Give the last chapter for every part (`Name: 12`) or for none of them.")
        numbers = [int(x) for x in lasts if x is not None]
        if any(b <= a for a, b in itertools.pairwise(numbers)) or numbers[0] < 1:
            raise UserError("Each part's last chapter must be after the previous part's.")
        if chapters is not None and numbers[-1] > chapters:
            raise UserError(
                f"The last part ends at chapter {numbers[-1]}, but the book has {chapters} chapters."
            )
    return tuple(parts)


@app_commands.guild_only()
class CatalogCog(
    commands.GroupCog, group_name="book", group_description="The club's books and their adaptations"
):
    """Adding, suggesting and choosing titles."""

    def __init__(self, catalog: CatalogRepository, guilds: GuildSettingsRepository) -> None:
        self.catalog = catalog
        self.guilds = guilds
        super().__init__()

    async def _autocomplete(
        self, interaction: discord.Interaction, current: str, kinds: tuple[WorkKind, ...] | None
    ) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        return choices_for(await self.catalog.works(interaction.guild_id), current, kinds)

    async def books_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest books."""
        return await self._autocomplete(interaction, current, (WorkKind.BOOK,))

    async def screen_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest films and series."""
        return await self._autocomplete(interaction, current, (WorkKind.FILM, WorkKind.SERIES))

    async def suggestions_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest pending suggestions."""
        assert interaction.guild_id is not None
        pending = await self.catalog.suggestions(interaction.guild_id)
        needle = current.casefold()
        return [
            app_commands.Choice(name=f"{s.title} ({KIND_LABEL[s.kind]})"[:100], value=f"#{s.id}")
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
        await ensure_organizer(interaction)
        assert interaction.guild_id is not None
        new = NewWork(
            kind=WorkKind.BOOK,
            title=_title(title),
            creator=_clean_text(author, "author", MAX_CREATOR),
            year=_year(year),
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
        await interaction.response.send_message(
            f"Added *{work_label_of(new)}*{f' ({details})' if details else ''} to the catalog.",
            ephemeral=True,
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
    @app_commands.autocomplete(book=books_autocomplete)
    async def adapt(
        self,
        interaction: discord.Interaction[BookClubBot],
        book: str,
        title: app_commands.Range[str, 1, MAX_TITLE],
        year: int | None = None,
        kind: app_commands.Choice[str] | None = None,
        episodes: app_commands.Range[int, 1, 5000] | None = None,
        director: app_commands.Range[str, 1, MAX_CREATOR] | None = None,
    ) -> None:
        """Add an adaptation linked to a book."""
        await ensure_organizer(interaction)
        assert interaction.guild_id is not None
        source = await resolve_work(self.catalog, interaction.guild_id, book, (WorkKind.BOOK,), what="book")
        work_kind = WorkKind(kind.value) if kind else WorkKind.FILM
        if episodes is not None and work_kind is not WorkKind.SERIES:
            raise UserError(
                "Episodes only make sense for a series: set `kind` to series, or leave episodes out."
            )
        new = NewWork(
            kind=work_kind,
            title=_title(title),
            creator=_clean_text(director, "director", MAX_CREATOR),
            year=_year(year),
            episodes=episodes,
            adapts_work_id=source.id,
        )
        await self.catalog.add(interaction.guild_id, new)
        await interaction.response.send_message(
            f"Added the {work_kind.value} *{work_label_of(new)}*, adapting *{work_label(source)}*.",
            ephemeral=True,
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
            title=_title(title),
            creator=_clean_text(author, "author", MAX_CREATOR),
            year=_year(year),
        )
        await self.catalog.add(interaction.guild_id, new, approved=False, suggested_by=interaction.user.id)
        await interaction.response.send_message(
            f"Thanks! *{work_label_of(new)}* is suggested; an organizer can approve it with `/book approve`.",
            ephemeral=True,
        )

    async def _pending(self, interaction: discord.Interaction, suggestion: str) -> tuple[int, str]:
        assert interaction.guild_id is not None
        pending = await self.catalog.suggestions(interaction.guild_id)
        if not pending:
            raise UserError("There are no suggestions waiting.")
        picked = re.match(r"^#(\d+)$", suggestion.strip())
        wanted = suggestion.strip().casefold()
        for s in pending:
            if (picked and s.id == int(picked.group(1))) or (not picked and s.title.casefold() == wanted):
                return s.id, s.title
        names = ", ".join(f"*{s.title}*" for s in pending[:10])
        raise UserError(f"No waiting suggestion called `{suggestion[:80]}`. Waiting: {names}.")

    @app_commands.command(
        name="approve", description="Approve a member's suggestion into the catalog (organizers)"
    )
    @app_commands.describe(suggestion="The suggestion to approve")
    @app_commands.autocomplete(suggestion=suggestions_autocomplete)
    async def approve(self, interaction: discord.Interaction[BookClubBot], suggestion: str) -> None:
        """Approve a suggestion."""
        await ensure_organizer(interaction)
        assert interaction.guild_id is not None
        work_id, title = await self._pending(interaction, suggestion)
        await self.catalog.approve(interaction.guild_id, work_id)
        await interaction.response.send_message(f"*{title}* is now in the catalog.", ephemeral=True)

    @app_commands.command(name="reject", description="Turn down a member's suggestion (organizers)")
    @app_commands.describe(suggestion="The suggestion to reject")
    @app_commands.autocomplete(suggestion=suggestions_autocomplete)
    async def reject(self, interaction: discord.Interaction[BookClubBot], suggestion: str) -> None:
        """Delete a suggestion."""
        await ensure_organizer(interaction)
        assert interaction.guild_id is not None
        work_id, title = await self._pending(interaction, suggestion)
        await self.catalog.reject(interaction.guild_id, work_id)
        await interaction.response.send_message(f"Removed the suggestion *{title}*.", ephemeral=True)

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
            lines.append(f"📖 **{discord.utils.escape_markdown(work_label(work))}**{star}")
            for screen in works.values():
                if screen.adapts_work_id == work.id:
                    icon = "🎬" if screen.kind is WorkKind.FILM else "📺"
                    lines.append(f"  {icon} {discord.utils.escape_markdown(work_label(screen))}")
        for screen in works.values():
            if screen.kind is not WorkKind.BOOK and screen.adapts_work_id is None:
                lines.append(f"🎬 {discord.utils.escape_markdown(work_label(screen))}")
        embed = discord.Embed(title="Club catalog", colour=discord.Colour.blurple())
        embed.description = _fit(
            "\n".join(lines) or "Empty: an organizer can add books with `/book add`.", 4000
        )
        if pending:
            embed.add_field(
                name=f"Suggestions waiting ({len(pending)})",
                value=_fit(
                    "\n".join(
                        f"- {discord.utils.escape_markdown(s.title)} ({KIND_LABEL[s.kind]})" for s in pending
                    ),
                    1000,
                ),
                inline=False,
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(
        name="current", description="Choose the book (and adaptation) the club is on now (organizers)"
    )
    @app_commands.describe(
        book="The book the club reads now", adaptation="Its film or series, if the club watches it too"
    )
    @app_commands.autocomplete(book=books_autocomplete, adaptation=screen_autocomplete)
    async def current(
        self, interaction: discord.Interaction[BookClubBot], book: str, adaptation: str | None = None
    ) -> None:
        """Set the current book and post the status buttons in the announcement channel."""
        await ensure_organizer(interaction)
        guild = interaction.guild
        assert guild is not None
        works = await self.catalog.works(guild.id)
        chosen = pick_work(works, book, (WorkKind.BOOK,), what="book")
        screen = (
            pick_work(works, adaptation, (WorkKind.FILM, WorkKind.SERIES), what="film or series")
            if adaptation
            else None
        )
        settings = await self.guilds.get(guild.id)
        channel = (
            guild.get_channel(settings.announcement_channel_id) if settings.announcement_channel_id else None
        )
        if channel is None:
            raise NotConfigured("Set an announcement channel first: `/club setup announcements:#channel`.")
        assert isinstance(channel, discord.TextChannel)
        embed = discord.Embed(title=f"Now reading: {work_label(chosen)}", colour=discord.Colour.green())
        if chosen.creator:
            embed.description = f"by {chosen.creator}"
        if screen is not None:
            embed.add_field(name="And watching", value=work_label(screen))
        embed.set_footer(
            text="Tell the club where you are: the buttons below record it (only you see the reply)."
        )
        view = BookClubView(timeout=None)
        for item in status_buttons(chosen, screen):
            view.add_item(item)
        try:
            await channel.send(embed=embed, view=view)
        except discord.Forbidden as exc:
            raise UserError(
                f"I cannot post in {channel.mention}: give me Send Messages and Embed Links there."
            ) from exc
        await self.guilds.update(
            guild.id, current_book_id=chosen.id, current_adaptation_id=screen.id if screen else None
        )
        log.info("Guild %s current book set to %s", guild.id, chosen.id)
        await interaction.response.send_message(
            f"The club is now on *{work_label(chosen)}*{f' and *{work_label(screen)}*' if screen else ''}; "
            f"I posted it in {channel.mention}.",
            ephemeral=True,
        )


def work_label_of(new: NewWork) -> str:
    """Return "Title (year)" for a work being added."""
    return f"{new.title} ({new.year})" if new.year else new.title


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 20].rsplit("\n", 1)[0]
    return f"{cut}\n… and more"


async def setup(bot: BookClubBot) -> None:
    """Register the cog."""
    await bot.add_cog(CatalogCog(bot.store.catalog, bot.store.guilds))
