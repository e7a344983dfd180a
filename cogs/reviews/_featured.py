"""Featured reviews: resolving the title, fetching a page, posting within limits, the comment thread."""

from __future__ import annotations

import contextlib
import logging
import re
from functools import partial
from typing import TYPE_CHECKING, Literal

import discord

from bot.domain import Work, WorkKind
from bot.errors import NotAllowed, NotConfigured, NotFound, UserError
from bot.lookup import italic, pick_work, work_label
from bot.replies import reply, send
from bot.services.statuses import StatusButton, status_buttons
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
from bot.store import NewFeatured
from bot.text import LIMITS, shorten
from bot.titles import normalize_title
from bot.ui import BookClubView
from bot.workers import WorkTimeout
from cogs.reviews._document import ReviewDocument, Section
from cogs.reviews._extract import NoArticle, extract_article
from cogs.reviews._fetch import FetchRefused, GuardedFetcher
from cogs.reviews._render import featured_messages, posted_markdown
from cogs.reviews._views import JoinThreadButton

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from bot.store import Store
    from bot.workers import Workers

log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080
EXTRACT_BUDGET = 10.0
"""Seconds the worker pool may spend reducing one page to its article."""
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


class FeaturedReviews:
    """Posts featured reviews and lets members into their gated comment threads."""

    def __init__(self, bot: BookClubBot, *, store: Store, fetcher: GuardedFetcher, workers: Workers) -> None:
        self.bot = bot
        self.store = store
        self.fetcher = fetcher
        self.workers = workers

    async def from_url(
        self, guild_id: int, url: str, title: str, rating: float | None, spoilers: bool
    ) -> ReviewDocument:
        """Fetch a page and reduce it to its article; refusals explain themselves."""
        work = self._pick(await self.store.catalog.works(guild_id), title, tuple(WorkKind))
        try:
            page = await self.fetcher.fetch(url.strip())
            article = await self.workers.run(
                partial(extract_article, plain_text=page.content_type == "text/plain"),
                page.text,
                page.url,
                budget=EXTRACT_BUDGET,
            )
        except WorkTimeout as exc:
            raise UserError(
                "Nothing was posted: reading that page took too long. Attach the review as a file instead."
            ) from exc
        except FetchRefused as exc:
            raise UserError(f"Nothing was posted. {exc.message}") from exc
        except NoArticle as exc:
            raise UserError(f"Nothing was posted. {exc.message}") from exc
        return ReviewDocument(
            title=f"#{work.id}",
            medium=work.kind,
            sections=(Section(article.text, spoiler=spoilers, plain=True),),
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

    async def post(
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
        await interaction.response.defer(ephemeral=True, thinking=True)
        thread = interaction.guild.get_thread(review.thread_id)
        try:
            if thread is None:
                fetched = await self.bot.fetch_channel(review.thread_id)
                if not isinstance(fetched, discord.Thread):
                    raise NotFound("This review's comment thread is gone.")
                thread = fetched
            if thread.archived:
                # Discord refuses to add members to an archived thread; a quiet week archives it.
                thread = await thread.edit(archived=False)
            await thread.add_user(interaction.user)
        except discord.NotFound as exc:
            raise NotFound("This review's comment thread is gone.") from exc
        await reply(interaction, f"You're in: {thread.mention}.")

    # --- Members' reviews -----------------------------------------------------------------------
