"""The state of the emulated Discord: guilds, roles, members, channels, messages and the rest."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import permissions as perm
from .clock import FakeClock

DISCORD_EPOCH_MS = 1_420_070_400_000


class ChannelType:
    """Discord channel type numbers used by the emulator."""

    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_STAGE_VOICE = 13
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_FORUM = 15

    THREADS = (10, 11, 12)


class SnowflakeFactory:
    """Make increasing real-format snowflakes whose timestamp is the fake clock's."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._inc = itertools.count(1)
        self._last = 0

    def __call__(self) -> int:
        """Return a new snowflake id."""
        ms = int(self._clock.now().timestamp() * 1000) - DISCORD_EPOCH_MS
        value = (max(ms, 0) << 22) | (1 << 17) | (next(self._inc) & 0xFFF)
        value = max(value, self._last + 1)
        self._last = value
        return value

    def continue_after(self, last: int) -> None:
        """Make every later id greater than `last` (a restored world's highest)."""
        self._last = max(self._last, last)


def snowflake_time(snowflake: int) -> datetime:
    """Return the creation instant encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


@dataclass
class User:
    """A Discord account."""

    id: int
    name: str
    bot: bool = False
    global_name: str | None = None
    # DM reach, set by tests: the user turned off DMs from server members, or counts as sharing no server with
    # the bot although the test keeps them in the guild (leaving the guild has the same effect).
    accepts_dms: bool = True
    shares_no_server: bool = False


@dataclass
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False

    @property
    def mention(self) -> str:
        """Return the `<@&id>` markup."""
        return f"<@&{self.id}>"


@dataclass
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


@dataclass
class Member:
    """A user's membership of a guild."""

    user: User
    guild_id: int
    role_ids: list[int]
    joined_at: datetime
    nick: str | None = None


@dataclass
class Channel:
    """A guild channel, thread or DM."""

    id: int
    type: int
    name: str | None
    guild_id: int | None
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    # threads
    owner_id: int | None = None
    thread_members: dict[int, datetime] = field(default_factory=dict)
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    created_at: datetime | None = None
    last_activity_at: datetime | None = None
    message_count: int = 0
    total_message_sent: int = 0
    applied_tags: list[int] = field(default_factory=list)
    # forums
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    # DMs
    recipient_ids: list[int] = field(default_factory=list)
    last_message_id: int | None = None
    rate_limit_per_user: int = 0
    nsfw: bool = False
    flags: int = 0

    @property
    def is_thread(self) -> bool:
        """Tell whether this is a thread."""
        return self.type in ChannelType.THREADS

    @property
    def mention(self) -> str:
        """Return the `<#id>` markup."""
        return f"<#{self.id}>"


@dataclass
class PollState:
    """Votes and expiry of a native poll attached to a message."""

    expiry: datetime
    allow_multiselect: bool
    answer_ids: list[int]
    votes: dict[int, list[int]] = field(default_factory=dict)  # answer_id -> user ids in vote order
    finalized: bool = False

    def counts(self, me: int | None = None) -> list[dict[str, Any]]:
        """Return the poll results' `answer_counts` list."""
        return [
            {"id": a, "count": len(self.votes.get(a, [])), "me_voted": me in self.votes.get(a, [])}
            for a in self.answer_ids
        ]


@dataclass
class StoredMessage:
    """A message as the emulator holds it: its wire payload plus facts Discord keeps server-side."""

    payload: dict[str, Any]
    ephemeral_for: int | None = None  # user id who alone sees an ephemeral message
    pinged: set[int] = field(default_factory=set)  # user ids who were notified
    pinged_roles: set[int] = field(default_factory=set)
    pinged_everyone: bool = False
    poll: PollState | None = None
    reactions: dict[str, list[int]] = field(default_factory=dict)  # emoji key -> user ids
    deleted: bool = False

    @property
    def id(self) -> int:
        """Return the message id."""
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        """Return the channel id."""
        return int(self.payload["channel_id"])


@dataclass
class Guild:
    """A guild with its roles, members and channels."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    scheduled_events: dict[int, dict[str, Any]] = field(default_factory=dict)
    event_users: dict[int, set[int]] = field(default_factory=dict)
    # Per-file upload limit: "The default limit is 10 MiB", higher with boosts (Reference, Uploading Files).
    attachment_size_limit: int = 10 * 1024 * 1024

    @property
    def everyone(self) -> Role:
        """Return the @everyone role."""
        return self.roles[self.id]


@dataclass
class Attachment:
    """A file served by the emulator's loopback CDN."""

    id: int
    filename: str
    data: bytes
    content_type: str


