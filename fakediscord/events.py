"""Gateway dispatch: how every service tells the bot that the world changed (and wakes waiting tests)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .changes import Changes
from .gateway import Gateway
from .world import StoredMessage, World


class Events:
    """Send gateway DISPATCHes to the bot (through the one ordered outbox) and wake waiting tests."""

    def __init__(self, world: World, gateway: Gateway, changes: Changes, serving: Callable[[], bool]) -> None:
        self.world = world
        self.gateway = gateway
        self.changes = changes
        self._serving = serving
        self._written: list[Callable[[StoredMessage, bool], Awaitable[None]]] = []

    def on_message_written(self, listener: Callable[[StoredMessage, bool], Awaitable[None]]) -> None:
        """Call `listener(stored, created)` after a non-ephemeral message is created or its content edited."""
        self._written.append(listener)

    def notify(self) -> None:
        """Wake test code waiting for a change."""
        self.changes.notify()

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH to the bot."""
        self.changes.touch()
        await self.gateway.dispatch(event, data)
        self.changes.notify()

    def dispatch_soon(self, event: str, data: dict[str, Any]) -> None:
        """Queue a DISPATCH from synchronous code; it still reaches the bot before anything done later."""
        self.changes.touch()
        if self._serving():
            self.gateway.enqueue(event, data)

    async def message_created(self, stored: StoredMessage) -> None:
        """Dispatch MESSAGE_CREATE unless the message is ephemeral or the bot cannot see the channel."""
        self.changes.notify()
        if stored.ephemeral_for is not None:
            return
        ch = self.world.channels.get(stored.channel_id)
        if ch is None or self.world.can_see(ch, self.world.bot_user.id):
            await self.dispatch("MESSAGE_CREATE", stored.payload)
        for listener in self._written:
            await listener(stored, True)

    async def message_updated(self, stored: StoredMessage, *, content: bool = True) -> None:
        """Dispatch MESSAGE_UPDATE for an edit (ephemerals are never dispatched); `content`: text may have changed."""
        self.changes.notify()
        if stored.ephemeral_for is not None:
            return
        await self.dispatch("MESSAGE_UPDATE", stored.payload)
        if content:
            for listener in self._written:
                await listener(stored, False)
