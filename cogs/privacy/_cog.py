"""`/privacy`: a member sees and deletes what the bot stores about them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotAllowed
from bot.replies import edit_reply, reply
from bot.store import MemberData
from bot.ui import BookClubView, PersistentButton

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from bot.store import Store

log = logging.getLogger(__name__)


BACKUP_NOTE = (
    "Backups of the bot's database made before now still hold this data until the server's "
    "operator deletes them."
)


def describe_data(data: MemberData) -> str:
    """List the member's records in words."""
    lines = [f"- {count} {label}" for label, count in data.described()]
    return "\n".join(lines) or "- nothing"


class ForgetButton(
    PersistentButton,
    custom_id="bookclub:privacy:forget:{user_id:int}",
    label="Yes, delete my data",
    style=discord.ButtonStyle.danger,
):
    """Confirm button for `/privacy forget`; only the member it was offered to can press it."""

    user_id: int

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Delete everything about the member (and only them) and say what went."""
        if interaction.user.id != self.user_id:
            raise NotAllowed("This button deletes someone else's data; run `/privacy forget` for your own.")
        removed = await interaction.client.store.privacy.forget(self.user_id)
        # Features with state outside the registered tables drop it on this event.
        interaction.client.dispatch("member_forgotten", self.user_id)
        log.info("Forgot a member (%d records)", removed.total)
        await edit_reply(
            interaction,
            content=f"Done. I deleted everything I stored about you:\n{describe_data(removed)}\n{BACKUP_NOTE}",
            view=None,
        )


class CancelButton(PersistentButton, custom_id="bookclub:privacy:cancel", label="Cancel"):
    """Cancel button for `/privacy forget`."""

    async def on_press(self, interaction: discord.Interaction) -> None:
        """Leave everything as it was."""
        await edit_reply(interaction, content="Cancelled: nothing was deleted.", view=None)


class PrivacyCog(
    commands.GroupCog, group_name="privacy", group_description="See or delete what the bot stores about you"
):
    """Members' control over their own data."""

    def __init__(self, bot: BookClubBot, *, store: Store) -> None:
        self.bot = bot
        self.store = store
        super().__init__()

    async def cog_load(self) -> None:
        """Make the confirm buttons work even on messages sent before a restart."""
        self.bot.add_dynamic_items(ForgetButton, CancelButton)

    async def cog_unload(self) -> None:
        """Stop routing the buttons to this cog."""
        self.bot.remove_dynamic_items(ForgetButton, CancelButton)

    @app_commands.command(
        name="forget", description="Delete everything the bot stores about you (asks first)"
    )
    async def forget(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Show what would be deleted and ask for confirmation."""
        data = await self.store.privacy.count(interaction.user.id)
        if data.total == 0:
            await reply(interaction, "I store nothing about you. Nothing to delete.")
            return
        view = BookClubView(timeout=None)
        view.add_item(ForgetButton(interaction.user.id)).add_item(CancelButton())
        await reply(
            interaction,
            "This deletes, in every server I share with you:\n"
            f"{describe_data(data)}\nIt cannot be undone. {BACKUP_NOTE} Are you sure?",
            view=view,
        )

    @app_commands.command(
        name="summaries",
        description="Choose whether your messages may be sent to the LLM for thread summaries",
    )
    @app_commands.describe(choice="Leave your messages out of summaries, or let them in again")
    @app_commands.choices(
        choice=[
            app_commands.Choice(name="Leave my messages out", value="out"),
            app_commands.Choice(name="Include my messages", value="in"),
        ]
    )
    async def summaries(
        self, interaction: discord.Interaction[BookClubBot], choice: app_commands.Choice[str]
    ) -> None:
        """Record the member's choice for every server."""
        leave_out = choice.value == "out"
        changed = await self.store.summaries.set_opt_out(interaction.user.id, leave_out)
        if leave_out:
            text = (
                "Done: your messages are never sent to the LLM; summaries leave them out and say how many."
                if changed
                else "Your messages were already left out of summaries."
            )
        else:
            text = (
                "Done: from now on, summaries may include your messages."
                if changed
                else "Your messages were already included in summaries."
            )
        await reply(interaction, f"{text} (This applies in every server I share with you.)")
