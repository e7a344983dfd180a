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
import contextlib
import statistics
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _harness as harness

SCRIPT = Path(__file__).resolve()
WORK = ("The Lantern Keeper", "Ada Quill", 2021, 30)


# -- the bot process ------------------------------------------------------------------------------------
async def serve_bot(args: argparse.Namespace) -> None:
    """Run one bot against the emulator, post the button, then report what it saw when asked."""
    import cProfile
    import pstats

    import discord

    side = harness.BotSide(args.info)
    workers = None
    if args.kind == "baseline":
        from baseline_bot import BareBot, read_view

        client: discord.Client = BareBot()
        work_id = 1
        view = read_view(work_id)
    else:
        from bot.client import BookClubBot
        from bot.domain import WorkKind
        from bot.services.statuses import status_buttons
        from bot.store import NewWork
        from bot.ui import BookClubView
        from bot.workers import Workers

        settings, store = await side.open_store(args.db_dir, database_url=args.database_url)
        title, author, year, chapters = WORK
        work_id = await store.catalog.add(
            side.guild_id, NewWork(WorkKind.BOOK, title, author, year, chapters=chapters)
        )
        work = await store.catalog.get(side.guild_id, work_id)
        assert work is not None
        # As `python -m bot` runs it: its worker pool starts with the first CPU-bound job (clicks have none).
        workers = Workers()
        client = BookClubBot(settings=settings, store=store, workers=workers, freeze_heap=True)
        view = BookClubView(timeout=None)
        for item in status_buttons(work):
            view.add_item(item)

    seen = harness.watch_interactions(client)
    await side.connect(client)
    message = await side.text_channel(args.channel_id).send(
        "**Now reading: The Lantern Keeper** — tell the club when you finish.", view=view
    )
    custom_id = f"bookclub:status:{work_id}:read"
    side.say("ready", message_id=str(message.id), custom_id=custom_id)

    profile = cProfile.Profile() if args.profile_dir else None
    if profile is not None:
        profile.enable()
    command, cpu_s = await side.until_asked()
    if profile is not None:
        profile.disable()
    report: dict[str, Any] = {"command": command, "cpu_s": cpu_s, "received": seen}
    if side.store is not None:
        records = await side.store.statuses.for_work(side.guild_id, work_id)
        report["recorded"] = sum(1 for r in records if r.status.state.value == "read")
        report["history_rows"] = await side.count(
            "SELECT COUNT(*) FROM status_history WHERE guild_id = ? AND work_id = ?", (side.guild_id, work_id)
        )
    if profile is not None:
        out = Path(args.profile_dir) / f"status_clicks.{args.kind}.pstats"
        profile.dump_stats(out)
        stats = pstats.Stats(profile)
        report["profile"] = str(out)
        report["profile_total_s"] = stats.total_tt  # type: ignore[attr-defined]
    side.report(**report)
    await side.close()
    if workers is not None:
        workers.close()


# -- the orchestrator -----------------------------------------------------------------------------------
async def measure(kind: str, repeat: int, args: argparse.Namespace, pg: Any = None) -> harness.ClickRun:
    """Start a fresh emulator and the bot, click, and compute the numbers.

    Kind `postgres` is the real bot on a fresh database of the PostgreSQL server `pg`.
    """
    run = harness.ClickRun(kind, repeat, args.members)
    in_guild = max(args.members, args.guild_members or 0)
    async with harness.Emulator.start(members=in_guild, validate=args.validate) as emulator:
        bot_args = ["--kind", "bookclub" if kind == "postgres" else kind]
        bot_args += ["--channel-id", await emulator.channel_id()]
        if kind == "postgres":
            bot_args += ["--database-url", pg.create_database(f"clicks_{repeat}")]
        bot_args += ["--profile-dir", str(harness.RESULTS_DIR)] if args.profile else []
        async with harness.BotProcess.start(SCRIPT, emulator, *bot_args, what=f"the {kind} bot") as bot:
            ready = await bot.ready()
            run.bot_startup_s = ready["startup_s"]
            await harness.click_storm(run, emulator, bot, ready, window=args.window, batches=args.batches)
    return run


def problems_of(run: harness.ClickRun) -> list[str]:
    """Return what is wrong with a run's correctness (never its timing)."""
    found = []
    if run.answered != run.members or run.members_saw_answer != run.members:
        found.append(
            f"{run.kind} #{run.repeat}: {run.answered}/{run.members} clicks answered "
            f"({run.late_10062} late with 10062, {run.other_callback_errors} other callback errors, "
            f"members saw {run.members_saw_answer}); first errors: {run.click_errors[:2]}"
        )
    if run.kind in ("bookclub", "postgres") and run.recorded != run.members:
        found.append(f"bookclub #{run.repeat}: {run.recorded}/{run.members} statuses recorded in SQLite")
    return found


