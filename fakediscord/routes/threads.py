"""REST routes for threads: creating them, archived lists and thread members."""

from __future__ import annotations

from typing import Any

from .. import payloads
from ..errors import bad_request, form_error, missing_permissions, unknown
from ..events import Events
from ..messages import MessageService
from ..routing import RestRequest, RestResponse, Router
from ..threads import ThreadService, check_forum_post
from ..world import Channel, ChannelType, World
from .base import RouteBase


class ThreadRoutes(RouteBase):
    """Serve thread creation, archived thread lists and /thread-members."""

    def __init__(
        self, world: World, events: Events, messages: MessageService, threads: ThreadService
    ) -> None:
        super().__init__(world)
        self.events = events
        self.messages = messages
        self.threads = threads

    def register(self, router: Router) -> None:
        """Add these routes to `router`."""
        r = router.add
        r("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message)
        r("POST", "/channels/{channel_id}/threads", self.create_thread)
        r("GET", "/channels/{channel_id}/threads/archived/public", self.archived_threads)
        r("GET", "/channels/{channel_id}/threads/archived/private", self.archived_threads)
        r("GET", "/channels/{channel_id}/users/@me/threads/archived/private", self.joined_archived_threads)
        r("PUT", "/channels/{channel_id}/thread-members/@me", self.join_thread)
        r("DELETE", "/channels/{channel_id}/thread-members/@me", self.leave_thread)
        r("GET", "/channels/{channel_id}/thread-members", self.list_thread_members)
        r("GET", "/channels/{channel_id}/thread-members/{user_id}", self.get_thread_member)
        r("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member)
        r("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self.remove_thread_member)

    def _thread_body_checks(self, body: dict[str, Any]) -> None:
        name = body.get("name")
        if not name:
            raise form_error("name", "BASE_TYPE_REQUIRED", "This field is required")

    def _thread(self, req: RestRequest) -> Channel:
        ch = self.channel(req)
        if not ch.is_thread:
            raise bad_request(50024, "Cannot execute action on this channel type")
        return ch

    def _open_thread(self, req: RestRequest) -> Channel:
        """Return the path's thread for a membership change.

        Join/Leave/Add/Remove Thread Member each "also requires the thread is not archived" (Channel resource).
        """
        th = self._thread(req)
        if th.archived:
            raise bad_request(50083, "Thread is archived")
        return th

    async def thread_from_message(self, req: RestRequest) -> Any:
        """POST /channels/{id}/messages/{mid}/threads: the thread gets the message's id."""
        ch = self.channel(req)
        m = self.message(req, ch)
        self._thread_body_checks(req.json())
        self.need(ch, "create_public_threads", "read_message_history")
        if m.id in self.world.channels:
            raise bad_request(160004, "A thread has already been created for this message")
        body = req.json()
        th = await self.threads.open(
            ch,
            self.me,
            body["name"],
            ChannelType.PUBLIC_THREAD,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            thread_id=m.id,
        )
        m.payload["thread"] = payloads.channel(self.world, th)
        return RestResponse(201, payloads.channel(self.world, th, for_user=self.me))

    async def create_thread(self, req: RestRequest) -> Any:
        """POST /channels/{id}/threads (text channel thread or forum post)."""
        ch = self.channel(req)
        body = req.json()
        self._thread_body_checks(body)
        archive = int(body.get("auto_archive_duration") or 1440)
        if ch.type == ChannelType.GUILD_FORUM:
            self.need(ch, "send_messages")
            check_forum_post(ch, body, req.files)
            first = body["message"]
            self.messages.check_body(ch, first, req.files, req.size, creating=True)
            th = await self.threads.open(
                ch,
                self.me,
                body["name"],
                ChannelType.PUBLIC_THREAD,
                auto_archive_duration=archive,
                applied_tags=[int(t) for t in body.get("applied_tags") or []],
                announce=False,
            )
            stored = self.messages.build(th, self.me, first, files=req.files, message_id=th.id)
            await self.events.dispatch(
                "THREAD_CREATE", {**payloads.channel(self.world, th, for_user=self.me), "newly_created": True}
            )
            await self.events.message_created(stored)
            return RestResponse(
                201, {**payloads.channel(self.world, th, for_user=self.me), "message": stored.payload}
            )
        ttype = int(body.get("type") or ChannelType.PRIVATE_THREAD)
        self.need(
            ch, "create_private_threads" if ttype == ChannelType.PRIVATE_THREAD else "create_public_threads"
        )
        th = await self.threads.open(
            ch,
            self.me,
            body["name"],
            ttype,
            auto_archive_duration=archive,
            invitable=bool(body.get("invitable", True)),
        )
        return RestResponse(201, payloads.channel(self.world, th, for_user=self.me))

    async def archived_threads(self, req: RestRequest) -> Any:
        """GET archived public or private threads, newest archived first.

        Channel resource: public needs READ_MESSAGE_HISTORY; "List Private Archived Threads [...] Requires both
        the READ_MESSAGE_HISTORY and MANAGE_THREADS permissions."
        """
        ch = self.channel(req)
        private = req.path.endswith("/private")
        self.need(ch, "read_message_history", *(["manage_threads"] if private else []))
        want = ChannelType.PRIVATE_THREAD if private else ChannelType.PUBLIC_THREAD
        threads = [
            t
            for t in self.world.channels.values()
            if t.parent_id == ch.id and t.type == want and t.archived and self.world.can_see(t, self.me)
        ]
        threads.sort(key=lambda t: t.last_activity_at or t.created_at or self.world.clock.now(), reverse=True)
        return self._thread_list(threads, req)

    async def joined_archived_threads(self, req: RestRequest) -> Any:
        """GET /channels/{id}/users/@me/threads/archived/private: archived private threads the bot joined.

        Channel resource, "List Joined Private Archived Threads": ordered by id descending, `before` is a
        thread id, needs READ_MESSAGE_HISTORY.
        """
        ch = self.channel(req)
        self.need(ch, "read_message_history")
        before = int(req.query.get("before") or 0)
        threads = sorted(
            (
                t
                for t in self.world.channels.values()
                if t.parent_id == ch.id
                and t.type == ChannelType.PRIVATE_THREAD
                and t.archived
                and self.me in t.thread_members
                and (not before or t.id < before)
            ),
            key=lambda t: t.id,
            reverse=True,
        )
        return self._thread_list(threads, req)

    def _thread_list(self, threads: list[Channel], req: RestRequest) -> dict[str, Any]:
        limit = int(req.query.get("limit") or 50)
        page = threads[:limit]
        return {
            "threads": [payloads.channel(self.world, t) for t in page],
            "members": [
                payloads.thread_member(self.world, t, self.me) for t in page if self.me in t.thread_members
            ],
            "has_more": len(threads) > limit,
        }

    async def join_thread(self, req: RestRequest) -> Any:
        """PUT thread-members/@me."""
        th = self._open_thread(req)
        await self.threads.add_member(th, self.me)
        return None

    async def leave_thread(self, req: RestRequest) -> Any:
        """DELETE thread-members/@me."""
        th = self._open_thread(req)
        await self.threads.remove_member(th, self.me)
        return None

    async def list_thread_members(self, req: RestRequest) -> Any:
        """GET thread-members."""
        th = self._thread(req)
        return [payloads.thread_member(self.world, th, u) for u in th.thread_members]

    async def get_thread_member(self, req: RestRequest) -> Any:
        """GET thread-members/{user}."""
        th = self._thread(req)
        uid = req.int_param("user_id")
        if uid not in th.thread_members:
            raise unknown("member")
        return payloads.thread_member(self.world, th, uid)

    async def add_thread_member(self, req: RestRequest) -> Any:
        """PUT thread-members/{user}."""
        th = self._thread(req)
        uid = req.int_param("user_id")
        guild = self.world.guild_of(th)
        if guild is None or uid not in guild.members:
            raise unknown("member")
        self.need(th, "send_messages_in_threads")
        if th.archived:
            raise bad_request(50083, "Thread is archived")
        if uid != self.me and not self.threads.may_add_members(th, self.me):
            # A thread created with `invitable: false`: only moderators (MANAGE_THREADS) add others.
            raise missing_permissions()
        await self.threads.add_member(th, uid)
        return None

    async def remove_thread_member(self, req: RestRequest) -> Any:
        """DELETE thread-members/{user}."""
        th = self._open_thread(req)
        uid = req.int_param("user_id")
        if uid != self.me and not (th.type == ChannelType.PRIVATE_THREAD and th.owner_id == self.me):
            self.need(th, "manage_threads")
        await self.threads.remove_member(th, uid)
        return None
