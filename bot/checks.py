"""Who may run which command."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot.errors import NotAllowed

if TYPE_CHECKING:
    from bot.client import BookClubBot

T = TypeVar("T")


async def ensure_organizer(interaction: discord.Interaction[BookClubBot]) -> None:
    """Raise unless the member has Manage Server or the club's organizer role."""
    member = interaction.user
    if not isinstance(member, discord.Member) or interaction.guild_id is None:
        raise NotAllowed("This command only works inside a server.")
    # Discord computes the invoker's permissions into the interaction (Administrator included).
    if interaction.permissions.manage_guild:
        return
    settings = await interaction.client.store.guilds.get(interaction.guild_id)
    if settings.organizer_role_id is not None and any(
        r.id == settings.organizer_role_id for r in member.roles
    ):
        return
    if settings.organizer_role_id is None:
        raise NotAllowed("Only organizers can do this: you need the Manage Server permission.")
    raise NotAllowed(
        f"Only organizers can do this: you need the <@&{settings.organizer_role_id}> role "
        "or the Manage Server permission."
    )


def organizer_only() -> Callable[[T], T]:
    """Restrict a slash command to organizers; the refusal is an ephemeral reply saying who may.

    The check runs before the command's options are resolved, so a member learns they may not
    before being told what was wrong with their input. `is_organizer_only` finds it again.
    """

    async def predicate(interaction: discord.Interaction[BookClubBot]) -> bool:
        await ensure_organizer(interaction)
        return True

    predicate.organizer_only = True  # type: ignore[attr-defined]
    return app_commands.check(predicate)


def is_organizer_only(command: app_commands.Command[Any, ..., Any]) -> bool:
    """Return whether `organizer_only()` guards this command."""
    return any(getattr(check, "organizer_only", False) for check in command.checks)
