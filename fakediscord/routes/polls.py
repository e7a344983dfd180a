"""REST routes for polls: answer voters and ending a poll early."""

from __future__ import annotations

from typing import Any

from .. import payloads
from ..errors import bad_request, missing_permissions, unknown
from ..polls import PollService
from ..routing import RestRequest, Router
from ..world import World
from .base import RouteBase


class PollRoutes(RouteBase):
    """Serve /channels/{id}/polls/{message_id}/...."""

    def __init__(self, world: World, polls: PollService) -> None:
        super().__init__(world)
        self.polls = polls

    def register(self, router: Router) -> None:
        """Add these routes to `router`."""
        r = router.add
        r("GET", "/channels/{channel_id}/polls/{message_id}/answers/{answer_id}", self.poll_voters)
        r("POST", "/channels/{channel_id}/polls/{message_id}/expire", self.expire_poll)

    async def poll_voters(self, req: RestRequest) -> Any:
        """GET voters for one poll answer."""
        ch = self.channel(req)
        m = self.message(req, ch)
        if m.poll is None:
            raise unknown("poll")
        aid = req.int_param("answer_id")
        after = int(req.query.get("after", 0))
        limit = int(req.query.get("limit", 25))
        voters = [u for u in m.poll.votes.get(aid, []) if u > after]
        return {"users": [payloads.user(self.world.users[u]) for u in sorted(voters)[:limit]]}

    async def expire_poll(self, req: RestRequest) -> Any:
        """POST expire: end the poll now (author only)."""
        ch = self.channel(req)
        m = self.message(req, ch)
        if m.poll is None:
            # Opcodes and Status Codes, JSON error codes: 520006 "Cannot expire a non-poll message".
            raise bad_request(520006, "Cannot expire a non-poll message")
        if int(m.payload["author"]["id"]) != self.me:
            raise missing_permissions()
        if m.poll.finalized:
            raise bad_request(520001, "Poll has already ended")
        await self.polls.finalize(m)
        return m.payload
