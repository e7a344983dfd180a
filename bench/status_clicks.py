"""Benchmark: N members click "📖 I read it" within a window, against the real bot and a bare discord.py bot.

    .venv/bin/python bench/status_clicks.py [--members 1000] [--window 1.0] [--repeat 3]

Three kinds of process per measurement, so the load generator never shares the bot's event loop:
the emulator (`python -m fakediscord`, its own process, rate limits off), the bot under test (this file
with `_bot`, its own process), and this orchestrator, which only times and sends the click batches to the
emulator's control API and reads its request log afterwards. Each bot gets a fresh emulator; the two bots
alternate within every repeat, so each ratio compares measurements taken minutes apart on the same machine.

Latency of a click = the emulator receiving the bot's interaction callback minus the orchestrator sending the
batch holding that click (both `time.time()` on one machine). Exits non-zero when a click was not answered
or, for the real bot, a status is missing from SQLite; timing is reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
RESULTS = ROOT / "bench" / "results" / "status_clicks.json"
DEADLINE = 3.0  # seconds Discord gives a bot to answer an interaction
KINDS = ("baseline", "bookclub")
CALLBACK = re.compile(r"^/interactions/(\d+)/[^/]+/callback$")
WORK = ("The Lantern Keeper", "Ada Quill", 2021, 30)


def child_env() -> dict[str, str]:
    """Return the environment for child processes: the repo and the emulator importable."""
    paths = [str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Return the nearest-rank percentile, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


# -- the bot process ------------------------------------------------------------------------------------
class LogCollector(logging.Handler):
    """Keeps the bot's warnings and errors (10062s, SQLite errors, failed interactions) for the report."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.first) < 5:
            text = f"{record.levelname} {record.name}: {record.getMessage()}"
            if record.exc_info and record.exc_info[1] is not None:
                text += f" [{type(record.exc_info[1]).__name__}: {record.exc_info[1]}]"
            self.first.append(text)


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time another process used so far (Linux only; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kb() -> dict[str, int]:
    """Return this process's resident set size now and at its peak, in KiB (Linux only)."""
    found: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return {"rss_kb": found.get("VmRSS", 0), "peak_rss_kb": found.get("VmHWM", 0)}


def watch_interactions(client: Any) -> dict[str, tuple[str, float]]:
    """Note when each INTERACTION_CREATE reaches the bot, and who clicked, without adding a task per event."""
    seen: dict[str, tuple[str, float]] = {}
    parsers = client._connection.parsers
    parse = parsers["INTERACTION_CREATE"]

    def parse_and_note(data: dict[str, Any]) -> None:
        user = (data.get("member") or {}).get("user") or data.get("user") or {}
        seen[data["id"]] = (user.get("username", "?"), time.time())
        parse(data)

    parsers["INTERACTION_CREATE"] = parse_and_note
    return seen


async def serve_bot(args: argparse.Namespace) -> None:
    """Run one bot against the emulator, post the button, then report what it saw when asked."""
    import cProfile
    import pstats

    import discord
    from fakediscord import point_discord_py_at

    # Collect warnings and errors instead of printing them: stdout carries the JSON lines.
    collector = LogCollector()
    logging.getLogger().addHandler(collector)
    logging.getLogger().setLevel(logging.WARNING)
    info = json.loads(args.info)
    point_discord_py_at(info["api_base"], info["gateway_url"])
    guild_id = int(info["guild_id"])
    store = None
    started = time.perf_counter()
    if args.kind == "baseline":
        from baseline_bot import BareBot, read_view

        client: discord.Client = BareBot()
        work_id = 1
        view = read_view(work_id)
    else:
        from bot.client import BookClubBot
        from bot.clock import SystemClock
        from bot.domain import WorkKind
        from bot.services.statuses import status_buttons
        from bot.settings import load_settings
        from bot.store import Database, NewWork, Store
        from bot.ui import BookClubView

        db_path = Path(args.db_dir) / "bookclub.sqlite3"
        settings = load_settings({"DISCORD_TOKEN": info["token"], "DATABASE_PATH": str(db_path)})
        db = await Database.open(db_path)
        await db.migrate()
        store = Store.build(db, SystemClock())
        title, author, year, chapters = WORK
        work_id = await store.catalog.add(
            guild_id, NewWork(WorkKind.BOOK, title, author, year, chapters=chapters)
        )
        work = await store.catalog.get(guild_id, work_id)
        assert work is not None
        client = BookClubBot(settings=settings, store=store)
        view = BookClubView(timeout=None)
        for item in status_buttons(work):
            view.add_item(item)

    async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    # Real Discord needs these waits; the emulator does not (same speed-ups as the e2e tests).
    client.before_identify_hook = no_wait  # type: ignore[method-assign]
    client._connection.guild_ready_timeout = 0.05
    seen = watch_interactions(client)
    runner = asyncio.create_task(client.start(info["token"]))
    await asyncio.wait_for(client.wait_until_ready(), 30)
    channel = client.get_channel(args.channel_id)
    assert isinstance(channel, discord.TextChannel), channel
    message = await channel.send(
        "**Now reading: The Lantern Keeper** — tell the club when you finish.", view=view
    )
    custom_id = f"bookclub:status:{work_id}:read"
    ready: dict[str, object] = {"event": "ready", "message_id": str(message.id), "custom_id": custom_id}
    ready |= {"startup_s": time.perf_counter() - started, **memory_kb()}
    print(json.dumps(ready), flush=True)

    profile = cProfile.Profile() if args.profile_dir else None
    if profile is not None:
        profile.enable()
    cpu_before = time.process_time()  # the whole process: event loop and aiosqlite's thread
    command = await asyncio.to_thread(sys.stdin.readline)
    cpu_s = time.process_time() - cpu_before
    if profile is not None:
        profile.disable()
    report: dict[str, Any] = {"event": "report", "command": command.strip(), "cpu_s": cpu_s, **memory_kb()}
    report |= {"log_count": collector.count, "log_first": collector.first, "received": seen}
    if store is not None:
        records = await store.statuses.for_work(guild_id, work_id)
        report["recorded"] = sum(1 for r in records if r.status.state.value == "read")
        rows = await store.db.fetch_one(
            "SELECT COUNT(*) FROM status_history WHERE guild_id = ? AND work_id = ?", (guild_id, work_id)
        )
        report["history_rows"] = int(rows[0]) if rows else 0
    if profile is not None:
        out = Path(args.profile_dir) / f"status_clicks.{args.kind}.pstats"
        profile.dump_stats(out)
        stats = pstats.Stats(profile)
        report["profile"] = str(out)
        report["profile_total_s"] = stats.total_tt  # type: ignore[attr-defined]
    print(json.dumps(report), flush=True)
    await client.close()
    await asyncio.wait_for(runner, 10)
    if store is not None:
        await store.db.close()


# -- the orchestrator -----------------------------------------------------------------------------------
@dataclass
class Run:
    """One bot's measurement against one fresh emulator."""

    kind: str
    repeat: int
    members: int
    clicks_sent: int = 0
    answered: int = 0  # callbacks the emulator accepted (it refuses those after its 3 s deadline with 10062)
    within_deadline: int = 0  # accepted and ≤ 3 s after the click by our clock
    late_10062: int = 0
    other_callback_errors: int = 0
    members_saw_answer: int = 0  # what the control API's click calls reported
    click_errors: list[str] = field(default_factory=list)
    recorded: int | None = None  # SQLite statuses 'read' for the work (real bot only)
    history_rows: int | None = None
    send_spread_s: float = 0.0  # first to last batch actually sent
    duration_s: float = 0.0  # first click sent → last answer received
    throughput_per_s: float = 0.0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    latency_max_ms: float | None = None
    delivery_p50_ms: float | None = None  # click sent → INTERACTION_CREATE parsed by the bot
    delivery_p99_ms: float | None = None
    handling_p50_ms: float | None = None  # bot parsed it → emulator got the callback
    handling_p99_ms: float | None = None
    bot_cpu_s: float = 0.0  # CPU the bot process used while the clicks came in
    bot_cpu_ms_per_click: float = 0.0
    emulator_cpu_s: float = 0.0  # CPU the emulator (the load generator) used meanwhile
    emulator_busy: float = 0.0  # emulator CPU / duration: near 1.0 means the emulator was the bottleneck
    bot_rss_mb: float = 0.0
    bot_peak_rss_mb: float = 0.0
    bot_startup_s: float = 0.0
    bot_log_warnings: int = 0
    bot_log_first: list[str] = field(default_factory=list)
    profile: str | None = None


async def read_json_line(stream: asyncio.StreamReader, timeout: float, what: str) -> dict[str, Any]:  # noqa: ASYNC109 - a child's start-up deadline
    """Read the next JSON line a child prints, skipping anything else."""
    end = time.monotonic() + timeout
    while True:
        line = await asyncio.wait_for(stream.readline(), max(0.1, end - time.monotonic()))
        if not line:
            raise RuntimeError(f"{what} exited before printing its JSON line")
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict):
                return value


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    """Terminate a child we started and reap it."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def click_in_batches(
    http: aiohttp.ClientSession,
    control: str,
    message_id: str,
    custom_id: str,
    names: list[str],
    window: float,
    batches: int,
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Send the clicks as `batches` control calls evenly spread over `window`; return when each name was sent."""
    size = math.ceil(len(names) / batches)
    groups = [names[i : i + size] for i in range(0, len(names), size)]
    sent_at: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(i: int, group: list[str]) -> dict[str, Any]:
        await asyncio.sleep(max(0.0, start + i * window / len(groups) - loop.time()))
        now = time.time()
        sent_at.update(dict.fromkeys(group, now))
        body = {"message_id": message_id, "button": custom_id, "members": group, "timeout": 10}
        async with http.post(control + "click", json=body) as resp:
            resp.raise_for_status()
            result: dict[str, Any] = await resp.json()
            return result

    results = await asyncio.gather(*(one(i, g) for i, g in enumerate(groups)))
    return sent_at, list(results)


