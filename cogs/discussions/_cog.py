"""The `/discussion` commands (organizers, except `list` and `reminders`) and the scheduler's handlers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import organizer_only
from bot.domain import Work, WorkKind
from bot.errors import NotConfigured, NotFound, UserError
from bot.lookup import BookTitle, ScreenTitle, TitleQuery, find_work, italic, suggest_titles, work_label
from bot.replies import fit_list, reply
from bot.services.discussions import DEFAULT_MINUTES, mode_label, render
from bot.services.discussions.join import JoinButton
from bot.services.discussions.runner import CLOSE, OPEN, REMIND, discussion_channel
from bot.services.discussions.scopes import (
    SCOPE_KINDS,
    ReadingPlan,
    adaptation_of,
    build_scope,
    plan_sessions,
)
from bot.spoilers import describe_scope, scope_to_str
from bot.store import Discussion, NewDiscussion, NewSeries
from bot.text import shorten, strip_mentions
from bot.ui import buttons_view
from bot.when import format_when, parse_when, zone_of
from cogs.discussions._recurrence import parse_lead, parse_recurrence
from cogs.discussions._series import (
    SERIES,
    SeriesRunner,
    first_meeting,
    recurrence_of,
    rough_instant,
    scope_text,
)
from cogs.discussions._shield import context_menu
from cogs.discussions._views import DISCUSSIONS, PlanButton

if TYPE_CHECKING:
    from bot.client import BookClubBot, RawEventUser
    from bot.clock import Clock
    from bot.scheduler import Scheduler
    from bot.services.discussions import DiscussionService
    from bot.store import Store
    from bot.workers import Workers

log = logging.getLogger(__name__)

MAX_WHEN = 100  # longest time text Discord lets through: 'next Friday 7pm' or a <t:…> stamp fit easily

MAX_QUESTIONS = 10
MAX_QUESTION_LENGTH = 300


def parse_questions(text: str | None) -> tuple[str, ...]:
    """Split `;`-separated questions, or explain the limits."""
    if not text:
        return ()
    # No mention survives: in a private thread, writing a member's mention would add them to it.
    questions = tuple(strip_mentions(q).strip() for q in text.split(";") if strip_mentions(q).strip())
    if len(questions) > MAX_QUESTIONS:
        raise UserError(f"Give at most {MAX_QUESTIONS} questions, separated by `;`.")
    if any(len(q) > MAX_QUESTION_LENGTH for q in questions):
        raise UserError(f"Keep each question under {MAX_QUESTION_LENGTH} characters.")
    return questions


def parse_offsets(text: str) -> list[int]:
    """Read reminder times such as "24h, 1h, 30m" (or "none") as minutes before the opening."""
    cleaned = text.strip().lower()
    if cleaned in ("none", "off", "0"):
        return []
    minutes = []
    for part in cleaned.replace(" ", "").split(","):
        unit = part[-1:] if part[-1:] in ("d", "h", "m") else ""
        number = part[: -len(unit)] if unit else part
        if not number.isdigit() or not unit or int(number) == 0:
            raise UserError("Give reminder times like `24h, 1h` or `2d, 30m` (or `none`).")
        value = int(number) * {"d": 1440, "h": 60, "m": 1}[unit]
        if value > 14 * 1440:
            raise UserError("A reminder can be at most 14 days before a discussion.")
        minutes.append(value)
    if len(minutes) > 5:
        raise UserError("Set at most 5 reminder times.")
    return minutes


def describe_offsets(minutes: tuple[int, ...]) -> str:
    """Render offsets as "24 h and 1 h before"."""
    if not minutes:
        return "no reminders"

    def one(m: int) -> str:
        if m % 1440 == 0:
            return f"{m // 1440} d"
        return f"{m // 60} h" if m % 60 == 0 else f"{m} min"

    return " and ".join(one(m) for m in minutes) + " before"


def describe_lead(days: int) -> str:
    """Render a lead time as "2 weeks" or "10 days"."""
    if days % 7 == 0:
        weeks = days // 7
        return f"{weeks} week" + ("s" if weeks > 1 else "")
    return f"{days} day" + ("s" if days > 1 else "")


@app_commands.guild_only()
class DiscussionCog(
    commands.GroupCog, group_name="discussion", group_description="Spoiler-safe discussion threads"
):
    """Scheduled discussions."""

    def __init__(
        self,
        bot: BookClubBot,
        *,
        store: Store,
        service: DiscussionService,
        scheduler: Scheduler,
        clock: Clock,
        workers: Workers,
    ) -> None:
        self.bot = bot
        self.store = store
        self.service = service
        self.scheduler = scheduler
        self.clock = clock
        self.workers = workers
        self.runner = self.service.runner
        self.series_runner = SeriesRunner(store, service, scheduler, clock)
        self.hide_menu = context_menu()
        super().__init__()

    async def cog_load(self) -> None:
        """Register buttons, timers and the status hook."""
        DISCUSSIONS.provide(self.bot, self)
        self.bot.add_dynamic_items(JoinButton, PlanButton)
        self.bot.tree.add_command(self.hide_menu)
        self.scheduler.on(OPEN, self.runner.open_from_timer, late="run")
        self.scheduler.on(CLOSE, self.runner.close_from_timer, late="run")
        self.scheduler.on(REMIND, self.runner.remind, late="skip")
        self.scheduler.on(SERIES, self.series_runner.run_from_timer, late="run")
        self.store.statuses.listeners.append(self.runner.status_changed)

    async def cog_unload(self) -> None:
        """Undo `cog_load`."""
        await self.service.interest.stop_reconciling()
        self.bot.remove_dynamic_items(JoinButton, PlanButton)
        DISCUSSIONS.withdraw(self.bot)
        self.bot.tree.remove_command(self.hide_menu.name, type=self.hide_menu.type)
        for event in (OPEN, CLOSE, REMIND, SERIES):
            self.scheduler.off(event)
        if self.runner.status_changed in self.store.statuses.listeners:
            self.store.statuses.listeners.remove(self.runner.status_changed)
        await self.runner.drain()

    # -- gateway -----------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_scheduled_event_user_add(self, payload: RawEventUser) -> None:
        """Record a member's Interested on a discussion's event."""
        await self.service.interest.added(payload)

    @commands.Cog.listener()
    async def on_raw_scheduled_event_user_remove(self, payload: RawEventUser) -> None:
        """Forget an Interested the member took back."""
        await self.service.interest.removed(payload)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Catch up with Interested clicks made while the bot was away; re-arm series that lost their timer."""
        self.service.interest.start_reconciling()
        await self.series_runner.rearm_all()  # a timer dropped after failing its retries

    # -- helpers -----------------------------------------------------------------------------------

    async def _discussion(self, guild_id: int, discussion_id: int) -> Discussion:
        d = await self.store.discussions.get(guild_id, discussion_id)
        if d is None:
            raise NotFound(f"No discussion `{discussion_id}` here: see `/discussion list`.")
        return d

    async def _main_work(self, guild_id: int, works: dict[int, Work], title: str | None, kind: str) -> Work:
        if title:
            # A book scope means the book even when its film shares the title.
            return await find_work(
                works,
                title,
                None if kind == "screen" else [WorkKind.BOOK],
                what="book" if kind != "screen" else "title",
                workers=self.workers,
            )
        return await self.service.current_work(guild_id, works, kind)

    # -- commands ----------------------------------------------------------------------------------

    @app_commands.command(name="schedule", description="Schedule a spoiler-scoped discussion (organizers)")
    @app_commands.describe(
        when="When it opens, in the club's time zone: 'next Friday 7pm', '2026-12-04 19:30' or a <t:…> timestamp",
        scope="What the discussion may spoil",
        up_to="Chapter, part or episode number, for scopes that stop part-way",
        title="The book (or film) to discuss; default: the club's current one",
        adaptation="The film or series, for book vs film (default: the book's only adaptation)",
        duration="How long it stays open, in minutes (default 90)",
        questions="Discussion questions, separated by ';' (shown behind spoiler tags)",
    )
    @app_commands.choices(scope=[app_commands.Choice(name=v, value=k) for k, v in SCOPE_KINDS.items()])
    # The title's kind depends on the scope (a book scope means the book even when its film shares the
    # title), so it is only suggested here and resolved by `_main_work`.
    @app_commands.autocomplete(title=suggest_titles)
    @organizer_only()
    async def schedule(
        self,
        interaction: discord.Interaction[BookClubBot],
        when: app_commands.Range[str, 1, MAX_WHEN],
        scope: app_commands.Choice[str],
        up_to: app_commands.Range[int, 1, 10000] | None = None,
        title: TitleQuery | None = None,
        adaptation: ScreenTitle | None = None,
        duration: app_commands.Range[int, 15, 10080] = DEFAULT_MINUTES,
        questions: app_commands.Range[str, 1, 1500] | None = None,
    ) -> None:
        """Validate everything, then store the discussion, its event and its timers."""
        assert interaction.guild is not None
        guild = interaction.guild
        settings, channel = await self.service.where(guild)
        works = await self.store.catalog.works(guild.id)
        main = await self._main_work(guild.id, works, title, scope.value)
        screen: Work | None = adaptation
        if screen is None and main.kind is WorkKind.BOOK:
            current = works.get(settings.current_adaptation_id or 0)
            screen = current if current and current.adapts_work_id == main.id else adaptation_of(works, main)
        spoiler_scope, work = build_scope(scope.value, main, screen, up_to)
        opens_at = parse_when(when, settings.timezone, self.clock.now())
        item = NewDiscussion(
            work_id=work.id,
            scope=spoiler_scope,
            title=work.title,
            opens_at=opens_at,
            closes_at=opens_at + timedelta(minutes=duration),
            questions=parse_questions(questions),
            created_by=interaction.user.id,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        (d,) = await self.service.create(guild, [item])
        log.info("Discussion %s scheduled in guild %s: %s", d.id, guild.id, scope_to_str(d.scope))
        await reply(interaction, self.service.confirmation(d, works, settings, channel))

    @app_commands.command(name="list", description="Show upcoming and open discussions")
    async def list_discussions(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """List the club's scheduled and open discussions."""
        assert interaction.guild_id is not None
        found = await self.store.discussions.active(interaction.guild_id)
        if not found:
            await reply(
                interaction,
                "No discussions are scheduled. Organizers can add one with `/discussion schedule`.",
            )
            return
        works = await self.store.catalog.works(interaction.guild_id)
        counts = await self.store.participation.counts([d.id for d in found])
        lines = []
        for d in found:
            gated_open = d.state == "open" and d.mode == "gated"
            offers = await self.store.discussions.offer_counts(d.id) if gated_open else None
            lines.append(render.list_line(d, works, offers, interested=counts[d.id].interested))
        embed = discord.Embed(title="Discussions", description=fit_list(lines))
        await reply(interaction, embed=embed)

    async def _pick_autocomplete(
        self, interaction: discord.Interaction[BookClubBot], current: str
    ) -> list[app_commands.Choice[int]]:
        assert interaction.guild_id is not None
        works = await self.store.catalog.works(interaction.guild_id)
        out = []
        for d in await self.store.discussions.active(interaction.guild_id):
            when = d.opens_at.strftime("%Y-%m-%d %H:%M UTC")
            name = shorten(f"{d.id}: {describe_scope(d.scope, works)} ({d.state}, {when})", 100)
            if current.strip().lower() in name.lower():
                out.append(app_commands.Choice(name=name, value=d.id))
        return out[:25]

    @app_commands.command(
        name="reschedule", description="Move a discussion that has not opened yet (organizers)"
    )
    @app_commands.describe(
        discussion="The discussion to move",
        when="Its new start",
        duration="New length in minutes (default: unchanged)",
    )
    @organizer_only()
    async def reschedule(
        self,
        interaction: discord.Interaction[BookClubBot],
        discussion: int,
        when: app_commands.Range[str, 1, MAX_WHEN],
        duration: app_commands.Range[int, 15, 10080] | None = None,
    ) -> None:
        """Move the discussion, its reminders and its event."""
        assert interaction.guild is not None
        d = await self._discussion(interaction.guild.id, discussion)
        settings = await self.store.guilds.get(interaction.guild.id)
        opens_at = parse_when(when, settings.timezone, self.clock.now())
        length = timedelta(minutes=duration) if duration else d.closes_at - d.opens_at
        await interaction.response.defer(ephemeral=True, thinking=True)
        moved = await self.service.reschedule(interaction.guild, d, opens_at, length)
        works = await self.store.catalog.works(interaction.guild.id)
        await reply(
            interaction,
            f"Moved discussion `{d.id}` of {render.scope_line(moved, works)}: opens {format_when(moved.opens_at)}, "
            f"closes {format_when(moved.closes_at)}.",
        )

    @app_commands.command(name="cancel", description="Call off a discussion (organizers)")
    @app_commands.describe(discussion="The discussion to call off")
    @organizer_only()
    async def cancel(self, interaction: discord.Interaction[BookClubBot], discussion: int) -> None:
        """Cancel before it opens (its event is cancelled) or close it early (its event completes)."""
        assert interaction.guild is not None
        d = await self._discussion(interaction.guild.id, discussion)
        if d.state in ("closed", "cancelled"):
            raise UserError(f"Discussion `{d.id}` is already {d.state}.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        done = await self.runner.cancel(interaction.guild, d)
        state = done.state if done else "gone"
        await reply(interaction, f"Discussion `{d.id}` is now {state}.")

    @app_commands.command(name="close", description="End an open discussion now (organizers)")
    @app_commands.describe(discussion="The open discussion to end")
    @organizer_only()
    async def close(self, interaction: discord.Interaction[BookClubBot], discussion: int) -> None:
        """Archive and lock the thread now."""
        assert interaction.guild is not None
        d = await self._discussion(interaction.guild.id, discussion)
        if d.state != "open":
            raise UserError(
                f"Discussion `{d.id}` is {d.state}, not open: use `/discussion cancel` for one that has not opened."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.runner.close(interaction.guild.id, d.id)
        await reply(interaction, f"Discussion `{d.id}` is closed: its thread is archived and locked.")

    @app_commands.command(name="open-now", description="Open a scheduled discussion right away (organizers)")
    @app_commands.describe(discussion="The scheduled discussion to open now")
    @organizer_only()
    async def open_now(self, interaction: discord.Interaction[BookClubBot], discussion: int) -> None:
        """Open the thread now, keeping the end time (or the same length from now if that has passed)."""
        assert interaction.guild is not None
        guild = interaction.guild
        d = await self._discussion(guild.id, discussion)
        if d.state != "scheduled":
            raise UserError(f"Discussion `{d.id}` is {d.state}: only a scheduled one can be opened early.")
        discussion_channel(guild, await self.store.guilds.get(guild.id))  # before deferring: a clear refusal
        await interaction.response.defer(ephemeral=True, thinking=True)
        opened = await self.service.open_now(guild, d)
        await reply(
            interaction,
            f"Discussion `{d.id}` is open in <#{opened.thread_id}> until {format_when(opened.closes_at)}.",
        )

    for _command in (reschedule, cancel, close, open_now):
        _command.autocomplete("discussion")(_pick_autocomplete)
    del _command

    @app_commands.command(name="plan", description="Split a book into several discussions (organizers)")
    @app_commands.describe(
        sessions="How many discussions",
        first="When the first one opens, e.g. 'next Friday 7pm'",
        every="Days between sessions (default 7)",
        by="Split by chapters (evenly) or by the book's named parts",
        book="The book; default: the club's current book",
        duration="How long each stays open, in minutes (default 90)",
    )
    @app_commands.choices(
        by=[
            app_commands.Choice(name="chapters", value="ch"),
            app_commands.Choice(name="named parts", value="pt"),
        ]
    )
    @organizer_only()
    async def plan(
        self,
        interaction: discord.Interaction[BookClubBot],
        sessions: app_commands.Range[int, 2, 12],
        first: app_commands.Range[str, 1, MAX_WHEN],
        every: app_commands.Range[int, 1, 60] = 7,
        by: app_commands.Choice[str] | None = None,
        book: BookTitle | None = None,
        duration: app_commands.Range[int, 15, 10080] = DEFAULT_MINUTES,
    ) -> None:
        """Show the plan with a button that schedules all of it."""
        assert interaction.guild is not None
        guild = interaction.guild
        settings, channel = await self.service.where(guild)
        works = await self.store.catalog.works(guild.id)
        target = book or await self._main_work(guild.id, works, None, "book")
        split = by.value if by else "ch"
        start = parse_when(first, settings.timezone, self.clock.now())
        planned = plan_sessions(
            target, sessions, "part" if split == "pt" else "ch", start, every, ZoneInfo(settings.timezone)
        )
        lines = [
            f"{i}. {describe_scope(p.scope, works)}: {format_when(p.opens_at)}"
            for i, p in enumerate(planned, 1)
        ]
        button = PlanButton(target.id, sessions, split, int(start.timestamp()), every, duration)
        await reply(
            interaction,
            f"Reading plan for {italic(work_label(target))}, {sessions} sessions of {duration} min, each a "
            f"{mode_label(settings.spoiler_mode, channel)}:\n" + "\n".join(lines) + "\n\nSchedule them all?",
            view=buttons_view(button),
        )

    async def schedule_plan(
        self,
        interaction: discord.Interaction[BookClubBot],
        book_id: int,
        sessions: int,
        by: str,
        first: int,
        every: int,
        minutes: int,
    ) -> str:
        """Schedule a confirmed plan (its button calls this); return what to show instead of the button."""
        assert interaction.guild is not None
        plan = ReadingPlan(
            book_id,
            sessions,
            "part" if by == "pt" else "ch",
            datetime.fromtimestamp(first, UTC),
            every,
            minutes,
        )
        done = await self.service.schedule_plan(interaction.guild, plan, interaction.user.id)
        if done is None:
            return "This plan is already scheduled: see `/discussion list`."
        book, made = done
        works = await self.store.catalog.works(interaction.guild.id)
        lines = [f"`{d.id}` {render.scope_line(d, works)}: {format_when(d.opens_at)}" for d in made]
        return f"Scheduled {len(made)} discussions of {italic(work_label(book))}:\n" + "\n".join(lines)

    @app_commands.command(name="reminders", description="Turn your discussion reminders on or off")
    @app_commands.describe(setting="on: be mentioned before discussions you have a status for; off: never")
    @app_commands.choices(
        setting=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
    )
    async def reminders(
        self, interaction: discord.Interaction[BookClubBot], setting: app_commands.Choice[str]
    ) -> None:
        """Record the member's choice for this club."""
        assert interaction.guild_id is not None
        off = setting.value == "off"
        await self.store.discussions.set_reminders_off(interaction.guild_id, interaction.user.id, off)
        if off:
            await reply(interaction, "Done: I won't mention you in discussion reminders here.")
        else:
            await reply(
                interaction, "Done: I'll mention you before discussions of titles you have a status for."
            )

    @app_commands.command(
        name="reminder-times", description="Set when reminders go out before discussions (organizers)"
    )
    @app_commands.describe(times="e.g. '24h, 1h' (the default), '2d, 30m', or 'none'")
    @organizer_only()
    async def reminder_times(
        self, interaction: discord.Interaction[BookClubBot], times: app_commands.Range[str, 1, 100]
    ) -> None:
        """Save the club's reminder offsets and move the reminders of scheduled discussions."""
        assert interaction.guild_id is not None
        saved = await self.service.set_reminder_times(interaction.guild_id, parse_offsets(times))
        await reply(interaction, f"Saved: discussion reminders go out {describe_offsets(saved)}.")

    # -- series ------------------------------------------------------------------------------------

    series = app_commands.Group(
        name="series", description="Meetings that repeat, each one its own discussion"
    )

    @series.command(name="start", description="Start meetings that repeat, for the current book (organizers)")
    @app_commands.describe(
        when="In the club's time zone: 'first Thursday 19:00', 'last Friday 7pm', 'every 2 weeks on Monday 18:30'",
        scope="What each meeting may spoil (default: the whole book)",
        up_to="Chapter, part or episode number, for scopes that stop part-way",
        duration="How long each meeting stays open, in minutes (default 90)",
        lead="How far ahead each meeting is created: e.g. '2 weeks' (the default), '10 days'",
    )
    @app_commands.choices(scope=[app_commands.Choice(name=v, value=k) for k, v in SCOPE_KINDS.items()])
    @organizer_only()
    async def series_start(
        self,
        interaction: discord.Interaction[BookClubBot],
        when: app_commands.Range[str, 1, MAX_WHEN],
        scope: app_commands.Choice[str] | None = None,
        up_to: app_commands.Range[int, 1, 10000] | None = None,
        duration: app_commands.Range[int, 15, 10080] = DEFAULT_MINUTES,
        lead: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        """Validate everything, store the series and create the meetings already within its lead time."""
        assert interaction.guild is not None
        guild = interaction.guild
        settings, channel = await self.service.where(guild)
        works = await self.store.catalog.works(guild.id)
        kind = scope.value if scope else "book"
        try:
            main = await self._main_work(guild.id, works, None, kind)
        except NotConfigured:
            what = "film or series" if kind == "screen" else "book"
            raise NotConfigured(
                f"The club has no current {what}: choose it with `/book current` first (a series meets about "
                "the club's current book)."
            ) from None
        screen = works.get(settings.current_adaptation_id or 0)
        if main.kind is WorkKind.BOOK and (screen is None or screen.adapts_work_id != main.id):
            screen = adaptation_of(works, main)
        spoiler_scope, work = build_scope(kind, main, screen, up_to)
        rule = parse_recurrence(when)
        lead_days = parse_lead(lead)
        zone = zone_of(settings.timezone)
        first_on, first_at = first_meeting(rule, zone, self.clock.now())
        await interaction.response.defer(ephemeral=True, thinking=True)
        made = await self.store.series.create(
            guild.id,
            NewSeries(
                work_id=work.id,
                scope=spoiler_scope,
                kind=rule.kind,
                weekday=rule.weekday,
                step=rule.step,
                local_time=rule.at.strftime("%H:%M"),
                minutes=duration,
                lead_days=lead_days,
                first_on=first_on,
                created_by=interaction.user.id,
            ),
        )
        log.info("Series %s started in guild %s: %s", made.id, guild.id, rule.describe())
        done = await self.series_runner.catch_up(guild.id, made.id)
        parts = []
        if done.made:
            listed = ", ".join(f"discussion `{d.id}` ({format_when(d.opens_at)})" for d in done.made)
            parts.append(f"Created now: {listed}.")
        if done.skipped:
            parts.append(
                f"Not created: {len(done.skipped)} meeting(s) within the lead time. {done.skipped[0].reason}; "
                "the announcement channel has the details."
            )
        if not parts:
            parts.append(
                f"Its first meeting, {format_when(first_at)}, becomes a discussion "
                f"{format_when(first_at - timedelta(days=lead_days))}."
            )
        first = " ".join(parts)
        await reply(
            interaction,
            f"Started series `{made.id}`: {scope_text(spoiler_scope, works)}, {rule.describe()} ({zone.key} time, "
            f"which it keeps across daylight-saving changes), {duration} min each, as a "
            f"{mode_label(settings.spoiler_mode, channel)} in {channel.mention}. Each meeting becomes its own "
            f"discussion, with its event and reminders, {describe_lead(lead_days)} ahead. {first} "
            f"End the series with `/discussion series stop series:{made.id}`; meetings already created stay.",
        )

    @series.command(name="stop", description="End a series; its meetings already created stay (organizers)")
    @app_commands.describe(series="The series to end")
    @organizer_only()
    async def series_stop(self, interaction: discord.Interaction[BookClubBot], series: int) -> None:
        """Stop creating meetings; leave those already created alone."""
        assert interaction.guild_id is not None
        found = await self.store.series.get(interaction.guild_id, series)
        if found is None:
            raise NotFound(f"No series `{series}` here: see `/discussion series list`.")
        if not await self.series_runner.stop(interaction.guild_id, series):
            raise UserError(f"Series `{series}` has already ended.")
        await reply(
            interaction,
            f"Series `{series}` has ended: no more meetings will be created. Those already created stay "
            "scheduled (see `/discussion list`; `/discussion cancel` calls one off).",
        )

    @series.command(name="list", description="Show the club's series of repeating meetings")
    async def series_list(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """List running series with their next meeting."""
        assert interaction.guild_id is not None
        running = await self.store.series.running(interaction.guild_id)
        if not running:
            await reply(
                interaction, "No series is running. Organizers can start one with `/discussion series start`."
            )
            return
        works = await self.store.catalog.works(interaction.guild_id)
        zone = zone_of((await self.store.guilds.get(interaction.guild_id)).timezone)
        lines = [
            f"`{s.id}` {scope_text(s.scope, works)}: {recurrence_of(s).describe()} ({zone.key}), {s.minutes} min; "
            f"next meeting {format_when(rough_instant(s.next_on, recurrence_of(s), zone))}, created "
            f"{describe_lead(s.lead_days)} ahead"
            for s in running
        ]
        await reply(interaction, embed=discord.Embed(title="Series", description=fit_list(lines)))

    @series_stop.autocomplete("series")
    async def _series_autocomplete(
        self, interaction: discord.Interaction[BookClubBot], current: str
    ) -> list[app_commands.Choice[int]]:
        assert interaction.guild_id is not None
        works = await self.store.catalog.works(interaction.guild_id)
        out = []
        for s in await self.store.series.running(interaction.guild_id):
            name = shorten(f"{s.id}: {describe_scope(s.scope, works)}, {recurrence_of(s).describe()}", 100)
            if current.strip().lower() in name.lower():
                out.append(app_commands.Choice(name=name, value=s.id))
        return out[:25]
