"""One process pool for CPU-bound work (import parsing and matching, exports), with a time budget.

Threads share the GIL, so on a small machine a long parse in a thread still slows every click; a
worker process does not. Built once in `__main__` (or by the bot when none is passed) and shared by
every feature: `await bot.workers.run(function, *args, budget=...)`. Functions and arguments must be
picklable (module-level functions, plain data).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_BUDGET = 20.0
"""Seconds a job may take before the member is told it took too long."""
IDLE_STOP = 300.0
"""Seconds without a job after which the worker processes stop; the next job starts them again.

A worker keeps what its jobs imported (the review extractor is ~40 MB): on a small server that memory
should come back once the club stops importing and featuring for a while.
"""


def _exit_with(owner: int) -> None:
    """Worker initializer: exit when the bot process is gone, even if it was SIGKILLed.

    A killed bot cannot stop its workers, and a worker blocked on its job queue would wait forever
    (holding the bot's stdout open), so each worker checks once a second that the bot still runs.
    Ctrl-C in a terminal reaches every process of the group: a worker ignores it and lets the bot shut
    the pool down, instead of printing a KeyboardInterrupt traceback of its own.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # pragma: no cover - the pid was reused by another user's process
                os._exit(0)

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


class WorkTimeout(Exception):
    """A job ran past its time budget; its worker was stopped."""


class Workers:
    """A lazily started process pool; `run` awaits a job without holding the event loop."""

    def __init__(self, max_workers: int = 1, *, idle_stop: float | None = IDLE_STOP) -> None:
        self.max_workers = max_workers
        self.idle_stop = idle_stop
        self._pool: ProcessPoolExecutor | None = None
        self._running = 0  # jobs submitted and not yet finished
        self._idle_timer: asyncio.TimerHandle | None = None

    @property
    def started(self) -> bool:
        """Return whether the worker processes are running (or starting)."""
        return self._pool is not None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver: workers do not inherit the bot's threads (aiosqlite, discord.py's heartbeat).
            context = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(
                max_workers=self.max_workers,
                mp_context=context,
                initializer=_exit_with,
                initargs=(os.getpid(),),
            )
        return self._pool

    def warm(self) -> None:
        """Start the worker processes now, so the first job does not wait for them."""
        self._executor().submit(os.getpid)

    async def run(self, function: Callable[..., T], *args: Any, budget: float = DEFAULT_BUDGET) -> T:
        """Run `function(*args)` in a worker process; raise WorkTimeout after `budget` seconds."""
        loop = asyncio.get_running_loop()
        pool = self._executor()
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        self._running += 1
        try:
            return await asyncio.wait_for(loop.run_in_executor(pool, function, *args), budget)
        except TimeoutError:
            log.warning(
                "%s ran past its %.0f s budget; restarting the worker pool", function.__name__, budget
            )
            self._discard(pool)
            raise WorkTimeout(function.__name__) from None
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the next job gets a fresh pool.
            log.error("Worker pool broke while running %s; restarting it", function.__name__)
            self._discard(pool)
            raise
        finally:
            self._running -= 1
            if self._running == 0 and self.idle_stop is not None and self._pool is not None:
                self._idle_timer = loop.call_later(self.idle_stop, self._stop_idle)

    def _stop_idle(self) -> None:
        self._idle_timer = None
        if self._running == 0 and self._pool is not None:
            log.debug("No worker job for %.0f s; stopping the worker processes", self.idle_stop)
            self._discard(self._pool)

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Stop a pool whose job overran, so the job stops using a core."""
        if self._pool is pool:
            self._pool = None
        # The executor cannot cancel a running job; its processes are stopped directly.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()

    def close(self) -> None:
        """Stop the worker processes (jobs are pure computation: nothing is lost)."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if self._pool is not None:
            self._discard(self._pool)
