"""Persistent buttons and modals of `/review`: join a gated thread, replace a review, page a list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.ui import CustomId, Part, Persistent, PersistentButton

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from cogs.reviews._featured import FeaturedReviews
    from cogs.reviews._members import MemberReviews

MAX_BODY_CHARS = 3800
"""Longest member review: with spoiler markup it still fits one embed description (4,096)."""

WRITE_MODAL = CustomId("bookclub:review:write:{work_id:int}:{halves:int}")
"""`/review write`'s form: the rating was given with the command, in half stars."""
EDIT_MODAL = CustomId("bookclub:review:edit:{work_id:int}")
"""`/review edit`'s form, which asks for the rating again."""


_UNAVAILABLE = "Reviews are unavailable right now; try again in a moment."
FEATURED: Part[FeaturedReviews] = Part("reviews.featured", missing=_UNAVAILABLE)
MEMBERS: Part[MemberReviews] = Part("reviews.members", missing=_UNAVAILABLE)


class ReviewModal(discord.ui.Modal):
    """The review text (and, when editing, the rating); `answer_review_modal` records the answer."""

    def __init__(
        self,
        custom_id: str,
        title: str,
        *,
        body: str | None = None,
        spoiler: bool = False,
        rating: float | None = None,
        ask_rating: bool = False,
    ) -> None:
        super().__init__(title=title[:45], custom_id=custom_id, timeout=1800)
        if ask_rating:
            self.add_item(
                discord.ui.TextInput(
                    label="Rating (0.5 to 5, in halves)",
                    custom_id="rating",
                    default=f"{rating:g}" if rating is not None else None,
                    max_length=4,
                )
            )
        self.add_item(
            discord.ui.TextInput(
                label="Your review",
                style=discord.TextStyle.paragraph,
                custom_id="body",
                default=body,
                min_length=1,
                max_length=MAX_BODY_CHARS,
            )
        )
        self.add_item(
            discord.ui.Label(
                text="Contains spoilers?",
                component=discord.ui.Select(
                    custom_id="spoilers",
                    options=[
                        discord.SelectOption(label="No spoilers", value="no", default=not spoiler),
                        discord.SelectOption(
                            label="Contains spoilers: hide the whole text",
                            value="yes",
                            default=spoiler,
                        ),
                    ],
                ),
            )
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Leave the answer to `answer_review_modal`, which also works after a restart."""


class JoinThreadButton(
    PersistentButton,
    custom_id="bookclub:review:join:{review_id:int}",
    label="Join the comments",
    style=discord.ButtonStyle.primary,
):
    """Adds a member to a featured review's private comment thread when their status allows it."""

    review_id: int

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Check the member's status against the thread's scope and add them."""
        await FEATURED.of(interaction.client).join_thread(interaction, self.review_id)


class DraftButton(
    Persistent[discord.ui.Button[Any]], custom_id="bookclub:review:draft:{draft_id:int}:{action:replace|keep}"
):
    """Replace a member's review with the new one they wrote, or keep the first."""

    def __init__(self, draft_id: int, action: str) -> None:
        self.draft_id = draft_id
        self.action = action
        label, style = (
            ("Replace my review", discord.ButtonStyle.danger)
            if action == "replace"
            else ("Keep the first one", discord.ButtonStyle.secondary)
        )
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=self.ids.format(draft_id=draft_id, action=action)
            )
        )

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Apply or drop the draft."""
        await MEMBERS.of(interaction.client).settle_draft(
            interaction, self.draft_id, replace=self.action == "replace"
        )


class ListPageButton(
    Persistent[discord.ui.Button[Any]],
    custom_id="bookclub:review:page:{work_id:int}:{page:int}:{direction:prev|next}",
):
    """Turns the pages of `/review list`; the page is read again from the database."""

    def __init__(self, work_id: int, page: int, direction: str, *, disabled: bool = False) -> None:
        self.work_id = work_id
        self.page = page
        self.direction = direction
        super().__init__(
            discord.ui.Button(
                label="◀ Newer" if direction == "prev" else "Older ▶",
                style=discord.ButtonStyle.secondary,
                custom_id=self.ids.format(work_id=work_id, page=page, direction=direction),
                disabled=disabled,
            )
        )

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Show the page this button leads to."""
        await MEMBERS.of(interaction.client).show_page(interaction, self.work_id, self.page)
