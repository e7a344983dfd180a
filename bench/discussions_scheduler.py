"""Benchmark: 1,000 discussions across 100 guilds open on time, and the bot idles at near-zero CPU between them.

    .venv/bin/python bench/discussions_scheduler.py [--guilds 100] [--per-guild 10] [--window 10] [--idle 3]

Three kinds of process, so nothing shares the bot's event loop: the emulator (this file with `_emulator`: a
fakediscord server holding `--guilds` guilds, each with an announcement and a discussion channel, rate limits
and validation off), the bot under test (this file with `_bot`), and this orchestrator. The bot seeds its
SQLite file with `--per-guild` discussions per guild, due evenly over `--window` seconds starting after an
idle period, and lets the real scheduler open them (threads, first messages, announcements: all through the
emulator). The baseline is a bare discord.py client connected to an identical emulator, which idles and fires
the same due times with `loop.call_at`, the least any asyncio program can do.

Reported for each bot: how late each due item started (the scheduler has no tick: it sleeps until the next
due time, so "within one tick" is read as "within one second", the resolution of Discord's timestamps), how
late each discussion was open (thread and first message posted), and the bot's CPU while idle before and
after the burst, against the baseline idling in the same run. Exits non-zero only when a discussion did not
open (lost work), never for timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _harness as harness

SCRIPT = Path(__file__).resolve()
TICK_S = 1.0


# -- the emulator process -------------------------------------------------------------------------------
async def serve_emulator(args: argparse.Namespace) -> None:
    """Serve an emulator with `--guilds` guilds, print their channel ids as one JSON line, run until SIGTERM."""
    from fakediscord import FakeDiscord

    club = FakeDiscord(rate_limits=False, validate=False)
    guilds = [club.guild] + [club.add_guild(f"Club {i}") for i in range(1, args.guilds)]
    layout = []
    for guild in guilds:
        announcements = club.text_channel("announcements", guild=guild)
        talk = club.text_channel("book-talk", guild=guild)
        layout.append({"guild_id": guild.id, "announcements": announcements.id, "discussions": talk.id})
    await club.listen("127.0.0.1", 0)
    info = {"token": club.token, "api_base": club.api_base, "gateway_url": club.gateway_url, "guilds": layout}
    print(json.dumps(info), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await club.stop()


# -- the bot process ------------------------------------------------------------------------------------
def process_cpu() -> float:
    """Return this process's CPU seconds (all threads: the event loop and aiosqlite's)."""
    return time.process_time()


async def idle_cpu(seconds: float) -> float:
    """Return the fraction of one core this process used while doing nothing for `seconds`."""
    before, started = process_cpu(), time.perf_counter()
    await asyncio.sleep(seconds)
    return (process_cpu() - before) / (time.perf_counter() - started)


async def seed_discussions(
    client: Any, layout: list[dict[str, int]], per_guild: int, first_due: datetime, window: float
) -> list[int]:
    """Store `per_guild` discussions per guild, due evenly over `window` seconds; schedule their openings."""
    from bot.domain import WorkKind
    from bot.spoilers import BookUpTo
    from bot.store import NewDiscussion, NewWork

    store = client.store
    total = len(layout) * per_guild
    step = window / max(1, total - 1)
    ids = []
    for g_index, guild in enumerate(layout):
        gid = guild["guild_id"]
        await store.guilds.update(
            gid, announcement_channel_id=guild["announcements"], discussion_channel_id=guild["discussions"]
        )
        book = await store.catalog.add(
            gid, NewWork(WorkKind.BOOK, "The Lantern Keeper", "Ada Quill", 2021, chapters=30)
        )
        items = []
        for k in range(per_guild):
            due = first_due + timedelta(seconds=(k * len(layout) + g_index) * step)
            items.append(
                NewDiscussion(
                    book, BookUpTo(book, chapter=k + 1), "The Lantern Keeper", due, due + timedelta(hours=2)
                )
            )
        for d in await store.discussions.create_many(gid, items):
            await client.scheduler.schedule(
                gid, "discussion.open", key=str(d.id), due_at=d.opens_at, payload={"discussion_id": d.id}
            )
            ids.append(d.id)
    return ids


async def serve_bot(args: argparse.Namespace) -> None:
    """Run one bot against the emulator; print a ready line, then a report once every due item fired."""
    side = harness.BotSide(args.info)
    layout: list[dict[str, int]] = side.info["guilds"]
    total = len(layout) * args.per_guild
    started: list[float] = []  # lateness (s) of each due item's start
    finished: list[float] = []  # lateness (s) of each discussion being open
    if args.kind == "baseline":
        from baseline_bot import BareBot

        client: Any = BareBot()
    else:
        from bot.client import BookClubBot

        settings, store = await side.open_store(args.db_dir)
        client = BookClubBot(settings=settings, store=store)

    await side.connect(client, timeout=60)
    all_done = asyncio.Event()

    if args.kind == "baseline":
        loop = asyncio.get_running_loop()
        first_due_loop = loop.time() + args.idle + 1.0
        step = args.window / max(1, total - 1)

        def fire(due: float) -> None:
            started.append(loop.time() - due)
            finished.append(loop.time() - due)
            if len(started) == total:
                all_done.set()

        for i in range(total):
            due = first_due_loop + i * step
            loop.call_at(due, fire, due)
    else:
        from bot.store.timers import Timer

        seed_started = time.perf_counter()
        first_due = datetime.now(UTC) + timedelta(seconds=args.idle + 1.0 + args.seed_allowance)
        await seed_discussions(client, layout, args.per_guild, first_due, args.window)
        seed_s = time.perf_counter() - seed_started
        cog = client.get_cog("DiscussionCog")
        real_open = cog.runner.open_from_timer

        async def timed_open(timer: Timer) -> None:
            started.append((datetime.now(UTC) - timer.due_at).total_seconds())
            await real_open(timer)
            finished.append((datetime.now(UTC) - timer.due_at).total_seconds())
            if len(finished) == total:
                all_done.set()

        client.scheduler.off("discussion.open")
        client.scheduler.on("discussion.open", timed_open, late="run")
        # Sleep until just before the burst, so the idle measurement below ends before it starts.
        await asyncio.sleep(max(0.0, (first_due - datetime.now(UTC)).total_seconds() - args.idle - 0.5))
    side.say("ready")
    idle_before = await idle_cpu(args.idle)
    burst_cpu = process_cpu()
    burst_started = time.perf_counter()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_done.wait(), args.window + 120)
    burst_s = time.perf_counter() - burst_started
    burst_cpu = process_cpu() - burst_cpu
    await asyncio.sleep(1.0)  # let the last announcements land before measuring idle again
    idle_after = await idle_cpu(args.idle)
    report: dict[str, Any] = {
        "due": total,
        "fired": len(started),
        "start_late_s": started,
        "open_late_s": finished,
        "idle_cpu_before": idle_before,
        "idle_cpu_after": idle_after,
        "burst_cpu_s": burst_cpu,
        "burst_s": burst_s,
    }
    if args.kind == "bookclub":
        report["seed_s"] = seed_s
        report["opened"] = await side.count(
            "SELECT COUNT(*) FROM discussions WHERE state = 'open' AND thread_id IS NOT NULL"
        )
        report["timers_left"] = await side.count("SELECT COUNT(*) FROM timers")
    side.report(**report)
    await side.close(timeout=20)


# -- the orchestrator -----------------------------------------------------------------------------------
async def measure(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """Start a fresh emulator and one bot; return the bot's report with the emulator's CPU added."""
    emulator_cmd = [sys.executable, str(SCRIPT), "_emulator", "--guilds", str(args.guilds)]
    async with harness.Emulator.start(command=emulator_cmd) as emulator:
        bot_args = ["--kind", kind, "--per-guild", str(args.per_guild), "--window", str(args.window)]
        bot_args += ["--idle", str(args.idle), "--seed-allowance", str(args.seed_allowance)]
        async with harness.BotProcess.start(
            SCRIPT, emulator, *bot_args, what=f"the {kind} bot", exit_timeout=30
        ) as bot:
            await bot.line(timeout=120)
            emulator_cpu = emulator.cpu_seconds()
            report = await bot.line(timeout=args.window + args.idle * 2 + 240)
            report["emulator_cpu_s"] = emulator.cpu_seconds() - emulator_cpu
    return report


def summarise(kind: str, report: dict[str, Any]) -> dict[str, Any]:
    """Reduce a bot's report to the figures the table shows."""
    ms = harness.percentile_ms
    start, opened = report["start_late_s"], report["open_late_s"]
    return {
        "kind": kind,
        "due": report["due"],
        "fired": report["fired"],
        "opened": report.get("opened", report["fired"]),
        "fired_within_tick": sum(1 for s in start if s <= TICK_S),
        "start_late_p50_ms": ms(start, 50),
        "start_late_p99_ms": ms(start, 99),
        "start_late_max_ms": ms(start, 100),
        "open_late_p50_ms": ms(opened, 50),
        "open_late_p99_ms": ms(opened, 99),
        "open_late_max_ms": ms(opened, 100),
        "idle_cpu_before_pct": round(report["idle_cpu_before"] * 100, 2),
        "idle_cpu_after_pct": round(report["idle_cpu_after"] * 100, 2),
        "burst_cpu_s": round(report["burst_cpu_s"], 2),
        "emulator_cpu_s": round(report["emulator_cpu_s"], 2),
        "peak_rss_mb": round(report["peak_rss_kb"] / 1024, 1),
        "timers_left": report.get("timers_left"),
        "seed_s": round(report["seed_s"], 1) if "seed_s" in report else None,
        "warnings": report["log_count"],
        "log_first": report["log_first"],
    }


