"""Change notification and gateway dispatch: what every service uses to tell the bot and the tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .world import StoredMessage, World

if TYPE_CHECKING:
    from .gateway import Gateway


class Changes:
    """Wake test code waiting for the emulator to change, and track when the bot was last busy."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self.inflight = 0
        self.last_activity = time.monotonic()

    def touch(self) -> None:
        """Record activity now (a request or a dispatch)."""
        self.last_activity = time.monotonic()

    def notify(self) -> None:
        """Wake everybody waiting in `wait_until`."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        *,
        timeout: float = 3.0,  # noqa: ASYNC109 - a test-facing deadline
        what: str = "a condition",
    ) -> Any:
        """Wait until `predicate()` is truthy (re-checked after every change); return its value."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = end - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    async def settle(self, quiet: float = 0.02, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a test-facing deadline
        """Wait until no REST call is in flight and nothing happened for `quiet` seconds."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        await asyncio.sleep(0)
        while loop.time() < end:
            idle_for = time.monotonic() - self.last_activity
            if self.inflight == 0 and idle_for >= quiet:
                return
            await asyncio.sleep(max(quiet - idle_for, 0.005))


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
