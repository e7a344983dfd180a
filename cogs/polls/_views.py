"""Persistent ballot components: the "Rank your choices" flow and the organizers' "make it current" button.

The ballot being built lives in the components' custom ids (`…:pick:3.1` = 3 first, then 1), and the
cast ballot in the database, so a flow opened before a restart (or answered by another shard process)
still works after it: no ballot in progress is held in any process's memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.checks import ensure_organizer
from bot.errors import NotFound, UserError
from bot.replies import edit_reply, reply
from bot.services.discussions import DEFAULT_MINUTES
from bot.services.discussions.render import scope_line
from bot.spoilers import WholeBook
from bot.store import NewDiscussion, Poll, PollKind
from bot.text import escape, shorten
from bot.ui import Part, Persistent, PersistentButton
from bot.when import format_when
from cogs.polls._input import MAX_RANK

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from cogs.polls._service import PollService


async def _open_poll(interaction: discord.Interaction[BookClubBot], poll_id: int) -> Poll:
    poll = await interaction.client.store.polls.get(poll_id)
    if poll is None or poll.guild_id != interaction.guild_id or poll.kind is not PollKind.RANKED:
        raise NotFound("This poll no longer exists.")
    if not poll.is_open:
        raise UserError("This poll has closed; ballots can no longer be cast or changed.")
    return poll


def _ranking(poll: Poll, picks: Sequence[int]) -> str:
    return "\n".join(
        f"{i}. {escape(o.label, limit=150) if (o := poll.option(p)) else '?'}" for i, p in enumerate(picks, 1)
    )


def ballot_screen(poll: Poll, picks: Sequence[int], cast: Sequence[int]) -> tuple[str, discord.ui.View]:
    """Return the ephemeral ballot-building message for a member: text and components."""
    lines = [f"**{escape(poll.question, limit=200)}**"]
    lines.append("Your cast ballot:\n" + _ranking(poll, cast) if cast else "You have not cast a ballot yet.")
    if picks:
        lines.append("New ranking so far:\n" + _ranking(poll, picks))
    remaining = [o for o in poll.options if o.position not in picks]
    view = discord.ui.View(timeout=None)
    if len(picks) < MAX_RANK and remaining:
        lines.append(f"Pick your choice #{len(picks) + 1} (up to {MAX_RANK}), or cast the ballot as it is.")
        view.add_item(PickSelect(poll.id, picks, [(o.position, o.answer) for o in remaining]))
    if picks:
        view.add_item(CastButton(poll.id, picks))
        view.add_item(RankButton(poll.id, label="Start over"))
    if cast:
        view.add_item(WithdrawButton(poll.id))
    return "\n\n".join(lines), view


POLLS: Part[PollService] = Part("polls", missing="Polls are switched off on this bot.")


class RankButton(Persistent[discord.ui.Button[Any]], custom_id="bookclub:poll:{poll_id:int}:rank"):
    """The persistent "Rank your choices" button under a ranked-choice poll (also "Start over")."""

    def __init__(self, poll_id: int, *, label: str = "Rank your choices") -> None:
        self.poll_id = poll_id
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary
                if label == "Rank your choices"
                else discord.ButtonStyle.secondary,
                custom_id=self.ids.format(poll_id=poll_id),
            )
        )

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Open (or restart) the member's ballot flow."""
        poll = await _open_poll(interaction, self.poll_id)
        cast = await interaction.client.store.polls.ballot(poll.id, interaction.user.id)
        content, view = ballot_screen(poll, [], cast)
        message = interaction.message
        if message is not None and message.flags.ephemeral:
            await edit_reply(interaction, content=content, view=view)
        else:
            await reply(interaction, content, view=view)