def table(rows: list[dict[str, Any]]) -> str:
    """Render the two bots side by side."""
    keys = [k for k in rows[0] if k != "log_first"]
    width = max(len(k) for k in keys)
    lines = [f"{'':{width}}  " + "  ".join(f"{r['kind']:>12}" for r in rows)]
    for key in keys[1:]:
        lines.append(f"{key:{width}}  " + "  ".join(f"{r[key]!s:>12}" for r in rows))
    return "\n".join(lines)


async def orchestrate(args: argparse.Namespace) -> int:
    """Measure the baseline then the bot, print and save the comparison; non-zero only for lost work."""
    began = datetime.now(UTC)
    rows = []
    for kind in harness.KINDS:
        report = await measure(kind, args)
        rows.append(summarise(kind, report))
        print(f"[{kind}] fired {rows[-1]['fired']}/{rows[-1]['due']}", flush=True)
    base, real = rows
    ratios = {
        "idle_cpu_after": harness.ratio(real["idle_cpu_after_pct"], base["idle_cpu_after_pct"]),
        "idle_cpu_before": harness.ratio(real["idle_cpu_before_pct"], base["idle_cpu_before_pct"]),
    }
    print()
    print(table(rows))
    print(
        f"\nbookclub/baseline idle CPU: before the burst ×{ratios['idle_cpu_before']}, after ×{ratios['idle_cpu_after']}"
    )
    problems = []
    if real["opened"] != real["due"] or real["fired"] != real["due"]:
        problems.append(f"bookclub opened {real['opened']}/{real['due']} discussions (fired {real['fired']})")
    if real["timers_left"]:
        problems.append(f"bookclub left {real['timers_left']} opening timers unrun")
    params = {
        "guilds": args.guilds,
        "per_guild": args.per_guild,
        "window_s": args.window,
        "idle_s": args.idle,
        "tick_s": TICK_S,
    }
    return harness.write_results(
        "discussions_scheduler",
        began,
        problems,
        params=params,
        runs=rows,
        ratio_bookclub_over_baseline=ratios,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the orchestrator (or, internally, the emulator or one bot)."""
    parser = harness.bench_parser(__doc__)
    parser.add_argument("--guilds", type=int, default=100, help="guilds (default 100)")
    parser.add_argument("--per-guild", type=int, default=10, help="discussions per guild (default 10)")
    parser.add_argument("--window", type=float, default=10.0, help="seconds the due times spread over")
    parser.add_argument("--idle", type=float, default=3.0, help="seconds of idle measured before and after")
    parser.add_argument("--seed-allowance", type=float, default=10.0, help="seconds the bot may take to seed")
    roles = parser.add_subparsers(dest="role")
    roles.add_parser("_emulator", help=argparse.SUPPRESS).add_argument("--guilds", type=int, required=True)
    child = harness.add_bot_command(roles, channel=False)
    child.add_argument("--per-guild", type=int, required=True)
    for option in ("--window", "--idle", "--seed-allowance"):
        child.add_argument(option, type=float, required=True)
    args = parser.parse_args(argv)
    if args.role == "_emulator":
        asyncio.run(serve_emulator(args))
        return 0
    if args.role is None and (args.guilds < 1 or args.per_guild < 1 or args.window < 0 or args.idle <= 0):
        parser.error("--guilds and --per-guild must be positive, --window not negative, --idle positive")
    return harness.run_role(args, orchestrate, serve_bot)


if __name__ == "__main__":
    sys.exit(main())
