"""The `/review` command group: featured reviews, members' reviews, lists and the comment threads."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ensure_organizer
from bot.domain import Work, WorkKind
from bot.errors import NotAllowed, NotConfigured, NotFound, UserError, report_interaction_error
from bot.extract import NoArticle, extract_article
from bot.fetch import FetchRefused
from bot.lookup import choices_for, italic, pick_work, work_label
from bot.ratings import parse_member_rating
from bot.replies import reply, send
from bot.review_doc import (
    MAX_REVIEW_BYTES,
    ReviewDocument,
    ReviewFormatError,
    Section,
    bundled_reviews,
    decode_review,
    parse_review,
    read_bundled,
)
from bot.spoilers import (
    NO_SPOILERS,
    BookAndFilm,
    Film,
    Scope,
    WholeBook,
    describe_scope,
    may_see,
    reason_hidden,
    scope_from_str,
    scope_to_str,
)
from bot.statuses import StatusButton, status_buttons
from bot.store import NewFeatured, Review
from bot.text import LIMITS, shorten
from bot.titles import normalize_title
from bot.ui import BookClubView
from cogs.reviews._render import (
    PAGE_SIZE,
    featured_messages,
    list_embed,
    member_review_embeds,
    posted_markdown,
)
from cogs.reviews._views import (
    WRITE_MODAL,
    DraftButton,
    JoinThreadButton,
    ListPageButton,
    ReviewModal,
    submitted_value,
)

if TYPE_CHECKING:
    from bot.client import BookClubBot

log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080
_YEAR_SUFFIX = re.compile(r"^(?P<title>.*?)\s*\(?(?P<year>\d{4})\)?\s*$")


def _scope_for(work: Work, adaptation: Work | None, spoilers: bool) -> Scope:
    """Return what a review's hidden sections spoil: the work (and adaptation) entirely."""
    if not spoilers:
        return NO_SPOILERS
    if adaptation is not None and work.kind is WorkKind.BOOK:
        return BookAndFilm(work.id, adaptation.id)
    if work.kind is WorkKind.BOOK:
        return WholeBook(work.id)
    return Film(work.id)


def _buttons_for(work: Work, works: dict[int, Work], adaptation: Work | None) -> list[StatusButton]:
    """Return the status buttons for the title reviewed (and its adaptation, or the book it adapts)."""
    if work.kind is WorkKind.BOOK:
        return status_buttons(work, adaptation)
    book = works.get(work.adapts_work_id) if work.adapts_work_id else None
    if book is not None:
        return status_buttons(book, work)
    return [StatusButton(work.id, "watched")]


def _spoiler_answer(text: str) -> bool:
    answer = text.strip().casefold()
    if answer in ("y", "yes", "true", "1", "oui"):
        return True
    if answer in ("", "n", "no", "false", "0", "non"):
        return False
    raise UserError(f"“Contains spoilers?” takes yes or no, not `{text[:10]}`; nothing was posted.")


def _message_link(guild_id: int, channel_id: int | None, message_id: int | None) -> str:
    if channel_id is None or message_id is None:
        return ""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


