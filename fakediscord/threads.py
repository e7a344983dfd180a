"""Thread lifecycle: opening threads, membership and auto-archiving, with the gateway events Discord sends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import payloads
from .errors import bad_request, form_error
from .events import Events
from .messages import Upload
from .world import MENTION_USER, Channel, ChannelType, StoredMessage, World

# Channel resource, Channel Flags: REQUIRE_TAG "whether a tag is required to be specified when creating a
# thread in a GUILD_FORUM or a GUILD_MEDIA channel. Tags are specified in the applied_tags field."
REQUIRE_TAG = 1 << 4
# Channel resource, Modify Channel, JSON Params (Thread): applied_tags "limited to 5" (the OpenAPI spec gives
# the same maxItems for Start Thread in Forum or Media Channel).
MAX_APPLIED_TAGS = 5


def check_applied_tags(tags: Any) -> None:
    """Refuse more than 5 applied tags (forum post creation and thread PATCH)."""
    if isinstance(tags, list) and len(tags) > MAX_APPLIED_TAGS:
        raise form_error(
            "applied_tags", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_APPLIED_TAGS} or fewer in length."
        )


def check_forum_post(forum: Channel, body: dict[str, Any], files: list[Upload]) -> None:
    """Refuse a forum post Discord refuses: no starter message, an empty one, too many tags, no tag when required.

    Channel resource, "Start Thread in Forum or Media Channel": `message` is a required field ("contents of the
    first message in the forum/media thread"), and "at least one of content, embeds, sticker_ids, components, or
    files[n] is required" in it (Cannot send an empty message, 50006, Opcodes and Status Codes). A forum whose
    flags hold REQUIRE_TAG needs `applied_tags`; Discord answers 40067 "A tag is required to create a forum post
    in this channel" (Opcodes and Status Codes, JSON error codes).
    """
    first = body.get("message")
    if not isinstance(first, dict):
        raise form_error("message", "BASE_TYPE_REQUIRED", "This field is required")
    check_applied_tags(body.get("applied_tags"))
    if not (
        first.get("content")
        or first.get("embeds")
        or first.get("sticker_ids")
        or first.get("components")
        or files
    ):
        raise bad_request(50006, "Cannot send an empty message")
    if forum.flags & REQUIRE_TAG and not body.get("applied_tags"):
        raise bad_request(40067, "A tag is required to create a forum post in this channel")


class ThreadService:
    """Open threads, add and remove their members, archive idle ones."""

    def __init__(self, world: World, events: Events) -> None:
        self.world = world
        self.events = events
        events.on_message_written(self.add_mentioned_members)

    async def open(
        self,
        parent: Channel,
        owner_id: int,
        name: str,
        ttype: int,
        *,
        auto_archive_duration: int = 1440,
        thread_id: int | None = None,
        invitable: bool = True,
        applied_tags: list[int] | None = None,
        announce: bool = True,
    ) -> Channel:
        """Create a thread (owner joins it) and dispatch THREAD_CREATE when the bot may see it."""
        guild = self.world.guild_of(parent)
        th = self.world.add_channel(
            guild,
            name,
            ttype,
            id=thread_id,
            parent_id=parent.id,
            owner_id=owner_id,
            auto_archive_duration=auto_archive_duration,
            invitable=invitable,
            applied_tags=applied_tags or [],
        )
        th.thread_members[owner_id] = self.world.clock.now()
        me = self.world.bot_user.id
        if announce and self.world.can_see(th, me):
            await self.events.dispatch(
                "THREAD_CREATE", {**payloads.channel(self.world, th, for_user=me), "newly_created": True}
            )
        self.events.notify()
        return th

    async def add_member(self, th: Channel, user_id: int) -> None:
        """Add a thread member and dispatch THREAD_MEMBERS_UPDATE."""
        if user_id in th.thread_members:
            return
        th.thread_members[user_id] = self.world.clock.now()
        me = self.world.bot_user.id
        if user_id == me and th.type == ChannelType.PRIVATE_THREAD:
            await self.events.dispatch("THREAD_CREATE", payloads.channel(self.world, th, for_user=me))
        added = {**payloads.thread_member(self.world, th, user_id)}
        guild = self.world.guild_of(th)
        if guild is not None and user_id in guild.members:
            added["member"] = payloads.member(guild.members[user_id])
        await self.events.dispatch(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": str(th.id),
                "guild_id": str(th.guild_id),
                "member_count": min(len(th.thread_members), 50),
                "added_members": [added],
            },
        )

    async def remove_member(self, th: Channel, user_id: int) -> None:
        """Remove a thread member and dispatch THREAD_MEMBERS_UPDATE."""
        if th.thread_members.pop(user_id, None) is None:
            return
        await self.events.dispatch(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": str(th.id),
                "guild_id": str(th.guild_id),
                "member_count": min(len(th.thread_members), 50),
                "removed_member_ids": [str(user_id)],
            },
        )

    async def unarchive_for_post(self, th: Channel) -> None:
        """Unarchive a thread someone posts in, as Discord does, telling the bot."""
        if th.archived:
            th.archived = False
            me = self.world.bot_user.id
            await self.events.dispatch("THREAD_UPDATE", payloads.channel(self.world, th, for_user=me))

    async def archive_idle(self, now: datetime) -> None:
        """Archive threads idle past their auto_archive_duration."""
        me = self.world.bot_user.id
        for th in self.world.threads_due_to_archive(now):
            th.archived = True
            if self.world.can_see(th, me):
                await self.events.dispatch("THREAD_UPDATE", payloads.channel(self.world, th, for_user=me))

    def may_add_members(self, th: Channel, user_id: int) -> bool:
        """Tell whether `user_id` may add others to `th`.

        A private thread's `invitable` flag is "whether non-moderators can add other non-moderators to a
        thread" (discord-api-docs, Channel resource, thread metadata); moderators hold MANAGE_THREADS.
        """
        if th.type != ChannelType.PRIVATE_THREAD or th.invitable:
            return True
        return self.world.can(th, user_id, "manage_threads")

    async def add_mentioned_members(self, stored: StoredMessage, created: bool) -> None:
        """Add the members a private-thread message mentions, as Discord does.

        Mentioning a member in a private thread adds them when they can see the parent channel and the
        author may add members, whether or not allowed_mentions lets the mention ping: an edit that adds a
        mention adds the member silently (MarcusOtter/discord-needle#107). Ephemeral messages add no one
        (discord/discord-api-docs#5295, since fixed); callers only pass non-ephemeral messages.
        """
        th = self.world.channels.get(stored.channel_id)
        if th is None or th.type != ChannelType.PRIVATE_THREAD or stored.ephemeral_for is not None:
            return
        parent = self.world.channels.get(th.parent_id or 0)
        guild = self.world.guild_of(th)
        author = int(stored.payload["author"]["id"])
        if parent is None or guild is None or not self.may_add_members(th, author):
            return
        content = stored.payload.get("content") or ""
        # Whom allowed_mentions let this message ping; they could not see the thread before, so they were not
        # counted as pinged. A new message now notifies them; an edit never pings.
        may_ping = {int(u["id"]) for u in stored.payload.get("mentions") or []}
        for uid in dict.fromkeys(int(u) for u in MENTION_USER.findall(content)):
            if uid in guild.members and uid not in th.thread_members and self.world.can_see(parent, uid):
                await self.add_member(th, uid)
                if created and uid in may_ping and uid != author:
                    stored.pinged.add(uid)
