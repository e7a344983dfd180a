"""Poll lifecycle: ending a poll (on expiry or on request) with the final counts and the result message."""

from __future__ import annotations

from datetime import datetime

from . import payloads
from .events import Events
from .messages import MessageService
from .world import StoredMessage, World


class PollService:
    """End polls: final counts in a MESSAGE_UPDATE, then the POLL_RESULT system message."""

    def __init__(self, world: World, events: Events, messages: MessageService) -> None:
        self.world = world
        self.events = events
        self.messages = messages

    async def expire_due(self, now: datetime) -> None:
        """End every poll whose expiry has passed."""
        for stored in self.world.poll_messages_due(now):
            await self.finalize(stored)

    async def finalize(self, stored: StoredMessage) -> None:
        """End a poll: final counts in a MESSAGE_UPDATE, then the POLL_RESULT system message."""
        assert stored.poll is not None
        stored.poll.finalized = True
        now = self.world.clock.now()
        if stored.poll.expiry > now:
            stored.poll.expiry = now
            stored.payload["poll"]["expiry"] = payloads.iso(now)
        self.messages.refresh_poll(stored)
        await self.events.dispatch("MESSAGE_UPDATE", stored.payload)
        channel = self.world.channels[stored.channel_id]
        counts = stored.poll.counts()
        total = sum(c["count"] for c in counts)
        best = max(counts, key=lambda c: c["count"]) if counts else None
        fields = [
            {
                "name": "poll_question_text",
                "value": stored.payload["poll"]["question"].get("text", ""),
                "inline": False,
            },
            {"name": "total_votes", "value": str(total), "inline": False},
        ]
        if best and best["count"] and sum(1 for c in counts if c["count"] == best["count"]) == 1:
            answer = next(a for a in stored.payload["poll"]["answers"] if a["answer_id"] == best["id"])
            fields += [
                {"name": "victor_answer_id", "value": str(best["id"]), "inline": False},
                {
                    "name": "victor_answer_text",
                    "value": answer["poll_media"].get("text", ""),
                    "inline": False,
                },
                {"name": "victor_answer_votes", "value": str(best["count"]), "inline": False},
            ]
        result = self.messages.build(
            channel,
            int(stored.payload["author"]["id"]),
            {
                "embeds": [{"type": "poll_result", "fields": fields}],
                "message_reference": {"message_id": str(stored.id), "channel_id": str(channel.id), "type": 0},
            },
            extra={"type": 46},
        )
        await self.events.message_created(result)
