"""Notice when something holds the event loop: every click and command in every club waits meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

log = logging.getLogger(__name__)

STALL_THRESHOLD = 0.1
"""A tick later than this (seconds) is a stall worth reporting."""


class LoopLagMonitor:
    """Wake every `interval` seconds and record how late each wake-up was, logging stalls."""

    def __init__(self, *, interval: float = 0.05, threshold: float = STALL_THRESHOLD) -> None:
        self.interval = interval
        self.threshold = threshold
        self.stalls: list[float] = []
        self.max_lag = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def max_stall(self) -> float:
        """Return the longest stall seen (0 when none passed the threshold)."""
        return max(self.stalls, default=0.0)

    def start(self) -> None:
        """Start watching the running loop (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="loop-lag-monitor")

    async def stop(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def reset(self) -> None:
        """Forget what was seen so far (a bench or test measures one phase at a time)."""
        self.stalls.clear()
        self.max_lag = 0.0

    async def _watch(self) -> None:
        while True:
            expected = time.perf_counter() + self.interval
            await asyncio.sleep(self.interval)
            lag = time.perf_counter() - expected
            self.max_lag = max(self.max_lag, lag)
            if lag > self.threshold:
                self.stalls.append(lag)
                log.debug("Event loop stalled for %.0f ms", lag * 1000)
