"""`/poll`, `/nominations` and `/nominate`: commands, gateway listeners and the close timer."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import organizer_only
from bot.errors import NotFound, UserError
from bot.replies import reply
from bot.scheduler import Timer
from bot.store import Poll, PollKind, Store
from bot.text import LIMITS, code_span, escape, shorten
from cogs.polls import _render
from cogs.polls._input import (
    check_question,
    parse_duration,
    parse_times,
    split_answers,
    time_answer,
)
from cogs.polls._rankedchoice import count
from cogs.polls._service import CLOSE_EVENT, PollService, count_from_json
from cogs.polls._views import DYNAMIC_ITEMS, POLLS, CrownButton, ScheduleButton

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from bot.clock import Clock
    from bot.scheduler import Scheduler

log = logging.getLogger(__name__)


def results_view(poll: Poll) -> discord.ui.View | None:
    """Offer organizers the next step: make a winning title current, or schedule at a winning time."""
    winner = poll.option(poll.winner_position) if poll.winner_position else None
    if winner is None:
        return None
    if winner.work_id is not None:
        button: discord.ui.Item[Any] = CrownButton(poll.id)
    elif poll.kind is PollKind.DATES and winner.starts_at is not None:
        button = ScheduleButton(poll.id)
    else:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(button)
    return view


async def _poll_choices(
    store: Store, guild_id: int, current: str, *, open_only: bool
) -> list[app_commands.Choice[str]]:
    polls = await store.polls.recent(guild_id, limit=100)
    needle = current.casefold().lstrip("#")
    out = []
    for p in polls:
        if open_only and not p.is_open:
            continue
        name = f"#{p.id} {p.question}" + ("" if p.is_open else " (closed)")
        if needle in name.casefold():
            out.append(app_commands.Choice(name=shorten(name, 100), value=str(p.id)))
    return out[:25]


async def _pick_poll(store: Store, guild_id: int, text: str) -> Poll:
    raw = text.strip().lstrip("#").split(" ", 1)[0]
    if not raw.isdigit():
        raise NotFound(f"No poll {code_span(text, 40)}: pick one from the list as you type.")
    poll = await store.polls.in_guild(guild_id, int(raw))
    if poll is None:
        raise NotFound(f"No poll #{raw} in this server.")
    return poll


@app_commands.guild_only()
class PollsCog(
    commands.GroupCog, name="Polls", group_name="poll", group_description="Polls: vote on what and when"
):
    """Native Discord polls whose every vote is kept."""

    def __init__(self, bot: BookClubBot, *, service: PollService, scheduler: Scheduler, clock: Clock) -> None:
        self.bot = bot
        self.service = service
        self.store = service.store
        self.scheduler = scheduler
        self.clock = clock
        super().__init__()

    async def cog_load(self) -> None:
        """Route ballot buttons here and take over the close timer."""
        POLLS.provide(self.bot, self.service)
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.scheduler.on(CLOSE_EVENT, self.close_due_poll, late="run")

    async def cog_unload(self) -> None:
        """Stop routing buttons and timers here; write the votes still queued."""
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        POLLS.withdraw(self.bot)
        self.scheduler.off(CLOSE_EVENT)
        await self.service.stop_reconciling()
        self.service.tallies.cancel()
        await self.service.flush_votes()

    async def close_due_poll(self, timer: Timer) -> None:
        """Close a poll at its deadline (idempotent: a closed poll is left alone)."""
        await self.service.close(int(timer.payload["poll_id"]))

    # -- gateway -----------------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        """Store a vote as it happens."""
        if payload.guild_id is not None:
            await self.service.vote_added(payload.message_id, payload.answer_id, payload.user_id)

    @commands.Cog.listener()
    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        """Forget a removed vote as it happens."""
        if payload.guild_id is not None:
            await self.service.vote_removed(payload.message_id, payload.answer_id, payload.user_id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Catch up with votes cast while the bot was away."""
        self.service.start_reconciling()

    # -- commands ----------------------------------------------------------------------------------
    async def open_poll_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest the server's open polls."""
        assert interaction.guild_id is not None
        return await _poll_choices(self.store, interaction.guild_id, current, open_only=True)

    async def any_poll_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest the server's polls, newest first."""
        assert interaction.guild_id is not None
        return await _poll_choices(self.store, interaction.guild_id, current, open_only=False)

    @app_commands.command(
        name="create", description="Post a Discord poll whose votes the bot keeps (organizers)"
    )
    @app_commands.describe(
        question="What members vote on (up to 300 characters)",
        answers="2 to 10 answers separated by ';', each up to 55 characters, e.g. 'Emma; Dracula'",
        duration="How long it runs, 1 hour to 32 days: e.g. 24h, 3d, 1w 2d",
        multiple="Let members pick more than one answer",
    )
    @organizer_only()
    async def create(
        self,
        interaction: discord.Interaction[BookClubBot],
        question: app_commands.Range[str, 1, LIMITS.poll_question],
        answers: app_commands.Range[str, 1, 1000],
        duration: app_commands.Range[str, 1, 40] = "24h",
        multiple: bool = False,
    ) -> None:
        """Validate everything first, then post the poll and its info message."""
        cleaned = check_question(question)
        labels = split_answers(answers)
        length = parse_duration(duration)
        if interaction.channel is None or not isinstance(interaction.channel, discord.abc.Messageable):
            raise UserError("Run this in a text channel.")
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        poll = await self.service.post_native(
            interaction.channel,
            interaction.guild_id,
            question=cleaned,
            labels=labels,
            duration=length,
            multiple=multiple,
            created_by=interaction.user.id,
        )
        await reply(
            interaction,
            f"Poll #{poll.id} posted; it closes {_render.ts(poll.closes_at)}. Every vote is kept, and the "
            "results are posted when it ends (or when you run `/poll end`).",
        )

    @app_commands.command(
        name="dates", description="Ask when to meet: a poll over candidate times (organizers)"
    )
    @app_commands.describe(
        question="What the meeting is, e.g. 'When do we discuss Emma?'",
        times="2 to 10 times separated by ';', in the club's time zone, e.g. 'next Friday 7pm; Saturday 10am'",
        duration="How long the poll runs (it must end before the first time): e.g. 24h, 2d",
    )
    @organizer_only()
    async def dates(
        self,
        interaction: discord.Interaction[BookClubBot],
        question: app_commands.Range[str, 1, LIMITS.poll_question],
        times: app_commands.Range[str, 1, 1000],
        duration: app_commands.Range[str, 1, 40] = "24h",
    ) -> None:
        """Post a Discord poll over meeting times, shown to each member in their own time zone."""
        assert interaction.guild_id is not None
        cleaned = check_question(question)
        length = parse_duration(duration)
        settings = await self.store.guilds.get(interaction.guild_id)
        now = self.clock.now()
        starts = parse_times(times, settings.timezone, now, now + length)
        if interaction.channel is None or not isinstance(interaction.channel, discord.abc.Messageable):
            raise UserError("Run this in a text channel.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        poll = await self.service.post_native(
            interaction.channel,
            interaction.guild_id,
            question=cleaned,
            labels=[time_answer(t, settings.timezone) for t in starts],
            duration=length,
            multiple=True,  # members say every time that suits them
            created_by=interaction.user.id,
            kind=PollKind.DATES,
            starts=starts,
        )
        await reply(
            interaction,
            f"Date poll #{poll.id} posted with {len(starts)} times; it closes {_render.ts(poll.closes_at)}. "
            "Members can pick every time that suits them; the message under the poll shows each time in "
            "their own time zone and the votes so far.",
        )

    @app_commands.command(name="end", description="End a poll now and post its results (organizers)")
    @app_commands.describe(poll="The poll to end")
    @app_commands.autocomplete(poll=open_poll_autocomplete)
    @organizer_only()
    async def end(
        self, interaction: discord.Interaction[BookClubBot], poll: app_commands.Range[str, 1, 100]
    ) -> None:
        """Close a poll before its deadline."""
        assert interaction.guild_id is not None
        found = await _pick_poll(self.store, interaction.guild_id, poll)
        if not found.is_open:
            raise UserError(f"Poll #{found.id} has already ended; see `/poll results`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        closed = await self.service.close(found.id)
        await self.scheduler.cancel(closed.guild_id, CLOSE_EVENT, str(closed.id))
        await reply(interaction, f"Poll #{closed.id} has ended; the results are posted under it.")

    @app_commands.command(name="results", description="Show a poll's results (or its standing, while open)")
    @app_commands.describe(poll="The poll to show")
    @app_commands.autocomplete(poll=any_poll_autocomplete)
    async def results(
        self, interaction: discord.Interaction[BookClubBot], poll: app_commands.Range[str, 1, 100]
    ) -> None:
        """Show the stored counts of any past poll."""
        assert interaction.guild_id is not None
        found = await _pick_poll(self.store, interaction.guild_id, poll)
        if found.kind is PollKind.RANKED:
            if found.is_open:
                ballots = await self.store.polls.voters(found.id)
                await reply(interaction, embed=_render.ranked_embed(found, ballots))
                return
            candidates = [o.position for o in found.options]
            if found.result:
                result = count_from_json(candidates, json.loads(found.result))
            else:
                result = count(candidates, await self.store.polls.ballots(found.id))
            await reply(interaction, embed=_render.ranked_results_embed(found, result))
            return
        if found.is_open:
            await self.service.flush_votes()
            counts = await self.store.polls.vote_counts(found.id)
        else:
            counts = {o.position: o.final_votes or 0 for o in found.options}
        embed = _render.results_embed(found, counts, await self.store.polls.voters(found.id))
        if found.is_open:
            embed.title = "Standing so far: " + escape(found.question, limit=LIMITS.embed_title - 17)
        await reply(interaction, embed=embed)
