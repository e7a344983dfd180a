"""The "Hide as spoiler" message command: repost a message behind spoiler markup, then delete the original.

It needs no Message Content intent: Discord puts the target message, content and attachments included,
in the interaction itself.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.checks import ensure_organizer
from bot.errors import NotAllowed, NotConfigured, UserError
from bot.replies import reply, send
from bot.text import LIMITS, escape, split_markdown, spoiler, strip_mentions

if TYPE_CHECKING:
    from bot.client import BookClubBot

log = logging.getLogger(__name__)

COMMAND_NAME = "Hide as spoiler"


def spoiler_parts(author: str, text: str) -> list[str]:
    """Return the messages that repost `text` by `author`, each part wholly inside its own spoiler markup."""
    header = f"{escape(author, limit=80)} wrote (hidden as a spoiler):"
    more = f"{escape(author, limit=80)} (continued):"
    budget = LIMITS.content - max(len(header), len(more)) - 1
    parts: list[str] = []
    pending = split_markdown(text, budget - 4) if text.strip() else []
    while pending:
        chunk = pending.pop(0)
        wrapped = spoiler(chunk)
        if len(wrapped) > budget:
            # Escaping pipes grew the chunk past the limit: cut it smaller and try again.
            pending[:0] = split_markdown(chunk, max(20, len(chunk) // 2))
            continue
        parts.append(wrapped)
    if not parts:
        return [header]
    return [f"{header if i == 0 else more}\n{part}" for i, part in enumerate(parts)]


async def hide_as_spoiler(interaction: discord.Interaction[BookClubBot], message: discord.Message) -> None:
    """Repost a member's message behind spoiler markup (theirs, or anyone's for organizers); delete the original."""
    if interaction.guild is None or not isinstance(
        message.channel, discord.abc.GuildChannel | discord.Thread
    ):
        raise UserError("This only works on messages in a server.")
    me = interaction.guild.me
    if message.author.id == me.id:
        raise UserError("That is one of my own posts; I keep spoilers out of them already.")
    if message.author.id != interaction.user.id:
        try:
            await ensure_organizer(interaction)
        except NotAllowed as exc:
            raise NotAllowed("You can hide only your own messages; organizers can hide anyone's.") from exc
    channel = message.channel
    perms = channel.permissions_for(me)
    needed = ["view_channel", "read_message_history", "manage_messages"]
    needed.append("send_messages_in_threads" if isinstance(channel, discord.Thread) else "send_messages")
    if message.attachments:
        needed.append("attach_files")
    missing = [n.replace("_", " ").title() for n in needed if not getattr(perms, n)]
    if missing:
        raise NotConfigured(f"I need {', '.join(missing)} in {channel.mention} to hide messages there.")
    limit = interaction.guild.filesize_limit
    too_big = [a.filename for a in message.attachments if a.size > limit]
    if too_big:
        raise UserError(
            f"{escape(too_big[0], limit=80)} is larger than the {limit // (1024 * 1024)} MB I may upload here, "
            "so I left the message as it is. Delete it yourself and post it again as a spoiler."
        )
    await interaction.response.defer(ephemeral=True, thinking=True)
    files = [await a.to_file(spoiler=True) for a in message.attachments]
    names = {m.id: m.display_name for m in message.mentions}
    # No mention survives: a mention written in a private thread would add that member to it.
    text = strip_mentions(message.content, names)
    parts = spoiler_parts(getattr(message.author, "display_name", message.author.name), text)
    sent: list[discord.Message] = []
    try:
        for i, part in enumerate(parts):
            sent.append(
                await send(
                    channel,
                    part,
                    files=files if i == 0 else [],
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            )
        await message.delete()
    except discord.HTTPException:
        for repost in sent:  # the original stays, so the copy must go
            try:
                await repost.delete()
            except discord.HTTPException:
                log.warning("Could not remove repost %s after a failed hide", repost.id)
        raise
    log.info("Hid message %s in channel %s for user %s", message.id, channel.id, interaction.user.id)
    await reply(interaction, "Done: the message is now behind spoiler tags.")


def context_menu() -> discord.app_commands.ContextMenu:
    """Return the guild-only message command."""
    menu = discord.app_commands.ContextMenu(
        name=COMMAND_NAME,
        callback=hide_as_spoiler,
        extras={"description": "Repost a message behind spoiler tags (your own; organizers: anyone's)"},
    )
    menu.guild_only = True
    return menu
