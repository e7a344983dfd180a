"""The `/review` command group (commands only): featured reviews, members' reviews and lists."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import organizer_only
from bot.errors import NotFound, UserError
from bot.lookup import AnyTitle, TitleQuery, italic, suggest_titles, work_label
from bot.ratings import parse_member_rating
from bot.replies import reply
from bot.text import LIMITS
from cogs.reviews._document import (
    MAX_REVIEW_BYTES,
    ReviewFormatError,
    bundled_reviews,
    decode_review,
    parse_review,
    read_bundled,
)
from cogs.reviews._featured import FeaturedReviews
from cogs.reviews._members import MemberReviews
from cogs.reviews._views import (
    EDIT_MODAL,
    FEATURED,
    MEMBERS,
    WRITE_MODAL,
    DraftButton,
    JoinThreadButton,
    ListPageButton,
    ReviewModal,
)

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from bot.store import Store
    from bot.workers import Workers
    from cogs.reviews._fetch import GuardedFetcher


@app_commands.guild_only()
class ReviewCog(commands.GroupCog, group_name="review", group_description="Reviews and ratings"):
    """Featured reviews, members' reviews and ratings."""

    def __init__(self, bot: BookClubBot, *, store: Store, fetcher: GuardedFetcher, workers: Workers) -> None:
        self.bot = bot
        self.store = store
        self.workers = workers
        self.featured = FeaturedReviews(bot, store=store, fetcher=fetcher, workers=workers)
        self.members = MemberReviews(bot, store=store)
        super().__init__()

    async def cog_load(self) -> None:
        """Route the review buttons here, including on messages sent before a restart."""
        FEATURED.provide(self.bot, self.featured)
        MEMBERS.provide(self.bot, self.members)
        self.bot.add_dynamic_items(JoinThreadButton, DraftButton, ListPageButton)
        self.bot.modals.add(WRITE_MODAL, self.members.answer_write)
        self.bot.modals.add(EDIT_MODAL, self.members.answer_edit)

    async def cog_unload(self) -> None:
        """Stop routing the buttons here."""
        self.bot.remove_dynamic_items(JoinThreadButton, DraftButton, ListPageButton)
        self.bot.modals.remove(WRITE_MODAL, EDIT_MODAL)
        FEATURED.withdraw(self.bot)
        MEMBERS.withdraw(self.bot)

    # --- Autocomplete ---------------------------------------------------------------------------

    async def bundled_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest the review files shipped in data/reviews/."""
        needle = current.casefold()
        names = [n for n in bundled_reviews() if needle in n.casefold()]
        return [app_commands.Choice(name=n[: LIMITS.choice_name], value=n) for n in names[:25]]

    # --- Featured reviews -----------------------------------------------------------------------

    @app_commands.command(
        name="feature", description="Post a featured review from a file or a web page (organizers)"
    )
    @app_commands.describe(
        file="A Markdown or text review with front matter (see the README)",
        bundled="A review shipped with the bot, in data/reviews/",
        url="A web page with the review (an excerpt is posted unless full is true)",
        title="With url: the catalog title the page reviews",
        full="With url: post the whole text (your own writing, or with the author's permission)",
        spoilers="With url: put the whole text behind spoiler markup",
        rating="With url: the review's rating, 0.5 to 5 in halves",
    )
    @app_commands.autocomplete(bundled=bundled_autocomplete, title=suggest_titles)
    @organizer_only()
    async def feature(
        self,
        interaction: discord.Interaction[BookClubBot],
        file: discord.Attachment | None = None,
        bundled: app_commands.Range[str, 1, 200] | None = None,
        url: app_commands.Range[str, 1, 1500] | None = None,
        title: TitleQuery | None = None,
        full: bool = False,
        spoilers: bool = False,
        rating: float | None = None,
    ) -> None:
        """Post a featured review with its status buttons and a comment thread."""
        assert interaction.guild_id is not None
        if sum(x is not None for x in (file, bundled, url)) != 1:
            raise UserError("Give exactly one source: `file:` (an attached review), `bundled:` or `url:`.")
        if url is None and (title is not None or rating is not None or spoilers):
            raise UserError(
                "`title:`, `rating:` and `spoilers:` go with `url:`; a file says them in its front matter."
            )
        if url is not None and title is None:
            raise UserError("With `url:`, say which catalog title the page reviews with `title:`.")
        if rating is not None:
            parse_member_rating(rating)
        if file is not None and file.size > MAX_REVIEW_BYTES:
            raise UserError(
                f"That file is {file.size / 1024:.0f} KB; a review file can be at most {MAX_REVIEW_BYTES // 1024} KB."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            if file is not None:
                try:
                    data = await file.read()
                except discord.HTTPException as exc:
                    raise UserError("I could not download that file from Discord; attach it again.") from exc
                doc = parse_review(decode_review(file.filename, data), name=file.filename)
            elif bundled is not None:
                doc = await asyncio.to_thread(read_bundled, bundled)
            else:
                assert url is not None and title is not None
                doc = await self.featured.from_url(interaction.guild_id, url, title, rating, spoilers)
        except ReviewFormatError as exc:
            raise UserError(exc.message) from exc
        await self.featured.post(interaction, doc, full=full or url is None)

    @app_commands.command(name="write", description="Write your review of a title, with a rating")
    @app_commands.describe(
        title="A book, film or series from the club's catalog", rating="0.5 to 5 stars, in halves"
    )
    async def write(
        self, interaction: discord.Interaction[BookClubBot], title: AnyTitle, rating: float
    ) -> None:
        """Open the review form for a title."""
        assert interaction.guild_id is not None
        stars = parse_member_rating(rating)
        work = title
        await interaction.response.send_modal(
            ReviewModal(
                WRITE_MODAL.format(work_id=work.id, halves=int(stars * 2)),
                f"Review: {work.title}",
            )
        )

    @app_commands.command(name="edit", description="Change your review of a title")
    @app_commands.describe(title="The title you reviewed")
    async def edit(self, interaction: discord.Interaction[BookClubBot], title: AnyTitle) -> None:
        """Open the review form filled with the member's review."""
        assert interaction.guild_id is not None
        work = title
        mine = await self.store.reviews.of_member(interaction.guild_id, work.id, interaction.user.id)
        if mine is None:
            raise NotFound(
                f"You have not reviewed {italic(work_label(work))}; write one with `/review write`."
            )
        await interaction.response.send_modal(
            ReviewModal(
                EDIT_MODAL.format(work_id=work.id),
                f"Edit: {work.title}",
                body=mine.body,
                spoiler=mine.spoiler,
                rating=mine.rating,
                ask_rating=True,
            )
        )

    @app_commands.command(name="delete", description="Delete your review or rating of a title")
    @app_commands.describe(title="The title you reviewed")
    async def delete(self, interaction: discord.Interaction[BookClubBot], title: AnyTitle) -> None:
        """Delete the member's own review."""
        assert interaction.guild_id is not None
        work = title
        mine = await self.store.reviews.of_member(interaction.guild_id, work.id, interaction.user.id)
        if mine is None:
            raise NotFound(f"You have no review or rating of {italic(work_label(work))}.")
        await self.members.remove(interaction, mine)
        await reply(interaction, f"Deleted your review of {italic(work_label(work))}.")

    @app_commands.command(name="remove", description="Remove a member's review (organizers)")
    @app_commands.describe(title="The title reviewed", member="Whose review to remove")
    @organizer_only()
    async def remove(
        self, interaction: discord.Interaction[BookClubBot], title: AnyTitle, member: discord.Member
    ) -> None:
        """Remove any member's review."""
        assert interaction.guild_id is not None
        work = title
        theirs = await self.store.reviews.of_member(interaction.guild_id, work.id, member.id)
        if theirs is None:
            raise NotFound(f"{member.mention} has no review of {italic(work_label(work))}.")
        await self.members.remove(interaction, theirs)
        await reply(interaction, f"Removed {member.mention}'s review of {italic(work_label(work))}.")

    @app_commands.command(name="list", description="Members' reviews and the average rating of a title")
    @app_commands.describe(title="A book, film or series from the club's catalog")
    async def list_reviews(self, interaction: discord.Interaction[BookClubBot], title: AnyTitle) -> None:
        """Show the first page of reviews."""
        assert interaction.guild_id is not None
        work = title
        embed, view = await self.members.page(interaction.guild_id, work, 0)
        await reply(interaction, embed=embed, view=view)
