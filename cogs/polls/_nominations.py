"""`/nominations` and `/nominate`: members propose titles with a pitch; organizers turn the round into a vote."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import organizer_only
from bot.domain import WorkKind
from bot.errors import NotFound, UserError
from bot.lookup import TitleQuery, choices_for, find_work
from bot.replies import reply
from bot.store import DuplicateWork, NewWork, RoundKinds, Store
from bot.text import LIMITS, code_span, escape, fit_lines, label_key, shorten
from cogs.polls._input import MAX_RANKED, parse_duration
from cogs.polls._service import PollService
from cogs.polls._views import RankButton

if TYPE_CHECKING:
    from bot.client import BookClubBot
    from bot.workers import Workers

MAX_PITCH = 200
NATIVE_MAX = LIMITS.poll_answers


def _ranked_view(poll_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RankButton(poll_id))
    return view


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
class NominationsCog(commands.Cog, name="Nominations"):
    """Members nominate titles; organizers turn the round into a vote."""

    nominations = app_commands.Group(
        name="nominations",
        description="Nomination rounds: members propose, then the club votes",
        guild_only=True,
    )

    def __init__(self, bot: BookClubBot, *, store: Store, service: PollService, workers: Workers) -> None:
        self.bot = bot
        self.store = store
        self.service = service  # shared with PollsCog, which owns the close timer and the gateway votes
        self.workers = workers
        super().__init__()

    async def title_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest catalog titles the open round accepts."""
        assert interaction.guild_id is not None
        rnd = await self.store.nominations.current_round(interaction.guild_id)
        kinds = [k for k in WorkKind if rnd is None or rnd.kinds.accepts(k)]
        return await choices_for(
            await self.store.catalog.works(interaction.guild_id), current, kinds, workers=self.workers
        )

    @nominations.command(name="open", description="Open a nomination round (organizers)")
    @app_commands.describe(only="Accept only books or only films (default: anything)")
    @organizer_only()
    async def open_round(
        self,
        interaction: discord.Interaction[BookClubBot],
        only: Literal["books", "films"] | None = None,
    ) -> None:
        """Start a round members nominate into."""
        assert interaction.guild_id is not None
        rnd = await self.store.nominations.open_round(
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
        rnd = await self.store.nominations.current_round(interaction.guild_id)
        if rnd is None:
            raise UserError("No nomination round is open.")
        found = await self.store.nominations.nominations(rnd.id)
        lines = []
        for i, n in enumerate(found, 1):
            pitches = " / ".join(f"“{escape(p.pitch, limit=120)}”" for p in n.pitches if p.pitch)
            lines.append(f"{i}. *{escape(n.title, limit=150)}*" + (f": {pitches}" if pitches else ""))
        embed = discord.Embed(
            title=f"Nominations ({len(found)})",
            description=fit_lines(lines, LIMITS.embed_description, empty="Nothing nominated yet."),
        )
        await reply(interaction, embed=embed)

    async def nominated_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest the open round's nominations."""
        assert interaction.guild_id is not None
        rnd = await self.store.nominations.current_round(interaction.guild_id)
        if rnd is None:
            return []
        needle = current.casefold()
        return [
            app_commands.Choice(name=shorten(n.title, 100), value=f"#{n.work_id}")
            for n in await self.store.nominations.nominations(rnd.id)
            if needle in n.title.casefold()
        ][:25]

    @nominations.command(name="remove", description="Take a title out of the open round (organizers)")
    @app_commands.describe(title="The nominated title to remove (its pitches go with it)")
    @app_commands.autocomplete(title=nominated_autocomplete)
    @organizer_only()
    async def remove(self, interaction: discord.Interaction[BookClubBot], title: TitleQuery) -> None:
        """Remove one nomination from the open round."""
        assert interaction.guild_id is not None
        rnd = await self.store.nominations.current_round(interaction.guild_id)
        if rnd is None:
            raise UserError("No nomination round is open.")
        found = await self.store.nominations.nominations(rnd.id)
        wanted = title.strip().lstrip("#")
        match = next(
            (n for n in found if str(n.work_id) == wanted or label_key(n.title) == label_key(title)),
            None,
        )
        if match is None or not await self.store.nominations.remove_nomination(rnd.id, match.work_id):
            raise NotFound(f"{code_span(title, 60)} is not nominated in this round; pick one from the list.")
        await reply(interaction, f"*{escape(match.title)}* is out of the round ({len(found) - 1} left).")

    @nominations.command(name="close", description="Close the round and start the vote (organizers)")
    @app_commands.describe(
        style="auto: a Discord poll up to 10 titles, else ranked choice; or force one",
        duration="How long the vote runs, 1 hour to 32 days: e.g. 24h, 3d",
    )
    @organizer_only()
    async def close_round(
        self,
        interaction: discord.Interaction[BookClubBot],
        style: Literal["auto", "poll", "ranked"] = "auto",
        duration: app_commands.Range[str, 1, 40] = "3d",
    ) -> None:
        """Turn the round into a native or ranked-choice poll."""
        assert interaction.guild_id is not None
        length = parse_duration(duration)
        rnd = await self.store.nominations.current_round(interaction.guild_id)
        if rnd is None:
            raise UserError("No nomination round is open: start one with `/nominations open`.")
        found = await self.store.nominations.nominations(rnd.id)
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
                f"round has {len(found)}. The round stays open: take some out with `/nominations remove`."
            )
        service = self.service
        channel = await _target_channel(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not await self.store.nominations.close_round(rnd.id):
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
            await self.store.nominations.reopen_round(rnd.id)
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
        title: TitleQuery,
        pitch: app_commands.Range[str, 1, 400] = "",
        kind: Literal["book", "film", "series"] | None = None,
    ) -> None:
        """Nominate a catalog title or a new one, merging duplicates."""
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        rnd = await self.store.nominations.current_round(guild_id)
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
            work = await find_work(works, title, accepted, workers=self.workers)
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
            key = label_key(clean)
            if not key:
                raise UserError(
                    "The title is empty once formatting and invisible characters are left out: "
                    "give it in visible text."
                )
            existing = await self.store.catalog.suggestions(guild_id)
            same = next((s for s in existing if label_key(s.title) == key and s.kind is new_kind), None)
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
        new = await self.store.nominations.nominate(rnd.id, work_id, interaction.user.id, pitch)
        shown = escape(label, limit=150)
        if new:
            message = f"Nominated *{shown}*."
        else:
            message = f"*{shown}* was already nominated: your pitch is added to it."
        await reply(interaction, message)
