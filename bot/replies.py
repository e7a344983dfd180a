"""Every reply and post goes through here, so it fits Discord's limits by construction.

`reply` answers an interaction (first response or follow-up, whichever its state needs), `edit_reply`
changes that answer, `send` posts in a channel or thread and `send_dm` writes to a member. Each fits
content and embeds first: a message Discord would refuse for its length becomes one it accepts, never a
silent failure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

import discord

from bot.text import LIMITS, fit_lines, shorten

log = logging.getLogger(__name__)

BLANK = "\u200b"  # embed field names and values cannot be empty

# Discord's 403s for a DM the member cannot receive (JSON error codes): 50007 "Cannot send messages to
# this user" (they turned off DMs from server members, or blocked the bot) and 50278 "... due to having
# no mutual guilds" (they share no server with the bot). Neither passes with time: not worth a retry.
CANNOT_DM: Final = frozenset({50007, 50278})


def _embed_size(embed: discord.Embed) -> int:
    return len(embed)


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Return a copy of `embed` with every part within Discord's limits (6,000 characters in all)."""
    data = embed.to_dict()
    fitted = discord.Embed.from_dict(data)
    if fitted.title:
        fitted.title = shorten(str(fitted.title), LIMITS.embed_title)
    if fitted.description:
        fitted.description = shorten(str(fitted.description), LIMITS.embed_description)
    if fitted.author and fitted.author.name:
        fitted.set_author(
            name=shorten(fitted.author.name, LIMITS.author),
            url=fitted.author.url,
            icon_url=fitted.author.icon_url,
        )
    if fitted.footer and fitted.footer.text:
        fitted.set_footer(text=shorten(fitted.footer.text, LIMITS.footer), icon_url=fitted.footer.icon_url)
    fields = list(fitted.fields)
    fitted.clear_fields()
    for field in fields[: LIMITS.fields]:
        fitted.add_field(
            name=shorten(field.name or BLANK, LIMITS.field_name),
            value=shorten(field.value or BLANK, LIMITS.field_value),
            inline=bool(field.inline),
        )
    if len(fields) > LIMITS.fields:
        log.warning("Embed had %d fields; kept the first %d", len(fields), LIMITS.fields)
    return _within_total(fitted, LIMITS.embed_total)


def _within_total(embed: discord.Embed, budget: int) -> discord.Embed:
    """Shrink the description, then drop trailing fields, until the embed fits `budget` characters."""
    excess = _embed_size(embed) - budget
    if excess <= 0:
        return embed
    if embed.description:
        keep = max(len(str(embed.description)) - excess, 0)
        embed.description = shorten(str(embed.description), keep) if keep > 20 else None
    while _embed_size(embed) > budget and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    if _embed_size(embed) > budget and embed.title:
        embed.title = shorten(str(embed.title), max(budget // 10, 10))
    return embed


def fit_message(
    content: str | None, embeds: Sequence[discord.Embed] = ()
) -> tuple[str | None, list[discord.Embed]]:
    """Return content and embeds that Discord accepts in one message (2,000 characters, 10 embeds, 6,000 in all)."""
    text = shorten(content, LIMITS.content) if content else content
    kept = [fit_embed(e) for e in embeds[: LIMITS.embeds]]
    if len(embeds) > LIMITS.embeds:
        log.warning("Message had %d embeds; kept the first %d", len(embeds), LIMITS.embeds)
    total = sum(_embed_size(e) for e in kept)
    index = len(kept) - 1
    while total > LIMITS.embed_total and index >= 0:
        others = total - _embed_size(kept[index])
        kept[index] = _within_total(kept[index], max(LIMITS.embed_total - others, 0))
        total = sum(_embed_size(e) for e in kept)
        index -= 1
    return text, kept


def fit_list(lines: Sequence[str], limit: int = LIMITS.embed_description) -> str:
    """Join lines for an embed description or field, ending with "…and N more" when they do not fit."""
    return fit_lines(lines, limit)


def _options(
    content: str | None,
    embed: discord.Embed | None,
    embeds: Sequence[discord.Embed] | None,
    view: discord.ui.View | None,
    files: Sequence[discord.File] | None,
    allowed_mentions: discord.AllowedMentions | None,
) -> dict[str, Any]:
    all_embeds = [*([embed] if embed is not None else []), *(embeds or [])]
    text, fitted = fit_message(content, all_embeds)
    options: dict[str, Any] = {"content": text}
    if fitted:
        options["embeds"] = fitted
    if view is not None:
        options["view"] = view
    if files:
        options["files"] = list(files)
    if allowed_mentions is not None:
        options["allowed_mentions"] = allowed_mentions
    return options


async def reply(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: Sequence[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    files: Sequence[discord.File] | None = None,
    ephemeral: bool = True,
    allowed_mentions: discord.AllowedMentions | None = None,
) -> discord.Message | None:
    """Answer an interaction, fitted to Discord's limits; return the follow-up message when there is one."""
    options = _options(content, embed, embeds, view, files, allowed_mentions)
    if not interaction.response.is_done():
        await interaction.response.send_message(ephemeral=ephemeral, **options)
        return None
    return await interaction.followup.send(ephemeral=ephemeral, wait=True, **options)


class _Keep:
    """Marks an `edit_reply` argument that leaves that part of the message as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


async def edit_reply(
    interaction: discord.Interaction[Any],
    content: str | None = KEEP,
    *,
    embed: discord.Embed | None = KEEP,
    embeds: Sequence[discord.Embed] = KEEP,
    view: discord.ui.View | None = KEEP,
) -> None:
    """Change the message a button sits on, or the answer to a deferred command, fitted to the limits.

    Parts left as `KEEP` stay as they are; `view=None` removes the buttons, `embeds=[]` the embeds.
    """
    options: dict[str, Any] = {}
    given = [e for e in ([embed] if embed is not KEEP else []) + (list(embeds) if embeds is not KEEP else [])]
    text, fitted = fit_message(None if content is KEEP else content, [e for e in given if e is not None])
    if content is not KEEP:
        options["content"] = text
    if embed is not KEEP or embeds is not KEEP:
        options["embeds"] = fitted
    if view is not KEEP:
        options["view"] = view
    component = interaction.type in (discord.InteractionType.component, discord.InteractionType.modal_submit)
    if component and not interaction.response.is_done():
        await interaction.response.edit_message(**options)
    else:
        await interaction.edit_original_response(**options)


async def send(
    destination: discord.abc.Messageable,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: Sequence[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    files: Sequence[discord.File] | None = None,
    allowed_mentions: discord.AllowedMentions | None = None,
    **kwargs: Any,
) -> discord.Message:
    """Post in a channel or thread, fitted to Discord's limits (a member is written to with `send_dm`)."""
    if isinstance(destination, discord.User | discord.Member):
        raise TypeError("DM members with send_dm, which knows the members Discord cannot DM")
    options = _options(content, embed, embeds, view, files, allowed_mentions)
    return await destination.send(**options, **kwargs)


async def send_dm(
    user: discord.User | discord.Member,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> discord.Message | None:
    """DM a member, fitted to Discord's limits; return None when Discord says they cannot get DMs from the bot.

    Every DM the bot sends goes through here, so a member who closed their DMs is one expected answer
    (logged at info, no traceback) for the caller to record, never an error; other failures raise.
    """
    options = _options(content, embed, None, view, None, None)
    try:
        return await user.send(**options)
    except discord.Forbidden as exc:
        if exc.code not in CANNOT_DM:
            raise
        log.info("User %s cannot get DMs from me (Discord code %d)", user.id, exc.code)
        return None
