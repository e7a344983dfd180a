"""Errors members may see, and the one path that turns any failure into an ephemeral reply."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.replies import reply
from bot.text import code_span

log = logging.getLogger(__name__)


class UserError(app_commands.AppCommandError):
    """A problem the member can fix; its message is shown to them as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(UserError):
    """Something the member named does not exist."""


class NotAllowed(UserError):
    """The member may not do this."""


class NotConfigured(UserError):
    """The club has not been set up for this yet."""


class GuildNotReady(UserError):
    """This process has not received the interaction's guild from the gateway yet."""


GUILD_NOT_READY = "I'm still connecting to this server; try again in a few seconds."


def guild_ready(interaction: discord.Interaction) -> bool:
    """Tell whether this process holds the interaction's guild (always, for a DM)."""
    if interaction.guild_id is None:
        return True
    guild = interaction.client.get_guild(interaction.guild_id)
    return guild is not None and not guild.unavailable


def ensure_guild_ready(interaction: discord.Interaction) -> None:
    """Raise `GuildNotReady` for an interaction from a guild this process's cache does not hold yet.

    After READY a shard's guilds are unavailable until their GUILD_CREATE, yet interactions may already
    arrive (discord-api-docs, Gateway Events, Ready): `interaction.guild` is then a partial guild without
    channels or roles, and a lookup in it would give a wrong answer ("set an announcement channel first").
    DMs (no guild_id) pass.
    """
    if not guild_ready(interaction):
        raise GuildNotReady(GUILD_NOT_READY)


def describe_error(error: BaseException) -> tuple[str, bool]:
    """Return the member-facing text for an error and whether it was unexpected (a bug to log)."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError) and error.__cause__:
        inner = error.__cause__
        if isinstance(inner, UserError):
            return inner.message, False
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserError):
        return error.message, False
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works inside a server.", False
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"You need the {needed} permission to do this.", False
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I am missing the {needed} permission here; ask a server admin to grant it.", False
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s.", False
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You are not allowed to use this command.", False
    if isinstance(error, app_commands.TransformerError):
        return f"{code_span(str(error.value))} is not a valid value here.", False
    from bot.store.db import WriteConflict  # here: the store's repositories import this module

    if isinstance(error, WriteConflict):
        # Logged as well: writes that keep colliding mean the processes contend for the same rows.
        return "The database was too busy to save that, so nothing was changed; try again in a moment.", True
    if isinstance(error, discord.Forbidden):
        return (
            "Discord refused: I am missing a permission for that channel. Ask a server admin to "
            "check my role's permissions.",
            True,
        )
    return "", True


UNKNOWN_INTERACTION = 10062


def _root(error: BaseException) -> BaseException:
    while isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return error


async def report_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Reply ephemerally with what went wrong; log anything that is not the member's to fix."""
    root = _root(error)
    if isinstance(root, discord.NotFound) and root.code == UNKNOWN_INTERACTION:
        # The answer came after Discord's 3 s deadline: the interaction is gone, so another reply would
        # fail the same way. Whatever was saved stays saved; the member can look with /status show.
        log.warning(
            "Answered too late (Unknown interaction): guild=%s user=%s",
            interaction.guild_id,
            interaction.user.id,
        )
        return
    message, unexpected = describe_error(error)
    if unexpected:
        ref = secrets.token_hex(3)
        command = interaction.command.qualified_name if interaction.command else None
        custom_id = (interaction.data or {}).get("custom_id") if interaction.data else None
        log.error(
            "Interaction failed (ref %s): command=%s custom_id=%s guild=%s channel=%s user=%s",
            ref,
            command,
            custom_id,
            interaction.guild_id,
            interaction.channel_id,
            interaction.user.id,
            exc_info=error,
        )
        if not message:
            # The failure may have come after a write was committed (e.g. the answer failed), so the
            # member is not told whether anything changed: the bot cannot know it here.
            message = (
                f"Something went wrong on my side (ref `{ref}`). If you were changing something, check "
                "whether it was saved (e.g. `/status show`) before trying again; tell an organizer if it "
                "keeps happening."
            )
    try:
        await reply(interaction, message)
    except discord.HTTPException:
        log.warning("Could not tell user %s about an error", interaction.user.id, exc_info=True)