class PickSelect(
    Persistent[discord.ui.Select[Any]], custom_id="bookclub:poll:{poll_id:int}:pick:{picks:ints}"
):
    """Choose the next title of the ballot being built."""

    def __init__(self, poll_id: int, picks: Sequence[int], options: Sequence[tuple[int, str]] = ()) -> None:
        self.poll_id = poll_id
        self.picks = list(picks)
        super().__init__(
            discord.ui.Select(
                custom_id=self.ids.format(poll_id=poll_id, picks=picks),
                placeholder=f"Your choice #{len(picks) + 1}",
                options=[
                    discord.SelectOption(label=shorten(text, 100), value=str(pos)) for pos, text in options
                ]
                or [discord.SelectOption(label="-", value="0")],
            )
        )

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Add the chosen title to the ranking and offer the next choice."""
        poll = await _open_poll(interaction, self.poll_id)
        chosen = [int(v) for v in self.item.values]
        picks = self.picks + chosen
        if len(set(picks)) != len(picks):
            raise UserError("A ballot can rank each title only once; pick another title.")
        if len(picks) > MAX_RANK or any(poll.option(p) is None for p in picks):
            raise UserError(f"A ballot ranks up to {MAX_RANK} of this poll's titles.")
        cast = await interaction.client.store.polls.ballot(poll.id, interaction.user.id)
        content, view = ballot_screen(poll, picks, cast)
        await edit_reply(interaction, content=content, view=view)


class CastButton(
    Persistent[discord.ui.Button[Any]], custom_id="bookclub:poll:{poll_id:int}:cast:{picks:ints}"
):
    """Cast (or replace) the member's ballot with the ranking built so far."""

    def __init__(self, poll_id: int, picks: Sequence[int]) -> None:
        self.poll_id = poll_id
        self.picks = list(picks)
        super().__init__(
            discord.ui.Button(
                label="Cast ballot",
                style=discord.ButtonStyle.success,
                custom_id=self.ids.format(poll_id=poll_id, picks=picks),
            )
        )

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Store the ballot; only the member sees what it says."""
        poll = await _open_poll(interaction, self.poll_id)
        if not self.picks or len(self.picks) > MAX_RANK:
            raise UserError(f"A ballot ranks 1 to {MAX_RANK} titles.")
        await interaction.client.store.polls.set_ballot(poll.id, interaction.user.id, self.picks)
        content = (
            f"Ballot cast for **{escape(poll.question, limit=200)}**:\n{_ranking(poll, self.picks)}\n\n"
            "You can change it until the poll closes with **Rank your choices**."
        )
        await edit_reply(interaction, content=content, view=None)
        service = POLLS.get(interaction.client)
        if service is not None:
            service.tallies.touch(poll.id)


class WithdrawButton(
    PersistentButton,
    custom_id="bookclub:poll:{poll_id:int}:withdraw",
    label="Withdraw my ballot",
    style=discord.ButtonStyle.danger,
):
    """Withdraw the member's ballot."""

    poll_id: int

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Delete the member's ballot."""
        poll = await _open_poll(interaction, self.poll_id)
        await interaction.client.store.polls.set_ballot(poll.id, interaction.user.id, [])
        await edit_reply(interaction, content="Your ballot is withdrawn.", view=None)
        service = POLLS.get(interaction.client)
        if service is not None:
            service.tallies.touch(poll.id)


class CrownButton(
    PersistentButton,
    custom_id="bookclub:poll:{poll_id:int}:crown",
    label="Make the winner our current pick",
    style=discord.ButtonStyle.success,
):
    """Organizers: make a closed poll's winning title the club's current book (or film)."""

    poll_id: int

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Approve the winner if it was a suggestion, then set it as the club's current title."""
        await ensure_organizer(interaction)
        store = interaction.client.store
        assert interaction.guild_id is not None
        poll = await store.polls.in_guild(interaction.guild_id, self.poll_id)
        if poll is None or poll.is_open:
            raise UserError("This poll is still open or no longer exists.")
        winner = poll.option(poll.winner_position) if poll.winner_position else None
        if winner is None or winner.work_id is None:
            raise UserError("This poll has no single winning title to make current (a tie, or no votes).")
        work, _ = await interaction.client.catalog.make_winner_current(interaction.guild_id, winner.work_id)
        await reply(
            interaction,
            f"*{escape(work.title)}* is now the club's current {work.kind.value}. "
            "Post its status buttons with `/book current`.",
            ephemeral=False,
        )


class ScheduleButton(
    PersistentButton,
    custom_id="bookclub:poll:schedule:{poll_id:int}",
    label="Schedule the discussion",
    style=discord.ButtonStyle.success,
):
    """Organizers: schedule a discussion of the club's current book at a closed date poll's winning time."""

    poll_id: int

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Schedule the whole current book at the winning time, once; a second press says where it is."""
        await ensure_organizer(interaction)
        bot = interaction.client
        guild = interaction.guild
        assert guild is not None
        poll = await bot.store.polls.in_guild(guild.id, self.poll_id)
        if poll is None or poll.kind is not PollKind.DATES or poll.is_open:
            raise UserError("This date poll is still open or no longer exists.")
        winner = poll.option(poll.winner_position) if poll.winner_position else None
        if winner is None or winner.starts_at is None:
            raise UserError(
                "This poll has no single winning time (a tie, or no votes): use `/discussion schedule`."
            )
        if winner.starts_at <= bot.clock.now():
            raise UserError(
                "The winning time has already passed: pick a new one with `/discussion schedule`."
            )
        service = bot.discussions
        settings, channel = await service.where(guild)
        works = await bot.store.catalog.works(guild.id)
        book = await service.current_work(guild.id, works)
        item = NewDiscussion(
            work_id=book.id,
            scope=WholeBook(book.id),
            title=book.title,
            opens_at=winner.starts_at,
            closes_at=winner.starts_at + timedelta(minutes=DEFAULT_MINUTES),
            created_by=interaction.user.id,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        d, made = await service.schedule_once(guild, item, key=f"poll:{poll.id}")
        if made:
            await reply(interaction, service.confirmation(d, works, settings, channel))
        else:
            await reply(
                interaction,
                f"Already scheduled: discussion `{d.id}` of {scope_line(d, works)} opens {format_when(d.opens_at)}. "
                "See `/discussion list`.",
            )


DYNAMIC_ITEMS = (RankButton, PickSelect, CastButton, WithdrawButton, CrownButton, ScheduleButton)