RATIO_FIELDS = (
    "throughput_per_s",
    "latency_p50_ms",
    "latency_p99_ms",
    "bot_cpu_ms_per_click",
    "bot_peak_rss_mb",
    "bot_pss_ready_mb",
    "bot_uss_ready_mb",
    "bot_pss_burst_mb",
    "bot_uss_burst_mb",
    "bot_startup_s",
)


def summary_of(runs: list[harness.ClickRun]) -> dict[str, Any]:
    """Median of each bot's numbers over the repeats, and the median of the per-repeat real/baseline ratios."""
    medians: dict[str, dict[str, Any]] = {}
    for kind in harness.KINDS:
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
        pairs = []
        for real in (r for r in runs if r.kind == "bookclub"):
            base = next(r for r in runs if r.kind == "baseline" and r.repeat == real.repeat)
            pairs.append((getattr(real, name), getattr(base, name)))
        ratios[name] = harness.median_ratio(pairs)
    found: dict[str, Any] = {"median": medians, "ratio_bookclub_over_baseline": ratios}
    if any(r.kind == "postgres" for r in runs):
        medians["postgres"] = {}
        pg_ratios: dict[str, float | None] = {}
        for name in RATIO_FIELDS:
            values = [getattr(r, name) for r in runs if r.kind == "postgres" and getattr(r, name) is not None]
            medians["postgres"][name] = statistics.median(values) if values else None
            pairs = []
            for pg in (r for r in runs if r.kind == "postgres"):
                sqlite = next(r for r in runs if r.kind == "bookclub" and r.repeat == pg.repeat)
                pairs.append((getattr(pg, name), getattr(sqlite, name)))
            pg_ratios[name] = harness.median_ratio(pairs)
        found["ratio_postgres_over_sqlite"] = pg_ratios
    return found


def table(runs: list[harness.ClickRun], summary: dict[str, Any]) -> str:
    """Render the runs and the ratios as a small text table."""
    columns: list[tuple[str, Callable[[harness.ClickRun], Any]]] = [
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
        ("procs", lambda r: r.bot_processes),
        ("PSS/USS ready MB", lambda r: f"{r.bot_pss_ready_mb}/{r.bot_uss_ready_mb}"),
        ("PSS/USS burst MB", lambda r: f"{r.bot_pss_burst_mb}/{r.bot_uss_burst_mb}"),
        ("start-up s", lambda r: r.bot_startup_s),
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
    if "ratio_postgres_over_sqlite" in summary:
        lines.append(
            "postgres/sqlite, the real bot (median of per-repeat ratios): "
            + ", ".join(f"{name} ×{value}" for name, value in summary["ratio_postgres_over_sqlite"].items())
        )
    return "\n".join(lines)


async def orchestrate(args: argparse.Namespace) -> int:
    """Measure both bots `--repeat` times, print a table, write the JSON; return the exit code."""
    started = datetime.now(UTC)
    runs: list[harness.ClickRun] = []
    kinds = (*harness.KINDS, "postgres") if args.postgres else harness.KINDS
    with contextlib.ExitStack() as stack:
        pg = stack.enter_context(harness.postgres_server()) if args.postgres else None
        for repeat in range(1, args.repeat + 1):
            for kind in kinds:
                run = await measure(kind, repeat, args, pg)
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
    print()
    params = {
        "members": args.members,
        "guild_members": max(args.members, args.guild_members or 0),
        "window_s": args.window,
        "batches": args.batches,
        "repeat": args.repeat,
        "deadline_s": harness.DEADLINE,
        "emulator_validation": args.validate,
        "profiled": bool(args.profile),
        "postgres": bool(args.postgres),
    }
    return harness.write_results(
        "status_clicks", started, problems, params=params, runs=runs, summary=summary
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the orchestrator (or, internally, one bot process)."""
    parser = harness.bench_parser(__doc__)
    harness.add_clicks(parser, members=1000)
    parser.add_argument(
        "--guild-members",
        type=int,
        default=None,
        help="members in the guild, of whom --members click (default: just those who click)",
    )
    harness.add_repeat(parser, 3)
    harness.add_validate(parser)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile each bot while it answers (skews timings)"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also measure the real bot on PostgreSQL (a throwaway server), reported against SQLite",
    )
    child = harness.add_bot_command(parser.add_subparsers(dest="role"))
    child.add_argument("--profile-dir", default=None)
    child.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    if args.role is None and (args.members < 1 or args.repeat < 1 or args.batches < 1 or args.window < 0):
        parser.error("--members, --repeat and --batches must be positive, --window not negative")
    return harness.run_role(args, orchestrate, serve_bot)


if __name__ == "__main__":
    sys.exit(main())
