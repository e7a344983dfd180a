"""Who may run which command."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.errors import NotAllowed

if TYPE_CHECKING:
    from bot.client import BookClubBot


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


def organizer_only() -> object:
    """Restrict a slash command to organizers."""

    async def predicate(interaction: discord.Interaction[BookClubBot]) -> bool:
        await ensure_organizer(interaction)
        return True

    return app_commands.check(predicate)
