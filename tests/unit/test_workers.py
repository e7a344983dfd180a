"""The shared worker pool: jobs run in another process, and one that overruns its budget is stopped."""

from __future__ import annotations

import asyncio
import math
import os
import time

import pytest

from bot.looplag import LoopLagMonitor
from bot.workers import Workers, WorkTimeout


async def test_runs_a_job_in_another_process() -> None:
    workers = Workers()
    try:
        assert await workers.run(math.factorial, 20) == 2432902008176640000
        assert await workers.run(os.getpid) != os.getpid()
    finally:
        workers.close()


async def test_a_job_past_its_budget_is_stopped_and_the_pool_recovers() -> None:
    workers = Workers()
    try:
        with pytest.raises(WorkTimeout):
            await workers.run(time.sleep, 30, budget=0.5)
        assert await workers.run(math.factorial, 5) == 120
    finally:
        workers.close()


async def test_idle_workers_stop_and_the_next_job_starts_them_again() -> None:
    workers = Workers(idle_stop=0.3)
    try:
        first = await workers.run(os.getpid)
        await asyncio.sleep(0.1)
        assert workers.started and await workers.run(os.getpid) == first  # busy again: kept
        await asyncio.sleep(0.6)
        assert not workers.started
        for _ in range(50):  # its memory goes back to the machine once the process is reaped
            try:
                os.kill(first, 0)
            except ProcessLookupError:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the idle worker process is still running")
        assert await workers.run(math.factorial, 5) == 120
        assert workers.started
    finally:
        workers.close()


async def test_lag_monitor_reports_a_blocked_loop() -> None:
    monitor = LoopLagMonitor(interval=0.01, threshold=0.1)
    monitor.start()
    await asyncio.sleep(0.05)
    time.sleep(0.3)  # noqa: ASYNC251 - holding the loop is the point: what the old matcher did
    await asyncio.sleep(0.05)
    await monitor.stop()
    assert monitor.max_stall >= 0.2
    monitor.reset()
    assert monitor.max_stall == 0.0
