"""A bare discord.py bot used only to test the emulator (not the project's bot)."""

from __future__ import annotations

import asyncio
import datetime
import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands


class ReadView(discord.ui.View):
    """A button and a select."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="I read it", custom_id="sample:read", style=discord.ButtonStyle.success)
    async def read(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        """Update the message with who clicked."""
        assert interaction.message is not None
        await interaction.response.edit_message(content=f"{interaction.user.name} read it", view=self)

    @discord.ui.button(label="Private note", custom_id="sample:note")
    async def note(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        """Answer ephemerally."""
        await interaction.response.send_message(f"note for {interaction.user.name}", ephemeral=True)

    @discord.ui.select(
        custom_id="sample:pick",
        placeholder="Pick a book",
        options=[
            discord.SelectOption(label="Dune", value="A"),
            discord.SelectOption(label="Emma", value="B"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        """Echo the choice."""
        await interaction.response.send_message(f"picked {select.values[0]}")


class AssignView(discord.ui.View):
    """A user select."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(cls=discord.ui.UserSelect, custom_id="sample:who", placeholder="Who reads next?")
    async def who(self, interaction: discord.Interaction, select: discord.ui.UserSelect[Any]) -> None:
        """Echo the chosen member."""
        await interaction.response.send_message(f"assigned {select.values[0].name}")


class ProgressModal(discord.ui.Modal, title="Your progress"):
    """A modal with one text input."""

    progress: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Page", custom_id="progress", max_length=5
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Echo the value."""
        await interaction.response.send_message(f"you are on page {self.progress.value}", ephemeral=True)


class ClubGroup(app_commands.Group):
    """/club ... with a nested /club book ... group."""

    book = app_commands.Group(name="book", description="Books")

    @app_commands.command(name="setup", description="Set the club up")
    @app_commands.describe(timezone="Your timezone", announcements="Where to announce")
    async def setup(
        self, interaction: discord.Interaction, timezone: str, announcements: discord.TextChannel
    ) -> None:
        """Echo the options."""
        await interaction.response.send_message(f"tz={timezone} channel={announcements.name}")

    @setup.autocomplete("timezone")
    async def tz_complete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer matching timezones."""
        zones = ["Europe/Paris", "Europe/Berlin", "America/New_York"]
        return [app_commands.Choice(name=z, value=z) for z in zones if current.lower() in z.lower()]

    @book.command(name="add", description="Add a book")
    async def book_add(self, interaction: discord.Interaction, title: str, pages: int = 100) -> None:
        """Echo the book."""
        await interaction.response.send_message(f"added {title} ({pages} pages)")


