"""`/club`: organizers configure the club; anyone can see how it is configured."""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.calendar_feed import CalendarFeedServer
from bot.checks import ensure_organizer, organizer_only
from bot.clock import Clock
from bot.errors import NotAllowed, UserError
from bot.forums import MAX_TAG_OPTION, choose_setup_tag
from bot.lookup import work_label
from bot.ratings import stars
from bot.replies import reply
from bot.store import (
    CalendarFeedRepository,
    CatalogRepository,
    Discussion,
    DiscussionRepository,
    GuildSettings,
    GuildSettingsRepository,
    ParticipationRepository,
)
from bot.text import LIMITS, escape, fit_lines
from cogs.club._calendar import build_calendar
from cogs.club._stats import discussion_line, own_mark, own_summary
from cogs.club._timezones import MAX_TIMEZONE, suggest_timezones, validate_timezone

if TYPE_CHECKING:
    from bot.client import BookClubBot

log = logging.getLogger(__name__)

# How far back the calendar file reaches: recent discussions stay in members' calendars as they happened.
CALENDAR_PAST = timedelta(days=60)
FEED_OFF = (
    "The calendar feed is off on this bot. Whoever runs it turns it on by setting `CALENDAR_FEED_PORT` "
    "(and `CALENDAR_FEED_URL`, the public HTTPS address of a reverse proxy in front of it) and restarting "
    'it: see the README\'s "Calendar feed" section. Until then `/club calendar file` gives members a file '
    "to import."
)
FEED_KEPT_HASHED = (
    "I keep only a hash of the address, so I cannot show it again: `/club calendar rotate` makes a new one."
)
# Discussions `/club stats` lists (most recent first) and `/club history` adds below the finished titles.
STATS_DISCUSSIONS = 15
HISTORY_DISCUSSIONS = 5

SPOILER_MODE_HELP = {
    "tagged": "public threads; spoilers hidden behind spoiler markup",
    "gated": "private threads; members are let in once their status allows",
}


def _needs(channel: discord.abc.GuildChannel, me: discord.Member, *names: str) -> list[str]:
    perms = channel.permissions_for(me)
    return [n.replace("_", " ").title() for n in names if not getattr(perms, n)]


def discussion_tag(guild: discord.Guild, settings: GuildSettings) -> discord.ForumTag | None:
    """Return the forum tag the club's discussion posts carry, if it still exists."""
    channel = guild.get_channel(settings.discussion_channel_id) if settings.discussion_channel_id else None
    if not isinstance(channel, discord.ForumChannel) or settings.discussion_tag_id is None:
        return None
    return channel.get_tag(settings.discussion_tag_id)


def settings_embed(settings: GuildSettings, guild: discord.Guild) -> discord.Embed:
    """Render a club's settings for display."""

    def channel(cid: int | None) -> str:
        return f"<#{cid}>" if cid else "not set"

    embed = discord.Embed(title="Book club settings", colour=discord.Colour.blurple())
    embed.add_field(
        name="Organizer role",
        value=f"<@&{settings.organizer_role_id}>" if settings.organizer_role_id else "Manage Server only",
    )
    embed.add_field(name="Time zone", value=settings.timezone)
    embed.add_field(name="Announcements", value=channel(settings.announcement_channel_id))
    embed.add_field(name="Discussions", value=channel(settings.discussion_channel_id))
    if settings.discussion_tag_id is not None:
        tag = discussion_tag(guild, settings)
        embed.add_field(
            name="Forum tag", value=escape(tag.name) if tag else "deleted: pick another with `tag:`"
        )
    embed.add_field(
        name="Spoiler mode",
        value=f"{settings.spoiler_mode}: {SPOILER_MODE_HELP[settings.spoiler_mode]}",
        inline=False,
    )
    return embed


