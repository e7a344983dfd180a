"""Members' reviews: the review form, replacing, recognising repeats, removing, and the paged list."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord

from bot.domain import Work
from bot.errors import NotAllowed, NotFound, UserError
from bot.locks import KeyedLocks
from bot.lookup import italic, work_label
from bot.ratings import parse_member_rating
from bot.replies import reply, send
from bot.store import Review
from bot.ui import BookClubView, submitted_value
from cogs.reviews._render import PAGE_SIZE, list_embed, member_review_embeds
from cogs.reviews._views import DraftButton, ListPageButton

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from bot.store import Store


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


class MemberReviews:
    """Write, replace, edit and remove members' reviews; page through a title's reviews."""

    def __init__(self, bot: BookClubBot, *, store: Store) -> None:
        self.bot = bot
        self.store = store
        # One submission at a time per member and title, so a double click is seen as a repeat. In-process
        # is enough: a member's presses in a guild reach the one process of its shard, and a draft waiting
        # for "replace or keep" is in the review_drafts table, so a restart loses nothing.
        self._locks = KeyedLocks()

    async def answer_write(
        self, interaction: discord.Interaction[BookClubBot], *, work_id: int, halves: int
    ) -> None:
        """Post a submitted `/review write` form, rated with the command."""
        await self._answer(interaction, work_id, lambda: parse_member_rating(halves / 2), editing=False)

    async def answer_edit(self, interaction: discord.Interaction[BookClubBot], *, work_id: int) -> None:
        """Apply a submitted `/review edit` form, which carries the rating too."""
        data = dict(interaction.data or {})
        await self._answer(
            interaction, work_id, lambda: parse_member_rating(submitted_value(data, "rating")), editing=True
        )

    async def _answer(
        self,
        interaction: discord.Interaction[BookClubBot],
        work_id: int,
        rating_of: Callable[[], float],
        *,
        editing: bool,
    ) -> None:
        """Check a submitted review form and post it (or recognise a repeat, or offer to replace)."""
        assert interaction.guild_id is not None
        data = dict(interaction.data or {})
        work = (await self.store.catalog.works(interaction.guild_id)).get(work_id)
        if work is None:
            raise NotFound("That title is no longer in the club's catalog; nothing was posted.")
        body = submitted_value(data, "body").strip()
        if not body:
            raise UserError("Your review is empty; nothing was posted.")
        spoiler = _spoiler_answer(submitted_value(data, "spoilers"))
        rating = rating_of()
        await interaction.response.defer(ephemeral=True, thinking=True)
        # Locks are kept (one per member and title reviewed): dropping one while a submission waits on it
        # would let a third click run beside the second.
        async with self._locks((interaction.guild_id, interaction.user.id, work.id)):
            await self._submit(interaction, work, rating, body, spoiler, editing=editing)

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

    async def remove(self, interaction: discord.Interaction[BookClubBot], review: Review) -> None:
        assert interaction.guild is not None
        await self.store.reviews.delete(review.id)
        channel = self._messageable(interaction.guild, review.channel_id)
        if channel is not None and review.message_id:
            with contextlib.suppress(discord.NotFound):
                await channel.get_partial_message(review.message_id).delete()

    async def show_page(self, interaction: discord.Interaction[BookClubBot], work_id: int, page: int) -> None:
        """Show another page of `/review list`."""
        assert interaction.guild_id is not None
        work = (await self.store.catalog.works(interaction.guild_id)).get(work_id)
        if work is None:
            raise NotFound("That title is no longer in the club's catalog.")
        embed, view = await self.page(interaction.guild_id, work, page)
        await interaction.response.edit_message(embed=embed, view=view)

    async def page(self, guild_id: int, work: Work, page: int) -> tuple[discord.Embed, BookClubView | None]:
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
