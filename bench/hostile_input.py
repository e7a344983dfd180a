"""Benchmark: members click "📖 I read it" while a hostile member sends worst-case titles at the longest length.

    .venv/bin/python bench/hostile_input.py [--members 300] [--window 1.0] [--repeat 2] [--catalog 300]

Reuses the machinery of `bench/status_clicks.py` (three processes: emulator, bot, this orchestrator). Each
repeat measures two phases, each against a fresh emulator and bot: **quiet** (only the clicks) and
**hostile** (the same clicks while one member keeps sending `/status set` and `/status who` with the
titles that used to cost the matcher the most, at the options' max_length, against a catalog of long
titles). Reported: the other members' p50/p99 click latency in both phases and their ratio (target
p99 hostile/quiet ≤ 1.5), the bot's largest event-loop stall (its own `LoopLagMonitor`), and how the
hostile member's commands fared. Exits non-zero only for lost work: an unanswered click or a missing status.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import statistics
import string
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from status_clicks import (
    LogCollector,
    Run,
    child_env,
    click_in_batches,
    memory_kb,
    percentile,
    read_json_line,
    stop_process,
    summarise,
    watch_interactions,
    write_results,
)

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
RESULTS = ROOT / "bench" / "results" / "hostile_input.json"
PHASES = ("quiet", "hostile")
HOSTILE = "mallory"
TITLE_MAX = 200  # the title options' max_length (bot.titles.MAX_QUERY)


def hostile_titles(length: int) -> list[str]:
    """Return the inputs that cost the old matcher the most, each `length` characters long."""
    rng = random.Random(12)
    words = " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(1, 3))) for _ in range(length))
    return [
        ("a" + " " * length)[: length - 1] + "b",
        ("x" + " (a)" * length)[:length],
        words[:length],
        ("*_~|`>[x](https://e.example)#:<-" * 10)[:length],
    ]


# -- the bot process ------------------------------------------------------------------------------------
async def serve_bot(args: argparse.Namespace) -> None:
    """Run the real bot (commands synced to the guild) with a catalog of long titles; report when asked."""
    import discord
    from fakediscord import point_discord_py_at

    from bot.client import BookClubBot
    from bot.clock import SystemClock
    from bot.domain import WorkKind
    from bot.services.statuses import status_buttons
    from bot.settings import load_settings
    from bot.store import Database, NewWork, Store
    from bot.ui import BookClubView
    from bot.workers import Workers

    collector = LogCollector()
    logging.getLogger().addHandler(collector)
    logging.getLogger().setLevel(logging.WARNING)
    info = json.loads(args.info)
    point_discord_py_at(info["api_base"], info["gateway_url"])
    guild_id = int(info["guild_id"])
    db_path = Path(args.db_dir) / "bookclub.sqlite3"
    env = {"DISCORD_TOKEN": info["token"], "DATABASE_PATH": str(db_path), "DEV_GUILD_ID": info["guild_id"]}
    settings = load_settings(env)
    db = await Database.open(db_path)
    await db.migrate()
    store = Store.build(db, SystemClock())
    rng = random.Random(7)
    for n in range(args.catalog):
        words = " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(40))
        await store.catalog.add(guild_id, NewWork(WorkKind.BOOK, f"{words[:195]} {n}", "Some Author"))
    work_id = await store.catalog.add(
        guild_id, NewWork(WorkKind.BOOK, "The Lantern Keeper", "Ada Quill", 2021)
    )
    work = await store.catalog.get(guild_id, work_id)
    assert work is not None
    workers = Workers()
    workers.warm()
    client = BookClubBot(settings=settings, store=store, workers=workers)
    view = BookClubView(timeout=None)
    for item in status_buttons(work):
        view.add_item(item)

    async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    client.before_identify_hook = no_wait  # type: ignore[method-assign]
    client._connection.guild_ready_timeout = 0.05
    seen = watch_interactions(client)
    runner = asyncio.create_task(client.start(info["token"]))
    await asyncio.wait_for(client.wait_until_ready(), 60)
    channel = client.get_channel(args.channel_id)
    assert isinstance(channel, discord.TextChannel), channel
    message = await channel.send("Now reading: The Lantern Keeper", view=view)
    client.loop_lag.reset()
    ready = {"event": "ready", "message_id": str(message.id), "custom_id": f"bookclub:status:{work_id}:read"}
    print(json.dumps(ready), flush=True)
    cpu_before = time.process_time()
    command = await asyncio.to_thread(sys.stdin.readline)
    records = await store.statuses.for_work(guild_id, work_id)
    report: dict[str, Any] = {"event": "report", "command": command.strip(), **memory_kb()}
    report |= {"cpu_s": time.process_time() - cpu_before, "received": seen}
    report |= {"log_count": collector.count, "log_first": collector.first}
    report["recorded"] = sum(1 for r in records if r.status.state.value == "read")
    report["max_loop_lag_s"] = client.loop_lag.max_lag
    report["stalls_over_100ms"] = len(client.loop_lag.stalls)
    print(json.dumps(report), flush=True)
    await client.close()
    workers.close()
    await asyncio.wait_for(runner, 10)
    await db.close()


# -- the orchestrator -----------------------------------------------------------------------------------
@dataclass
class Phase:
    """One phase's numbers."""

    phase: str
    repeat: int
    run: Run
    max_loop_lag_ms: float = 0.0
    stalls_over_100ms: int = 0
    hostile_sent: int = 0
    hostile_answered: int = 0
    hostile_p99_ms: float | None = None
    hostile_errors: list[str] = field(default_factory=list)