async def measure(kind: str, repeat: int, args: argparse.Namespace) -> Run:
    """Start a fresh emulator and the bot, click, and compute the numbers."""
    run = Run(kind, repeat, args.members)
    emulator_cmd = [sys.executable, "-m", "fakediscord", "--port", "0", "--members", str(args.members)]
    emulator_cmd += ["--no-rate-limits"] + ([] if args.validate else ["--no-validate"])
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
            with tempfile.TemporaryDirectory(prefix="bench-status-") as tmp:
                bot_cmd = [sys.executable, str(SCRIPT), "_bot", "--kind", kind]
                bot_cmd += ["--info", json.dumps(info), "--channel-id", channel_id, "--db-dir", tmp]
                if args.profile:
                    bot_cmd += ["--profile-dir", str(RESULTS.parent)]
                bot = await asyncio.create_subprocess_exec(
                    *bot_cmd,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    env=child_env(),
                    cwd=ROOT,
                )
                assert bot.stdout is not None and bot.stdin is not None
                ready = await read_json_line(bot.stdout, 60, f"the {kind} bot")
                run.bot_startup_s = ready["startup_s"]
                async with http.get(control + "requests", params={"since": "0"}) as resp:
                    before = (await resp.json())["total"]
                names = [f"member{i}" for i in range(args.members)]
                emulator_cpu = cpu_seconds(emulator.pid)
                sent_at, results = await click_in_batches(
                    http, control, ready["message_id"], ready["custom_id"], names, args.window, args.batches
                )
                run.emulator_cpu_s = round(cpu_seconds(emulator.pid) - emulator_cpu, 2)
                await asyncio.sleep(0.2)  # let stray late callbacks land in the log
                async with http.get(control + "requests", params={"since": str(before)}) as resp:
                    log = (await resp.json())["requests"]
                bot.stdin.write(b"report\n")
                await bot.stdin.drain()
                report = await read_json_line(bot.stdout, 60, f"the {kind} bot")
                await asyncio.wait_for(bot.wait(), 20)
    finally:
        if bot is not None:
            await stop_process(bot)
        await stop_process(emulator)
    summarise(run, sent_at, results, log, report)
    return run