class SampleBot(commands.Bot):
    """The bot under test for the emulator's own tests."""

    def __init__(self, guild_id: int, clock: Any = None, **kwargs: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        intents.members = True
        super().__init__(
            command_prefix="!",
            intents=intents,
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
            **kwargs,
        )
        self.guild_obj = discord.Object(guild_id)
        self.clock = clock
        self.events: list[tuple[Any, ...]] = []
        self.ready_event = asyncio.Event()
        self.errors: list[BaseException] = []
        self._register()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip the 5 s wait discord.py does before re-identifying."""

    async def setup_hook(self) -> None:
        """Sync commands to the test guild."""
        self.add_view(ReadView())
        self.tree.copy_global_to(guild=self.guild_obj)
        await self.tree.sync(guild=self.guild_obj)

    async def on_ready(self) -> None:
        """Flag readiness."""
        self.ready_event.set()

    async def on_resumed(self) -> None:
        """Record resumes."""
        self.events.append(("resumed",))

    async def on_message(self, message: discord.Message) -> None:
        """Answer !ping and record messages."""
        self.events.append(("message", message.content, message.author.id))
        if message.author == self.user:
            return
        if message.content == "!ping":
            await message.channel.send("pong")
        elif message.content == "!reply":
            await message.reply(
                "replying", mention_author=True, allowed_mentions=discord.AllowedMentions(replied_user=True)
            )

    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        """Record votes."""
        self.events.append(("vote_add", payload.user_id, payload.answer_id))

    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        """Record vote removals."""
        self.events.append(("vote_remove", payload.user_id, payload.answer_id))

    async def on_thread_member_join(self, member: discord.ThreadMember) -> None:
        """Record thread joins."""
        self.events.append(("thread_join", member.id))

    def _register(self) -> None:
        tree = self.tree
        tree.add_command(
            ClubGroup(
                name="club",
                description="Club admin",
                default_permissions=discord.Permissions(manage_guild=True),
            )
        )

        @tree.command(name="echo", description="Echo text")
        async def echo(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.send_message(text)

        @tree.command(name="types", description="All option types")
        async def types(
            interaction: discord.Interaction,
            s: str,
            i: int,
            n: float,
            b: bool,
            u: discord.Member,
            c: discord.TextChannel,
            r: discord.Role,
            a: discord.Attachment,
        ) -> None:
            data = await a.read()
            perms = u.guild_permissions.manage_guild
            await interaction.response.send_message(
                f"s={s} i={i} n={n} b={b} u={u.name} c={c.name} r={r.name} a={a.filename}:{data.decode()} "
                f"u_manage={perms}"
            )

        @tree.command(name="card", description="Post a card with a view")
        async def card(interaction: discord.Interaction) -> None:
            embed = discord.Embed(title="Chapter 3", description="Discuss!")
            embed.add_field(name="Due", value="Friday")
            embed.set_footer(text="Book club")
            await interaction.response.send_message("Reading card", embed=embed, view=ReadView())

        @tree.command(name="progress", description="Open a modal")
        async def progress(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(ProgressModal())

        @tree.command(name="slow", description="Defer then follow up")
        async def slow(interaction: discord.Interaction, ephemeral: bool = False) -> None:
            await interaction.response.defer(thinking=True, ephemeral=ephemeral)
            await asyncio.sleep(0.05)
            await interaction.followup.send("done thinking", ephemeral=ephemeral)

        @tree.command(name="edit-later", description="Reply then edit the original")
        async def edit_later(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("first")
            await interaction.edit_original_response(content="second")

        @tree.command(name="upload", description="Reply with a file")
        async def upload(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                "here", file=discord.File(io.BytesIO(b"page 42"), "notes.txt")
            )

        @tree.command(name="vanish", description="Reply then delete it")
        async def vanish(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("now you see me")
            await interaction.delete_original_response()
            self.events.append(("vanished",))

        @tree.command(name="assign", description="Pick a member")
        async def assign(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("who?", view=AssignView())

        @tree.context_menu(name="Quote")
        async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(f"quoted: {message.content}")

        @tree.context_menu(name="Greet")
        async def greet(interaction: discord.Interaction, member: discord.Member) -> None:
            await interaction.response.send_message(f"hi {member.name}")

        @tree.command(name="late", description="Answer after the deadline")
        async def late(interaction: discord.Interaction, seconds: float) -> None:
            await asyncio.sleep(seconds)
            try:
                await interaction.response.send_message("too late")
            except discord.NotFound as exc:
                self.events.append(("late_error", exc.code))

        @tree.command(name="much-later", description="Defer, wait 16 fake minutes, follow up")
        async def much_later(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            await self.clock.sleep_until(self.clock.now() + datetime.timedelta(minutes=16))
            try:
                await interaction.followup.send("finally")
            except discord.HTTPException as exc:
                self.events.append(("followup_error", exc.status, exc.code))

        @tree.command(name="secret", description="Ephemeral answer")
        async def secret(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("the butler did it", ephemeral=True)

        @tree.command(name="thread", description="Open a thread")
        async def thread(
            interaction: discord.Interaction, name: str, private: bool, member: discord.Member | None = None
        ) -> None:
            assert isinstance(interaction.channel, discord.TextChannel)
            kind = discord.ChannelType.private_thread if private else discord.ChannelType.public_thread
            th = await interaction.channel.create_thread(name=name, type=kind)
            if member is not None:
                await th.add_user(member)
            await th.send(f"welcome to {name}")
            await interaction.response.send_message(f"opened {th.name}", ephemeral=True)

        @tree.command(name="poll", description="Start a poll")
        async def poll(interaction: discord.Interaction, answers: int = 2) -> None:
            p = discord.Poll(question="Next book?", duration=datetime.timedelta(hours=24))
            for k in range(answers):
                p.add_answer(text=f"Option {chr(65 + k)}")
            try:
                await interaction.response.send_message(poll=p)
            except discord.HTTPException as exc:
                self.events.append(("poll_error", exc.status, exc.code, exc.text))

        @tree.command(name="mixed", description="Defer one way, follow up the other way, twice")
        async def mixed(interaction: discord.Interaction, ephemeral: bool) -> None:
            await interaction.response.defer(thinking=True, ephemeral=ephemeral)
            await interaction.followup.send("first follow-up", ephemeral=not ephemeral)
            await interaction.followup.send("second follow-up", ephemeral=not ephemeral)

        @tree.command(name="slow-poll", description="Defer, then answer with a poll")
        async def slow_poll(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            p = discord.Poll(question="Meet on Friday?", duration=datetime.timedelta(hours=24))
            p.add_answer(text="Yes")
            p.add_answer(text="No")
            await interaction.followup.send(poll=p)

        @tree.command(name="post", description="Post into a channel")
        async def post(interaction: discord.Interaction, channel: discord.TextChannel, text: str) -> None:
            await interaction.response.defer(ephemeral=True)
            try:
                await channel.send(text)
                await interaction.followup.send("posted", ephemeral=True)
            except discord.HTTPException as exc:
                await interaction.followup.send(f"failed {exc.status} {exc.code}", ephemeral=True)

        @tree.command(name="spam", description="Post many messages")
        async def spam(interaction: discord.Interaction, count: int) -> None:
            await interaction.response.defer()
            assert isinstance(interaction.channel, discord.TextChannel)
            for k in range(count):
                await interaction.channel.send(f"spam {k}")
            await interaction.followup.send("spammed")

        @tree.command(name="long", description="Send a too-long message")
        async def long(interaction: discord.Interaction, length: int) -> None:
            try:
                await interaction.response.send_message("x" * length)
            except discord.HTTPException as exc:
                self.events.append(("long_error", exc.status, exc.code, exc.text))

        @tree.command(name="whisper", description="Mention someone in an ephemeral answer")
        async def whisper(interaction: discord.Interaction, member: discord.Member) -> None:
            await interaction.response.send_message(f"psst {member.mention}", ephemeral=True)

        @tree.command(name="mention", description="Mention someone")
        async def mention(interaction: discord.Interaction, member: discord.Member, ping: bool) -> None:
            allowed = discord.AllowedMentions(users=[member]) if ping else discord.AllowedMentions.none()
            await interaction.response.send_message(
                f"hello {member.mention} @everyone", allowed_mentions=allowed
            )