async def hostile_member(http: aiohttp.ClientSession, control: str, until: float, phase: Phase) -> None:
    """Send worst-case commands one after another until `until` (loop time)."""
    loop = asyncio.get_running_loop()
    inputs = hostile_titles(TITLE_MAX)
    latencies: list[float] = []
    n = 0
    while loop.time() < until:
        title = inputs[n % len(inputs)]
        command, options = (
            ("status set", {"title": title, "state": "read"})
            if n % 2 == 0
            else ("status who", {"title": title})
        )
        body = {"command": command, "options": options, "members": [HOSTILE], "timeout": 10}
        started = time.time()
        async with http.post(control + "slash", json=body) as resp:
            result = await resp.json()
        phase.hostile_sent += 1
        phase.hostile_answered += int(result["ok"])
        phase.hostile_errors += result["errors"][:1]
        latencies.append(time.time() - started)
        n += 1
    found = percentile(latencies, 99)
    phase.hostile_p99_ms = None if found is None else round(found * 1000, 1)


async def measure(phase_name: str, repeat: int, args: argparse.Namespace) -> Phase:
    """Start a fresh emulator and bot, click (with or without the hostile member), and compute the numbers."""
    phase = Phase(phase_name, repeat, Run(phase_name, repeat, args.members))
    emulator_cmd = [sys.executable, "-m", "fakediscord", "--port", "0", "--members", str(args.members)]
    emulator_cmd += ["--no-rate-limits", "--no-validate"]
    emulator = await asyncio.create_subprocess_exec(
        *emulator_cmd, stdout=asyncio.subprocess.PIPE, env=child_env(), cwd=ROOT
    )
    bot: asyncio.subprocess.Process | None = None
    try:
        assert emulator.stdout is not None
        info = await read_json_line(emulator.stdout, 60, "the emulator")
        control = info["control"]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            async with http.get(control + "info") as resp:
                channels = (await resp.json())["channels"]
            channel_id = next(cid for cid, name in channels.items() if name == "general")
            with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
                bot_cmd = [sys.executable, str(SCRIPT), "_bot", "--info", json.dumps(info)]
                bot_cmd += ["--channel-id", channel_id, "--db-dir", tmp, "--catalog", str(args.catalog)]
                bot = await asyncio.create_subprocess_exec(
                    *bot_cmd,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    env=child_env(),
                    cwd=ROOT,
                )
                assert bot.stdout is not None and bot.stdin is not None
                ready = await read_json_line(bot.stdout, 120, "the bot")
                async with http.get(control + "requests", params={"since": "0"}) as resp:
                    before = (await resp.json())["total"]
                names = [f"member{i}" for i in range(args.members)]
                loop = asyncio.get_running_loop()
                hostile = None
                if phase_name == "hostile":
                    until = loop.time() + args.window + 0.5
                    hostile = asyncio.create_task(hostile_member(http, control, until, phase))
                    await asyncio.sleep(0.1)  # the hostile member is already at it when the clicks start
                sent_at, results = await click_in_batches(
                    http, control, ready["message_id"], ready["custom_id"], names, args.window, args.batches
                )
                if hostile is not None:
                    await hostile
                await asyncio.sleep(0.2)
                async with http.get(control + "requests", params={"since": str(before)}) as resp:
                    log = (await resp.json())["requests"]
                bot.stdin.write(b"report\n")
                await bot.stdin.drain()
                report = await read_json_line(bot.stdout, 60, "the bot")
                await asyncio.wait_for(bot.wait(), 20)
    finally:
        if bot is not None:
            await stop_process(bot)
        await stop_process(emulator)
    summarise(phase.run, sent_at, results, log, report)
    phase.max_loop_lag_ms = round(report["max_loop_lag_s"] * 1000, 1)
    phase.stalls_over_100ms = report["stalls_over_100ms"]
    return phase