def summarise(
    run: Run,
    sent_at: dict[str, float],
    results: list[dict[str, Any]],
    log: list[dict[str, Any]],
    report: dict[str, Any],
) -> None:
    """Fill `run` from what was sent, the emulator's request log and the bot's report."""
    received: dict[str, list[Any]] = report["received"]
    run.clicks_sent = len(sent_at)
    run.members_saw_answer = sum(int(r["ok"]) for r in results)
    run.click_errors = [e for r in results for e in r["errors"]][:5]
    latencies: list[float] = []
    delivery: list[float] = []
    handling: list[float] = []
    answered_at: list[float] = []
    for entry in log:
        match = CALLBACK.match(entry["path"])
        if entry["method"] != "POST" or match is None:
            continue
        if entry["status"] == 404:
            run.late_10062 += 1
            continue
        if entry["status"] >= 300:
            run.other_callback_errors += 1
            continue
        run.answered += 1
        answered_at.append(entry["time"])
        seen = received.get(match.group(1))
        if seen is None or seen[0] not in sent_at:
            continue
        name, parsed_at = seen
        latency = entry["time"] - sent_at[name]
        latencies.append(latency)
        delivery.append(parsed_at - sent_at[name])
        handling.append(entry["time"] - parsed_at)
        if latency <= DEADLINE:
            run.within_deadline += 1

    def ms(values: list[float], pct: float) -> float | None:
        found = percentile(values, pct)
        return None if found is None else round(found * 1000, 1)

    first = min(sent_at.values())
    run.send_spread_s = round(max(sent_at.values()) - first, 3)
    if answered_at:
        run.duration_s = round(max(answered_at) - first, 3)
        run.throughput_per_s = round(run.answered / run.duration_s, 1) if run.duration_s > 0 else 0.0
    run.latency_p50_ms, run.latency_p99_ms = ms(latencies, 50), ms(latencies, 99)
    run.latency_max_ms = ms(latencies, 100)
    run.delivery_p50_ms, run.delivery_p99_ms = ms(delivery, 50), ms(delivery, 99)
    run.handling_p50_ms, run.handling_p99_ms = ms(handling, 50), ms(handling, 99)
    run.bot_cpu_s = round(report["cpu_s"], 3)
    run.bot_cpu_ms_per_click = round(report["cpu_s"] * 1000 / max(1, run.clicks_sent), 3)
    if run.duration_s > 0:
        run.emulator_busy = round(run.emulator_cpu_s / run.duration_s, 2)
    run.recorded = report.get("recorded")
    run.history_rows = report.get("history_rows")
    run.bot_rss_mb = round(report["rss_kb"] / 1024, 1)
    run.bot_peak_rss_mb = round(report["peak_rss_kb"] / 1024, 1)
    run.bot_log_warnings = report["log_count"]
    run.bot_log_first = report["log_first"]
    run.profile = report.get("profile")


