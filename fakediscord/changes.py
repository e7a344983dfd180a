"""Change notification: wake test code waiting for the emulator to change; track when the bot was last busy."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any


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

    async def next_change(self, timeout: float) -> bool:  # noqa: ASYNC109 - a caller-facing deadline
        """Wait for the next `notify` or `timeout` seconds; return whether something changed."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        return True

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