@app_commands.guild_only()
class ReviewCog(commands.GroupCog, group_name="review", group_description="Reviews and ratings"):
    """Featured reviews, members' reviews and ratings."""

    def __init__(self, bot: BookClubBot) -> None:
        self.bot = bot
        self.store = bot.store
        self._locks: dict[tuple[int, int, int], asyncio.Lock] = {}
        super().__init__()

    async def cog_load(self) -> None:
        """Route the review buttons here, including on messages sent before a restart."""
        self.bot.add_dynamic_items(JoinThreadButton, DraftButton, ListPageButton)

    async def cog_unload(self) -> None:
        """Stop routing the buttons here."""
        self.bot.remove_dynamic_items(JoinThreadButton, DraftButton, ListPageButton)

    # --- Autocomplete ---------------------------------------------------------------------------

    async def title_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest any catalog title."""
        assert interaction.guild_id is not None
        return choices_for(await self.store.catalog.works(interaction.guild_id), current)

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
    @app_commands.autocomplete(bundled=bundled_autocomplete, title=title_autocomplete)
    async def feature(
        self,
        interaction: discord.Interaction[BookClubBot],
        file: discord.Attachment | None = None,
        bundled: str | None = None,
        url: app_commands.Range[str, 1, 2000] | None = None,
        title: str | None = None,
        full: bool = False,
        spoilers: bool = False,
        rating: float | None = None,
    ) -> None:
        """Post a featured review with its status buttons and a comment thread."""
        assert interaction.guild_id is not None
        await ensure_organizer(interaction)
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
                doc = await self._from_url(interaction.guild_id, url, title, rating, spoilers)
        except ReviewFormatError as exc:
            raise UserError(exc.message) from exc
        await self.post_featured(interaction, doc, full=full or url is None)

    async def _from_url(
        self, guild_id: int, url: str, title: str, rating: float | None, spoilers: bool
    ) -> ReviewDocument:
        """Fetch a page and reduce it to its article; refusals explain themselves."""
        work = self._pick(await self.store.catalog.works(guild_id), title, tuple(WorkKind))
        try:
            page = await self.bot.review_fetcher.fetch(url.strip())
            article = await asyncio.to_thread(
                extract_article, page.text, page.url, plain_text=page.content_type == "text/plain"
            )
        except FetchRefused as exc:
            raise UserError(f"Nothing was posted. {exc.message}") from exc
        except NoArticle as exc:
            raise UserError(f"Nothing was posted. {exc.message}") from exc
        return ReviewDocument(
            title=f"#{work.id}",
            medium=work.kind,
            sections=(Section(article.text, spoiler=spoilers),),
            rating=rating,
            author=article.author,
            source=url.strip(),
            headline=article.title,
            site=article.site,
            published=article.date,
        )

    async def _resolve(self, guild_id: int, doc: ReviewDocument) -> tuple[Work, Work | None, dict[int, Work]]:
        """Find the catalog title a review is about (and the adaptation it also covers)."""
        works = await self.store.catalog.works(guild_id)
        kinds = (doc.medium,) if doc.medium is WorkKind.BOOK else (WorkKind.FILM, WorkKind.SERIES)
        work = self._pick(works, doc.title, kinds)
        adaptation = None
        if doc.adaptation:
            adaptation = self._pick(works, doc.adaptation, (WorkKind.FILM, WorkKind.SERIES))
        return work, adaptation, works

    @staticmethod
    def _pick(works: dict[int, Work], query: str, kinds: tuple[WorkKind, ...]) -> Work:
        """Pick a title, letting a trailing year ("Frankenstein (1931)") choose between remakes."""
        found = _YEAR_SUFFIX.match(query)
        if found:
            wanted = normalize_title(found["title"])
            same = [
                w
                for w in works.values()
                if w.kind in kinds and w.year == int(found["year"]) and normalize_title(w.title) == wanted
            ]
            if len(same) == 1:
                return same[0]
        return pick_work(works, query, kinds)

    async def post_featured(
        self, interaction: discord.Interaction[BookClubBot], doc: ReviewDocument, *, full: bool
    ) -> None:
        """Post a featured review in the announcement channel, open its thread and record it."""
        assert interaction.guild is not None
        guild = interaction.guild
        work, adaptation, works = await self._resolve(guild.id, doc)
        settings = await self.store.guilds.get(guild.id)
        channel = (
            guild.get_channel(settings.announcement_channel_id) if settings.announcement_channel_id else None
        )
        if not isinstance(channel, discord.TextChannel):
            raise NotConfigured(
                "Featured reviews go to the announcement channel: set one with `/club setup announcements:`."
            )
        scope = _scope_for(work, adaptation, doc.has_spoilers)
        scope_label = describe_scope(scope, works)
        messages = featured_messages(doc, work, adaptation, scope_label, full=full)
        gated = settings.spoiler_mode == "gated"
        review_id = await self.store.reviews.add_featured(
            guild.id,
            NewFeatured(
                work_id=work.id,
                posted_by=interaction.user.id,
                rating=doc.rating,
                # What was posted: an excerpt of someone else's page is all that is kept of it.
                body=posted_markdown(doc, full=full),
                spoiler_scope=scope_to_str(scope),
                reviewer=doc.author,
                headline=doc.headline,
                source_url=doc.source,
            ),
        )
        view = BookClubView(timeout=None)
        for button in _buttons_for(work, works, adaptation):
            view.add_item(button)
        if gated:
            view.add_item(JoinThreadButton(review_id))
        posted: list[discord.Message] = []
        try:
            for number, embeds in enumerate(messages):
                posted.append(await send(channel, embeds=embeds, view=view if number == 0 else None))
            thread = await self._open_thread(
                guild, settings.discussion_channel_id, channel, posted[0], work, scope_label, gated
            )
        except BaseException:
            await self.store.reviews.delete(review_id)
            for message in posted:
                with contextlib.suppress(discord.HTTPException):
                    await message.delete()
            raise
        await self.store.reviews.set_post(review_id, channel.id, posted[0].id, thread.id)
        log.info(
            "Guild %s featured review %s of work %s in %d messages", guild.id, review_id, work.id, len(posted)
        )
        kind = "the whole text" if full else "an excerpt"
        await reply(
            interaction,
            f"Posted {kind} of the review of {italic(work_label(work))} in {channel.mention} "
            f"({len(posted)} message{'s' if len(posted) != 1 else ''}), with comments in {thread.mention}.",
        )

    async def _open_thread(
        self,
        guild: discord.Guild,
        discussion_channel_id: int | None,
        channel: discord.TextChannel,
        first: discord.Message,
        work: Work,
        scope_label: str,
        gated: bool,
    ) -> discord.Thread:
        """Open the review's comment thread: public under the post, or private and gated by status."""
        name = shorten(f"Review: {work.title} · {scope_label}", LIMITS.thread_name)
        if gated:
            where = guild.get_channel(discussion_channel_id) if discussion_channel_id else None
            parent = where if isinstance(where, discord.TextChannel) else channel
            thread = await parent.create_thread(
                name=name,
                type=discord.ChannelType.private_thread,
                invitable=False,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
            note = "This thread is private: press **Join the comments** on the review once your status covers it."
        else:
            thread = await first.create_thread(name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
            note = "Anything that goes further than this must be behind spoiler markup (`||like this||`)."
        await send(
            thread,
            f"Comments on the review of {italic(work_label(work))}. Spoiler scope: **{scope_label}**. {note}",
        )
        return thread

    async def join_thread(self, interaction: discord.Interaction[BookClubBot], review_id: int) -> None:
        """Add a member to a featured review's private thread if their status covers its scope."""
        assert interaction.guild is not None
        review = await self.store.reviews.get(interaction.guild.id, review_id)
        if review is None or review.thread_id is None:
            raise NotFound("This review is no longer in the club's records.")
        works = await self.store.catalog.works(interaction.guild.id)
        statuses = await self.store.statuses.for_member(interaction.guild.id, interaction.user.id)
        scope = scope_from_str(review.spoiler_scope)
        if not may_see(statuses, scope, works):
            raise NotAllowed(reason_hidden(statuses, scope, works) or "You can't join this thread yet.")
        thread = interaction.guild.get_thread(review.thread_id)
        if thread is None:
            fetched = await self.bot.fetch_channel(review.thread_id)
            if not isinstance(fetched, discord.Thread):
                raise NotFound("This review's thread is gone.")
            thread = fetched
        await thread.add_user(interaction.user)
        await reply(interaction, f"You're in: {thread.mention}.")

    # --- Members' reviews -----------------------------------------------------------------------

    @app_commands.command(name="write", description="Write your review of a title, with a rating")
    @app_commands.describe(
        title="A book, film or series from the club's catalog", rating="0.5 to 5 stars, in halves"
    )
    @app_commands.autocomplete(title=title_autocomplete)
    async def write(self, interaction: discord.Interaction[BookClubBot], title: str, rating: float) -> None:
        """Open the review form for a title."""
        assert interaction.guild_id is not None
        stars = parse_member_rating(rating)
        work = pick_work(await self.store.catalog.works(interaction.guild_id), title)
        await interaction.response.send_modal(
            ReviewModal(
                f"bookclub:review:write:{work.id}:{int(stars * 2)}",
                f"Review: {work.title}",
            )
        )

    @app_commands.command(name="edit", description="Change your review of a title")
    @app_commands.describe(title="The title you reviewed")
    @app_commands.autocomplete(title=title_autocomplete)
    async def edit(self, interaction: discord.Interaction[BookClubBot], title: str) -> None:
        """Open the review form filled with the member's review."""
        assert interaction.guild_id is not None
        work = pick_work(await self.store.catalog.works(interaction.guild_id), title)
        mine = await self.store.reviews.of_member(interaction.guild_id, work.id, interaction.user.id)
        if mine is None:
            raise NotFound(
                f"You have not reviewed {italic(work_label(work))}; write one with `/review write`."
            )
        await interaction.response.send_modal(
            ReviewModal(
                f"bookclub:review:edit:{work.id}",
                f"Edit: {work.title}",
                body=mine.body,
                spoiler=mine.spoiler,
                rating=mine.rating,
                ask_rating=True,
            )
        )

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Answer review modals from their custom id, including ones opened before a restart."""
        data: dict[str, Any] = dict(interaction.data or {})
        match = WRITE_MODAL.match(str(data.get("custom_id", "")))
        if interaction.type is not discord.InteractionType.modal_submit or match is None:
            return
        try:
            await self._answer_modal(interaction, match, data)
        except Exception as exc:
            await report_interaction_error(interaction, exc)

    async def _answer_modal(
        self, interaction: discord.Interaction[BookClubBot], match: re.Match[str], data: dict[str, Any]
    ) -> None:
        assert interaction.guild_id is not None
        work = (await self.store.catalog.works(interaction.guild_id)).get(int(match["work_id"]))
        if work is None:
            raise NotFound("That title is no longer in the club's catalog; nothing was posted.")
        body = submitted_value(data, "body").strip()
        if not body:
            raise UserError("Your review is empty; nothing was posted.")
        spoiler = _spoiler_answer(submitted_value(data, "spoilers"))
        if match["action"] == "write":
            rating = parse_member_rating(int(match["halves"] or 0) / 2)
        else:
            rating = parse_member_rating(submitted_value(data, "rating"))
        await interaction.response.defer(ephemeral=True, thinking=True)
        key = (interaction.guild_id, interaction.user.id, work.id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            await self._submit(interaction, work, rating, body, spoiler, editing=match["action"] == "edit")
        if not lock.locked():
            self._locks.pop(key, None)

    async def _submit(
        self,
        interaction: discord.Interaction[BookClubBot],
        work: Work,
        rating: float,
        body: str,
        spoiler: bool,
        *,
        editing: bool,
    ) -> None:
        """Post a new review, recognise a repeated one, or offer to replace the first."""
        assert interaction.guild_id is not None
        existing = await self.store.reviews.of_member(interaction.guild_id, work.id, interaction.user.id)
        written = existing is not None and existing.body is not None
        if (
            existing is not None
            and written
            and await self.store.reviews.is_same_submission(existing, body, rating, spoiler)
        ):
            link = _message_link(interaction.guild_id, existing.channel_id, existing.message_id)
            where = f": {link}" if link else ""
            await reply(
                interaction,
                f"You already posted this review of {italic(work_label(work))}{where}. Nothing changed.",
            )
            return
        if written and not editing:
            channel_id = interaction.channel_id
            draft_id = await self.store.reviews.add_draft(
                interaction.guild_id, interaction.user.id, work.id, rating, body, spoiler, channel_id
            )
            view = BookClubView(timeout=None)
            view.add_item(DraftButton(draft_id, "replace")).add_item(DraftButton(draft_id, "keep"))
            await reply(
                interaction,
                f"You already reviewed {italic(work_label(work))}. Replace that review with this one?",
                view=view,
            )
            return
        review = await self.publish(interaction, work, rating, body, spoiler, existing)
        link = _message_link(interaction.guild_id, review.channel_id, review.message_id)
        verb = "Updated" if written else "Posted"
        await reply(interaction, f"{verb} your review of {italic(work_label(work))}: {link}")

    async def publish(
        self,
        interaction: discord.Interaction[BookClubBot],
        work: Work,
        rating: float,
        body: str,
        spoiler: bool,
        existing: Review | None,
        channel_id: int | None = None,
    ) -> Review:
        """Post (or edit in place) a member's review, then record it; a failed post records nothing."""
        assert interaction.guild is not None
        embeds = member_review_embeds(body, spoiler, rating, work, interaction.user.display_name)
        message: discord.Message | discord.PartialMessage | None = None
        if existing is not None and existing.channel_id and existing.message_id:
            old = self._messageable(interaction.guild, existing.channel_id)
            if old is not None:
                try:
                    message = await old.get_partial_message(existing.message_id).edit(embeds=embeds)
                except discord.NotFound:
                    message = None
        created = False
        if message is None:
            target = self._messageable(interaction.guild, channel_id or interaction.channel_id)
            if target is None:
                raise UserError("I can't post in this channel; run the command in a text channel.")
            message = await send(target, embeds=embeds)
            created = True
        try:
            return await self.store.reviews.save_member_review(
                interaction.guild.id,
                work.id,
                interaction.user.id,
                rating,
                body,
                spoiler,
                channel_id=message.channel.id,
                message_id=message.id,
            )
        except BaseException:
            if created:
                with contextlib.suppress(discord.HTTPException):
                    await message.delete()
            raise

    @staticmethod
    def _messageable(
        guild: discord.Guild, channel_id: int | None
    ) -> discord.TextChannel | discord.Thread | None:
        if channel_id is None:
            return None
        channel = guild.get_channel_or_thread(channel_id)
        return channel if isinstance(channel, discord.TextChannel | discord.Thread) else None

    async def settle_draft(
        self, interaction: discord.Interaction[BookClubBot], draft_id: int, *, replace: bool
    ) -> None:
        """Replace a member's review with their draft, or drop the draft."""
        assert interaction.guild_id is not None
        owner = await self.store.reviews.draft_owner(draft_id)
        if owner is not None and owner != interaction.user.id:
            raise NotAllowed("This choice belongs to someone else.")
        draft = await self.store.reviews.take_draft(draft_id)
        if draft is None:
            await interaction.response.edit_message(content="Already settled: nothing changed.", view=None)
            return
        if not replace:
            await interaction.response.edit_message(content="Kept your first review.", view=None)
            return
        work = (await self.store.catalog.works(interaction.guild_id)).get(draft.work_id)
        if work is None:
            raise NotFound("That title is no longer in the club's catalog.")
        await interaction.response.defer()
        existing = await self.store.reviews.of_member(interaction.guild_id, work.id, interaction.user.id)
        review = await self.publish(
            interaction, work, draft.rating, draft.body, draft.spoiler, existing, draft.channel_id
        )
        link = _message_link(interaction.guild_id, review.channel_id, review.message_id)
        await interaction.edit_original_response(
            content=f"Replaced your review of {italic(work_label(work))}: {link}", view=None
        )

    @app_commands.command(name="delete", description="Delete your review or rating of a title")
    @app_commands.describe(title="The title you reviewed")
    @app_commands.autocomplete(title=title_autocomplete)
    async def delete(self, interaction: discord.Interaction[BookClubBot], title: str) -> None:
        """Delete the member's own review."""
        assert interaction.guild_id is not None
        work = pick_work(await self.store.catalog.works(interaction.guild_id), title)
        mine = await self.store.reviews.of_member(interaction.guild_id, work.id, interaction.user.id)
        if mine is None:
            raise NotFound(f"You have no review or rating of {italic(work_label(work))}.")
        await self._remove(interaction, mine)
        await reply(interaction, f"Deleted your review of {italic(work_label(work))}.")

    @app_commands.command(name="remove", description="Remove a member's review (organizers)")
    @app_commands.describe(title="The title reviewed", member="Whose review to remove")
    @app_commands.autocomplete(title=title_autocomplete)
    async def remove(
        self, interaction: discord.Interaction[BookClubBot], title: str, member: discord.Member
    ) -> None:
        """Remove any member's review."""
        assert interaction.guild_id is not None
        await ensure_organizer(interaction)
        work = pick_work(await self.store.catalog.works(interaction.guild_id), title)
        theirs = await self.store.reviews.of_member(interaction.guild_id, work.id, member.id)
        if theirs is None:
            raise NotFound(f"{member.mention} has no review of {italic(work_label(work))}.")
        await self._remove(interaction, theirs)
        await reply(interaction, f"Removed {member.mention}'s review of {italic(work_label(work))}.")

    async def _remove(self, interaction: discord.Interaction[BookClubBot], review: Review) -> None:
        assert interaction.guild is not None
        await self.store.reviews.delete(review.id)
        channel = self._messageable(interaction.guild, review.channel_id)
        if channel is not None and review.message_id:
            with contextlib.suppress(discord.NotFound):
                await channel.get_partial_message(review.message_id).delete()

    @app_commands.command(name="list", description="Members' reviews and the average rating of a title")
    @app_commands.describe(title="A book, film or series from the club's catalog")
    @app_commands.autocomplete(title=title_autocomplete)
    async def list_reviews(self, interaction: discord.Interaction[BookClubBot], title: str) -> None:
        """Show the first page of reviews."""
        assert interaction.guild_id is not None
        work = pick_work(await self.store.catalog.works(interaction.guild_id), title)
        embed, view = await self._page(interaction.guild_id, work, 0)
        await reply(interaction, embed=embed, view=view)

    async def show_page(self, interaction: discord.Interaction[BookClubBot], work_id: int, page: int) -> None:
        """Show another page of `/review list`."""
        assert interaction.guild_id is not None
        work = (await self.store.catalog.works(interaction.guild_id)).get(work_id)
        if work is None:
            raise NotFound("That title is no longer in the club's catalog.")
        embed, view = await self._page(interaction.guild_id, work, page)
        await interaction.response.edit_message(embed=embed, view=view)

    async def _page(self, guild_id: int, work: Work, page: int) -> tuple[discord.Embed, BookClubView | None]:
        ratings = await self.store.reviews.ratings(guild_id, work.id)
        written = await self.store.reviews.count_member_reviews(guild_id, work.id)
        pages = max(1, math.ceil(written / PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        reviews = await self.store.reviews.member_reviews(
            guild_id, work.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
        embed = list_embed(work, ratings, reviews, written, page, pages)
        if pages == 1:
            return embed, None
        view = BookClubView(timeout=None)
        view.add_item(ListPageButton(work.id, max(page - 1, 0), "prev", disabled=page == 0))
        view.add_item(ListPageButton(work.id, page + 1, "next", disabled=page >= pages - 1))
        return embed, view
