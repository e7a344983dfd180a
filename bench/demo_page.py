"""`python -m bot demo`: seconds from the command until the page is served, and the page's update latency.

Start-up: each repeat runs the real command (`python -m bot demo --port 0`) as its own process and times
from spawning it until `GET /` answers 200 on the printed address (emulator, bot, sync, seeding, page).
Update latency: a member's event stream (what the page listens to) is open; another member's page posts a
message in #general through the page's own API; the time until a frame carrying that text arrives on the
stream. Reported, not asserted: only a message that never arrives counts as lost work (exit code 1).
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from _harness import ROOT, bench_parser, child_env, percentile_ms, write_results

ADDRESS = re.compile(rb"serving (http://127\.0\.0\.1:\d+/)")


async def start_demo() -> tuple[asyncio.subprocess.Process, str, float]:
    """Run the command; return the process, its address and the seconds until `/` answered."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        "0",
        cwd=ROOT,
        env=child_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 120)
    found = ADDRESS.search(line)
    if found is None:
        raise RuntimeError(f"the demo printed no address: {line!r}")
    url = found.group(1).decode()
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        response.raise_for_status()
        await response.read()
    return proc, url, time.monotonic() - started


async def stop_demo(proc: asyncio.subprocess.Process) -> None:
    """Stop the demo as Ctrl-C does and reap it."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def update_latencies(url: str, messages: int) -> tuple[list[float], int]:
    """Post `messages` messages as alice; return the seconds until each showed on bob's stream, and losses."""
    latencies: list[float] = []
    lost = 0
    async with aiohttp.ClientSession() as session:
        state = await (await session.get(f"{url}api/m/alice/state")).json()
        general = next(c["id"] for c in state["channels"] if c["name"] == "general")
        async with session.get(f"{url}api/m/bob/events") as stream:
            await stream.content.readline()  # the first frame: the page as it is
            for i in range(messages):
                text = f"bench message {i} {time.monotonic_ns()}"
                sent = time.monotonic()
                async with session.post(
                    f"{url}api/m/alice/act", json={"kind": "say", "channel_id": general, "content": text}
                ) as posted:
                    posted.raise_for_status()
                try:
                    async with asyncio.timeout(10):
                        while text.encode() not in await stream.content.readline():
                            pass
                    latencies.append(time.monotonic() - sent)
                except TimeoutError:
                    lost += 1
    return latencies, lost


async def orchestrate(repeat: int, messages: int) -> int:
    """Measure start-up `repeat` times and the update latency in each run; write the results."""
    started = datetime.now(UTC)
    startups: list[float] = []
    latencies: list[float] = []
    problems: list[str] = []
    for _ in range(repeat):
        proc, url, seconds = await start_demo()
        try:
            startups.append(seconds)
            got, lost = await update_latencies(url, messages)
            latencies += got
            if lost:
                problems.append(f"{lost} of {messages} messages never reached the other member's page")
        finally:
            await stop_demo(proc)
    figures: dict[str, Any] = {
        "startup_seconds": {
            "runs": [round(s, 2) for s in startups],
            "median": round(sorted(startups)[len(startups) // 2], 2),
        },
        "update_latency_ms": {
            "samples": len(latencies),
            "p50": percentile_ms(latencies, 50),
            "p95": percentile_ms(latencies, 95),
            "max": percentile_ms(latencies, 100),
        },
    }
    print(
        f"demo served after {figures['startup_seconds']['median']} s (median of {repeat}); update latency "
        f"p50 {figures['update_latency_ms']['p50']} ms, p95 {figures['update_latency_ms']['p95']} ms"
    )
    return write_results("demo_page", started, problems, **figures)


def main() -> int:
    """Parse the options and run the bench."""
    parser = bench_parser(__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="demo starts measured (default 3)")
    parser.add_argument("--messages", type=int, default=20, help="messages timed per start (default 20)")
    args = parser.parse_args()
    return asyncio.run(orchestrate(args.repeat, args.messages))


if __name__ == "__main__":
    sys.exit(main())