@app_commands.guild_only()
class ClubCog(commands.GroupCog, group_name="club", group_description="Set up and inspect the book club"):
    """Club-wide settings."""

    calendar = app_commands.Group(name="calendar", description="The club's discussions for your calendar app")

    def __init__(
        self,
        *,
        guilds: GuildSettingsRepository,
        catalog: CatalogRepository,
        discussions: DiscussionRepository,
        participation: ParticipationRepository,
        clock: Clock,
        feeds: CalendarFeedRepository,
        feed_server: CalendarFeedServer | None = None,
        guild_names: Callable[[int], Awaitable[str | None]] | None = None,
    ) -> None:
        self.guilds = guilds
        self.catalog = catalog
        self.discussions = discussions
        self.participation = participation
        self.clock = clock
        self.feeds = feeds
        self.feed_server = feed_server
        self.guild_names = guild_names
        super().__init__()

    async def cog_load(self) -> None:
        """Fill the calendar feed, when the bot serves one."""
        if self.feed_server is not None:
            self.feed_server.serve(self.feed_body)

    async def cog_unload(self) -> None:
        """Leave the calendar feed empty (every address answers 404) while the feature is unloaded."""
        if self.feed_server is not None:
            self.feed_server.serve(None)

    async def club_calendar(
        self, guild_id: int, club_name: str
    ) -> tuple[list[Discussion], GuildSettings, bytes]:
        """Return the discussions of the club's calendar, its settings and the .ics built from them."""
        now = self.clock.now()
        found = await self.discussions.calendar(guild_id, now - CALENDAR_PAST)
        settings = await self.guilds.get(guild_id)
        works = await self.catalog.works(guild_id)
        data = build_calendar(found, works, timezone=settings.timezone, club_name=club_name, now=now)
        return found, settings, data

    async def feed_body(self, guild_id: int) -> bytes:
        """Return what the club's calendar feed holds: exactly what `/club calendar file` gives."""
        name = await self.guild_names(guild_id) if self.guild_names is not None else None
        return (await self.club_calendar(guild_id, name or "Book club"))[2]

    @app_commands.command(name="setup", description="Configure the club (organizers only)")
    @app_commands.describe(
        organizer_role="Members with this role may run organizer commands",
        timezone="IANA time zone for schedules, e.g. Europe/Paris",
        announcements="Channel where the bot posts reviews, polls and reminders",
        discussions="Channel where the bot opens discussion threads",
        spoiler_mode="tagged: public threads behind spoiler markup; gated: private threads by status",
        tag="Forum discussion channel: the tag its posts carry (needed where the forum requires tags)",
    )
    @app_commands.choices(
        spoiler_mode=[
            app_commands.Choice(name=f"{k}: {v}"[:100], value=k) for k, v in SPOILER_MODE_HELP.items()
        ]
    )
    @organizer_only()
    async def setup_club(
        self,
        interaction: discord.Interaction[BookClubBot],
        organizer_role: discord.Role | None = None,
        timezone: app_commands.Range[str, 1, MAX_TIMEZONE] | None = None,
        announcements: discord.TextChannel | None = None,
        discussions: discord.TextChannel | discord.ForumChannel | None = None,
        spoiler_mode: app_commands.Choice[str] | None = None,
        tag: app_commands.Range[str, 1, MAX_TAG_OPTION] | None = None,
    ) -> None:
        """Validate every option first, then save them together."""
        assert interaction.guild is not None
        guild = interaction.guild
        me = guild.me
        changes: dict[str, object] = {}
        if organizer_role is not None:
            if organizer_role.is_default():
                raise UserError("@everyone cannot be the organizer role: pick a role only organizers have.")
            changes["organizer_role_id"] = organizer_role.id
        if timezone is not None:
            changes["timezone"] = validate_timezone(timezone)
        mode = spoiler_mode.value if spoiler_mode else None
        if mode is not None:
            changes["spoiler_mode"] = mode
        if announcements is not None:
            channel = guild.get_channel(announcements.id)
            if channel is None:
                raise UserError(f"I cannot see {announcements.mention}: give me View Channel there.")
            missing = _needs(channel, me, "view_channel", "send_messages", "embed_links")
            if missing:
                raise UserError(
                    f"I need {', '.join(missing)} in {channel.mention} to post announcements there. "
                    "Grant them, then run `/club setup` again."
                )
            changes["announcement_channel_id"] = channel.id
        current = await self.guilds.get(guild.id)
        effective_mode = mode or current.spoiler_mode
        discussion_id = discussions.id if discussions else current.discussion_channel_id
        if tag is not None and discussion_id is None:
            raise UserError("`tag:` is for a forum discussion channel: pick one with `discussions:` too.")
        if discussions is not None or tag is not None or (mode is not None and discussion_id is not None):
            channel = guild.get_channel(discussion_id) if discussion_id else None
            if channel is None:
                raise UserError("I cannot see the discussion channel: give me View Channel there.")
            if effective_mode == "gated" and isinstance(channel, discord.ForumChannel):
                raise UserError(
                    "Gated mode needs private threads, which forum channels do not have: pick a text channel."
                )
            thread_perm = "create_private_threads" if effective_mode == "gated" else "create_public_threads"
            missing = _needs(channel, me, "view_channel", "send_messages_in_threads", thread_perm)
            if missing:
                raise UserError(
                    f"I need {', '.join(missing)} in {channel.mention} to open {effective_mode} discussion "
                    "threads there. Grant them, then run `/club setup` again."
                )
            if isinstance(channel, discord.ForumChannel):
                chosen = choose_setup_tag(channel, tag, current.discussion_tag_id)
                changes["discussion_tag_id"] = chosen.id if chosen else None
            elif tag is not None:
                raise UserError(
                    f"{channel.mention} is a text channel: tags are for forum channels. Leave out `tag:`, or "
                    "pick a forum with `discussions:`."
                )
            else:
                changes["discussion_tag_id"] = None
            changes["discussion_channel_id"] = channel.id
        if not changes and await self.guilds.is_configured(guild.id):
            await reply(
                interaction,
                "Nothing to change: pass at least one option.",
                embed=settings_embed(current, guild),
            )
            return
        saved = await self.guilds.update(guild.id, **changes)
        log.info("Guild %s settings changed by %s: %s", guild.id, interaction.user.id, sorted(changes))
        chosen_tag = discussion_tag(guild, saved)
        tagged = (
            f" Discussion posts in <#{saved.discussion_channel_id}> will carry the tag "
            f"**{escape(chosen_tag.name)}**."
            if chosen_tag
            else ""
        )
        await reply(
            interaction, f"Saved.{tagged} The club is set up like this:", embed=settings_embed(saved, guild)
        )

    @setup_club.autocomplete("tag")
    async def tag_autocomplete(
        self, interaction: discord.Interaction[BookClubBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest the tags of the forum chosen (or already set) as the discussion channel."""
        guild = interaction.guild
        if guild is None:
            return []
        picked = getattr(interaction.namespace, "discussions", None)
        channel_id = (
            picked.id if picked is not None else (await self.guilds.get(guild.id)).discussion_channel_id
        )
        forum = guild.get_channel(channel_id) if channel_id else None
        if not isinstance(forum, discord.ForumChannel):
            return []
        typed = current.strip().casefold()
        return [
            app_commands.Choice(name=t.name, value=str(t.id))
            for t in forum.available_tags
            if typed in t.name.casefold()
        ][:25]

    @setup_club.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[BookClubBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest IANA zone names as the organizer types."""
        return [app_commands.Choice(name=z, value=z) for z in suggest_timezones(current)]

    @app_commands.command(name="settings", description="Show how the club is set up")
    async def show_settings(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Show the settings to the member who asked."""
        assert interaction.guild is not None and interaction.guild_id is not None
        settings = await self.guilds.get(interaction.guild_id)
        note = (
            ""
            if await self.guilds.is_configured(interaction.guild_id)
            else "Not set up yet: an organizer can run `/club setup`."
        )
        embed = settings_embed(settings, interaction.guild)
        if await _is_organizer(interaction):
            embed.add_field(
                name="Summaries today (organizers see this)",
                value=await _summary_usage(interaction),
                inline=False,
            )
        await reply(interaction, note or None, embed=embed)

    @app_commands.command(name="history", description="Titles the club finished, with their ratings")
    async def history(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """List finished titles, most recent first, with the members' average rating and count."""
        assert interaction.guild_id is not None
        store = interaction.client.store
        finished = await store.reviews.finished(interaction.guild_id)
        works = await store.catalog.works(interaction.guild_id)
        finished = [f for f in finished if f.work_id in works]
        summaries = await store.reviews.summaries(interaction.guild_id, [f.work_id for f in finished])
        lines = []
        for item in finished:
            summary = summaries[item.work_id]
            rated = (
                f"{stars(summary.average)} from {summary.count} rating{'s' if summary.count != 1 else ''}"
                if summary.average is not None
                else "no ratings yet"
            )
            label = escape(work_label(works[item.work_id]), limit=120)
            lines.append(f"<t:{int(item.finished_at.timestamp())}:d> · *{label}* · {rated}")
        embed = discord.Embed(title="What the club has finished", colour=discord.Colour.blurple())
        embed.description = (
            fit_lines(lines, LIMITS.embed_description)
            if lines
            else "Nothing yet: organizers record a finished title with `/book finish` (or by choosing the next `/book current`)."
        )
        held = await self.discussions.closed(interaction.guild_id, limit=HISTORY_DISCUSSIONS)
        if held:
            counts = await self.participation.counts([d.id for d in held])
            embed.add_field(
                name="Recent discussions",
                value=fit_lines([discussion_line(d, works, counts[d.id]) for d in held], LIMITS.field_value),
                inline=False,
            )
        await reply(interaction, embed=embed)

    @app_commands.command(
        name="stats", description="How the club's discussions went, and your own part in them"
    )
    async def stats(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Show recent discussions with how many were interested, let in and took part; the asker's own part."""
        assert interaction.guild_id is not None
        held = await self.discussions.closed(interaction.guild_id, limit=STATS_DISCUSSIONS)
        embed = discord.Embed(title="The club's discussions", colour=discord.Colour.blurple())
        if not held:
            embed.description = (
                "No discussion has taken place yet: organizers schedule them with `/discussion schedule`."
            )
            await reply(interaction, embed=embed)
            return
        works = await self.catalog.works(interaction.guild_id)
        ids = [d.id for d in held]
        counts = await self.participation.counts(ids)
        mine = await self.participation.own_part(interaction.user.id, ids)
        lines = [discussion_line(d, works, counts[d.id]) + own_mark(mine.get(d.id)) for d in held]
        embed.description = fit_lines(lines, LIMITS.embed_description)
        embed.set_footer(
            text=own_summary(held, mine)
            + " Counts are of members: interested in the event, let into a private thread, posted or let in."
        )
        await reply(interaction, embed=embed)

    @calendar.command(name="file", description="Get the club's discussions as a calendar file (.ics)")
    async def calendar_file(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Answer with an .ics of the upcoming discussions and those of the last weeks, for any member."""
        assert interaction.guild is not None
        found, settings, data = await self.club_calendar(interaction.guild.id, interaction.guild.name)
        if not found:
            raise UserError(
                "The club has no discussions to put in a calendar yet: organizers schedule them with "
                "`/discussion schedule`."
            )
        upcoming = sum(d.state in ("scheduled", "opening", "open") for d in found)
        await reply(
            interaction,
            f"{len(found)} discussion{'s' if len(found) != 1 else ''} ({upcoming} still to come or under way), "
            f"times in {settings.timezone}. Import the file into your calendar app; importing a newer one "
            "updates the same entries, and called-off discussions show as cancelled.",
            files=[discord.File(io.BytesIO(data), filename="bookclub.ics")],
        )

    @calendar.command(
        name="feed", description="Get the club's calendar feed address for calendar apps (organizers)"
    )
    @organizer_only()
    async def calendar_feed(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Show the feed's address the first time (making it); later, when it was made and how to replace it."""
        assert interaction.guild_id is not None
        server = self._feed_on()
        secret = await self.feeds.create(interaction.guild_id)
        if secret is None:
            feed = await self.feeds.get(interaction.guild_id)
            made = f" (made <t:{int(feed.created_at.timestamp())}:D>)" if feed else ""
            await reply(
                interaction,
                f"The club's calendar feed already has an address{made}. {FEED_KEPT_HASHED} The current one "
                "then stops working at once, so calendar apps subscribed to it must subscribe again.",
            )
            return
        log.info("Calendar feed created in guild %s by %s", interaction.guild_id, interaction.user.id)
        await reply(interaction, _feed_address(server.url_for(secret), "The club's calendar feed"))

    @calendar.command(
        name="rotate", description="Replace the calendar feed address; the old one stops working (organizers)"
    )
    @organizer_only()
    async def calendar_rotate(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Give the feed a new secret; the old address answers 404 from now on."""
        assert interaction.guild_id is not None
        server = self._feed_on()
        had_one = await self.feeds.get(interaction.guild_id) is not None
        secret = await self.feeds.rotate(interaction.guild_id)
        log.info("Calendar feed rotated in guild %s by %s", interaction.guild_id, interaction.user.id)
        replaced = (
            "\nThe previous address stopped working just now: calendar apps subscribed to it must "
            "subscribe again with this one."
            if had_one
            else ""
        )
        await reply(
            interaction, _feed_address(server.url_for(secret), "The calendar feed's new address") + replaced
        )

    def _feed_on(self) -> CalendarFeedServer:
        if self.feed_server is None:
            raise UserError(FEED_OFF)
        return self.feed_server


def _feed_address(url: str, what: str) -> str:
    """Describe a freshly made feed address (a code span: copyable, and Discord fetches no preview)."""
    return (
        f'{what}, for calendar apps ("subscribe to a calendar by URL"; Apple Calendar also takes '
        f"webcal:// in place of https://):\n`{url}`\nAnyone with it sees the discussions' times and scopes "
        f"(never their questions), as in `/club calendar file`. {FEED_KEPT_HASHED}"
    )


async def _is_organizer(interaction: discord.Interaction[BookClubBot]) -> bool:
    try:
        await ensure_organizer(interaction)
    except NotAllowed:
        return False
    return True


async def _summary_usage(interaction: discord.Interaction[BookClubBot]) -> str:
    """Describe today's LLM use against the club's budget."""
    bot = interaction.client
    if not bot.settings.summaries_enabled:
        return "off (set OPENAI_API_KEY to enable `/summarize`)"
    assert interaction.guild_id is not None
    usage = await bot.store.summaries.usage_today(interaction.guild_id)
    return (
        f"{usage.tokens:,} of {bot.settings.summary_daily_tokens:,} tokens in {usage.calls:,} calls "
        f"(model {bot.settings.summary_model}; the budget resets at midnight UTC)"
    )