class World:
    """Everything Discord knows; no I/O here."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.new_id = SnowflakeFactory(clock)
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.pins: dict[int, list[tuple[int, datetime]]] = {}
        self.commands: dict[int | None, dict[int, dict[str, Any]]] = {None: {}}  # guild id or None=global
        self.attachments: dict[int, Attachment] = {}
        self.bot_user: User = self.add_user("BookBot", bot=True)

    # -- creation ---------------------------------------------------------------------------------------
    def add_user(self, name: str, *, bot: bool = False) -> User:
        """Create a user account."""
        user = User(self.new_id(), name, bot=bot, global_name=None if bot else name)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, *, bot_permissions: int, everyone_permissions: int) -> Guild:
        """Create a guild the bot is in, with @everyone and the bot's managed role."""
        gid = self.new_id()
        guild = Guild(gid, name, owner_id=0)
        guild.roles[gid] = Role(gid, gid, "@everyone", everyone_permissions)
        self.guilds[gid] = guild
        bot_role = self.add_role(guild, self.bot_user.name, bot_permissions, managed=True)
        self.add_member(guild, self.bot_user, [bot_role.id])
        owner = self.add_user("owner")
        guild.owner_id = owner.id
        self.add_member(guild, owner, [])
        self.commands.setdefault(gid, {})
        return guild

    def add_role(
        self,
        guild: Guild,
        name: str,
        permissions: int,
        *,
        mentionable: bool = False,
        managed: bool = False,
        color: int = 0,
        hoist: bool = False,
    ) -> Role:
        """Create a role at the bottom of the list (position 1), as Discord does; the others move up."""
        for r in guild.roles.values():
            if r.id != guild.id:
                r.position += 1
        position = 1
        role = Role(
            self.new_id(),
            guild.id,
            name,
            permissions,
            position=position,
            mentionable=mentionable,
            managed=managed,
            color=color,
            hoist=hoist,
        )
        guild.roles[role.id] = role
        return role

    def add_member(self, guild: Guild, user: User, role_ids: list[int]) -> Member:
        """Make `user` a member of `guild`."""
        member = Member(user, guild.id, list(role_ids), joined_at=self.clock.now())
        guild.members[user.id] = member
        return member

    def add_channel(self, guild: Guild | None, name: str | None, type_: int, **fields: Any) -> Channel:
        """Create a channel (or thread/DM when `type_` says so)."""
        cid = fields.pop("id", None) or self.new_id()
        siblings = [c for c in self.channels.values() if guild and c.guild_id == guild.id and not c.is_thread]
        channel = Channel(
            cid,
            type_,
            name,
            guild.id if guild else None,
            position=len(siblings),
            created_at=self.clock.now(),
            **fields,
        )
        self.channels[cid] = channel
        self.channel_messages.setdefault(cid, [])
        return channel

    # -- lookup -----------------------------------------------------------------------------------------
    def guild_of(self, channel: Channel) -> Guild | None:
        """Return the channel's guild."""
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def member(self, guild: Guild, user_id: int) -> Member | None:
        """Return a member or None."""
        return guild.members.get(user_id)

    def shares_server_with_bot(self, user_id: int) -> bool:
        """Tell whether the user is a member of a guild the bot is in (and no test said otherwise)."""
        user = self.users.get(user_id)
        if user is None or user.shares_no_server:
            return False
        me = self.bot_user.id
        return any(user_id in g.members and me in g.members for g in self.guilds.values())

    def dm_between(self, a: int, b: int) -> Channel | None:
        """Return the DM channel between two users, if any."""
        for ch in self.channels.values():
            if ch.type == ChannelType.DM and set(ch.recipient_ids) | {self.bot_user.id} >= {a, b}:
                return ch
        return None

    # -- permissions ------------------------------------------------------------------------------------
    def base_permissions(self, guild: Guild, user_id: int) -> int:
        """Return guild-level permissions of a member (roles only)."""
        if user_id == guild.owner_id:
            return perm.ALL
        member = guild.members.get(user_id)
        if member is None:
            return 0
        value = guild.everyone.permissions
        for rid in member.role_ids:
            role = guild.roles.get(rid)
            if role:
                value |= role.permissions
        if value & perm.FLAGS["administrator"]:
            return perm.ALL
        return value

    def permissions_in(self, channel: Channel, user_id: int) -> int:
        """Compute a user's permissions in a channel the way Discord does (overwrites, threads, DMs)."""
        if channel.type == ChannelType.DM:
            return perm.bits(
                [
                    "view_channel",
                    "send_messages",
                    "read_message_history",
                    "add_reactions",
                    "embed_links",
                    "attach_files",
                    "use_external_emojis",
                    "send_polls",
                ]
            )
        guild = self.guild_of(channel)
        if guild is None:
            return 0
        if channel.is_thread:
            parent = self.channels[channel.parent_id] if channel.parent_id else None
            value = self.permissions_in(parent, user_id) if parent else 0
            if not value & perm.FLAGS["view_channel"]:
                return 0
            if (
                channel.type == ChannelType.PRIVATE_THREAD
                and user_id not in channel.thread_members
                and not value & perm.FLAGS["manage_threads"]
            ):
                return 0
            return value
        base = self.base_permissions(guild, user_id)
        if base == perm.ALL:
            return perm.ALL
        member = guild.members.get(user_id)
        if member is None:
            return 0
        # Category sync is not modelled: a channel's overwrites are its own.
        ow = {(o.type, o.id): o for o in channel.overwrites}
        everyone = ow.get((0, guild.id))
        roles = [(o.allow, o.deny) for (t, i), o in ow.items() if t == 0 and i in member.role_ids]
        mine = ow.get((1, user_id))
        value = perm.apply_overwrites(
            base,
            everyone=(everyone.allow, everyone.deny) if everyone else None,
            roles=roles,
            member=(mine.allow, mine.deny) if mine else None,
        )
        return perm.implicit(value)

    def can(self, channel: Channel, user_id: int, *names: str) -> bool:
        """Tell whether the user has every named permission in the channel."""
        value = self.permissions_in(channel, user_id)
        return all(value & perm.FLAGS[n] for n in names)

    def can_see(self, channel: Channel, user_id: int) -> bool:
        """Tell whether the user can see a channel at all."""
        if channel.type == ChannelType.DM:
            return user_id in channel.recipient_ids or user_id == self.bot_user.id
        return self.can(channel, user_id, "view_channel")

    def can_read_history(self, channel: Channel, user_id: int) -> bool:
        """Tell whether the user can read old messages in a channel."""
        if channel.type == ChannelType.DM:
            return self.can_see(channel, user_id)
        return self.can(channel, user_id, "view_channel", "read_message_history")

    # -- messages ---------------------------------------------------------------------------------------
    def channel_history(self, channel_id: int) -> list[StoredMessage]:
        """Return the channel's live messages, oldest first."""
        return [
            self.messages[m]
            for m in self.channel_messages.get(channel_id, [])
            if not self.messages[m].deleted
        ]

    def store_message(self, stored: StoredMessage) -> None:
        """Add a message to its channel."""
        self.messages[stored.id] = stored
        self.channel_messages.setdefault(stored.channel_id, []).append(stored.id)
        ch = self.channels.get(stored.channel_id)
        if ch is not None and stored.ephemeral_for is None:
            ch.last_message_id = stored.id
            ch.last_activity_at = self.clock.now()
            if ch.is_thread:
                ch.message_count += 1
                ch.total_message_sent += 1

    def poll_messages_due(self, now: datetime) -> list[StoredMessage]:
        """Return messages whose poll has passed its expiry and is not finalized yet."""
        return [
            m
            for m in self.messages.values()
            if m.poll and not m.poll.finalized and not m.deleted and m.poll.expiry <= now
        ]

    def threads_due_to_archive(self, now: datetime) -> list[Channel]:
        """Return open threads idle for longer than their auto_archive_duration."""
        return [
            c
            for c in self.channels.values()
            if c.is_thread
            and not c.archived
            and (c.last_activity_at or c.created_at or now) + timedelta(minutes=c.auto_archive_duration)
            <= now
        ]


MENTION_USER = re.compile(r"<@!?(\d+)>")
MENTION_ROLE = re.compile(r"<@&(\d+)>")
MENTION_CHANNEL = re.compile(r"<#(\d+)>")
