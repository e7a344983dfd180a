"""`/summarize`: the command, its checks and the job that reads, summarises and delivers."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotAllowed, UserError
from bot.replies import edit_reply, reply, send
from bot.spoilers import NO_SPOILERS, Scope, describe_scope, may_see, scope_to_str
from bot.store import (
    AlreadySummarizing,
    BudgetSpent,
    CoolingDown,
    Discussion,
    OverBudget,
    StoredSummary,
    SummaryJob,
)
from cogs.summaries._render import Audience, Progress, summary_message
from cogs.summaries._summarizer import (
    PreviousSummary,
    Summarizer,
    SummaryFailed,
    ThreadMessage,
)

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from bot.client import BookClubBot
    from bot.clock import Clock
    from bot.settings import Settings
    from bot.store import Store

log = logging.getLogger(__name__)

NOT_CONFIGURED = (
    "Thread summaries are not turned on for this bot. Whoever runs it can enable them: set "
    "`OPENAI_API_KEY` (and `OPENAI_BASE_URL` for a local OpenAI-compatible server such as Ollama), "
    "switch on **Message Content Intent** in the Discord developer portal (your application → Bot → "
    "Privileged Gateway Intents), then restart the bot."
)
# Progress edits are rate limited by Discord in real time, so they are spaced in real time too.
PROGRESS_INTERVAL = 3.0
# An interaction token lasts 15 minutes; past this, the result goes into the thread instead.
TOKEN_MARGIN = timedelta(minutes=13)
# A job with more calls than this may outlive the token even with a fast model: it posts in the thread.
LONG_JOB_CALLS = 60
_MEMBER_MESSAGES = (discord.MessageType.default, discord.MessageType.reply)


def _next_midnight(now: datetime) -> int:
    return int((now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).timestamp())


def _busy_message(running: SummaryJob, user_id: int, thread: discord.Thread) -> str:
    """Say why a request waits for a running job (the member's own, or another member's of this thread)."""
    if running.user_id != user_id:
        return (
            "I'm already summarizing this thread for another member. Try again in a minute; your summary "
            "will build on theirs."
        )
    if running.thread_id == thread.id:
        return (
            f"I'm already summarizing {thread.mention} for you; you'll see it here, in the reply to your "
            "first `/summarize`, when it is done. No need to ask again."
        )
    return (
        f"I'm already summarizing <#{running.thread_id}> for you; you'll see it in the reply to that "
        "`/summarize` when it is done. Ask for this thread after that."
    )


class SummariesCog(commands.Cog):
    """Thread summaries by an optional LLM."""

    def __init__(
        self,
        bot: BookClubBot,
        *,
        store: Store,
        settings: Settings,
        llm: AsyncOpenAI | None,
        clock: Clock,
        progress_interval: float = PROGRESS_INTERVAL,
    ) -> None:
        self.bot = bot
        self.store = store
        self.settings = settings
        self.llm = llm
        self.clock = clock
        self.progress_interval = progress_interval

    @app_commands.command(
        name="summarize", description="Summarize a thread with the club's LLM (only you see it)"
    )
    @app_commands.describe(
        thread="The thread to summarize (default: the thread you are in)",
        share="Post the summary in the thread for everyone there (default: only you see it)",
    )
    @app_commands.guild_only()
    async def summarize(
        self,
        interaction: discord.Interaction[BookClubBot],
        # The raw option, not discord.Thread: an archived thread is not in the cache, so it is fetched.
        thread: app_commands.AppCommandThread | None = None,
        share: bool = False,
    ) -> None:
        """Check who may see the summary, then read, summarise and deliver it."""
        if self.llm is None:
            await reply(interaction, NOT_CONFIGURED)
            return
        assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
        target = await self._thread(interaction, thread)
        audience = await self._audience(interaction, interaction.user, target)
        if self.settings.summary_daily_tokens == 0:
            raise UserError(
                "Summaries are paused on this bot: whoever runs it set `SUMMARY_DAILY_TOKENS` to 0."
            )
        # Claimed in the database before deferring: of simultaneous requests, one gets the job.
        job = await self._begin(interaction.user, target)
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self._run(interaction, target, audience, share, job)
        except BaseException:
            await self._end(job, failed=True)  # a no-op when it ended before a delivery that failed
            raise

    # -- checks, before deferring (fast) --------------------------------------------------------------
    async def _thread(
        self, interaction: discord.Interaction[BookClubBot], option: app_commands.AppCommandThread | None
    ) -> discord.Thread:
        assert interaction.guild is not None
        if option is None:
            if not isinstance(interaction.channel, discord.Thread):
                raise UserError("Run `/summarize` inside a thread, or name one with the `thread` option.")
            return interaction.channel
        found = interaction.guild.get_thread(option.id)
        if found is None:
            try:
                channel = await interaction.guild.fetch_channel(option.id)
            except discord.HTTPException as exc:
                raise UserError("I cannot read that thread: I need to see it to summarize it.") from exc
            if not isinstance(channel, discord.Thread):
                raise UserError("That is not a thread.")
            found = channel
        return found

    async def _audience(
        self, interaction: discord.Interaction[BookClubBot], member: discord.Member, thread: discord.Thread
    ) -> Audience:
        """Refuse a member who may not see the thread; say what spoiler scope the summary carries."""
        discussion = await self.store.discussions.by_thread(thread.guild.id, thread.id)
        scope, label = await self._scope(thread.guild.id, discussion)
        inside = interaction.channel_id == thread.id  # Discord only lets members act where they can see
        if inside:
            return Audience(True, scope, label)
        refused = NotAllowed(
            "You cannot see that thread, so I will not summarize it for you. Ask in the thread itself, "
            "or catch up until your status lets you in."
        )
        perms = thread.permissions_for(member)
        if not (perms.view_channel and perms.read_message_history):
            raise refused
        private = thread.type is discord.ChannelType.private_thread and not perms.manage_threads
        if (
            private
            and not await self._in_thread(thread, member.id)
            and not await self._covers(member, discussion, scope)
        ):
            raise refused
        return Audience(False, scope, label)

    async def _covers(self, member: discord.Member, discussion: Discussion | None, scope: Scope) -> bool:
        """Say whether a club discussion's scope admits the member (its private thread would let them in)."""
        if discussion is None:
            return False  # a private thread that is not a club discussion admits only its members
        guild_id = member.guild.id
        statuses = await self.store.statuses.for_member(guild_id, member.id)
        return may_see(statuses, scope, await self.store.catalog.works(guild_id))

    async def _scope(self, guild_id: int, discussion: Discussion | None) -> tuple[Scope, str | None]:
        if discussion is None:
            return NO_SPOILERS, None
        scope = discussion.scope
        return scope, describe_scope(scope, await self.store.catalog.works(guild_id))

    @staticmethod
    async def _in_thread(thread: discord.Thread, user_id: int) -> bool:
        try:
            await thread.fetch_member(user_id)
        except discord.NotFound:
            return False
        return True

    async def _begin(self, member: discord.Member, thread: discord.Thread) -> SummaryJob:
        """Claim the member's cooldown and the thread for a job, or say why not."""
        settings = self.settings
        try:
            return await self.store.summaries.begin_job(
                member.guild.id,
                member.id,
                thread.id,
                cooldown=timedelta(seconds=settings.summary_cooldown_seconds),
                daily_tokens=settings.summary_daily_tokens,
            )
        except AlreadySummarizing as busy:
            raise UserError(_busy_message(busy.job, member.id, thread)) from None
        except CoolingDown as cooling:
            raise UserError(
                f"You asked for a summary a moment ago; try again <t:{int(cooling.until.timestamp())}:R>."
            ) from None
        except BudgetSpent as spent:
            daily = settings.summary_daily_tokens
            if spent.spent >= daily:
                raise UserError(
                    f"The club has used its {daily:,} summary tokens for today; summaries come back "
                    f"<t:{_next_midnight(self.clock.now())}:R>."
                ) from None
            raise UserError(
                f"The club's {daily:,} summary tokens for today are held by summaries being written right "
                "now; try again in a few minutes."
            ) from None

    async def _end(self, job: SummaryJob, *, failed: bool) -> None:
        """End the job and free the tokens it still holds (a job already ended stays as it was)."""
        try:
            outcome = await self.store.summaries.end_job(job.id, failed=failed)
        except Exception:
            # The bot is stopping (the database is closed): the next start ends the job instead.
            log.warning("Could not end summary job %s; the next start ends it", job.id, exc_info=True)
            return
        log.debug("Summary job %s ended: %s", job.id, outcome)

    # -- the job ----------------------------------------------------------------------------------------
    async def _run(
        self,
        interaction: discord.Interaction[BookClubBot],
        thread: discord.Thread,
        audience: Audience,
        share: bool,
        job: SummaryJob,
    ) -> None:
        store = self.store.summaries
        guild_id = thread.guild.id
        assert self.llm is not None
        progress = Progress(interaction, self.progress_interval)
        scope_text = scope_to_str(audience.scope)
        stored = await store.get(guild_id, thread.id)
        if stored is not None and stored.spoiler_scope != scope_text:
            stored = None  # the discussion's scope changed: start afresh
        previous = (
            PreviousSummary(
                stored.body, stored.refs, stored.last_message_id, stored.message_count, stored.left_out
            )
            if stored
            else None
        )
        messages, left_out = await self._read(thread, previous, progress)
        if not messages:
            if stored is None:
                extra = (
                    f" ({left_out:,} are from members who keep theirs out of summaries)" if left_out else ""
                )
                raise UserError(
                    f"There is nothing to summarize yet: no member messages in this thread{extra}."
                )
            await self._end(job, failed=False)
            await self._deliver(
                interaction, thread, audience, share, stored, note="No new messages since the last summary."
            )
            return
        summarizer = Summarizer(
            self.llm,
            self.settings.summary_model,
            self.settings.summary_context_tokens,
            spent=lambda sent, got: store.spend(job.id, guild_id, sent, got),
        )
        plan = summarizer.plan(messages, previous)
        try:  # held before the first model call, so concurrent jobs cannot overspend the day together
            await store.reserve_tokens(
                job.id, plan.max_tokens, daily_tokens=self.settings.summary_daily_tokens
            )
        except OverBudget as over:
            raise UserError(
                f"Summarizing {len(messages):,} new messages could take about {plan.max_tokens:,} tokens, more than "
                f"the {over.tokens_left:,} left in the club's daily budget. Try again after "
                f"<t:{_next_midnight(self.clock.now())}:t>, or ask whoever runs the bot to raise "
                "`SUMMARY_DAILY_TOKENS`."
            ) from None
        long_job = plan.calls > LONG_JOB_CALLS
        if long_job:
            await progress.show(
                f"Reading {len(messages):,} messages in {plan.calls} parts; that takes a while, so I will post "
                f"the summary in {thread.mention} when it is done.",
                force=True,
            )

        async def step(done: int, total: int) -> None:
            if done < total:
                await progress.show(f"Reading {len(messages):,} messages… part {done + 1} of {total}")

        await progress.show(f"Reading {len(messages):,} messages… part 1 of {plan.calls}")
        try:
            summary = await summarizer.summarize(messages, previous, left_out=left_out, progress=step)
        except SummaryFailed as exc:
            log.warning("Summary of thread %s failed: %s", thread.id, exc)
            raise UserError(
                f"{exc} Nothing was posted, and the last summary is unchanged; try again later."
            ) from exc
        # Delivered only once stored, so what members see is what the next update builds on.
        saved = await store.save(
            guild_id,
            thread.id,
            spoiler_scope=scope_text,
            model=self.settings.summary_model,
            body=summary.body,
            refs=summary.refs,
            last_message_id=summary.last_message_id,
            message_count=summary.messages,
            left_out=summary.left_out,
            author_ids={m.author_id for m in messages},
        )
        # Ended before delivery: a member who sees the summary and asks again is told of the cooldown.
        await self._end(job, failed=False)
        await self._deliver(interaction, thread, audience, share or long_job, saved)

    async def _read(
        self, thread: discord.Thread, previous: PreviousSummary | None, progress: Progress
    ) -> tuple[list[ThreadMessage], int]:
        """Read the thread's member messages after the stored summary; return them and how many were left out."""
        after = discord.Object(previous.last_message_id) if previous else None
        found: list[discord.Message] = []
        async for message in thread.history(limit=None, after=after, oldest_first=True):
            # Bot posts (earlier summaries included) and system notices are noise, not discussion.
            if message.author.bot or message.type not in _MEMBER_MESSAGES:
                continue
            found.append(message)
            if len(found) % 500 == 0:
                await progress.show(f"Reading messages… {len(found):,} so far")
        opted_out = await self.store.summaries.opted_out({m.author.id for m in found})
        kept = [m for m in found if m.author.id not in opted_out]
        messages = []
        for m in kept:
            text = m.clean_content.strip()  # mentions become names, so the model never sees an id to ping
            if not text and m.attachments:
                text = "(shared " + ", ".join(a.filename for a in m.attachments[:3]) + ")"
            if not text:
                continue
            reply_to = m.reference.message_id if m.type is discord.MessageType.reply and m.reference else None
            messages.append(ThreadMessage(m.id, m.author.id, m.author.display_name, text, reply_to))
        return messages, len(found) - len(kept)

    # -- delivery -----------------------------------------------------------------------------------------
    async def _deliver(
        self,
        interaction: discord.Interaction[BookClubBot],
        thread: discord.Thread,
        audience: Audience,
        to_thread: bool,
        summary: StoredSummary,
        *,
        note: str | None = None,
    ) -> None:
        late = self.clock.now() - interaction.created_at >= TOKEN_MARGIN
        if to_thread or late:
            content, embeds = summary_message(thread, audience, summary, in_thread=True, note=note)
            posted = await send(thread, content, embeds=embeds)
            try:
                await edit_reply(
                    interaction, content=f"Posted the summary in {thread.mention}: {posted.jump_url}"
                )
            except discord.HTTPException:
                log.info("Summary of thread %s posted there; the interaction had expired", thread.id)
            return
        content, embeds = summary_message(thread, audience, summary, in_thread=audience.inside, note=note)
        await edit_reply(interaction, content=content, embeds=embeds)
