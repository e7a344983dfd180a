"""Pure rendering of reviews into Discord embeds that fit every limit (unit-testable, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from bot.domain import Work, WorkKind
from bot.lookup import work_label
from bot.ratings import describe_average, stars
from bot.store import Review
from bot.text import LIMITS, balance_spoilers, escape, shorten, split_markdown, spoiler, strip_mentions
from cogs.reviews._document import ReviewDocument

FEATURED_COLOUR = discord.Colour.gold()
MEMBER_COLOUR = discord.Colour.blurple()
EXCERPT_CHARS = 1000
PAGE_SIZE = 5
# Under Discord's 6,000 characters per message, with room to spare for rounding in its own count.
MESSAGE_BUDGET = 5900
# Smaller leftovers go to the next message rather than into a sliver of an embed.
MIN_PIECE = 400
MEDIUM_LABEL = {WorkKind.BOOK: "Book", WorkKind.FILM: "Film", WorkKind.SERIES: "Series"}
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s")


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def section_markdown(text: str, *, hidden: bool, plain: bool = False) -> str:
    """Return a section's text for posting: mentions removed; spoilers wrapped paragraph by paragraph.

    `plain` text (a web page's) has its markdown characters escaped paragraph by paragraph, so a
    stray `*` or `#` shows as written and `||` cannot open a spoiler.
    """
    text = strip_mentions(text)
    if plain:
        text = "\n\n".join(discord.utils.escape_markdown(p) for p in _paragraphs(text))
    if not hidden:
        return balance_spoilers(text)
    # Each paragraph gets its own markup, so no paragraph break can ever sit outside a spoiler span.
    return "\n\n".join(spoiler(p) for p in _paragraphs(text))


def document_markdown(doc: ReviewDocument) -> str:
    """Return the whole review's text as Discord markdown, spoiler sections behind `||…||`."""
    return "\n\n".join(section_markdown(s.text, hidden=s.spoiler, plain=s.plain) for s in doc.sections)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Return the opening paragraphs of a text, about `limit` characters, cut at a sentence end."""
    taken: list[str] = []
    used = 0
    for paragraph in _paragraphs(text):
        if used + len(paragraph) <= limit:
            taken.append(paragraph)
            used += len(paragraph) + 2
            continue
        room = limit - used
        if room > 200 or not taken:
            # Cut this paragraph at the last sentence end that fits, or at a word if none does.
            ends = [m.end() for m in _SENTENCE_END.finditer(paragraph[: room + 1] + " ")]
            cut = paragraph[: ends[-1]].strip() if ends else shorten(paragraph, max(room, 80))
            if cut:
                taken.append(cut)
        break
    return "\n\n".join(taken)


def header_embed(
    doc: ReviewDocument, work: Work, adaptation: Work | None, scope_label: str, *, full: bool
) -> discord.Embed:
    """Build the first embed of a featured review: title, medium, rating, author and link."""
    title = doc.headline or f"Review: {work_label(work)}"
    embed = discord.Embed(title=escape(title, limit=LIMITS.embed_title), colour=FEATURED_COLOUR)
    if doc.source:
        embed.url = doc.source
    if doc.author:
        embed.set_author(name=shorten(" ".join(doc.author.split()), LIMITS.author))
    reviewed = f"*{escape(work_label(work), limit=200)}* ({MEDIUM_LABEL[work.kind].lower()})"
    if adaptation is not None:
        reviewed += (
            f" and *{escape(work_label(adaptation), limit=200)}* ({MEDIUM_LABEL[adaptation.kind].lower()})"
        )
    embed.add_field(name="Reviewed", value=shorten(reviewed, LIMITS.field_value), inline=False)
    embed.add_field(
        name="Medium",
        value=MEDIUM_LABEL[work.kind] + (" + " + MEDIUM_LABEL[adaptation.kind] if adaptation else ""),
    )
    if doc.rating is not None:
        embed.add_field(name="Rating", value=stars(doc.rating))
    embed.add_field(name="Spoilers", value=escape(scope_label, limit=LIMITS.field_value))
    if doc.source:
        site = escape(doc.site, limit=100) if doc.site else "the original"
        note = "" if full else " (an excerpt: read the rest there)"
        embed.add_field(
            name="Source", value=f"[{site}]({doc.source}){note}"[: LIMITS.field_value], inline=False
        )
    if doc.published:
        embed.set_footer(text=f"Published {doc.published}"[: LIMITS.footer])
    return embed


def _size(embed: discord.Embed) -> int:
    return len(embed)


def pack_text(text: str, first_budget: int, budget: int = MESSAGE_BUDGET) -> list[list[str]]:
    """Split text into embed descriptions and group them into messages within the per-message total.

    Each description is at most 4,096 characters and the descriptions of one message add up to at most
    `budget` (`first_budget` for the first message, which also carries the header's fields).
    """
    messages: list[list[str]] = []
    remaining = text.strip()
    room = first_budget
    while remaining:
        descriptions: list[str] = []
        while remaining and len(descriptions) < LIMITS.embeds and room >= MIN_PIECE:
            chunks = split_markdown(remaining, min(LIMITS.embed_description, room))
            if not chunks:
                remaining = ""
                break
            descriptions.append(chunks[0])
            room -= len(chunks[0])
            # The rest is split again; split_markdown closed and reopened any spoiler span it cut.
            remaining = "\n\n".join(chunks[1:])
        messages.append(descriptions)
        room = budget
    return messages or [[]]


def posted_markdown(doc: ReviewDocument, *, full: bool) -> str:
    """Return the text a featured review posts: all of it, or the opening excerpt (hidden if any part is)."""
    if full:
        return document_markdown(doc)
    plain = all(s.plain for s in doc.sections)
    return section_markdown(
        excerpt("\n\n".join(s.text for s in doc.sections)), hidden=doc.has_spoilers, plain=plain
    )


def featured_messages(
    doc: ReviewDocument, work: Work, adaptation: Work | None, scope_label: str, *, full: bool = True
) -> list[list[discord.Embed]]:
    """Return the embeds of each message of a featured review, within Discord's limits."""
    text = posted_markdown(doc, full=full)
    first = header_embed(doc, work, adaptation, scope_label, full=full)
    packed = pack_text(text, MESSAGE_BUDGET - _size(first))
    messages: list[list[discord.Embed]] = []
    for number, descriptions in enumerate(packed):
        embeds = [discord.Embed(description=d, colour=FEATURED_COLOUR) for d in descriptions]
        if number == 0:
            first.description = descriptions[0] if descriptions else None
            embeds = [first, *embeds[1:]]
        messages.append(embeds)
    return messages


def member_review_embeds(
    body: str, hidden: bool, rating: float | None, work: Work, display_name: str
) -> list[discord.Embed]:
    """Render a member's review: their name, the stars and the text (spoilers behind markup)."""
    body = section_markdown(body, hidden=hidden)
    chunks = split_markdown(body, LIMITS.embed_description) or [""]
    embed = discord.Embed(
        title=escape(f"Review: {work_label(work)}", limit=LIMITS.embed_title),
        description=chunks[0],
        colour=MEMBER_COLOUR,
    )
    embed.set_author(name=shorten(f"{display_name} rated it", LIMITS.author))
    if rating is not None:
        embed.add_field(name="Rating", value=stars(rating))
    if hidden:
        embed.add_field(name="Spoilers", value="behind spoiler markup")
    return [embed, *(discord.Embed(description=c, colour=MEMBER_COLOUR) for c in chunks[1:])]


def list_embed(
    work: Work, ratings: Sequence[float], reviews: Sequence[Review], written: int, page: int, pages: int
) -> discord.Embed:
    # page is 0-based; reviews are that page's, newest first.
    """Render one page of `/review list`: the average, the count and a few reviews."""
    embed = discord.Embed(
        title=escape(f"Reviews of {work_label(work)}", limit=LIMITS.embed_title), colour=MEMBER_COLOUR
    )
    imported = len(ratings) - written
    summary = describe_average(ratings)
    if ratings:
        summary += f"\n{written} written review{'s' if written != 1 else ''}"
        if imported > 0:
            summary += f", {imported} rating{'s' if imported != 1 else ''} imported from other sites"
    embed.description = summary
    for number, review in enumerate(reviews, start=page * PAGE_SIZE + 1):
        body = review.body or ""
        short = shorten(strip_mentions(body), 700)
        text = section_markdown(short, hidden=review.spoiler) if short else "(rating only)"
        rated = stars(review.rating) if review.rating is not None else "no rating"
        value = f"<@{review.author_id}> · {rated} · <t:{int(review.updated_at.timestamp())}:d>\n{text}"
        embed.add_field(
            name=f"Review {number}",
            value=shorten(value, LIMITS.field_value) if not review.spoiler else _fit_spoiler_field(value),
            inline=False,
        )
    if pages > 1:
        embed.set_footer(text=f"Page {page + 1} of {pages}")
    return embed


def _fit_spoiler_field(value: str) -> str:
    """Keep a field within its limit without cutting a spoiler span open."""
    if len(value) <= LIMITS.field_value:
        return value
    return split_markdown(value, LIMITS.field_value - 1)[0] + "…"