def problems_of(run: Run) -> list[str]:
    """Return what is wrong with a run's correctness (never its timing)."""
    found = []
    if run.answered != run.members or run.members_saw_answer != run.members:
        found.append(
            f"{run.kind} #{run.repeat}: {run.answered}/{run.members} clicks answered "
            f"({run.late_10062} late with 10062, {run.other_callback_errors} other callback errors, "
            f"members saw {run.members_saw_answer}); first errors: {run.click_errors[:2]}"
        )
    if run.kind == "bookclub" and run.recorded != run.members:
        found.append(f"bookclub #{run.repeat}: {run.recorded}/{run.members} statuses recorded in SQLite")
    return found


RATIO_FIELDS = (
    "throughput_per_s",
    "latency_p50_ms",
    "latency_p99_ms",
    "bot_cpu_ms_per_click",
    "bot_peak_rss_mb",
)


def summary_of(runs: list[Run]) -> dict[str, Any]:
    """Median of each bot's numbers over the repeats, and the median of the per-repeat real/baseline ratios."""
    medians: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        mine = [r for r in runs if r.kind == kind]
        medians[kind] = {}
        for name in (
            *RATIO_FIELDS,
            "latency_max_ms",
            "handling_p50_ms",
            "delivery_p50_ms",
            "within_deadline",
        ):
            values = [getattr(r, name) for r in mine if getattr(r, name) is not None]
            medians[kind][name] = statistics.median(values) if values else None
    ratios: dict[str, float | None] = {}
    for name in RATIO_FIELDS:
        per_repeat = []
        for real in (r for r in runs if r.kind == "bookclub"):
            base = next(r for r in runs if r.kind == "baseline" and r.repeat == real.repeat)
            a, b = getattr(real, name), getattr(base, name)
            if a is not None and b:
                per_repeat.append(a / b)
        ratios[name] = round(statistics.median(per_repeat), 2) if per_repeat else None
    return {"median": medians, "ratio_bookclub_over_baseline": ratios}


