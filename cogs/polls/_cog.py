"""`/poll`, `/nominations` and `/nominate`: commands, gateway listeners and the close timer."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ensure_organizer
from bot.domain import WorkKind
from bot.errors import NotFound, UserError
from bot.lookup import choices_for, pick_work
from bot.rankedchoice import count
from bot.replies import reply
from bot.scheduler import Timer
from bot.store import DuplicateWork, NewWork, Poll, PollKind, RoundKinds, Store
from bot.text import LIMITS, code_span, escape, fit_lines, shorten
from cogs.polls import _render
from cogs.polls._input import (
    MAX_RANKED,
    check_question,
    parse_duration,
    parse_times,
    split_answers,
    time_answer,
)
from cogs.polls._service import CLOSE_EVENT, PollService, count_from_json
from cogs.polls._views import DYNAMIC_ITEMS, CrownButton, RankButton

if TYPE_CHECKING:
    from bot.client import BookClubBot

log = logging.getLogger(__name__)

MAX_PITCH = 200
NATIVE_MAX = LIMITS.poll_answers


def _results_view(poll: Poll) -> discord.ui.View | None:
    """Offer organizers to make the winner current, for polls whose answers are catalog titles."""
    winner = poll.option(poll.winner_position) if poll.winner_position else None
    if winner is None or winner.work_id is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(CrownButton(poll.id))
    return view


def _ranked_view(poll_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RankButton(poll_id))
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


async def _target_channel(interaction: discord.Interaction[BookClubBot]) -> discord.abc.Messageable:
    """Post club polls in the announcement channel when there is one, else where the command ran."""
    assert interaction.guild is not None
    settings = await interaction.client.store.guilds.get(interaction.guild.id)
    if settings.announcement_channel_id:
        channel = interaction.guild.get_channel(settings.announcement_channel_id)
        if isinstance(channel, discord.TextChannel):
            return channel
    if interaction.channel is None or not isinstance(interaction.channel, discord.abc.Messageable):
        raise UserError("Run this in a text channel.")
    return interaction.channel


@app_commands.guild_only()
class PollsCog(
    commands.GroupCog, name="Polls", group_name="poll", group_description="Polls: vote on what and when"
):
    """Native Discord polls whose every vote is kept."""

    def __init__(self, bot: BookClubBot, store: Store) -> None:
        self.bot = bot
        self.store = store
        self.service = PollService(bot, store, results_view=_results_view)
        super().__init__()

    async def cog_load(self) -> None:
        """Route ballot buttons here and take over the close timer."""
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.scheduler.on(CLOSE_EVENT, self.close_due_poll, late="run")

    async def cog_unload(self) -> None:
        """Stop routing buttons and timers here."""
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.scheduler.off(CLOSE_EVENT)
        self.service.tallies.cancel()

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
    async def create(
        self,
        interaction: discord.Interaction[BookClubBot],
        question: str,
        answers: str,
        duration: str = "24h",
        multiple: bool = False,
    ) -> None:
        """Validate everything first, then post the poll and its info message."""
        await ensure_organizer(interaction)
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
    async def dates(
        self,
        interaction: discord.Interaction[BookClubBot],
        question: str,
        times: str,
        duration: str = "24h",
    ) -> None:
        """Post a Discord poll over meeting times, shown to each member in their own time zone."""
        await ensure_organizer(interaction)
        assert interaction.guild_id is not None
        cleaned = check_question(question)
        length = parse_duration(duration)
        settings = await self.store.guilds.get(interaction.guild_id)
        now = self.bot.clock.now()
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
    async def end(self, interaction: discord.Interaction[BookClubBot], poll: str) -> None:
        """Close a poll before its deadline."""
        await ensure_organizer(interaction)
        assert interaction.guild_id is not None
        found = await _pick_poll(self.store, interaction.guild_id, poll)
        if not found.is_open:
            raise UserError(f"Poll #{found.id} has already ended; see `/poll results`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        closed = await self.service.close(found.id)
        await self.bot.scheduler.cancel(closed.guild_id, CLOSE_EVENT, str(closed.id))
        await reply(interaction, f"Poll #{closed.id} has ended; the results are posted under it.")

    @app_commands.command(name="results", description="Show a poll's results (or its standing, while open)")
    @app_commands.describe(poll="The poll to show")
    @app_commands.autocomplete(poll=any_poll_autocomplete)
    async def results(self, interaction: discord.Interaction[BookClubBot], poll: str) -> None:
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
            counts = await self.store.polls.vote_counts(found.id)
        else:
            counts = {o.position: o.final_votes or 0 for o in found.options}
        embed = _render.results_embed(found, counts, await self.store.polls.voters(found.id))
        if found.is_open:
            embed.title = "Standing so far: " + escape(found.question, limit=LIMITS.embed_title - 17)
        await reply(interaction, embed=embed)


@app_commands.guild_only()
class NominationsCog(commands.Cog, name="Nominations"):
    """Members nominate titles; organizers turn the round into a vote."""

    nominations = app_commands.Group(
        name="nominations",
        description="Nomination rounds: members propose, then the club votes",
        guild_only=True,
    )

    def __init__(self, bot: BookClubBot, store: Store) -> None:
        self.bot = bot
        self.store = store
        super().__init__()

    def _service(self) -> PollService:
        cog = self.bot.get_cog("Polls")
        if not isinstance(cog, PollsCog):
            raise UserError("Polls are not available right now.")
        return cog.service

    async def title_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest catalog titles the open round accepts."""
        assert interaction.guild_id is not None
        rnd = await self.store.polls.current_round(interaction.guild_id)
        kinds = [k for k in WorkKind if rnd is None or rnd.kinds.accepts(k)]
        return choices_for(await self.store.catalog.works(interaction.guild_id), current, kinds)

    @nominations.command(name="open", description="Open a nomination round (organizers)")
    @app_commands.describe(only="Accept only books or only films (default: anything)")
    async def open_round(
        self,
        interaction: discord.Interaction[BookClubBot],
        only: Literal["books", "films"] | None = None,
    ) -> None:
        """Start a round members nominate into."""
        await ensure_organizer(interaction)
        assert interaction.guild_id is not None
        rnd = await self.store.polls.open_round(
            interaction.guild_id, RoundKinds(only or "any"), interaction.user.id
        )
        what = {"any": "books and films", "books": "books", "films": "films and series"}[rnd.kinds.value]
        await reply(
            interaction,
            f"Nominations are open ({what}). Members: `/nominate` a title with a short pitch. "
            "Close the round with `/nominations close` to start the vote.",
            ephemeral=False,
        )

    @nominations.command(name="list", description="Show the open round's nominations")
    async def list_round(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """List nominations and pitches."""
        assert interaction.guild_id is not None
        rnd = await self.store.polls.current_round(interaction.guild_id)
        if rnd is None:
            raise UserError("No nomination round is open.")
        found = await self.store.polls.nominations(rnd.id)
        lines = []
        for i, n in enumerate(found, 1):
            pitches = " / ".join(f"“{escape(p.pitch, limit=120)}”" for p in n.pitches if p.pitch)
            lines.append(f"{i}. *{escape(n.title, limit=150)}*" + (f": {pitches}" if pitches else ""))
        embed = discord.Embed(
            title=f"Nominations ({len(found)})",
            description=fit_lines(lines, LIMITS.embed_description, empty="Nothing nominated yet."),
        )
        await reply(interaction, embed=embed)

    @nominations.command(name="close", description="Close the round and start the vote (organizers)")
    @app_commands.describe(
        style="auto: a Discord poll up to 10 titles, else ranked choice; or force one",
        duration="How long the vote runs, 1 hour to 32 days: e.g. 24h, 3d",
    )
    async def close_round(
        self,
        interaction: discord.Interaction[BookClubBot],
        style: Literal["auto", "poll", "ranked"] = "auto",
        duration: str = "3d",
    ) -> None:
        """Turn the round into a native or ranked-choice poll."""
        await ensure_organizer(interaction)
        assert interaction.guild_id is not None
        length = parse_duration(duration)
        rnd = await self.store.polls.current_round(interaction.guild_id)
        if rnd is None:
            raise UserError("No nomination round is open: start one with `/nominations open`.")
        found = await self.store.polls.nominations(rnd.id)
        if len(found) < 2:
            raise UserError(f"The round has {len(found)} nomination(s); a vote needs at least 2.")
        ranked = style == "ranked" or (style == "auto" and len(found) > NATIVE_MAX)
        if not ranked and len(found) > NATIVE_MAX:
            raise UserError(
                f"A Discord poll takes at most {NATIVE_MAX} answers and the round has {len(found)}: "
                "use `style: ranked` (or `auto`)."
            )
        if ranked and len(found) > MAX_RANKED:
            raise UserError(
                f"A ranked-choice vote takes at most {MAX_RANKED} titles (Discord's menus hold 25) and the "
                f"round has {len(found)}. Leave the round open and ask members to withdraw some first."
            )
        service = self._service()
        channel = await _target_channel(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not await self.store.polls.close_round(rnd.id):
            raise UserError("That round was just closed by someone else.")
        labels = [n.title + (f" ({n.year})" if n.year else "") for n in found]
        work_ids: list[int | None] = [n.work_id for n in found]
        question = "What should the club pick next?"
        try:
            if ranked:
                poll = await service.post_ranked(
                    channel,
                    interaction.guild_id,
                    question=question,
                    labels=labels,
                    work_ids=work_ids,
                    duration=length,
                    created_by=interaction.user.id,
                    round_id=rnd.id,
                    view_for=_ranked_view,
                )
            else:
                poll = await service.post_native(
                    channel,
                    interaction.guild_id,
                    question=question,
                    labels=labels,
                    duration=length,
                    multiple=False,
                    created_by=interaction.user.id,
                    work_ids=work_ids,
                    round_id=rnd.id,
                )
        except Exception:
            await self.store.polls.reopen_round(rnd.id)
            raise
        kind = "ranked-choice poll" if ranked else "poll"
        await reply(
            interaction, f"The round is closed: {kind} #{poll.id} with {len(found)} titles is posted."
        )

    @app_commands.command(name="nominate", description="Nominate a book or film for the club's next pick")
    @app_commands.describe(
        title="A title from the catalog, or a new one (it becomes a suggestion too)",
        pitch="Why the club should pick it (up to 200 characters)",
        kind="For a new title: book, film or series (default: what the round accepts)",
    )
    @app_commands.autocomplete(title=title_autocomplete)
    @app_commands.guild_only()
    async def nominate(
        self,
        interaction: discord.Interaction[BookClubBot],
        title: str,
        pitch: str = "",
        kind: Literal["book", "film", "series"] | None = None,
    ) -> None:
        """Nominate a catalog title or a new one, merging duplicates."""
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        rnd = await self.store.polls.current_round(guild_id)
        if rnd is None:
            raise UserError("No nomination round is open; an organizer starts one with `/nominations open`.")
        pitch = " ".join(pitch.split())
        if len(pitch) > MAX_PITCH:
            raise UserError(f"Keep the pitch to {MAX_PITCH} characters; yours has {len(pitch)}.")
        accepted = [k for k in WorkKind if rnd.kinds.accepts(k)]
        works = await self.store.catalog.works(guild_id)
        work_id: int | None = None
        label = title
        try:
            work = pick_work(works, title, accepted)
            work_id, label = work.id, work.title
        except NotFound:
            if title.strip().startswith("#"):
                other = works.get(int(title.strip()[1:])) if title.strip()[1:].isdigit() else None
                if other is not None:
                    raise UserError(
                        f"This round takes only {rnd.kinds.value}; *{escape(other.title)}* is a {other.kind.value}."
                    ) from None
                raise
        if work_id is None:
            new_kind = WorkKind(kind) if kind else accepted[0]
            if not rnd.kinds.accepts(new_kind):
                raise UserError(f"This round takes only {rnd.kinds.value}.")
            clean = " ".join(title.split())
            if not clean or len(clean) > 200:
                raise UserError("Give the title in 1 to 200 characters.")
            existing = await self.store.catalog.suggestions(guild_id)
            same = next(
                (s for s in existing if s.title.casefold() == clean.casefold() and s.kind is new_kind), None
            )
            if same is not None:
                work_id, label = same.id, same.title
            else:
                try:
                    work_id = await self.store.catalog.add(
                        guild_id, NewWork(new_kind, clean), approved=False, suggested_by=interaction.user.id
                    )
                except DuplicateWork as exc:
                    raise UserError(f"{exc.message} Pick it from the list as you type.") from None
                label = clean
        new = await self.store.polls.nominate(rnd.id, work_id, interaction.user.id, pitch)
        shown = escape(label, limit=150)
        if new:
            message = f"Nominated *{shown}*."
        else:
            message = f"*{shown}* was already nominated: your pitch is added to it."
        await reply(interaction, message)
