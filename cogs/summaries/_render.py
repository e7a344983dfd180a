"""Rendering for `/summarize`: who a summary is for, the message it becomes (pure), and throttled progress edits."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import discord

from bot.replies import edit_reply
from bot.spoilers import Scope
from bot.store import StoredSummary
from bot.text import LIMITS, escape, spoiler
from cogs.summaries._summarizer import render_body, summary_pieces

log = logging.getLogger(__name__)

EMPTY = "(The model wrote nothing that could be shown.)"


@dataclass(frozen=True)
class Audience:
    """Where the summary may be shown, and what spoiler scope it carries."""

    inside: bool  # asked from inside the thread
    scope: Scope
    scope_label: str | None  # None: not a club discussion


class Progress:
    """Edits the deferred reply with progress, at most once every `interval` seconds."""

    def __init__(
        self,
        interaction: discord.Interaction,
        interval: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interaction = interaction
        self.interval = interval
        self._monotonic = monotonic
        self._last: float | None = None
        self.edits = 0

    async def show(self, text: str, *, force: bool = False) -> None:
        """Show `text` unless the last edit was too recent; never fail the job over it."""
        now = self._monotonic()
        if not force and self._last is not None and now - self._last < self.interval:
            return
        self._last = now
        try:
            await edit_reply(self.interaction, content=text)
            self.edits += 1
        except (
            discord.HTTPException
        ) as exc:  # e.g. the 15-minute token ran out; the result goes to the thread
            log.info("Progress edit failed (%s); carrying on", exc)


def summary_message(
    thread: discord.Thread,
    audience: Audience,
    summary: StoredSummary,
    *,
    in_thread: bool,
    note: str | None,
) -> tuple[str | None, list[discord.Embed]]:
    """Build the message: plain inside the thread; outside it, behind spoiler markup with its scope."""
    hidden = not in_thread
    text = render_body(summary.body, summary.refs, guild_id=thread.guild.id, thread_id=thread.id)
    if audience.scope_label is None:
        scope_line = "This thread is not a club discussion, so I treated it as unscoped (no spoiler limit)."
    else:
        scope_line = f"Spoilers: {audience.scope_label}."
    footer = f"Covers {summary.message_count:,} messages"
    if summary.left_out:
        footer += f"; {summary.left_out:,} left out at their authors' request"
    footer += ". Written by an LLM; it can be wrong."
    title = escape(f"Summary of {thread.name}", limit=LIMITS.embed_title)
    budget = LIMITS.embed_total - len(title) - len(footer) - len(scope_line) - 40
    pieces, cut = summary_pieces(text, hidden=hidden, budget=budget)
    if not pieces:  # the model's text was only citations of messages it was never given
        pieces = [spoiler(EMPTY) if hidden else EMPTY]
    if cut:
        footer += " (Shortened to fit Discord.)"
    embeds = [discord.Embed(description=piece, colour=discord.Colour.blurple()) for piece in pieces]
    embeds[0].title = title
    embeds[-1].set_footer(text=f"{scope_line} {footer}")
    content = None
    if hidden:
        content = f"Summary of {thread.mention}, behind spoiler markup. {scope_line}"
    if note:
        content = f"{note} {content or ''}".strip()
    return content, embeds