def summary_of(phases: list[Phase]) -> dict[str, Any]:
    """Median numbers per phase and the median per-repeat hostile/quiet ratio of the members' latency."""
    medians = {}
    for name in PHASES:
        mine = [p for p in phases if p.phase == name]
        medians[name] = {
            "latency_p50_ms": statistics.median(p.run.latency_p50_ms or 0 for p in mine),
            "latency_p99_ms": statistics.median(p.run.latency_p99_ms or 0 for p in mine),
            "max_loop_lag_ms": max(p.max_loop_lag_ms for p in mine),
        }
    ratios = []
    for hostile in (p for p in phases if p.phase == "hostile"):
        quiet = next(p for p in phases if p.phase == "quiet" and p.repeat == hostile.repeat)
        if hostile.run.latency_p99_ms and quiet.run.latency_p99_ms:
            ratios.append(hostile.run.latency_p99_ms / quiet.run.latency_p99_ms)
    return {
        "median": medians,
        "p99_ratio_hostile_over_quiet": round(statistics.median(ratios), 2) if ratios else None,
        "target_ratio": 1.5,
        "largest_loop_stall_ms": max(p.max_loop_lag_ms for p in phases),
    }


def problems_of(phase: Phase, members: int) -> list[str]:
    """Return lost work: clicks nobody answered, statuses not stored (never timing)."""
    found = []
    if phase.run.members_saw_answer != members:
        found.append(
            f"{phase.phase} #{phase.repeat}: {phase.run.members_saw_answer}/{members} clicks answered"
        )
    if phase.run.recorded != members:
        found.append(f"{phase.phase} #{phase.repeat}: {phase.run.recorded}/{members} statuses recorded")
    return found


async def orchestrate(args: argparse.Namespace) -> int:
    """Measure both phases `--repeat` times, print a table, write the JSON; return the exit code."""
    started = datetime.now(UTC)
    phases: list[Phase] = []
    for repeat in range(1, args.repeat + 1):
        for name in PHASES:
            phase = await measure(name, repeat, args)
            phases.append(phase)
            print(
                f"[{name} #{repeat}] members answered {phase.run.members_saw_answer}/{args.members}, "
                f"p50 {phase.run.latency_p50_ms} ms, p99 {phase.run.latency_p99_ms} ms, "
                f"largest loop stall {phase.max_loop_lag_ms} ms ({phase.stalls_over_100ms} over 100 ms)"
                + (
                    f", hostile commands answered {phase.hostile_answered}/{phase.hostile_sent} "
                    f"(p99 {phase.hostile_p99_ms} ms)"
                    if name == "hostile"
                    else ""
                ),
                flush=True,
            )
    summary = summary_of(phases)
    problems = [p for phase in phases for p in problems_of(phase, args.members)]
    print(
        f"\nmembers' p99 hostile/quiet ×{summary['p99_ratio_hostile_over_quiet']} (target ≤ 1.5); "
        f"largest loop stall {summary['largest_loop_stall_ms']} ms"
    )
    result = {
        "benchmark": "hostile_input",
        "command": " ".join([".venv/bin/python", "bench/hostile_input.py", *sys.argv[1:]]),
        "started_at": started.isoformat(),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "params": vars(args) | {"title_max": TITLE_MAX},
        "phases": [asdict(p) for p in phases],
        "summary": summary,
        "ok": not problems,
        "problems": problems,
    }
    return write_results(RESULTS, result, problems)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the orchestrator (or, internally, the bot process)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=300, help="members who click (default 300)")
    parser.add_argument("--window", type=float, default=1.0, help="seconds the clicks are spread over")
    parser.add_argument("--repeat", type=int, default=2, help="measurements of each phase (default 2)")
    parser.add_argument("--batches", type=int, default=50, help="control calls the clicks are split into")
    parser.add_argument("--catalog", type=int, default=300, help="catalog works with 200-character titles")
    sub = parser.add_subparsers(dest="role")
    child = sub.add_parser("_bot", help=argparse.SUPPRESS)
    child.add_argument("--info", required=True)
    child.add_argument("--channel-id", type=int, required=True)
    child.add_argument("--db-dir", required=True)
    child.add_argument("--catalog", type=int, default=300)
    args = parser.parse_args(argv)
    if args.role == "_bot":
        asyncio.run(serve_bot(args))
        return 0
    if args.members < 1 or args.repeat < 1 or args.batches < 1 or args.window < 0 or args.catalog < 0:
        parser.error(
            "--members, --repeat and --batches must be positive; --window and --catalog not negative"
        )
    return asyncio.run(orchestrate(args))


if __name__ == "__main__":
    sys.exit(main())