def table(runs: list[Run], summary: dict[str, Any]) -> str:
    """Render the runs and the ratios as a small text table."""
    columns: list[tuple[str, Callable[[Run], Any]]] = [
        ("bot", lambda r: f"{r.kind} #{r.repeat}"),
        ("answered", lambda r: f"{r.answered}/{r.members}"),
        ("≤3s", lambda r: r.within_deadline),
        ("10062", lambda r: r.late_10062),
        ("recorded", lambda r: "-" if r.recorded is None else r.recorded),
        ("answers/s", lambda r: r.throughput_per_s),
        ("p50 ms", lambda r: r.latency_p50_ms),
        ("p99 ms", lambda r: r.latency_p99_ms),
        ("max ms", lambda r: r.latency_max_ms),
        ("bot p50 ms", lambda r: r.handling_p50_ms),
        ("bot CPU ms/click", lambda r: r.bot_cpu_ms_per_click),
        ("emulator busy", lambda r: r.emulator_busy),
        ("peak RSS MB", lambda r: r.bot_peak_rss_mb),
        ("warnings", lambda r: r.bot_log_warnings),
    ]
    rows = [[name for name, _ in columns]] + [[str(get(r)) for _, get in columns] for r in runs]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    ratios = summary["ratio_bookclub_over_baseline"]
    lines.append("")
    lines.append(
        "bookclub/baseline (median of per-repeat ratios): "
        + ", ".join(f"{name} ×{value}" for name, value in ratios.items())
    )
    return "\n".join(lines)


async def orchestrate(args: argparse.Namespace) -> int:
    """Measure both bots `--repeat` times, print a table, write the JSON; return the exit code."""
    import discord

    started = datetime.now(UTC)
    runs: list[Run] = []
    for repeat in range(1, args.repeat + 1):
        for kind in KINDS:
            run = await measure(kind, repeat, args)
            runs.append(run)
            print(
                f"[{kind} #{repeat}] answered {run.answered}/{run.members}, "
                f"p50 {run.latency_p50_ms} ms, p99 {run.latency_p99_ms} ms, {run.throughput_per_s}/s",
                flush=True,
            )
    summary = summary_of(runs)
    problems = [p for r in runs for p in problems_of(r)]
    print()
    print(table(runs, summary))
    result = {
        "benchmark": "status_clicks",
        "command": " ".join([".venv/bin/python", "bench/status_clicks.py", *sys.argv[1:]]),
        "started_at": started.isoformat(),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "discord.py": discord.__version__,
            "platform": platform.platform(),
        },
        "params": {
            "members": args.members,
            "window_s": args.window,
            "batches": args.batches,
            "repeat": args.repeat,
            "deadline_s": DEADLINE,
            "emulator_validation": args.validate,
            "profiled": bool(args.profile),
        },
        "runs": [asdict(r) for r in runs],
        "summary": summary,
        "ok": not problems,
        "problems": problems,
    }
    print()
    return write_results(RESULTS, result, problems)


def write_results(path: Path, result: dict[str, Any], problems: list[str]) -> int:
    """Write a bench's JSON results, print its problems, and return its exit code (1 only for lost work)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the orchestrator (or, internally, one bot process)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1000, help="members who click (default 1000)")
    parser.add_argument("--window", type=float, default=1.0, help="seconds the clicks are spread over")
    parser.add_argument("--repeat", type=int, default=3, help="measurements of each bot (default 3)")
    parser.add_argument("--batches", type=int, default=50, help="control calls the clicks are split into")
    parser.add_argument(
        "--validate", action="store_true", help="let the emulator check every payload (slower)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile each bot while it answers (skews timings)"
    )
    sub = parser.add_subparsers(dest="role")
    child = sub.add_parser("_bot", help=argparse.SUPPRESS)
    child.add_argument("--kind", choices=KINDS, required=True)
    child.add_argument("--info", required=True)
    child.add_argument("--channel-id", type=int, required=True)
    child.add_argument("--db-dir", required=True)
    child.add_argument("--profile-dir", default=None)
    args = parser.parse_args(argv)
    if args.role == "_bot":
        asyncio.run(serve_bot(args))
        return 0
    if args.members < 1 or args.repeat < 1 or args.batches < 1 or args.window < 0:
        parser.error("--members, --repeat and --batches must be positive, --window not negative")
    return asyncio.run(orchestrate(args))


if __name__ == "__main__":
    sys.exit(main())
