"""Benchmark: members click "📖 I read it" while one member sends worst-case titles, or features reviews.

    .venv/bin/python bench/hostile_input.py [--members 300] [--window 1.0] [--repeat 2] [--catalog 300]
        [--phases quiet,hostile,review]

Uses the click storm of `bench/_harness.py`, as `status_clicks.py` does (three processes: emulator, bot,
this orchestrator). Each repeat measures up to three phases, each against a fresh emulator and bot:
**quiet** (only the clicks), **hostile** (the same clicks while one member keeps sending `/status set`
and `/status who` with the titles that used to cost the matcher the most, at the options' max_length,
against a catalog of long titles) and **review** (the same clicks while an organizer features 5,000-20,000
character reviews, one every `--review-every` seconds, `/review feature url:… full:true`, from pages
served on 127.0.0.1).
Reported: the other members' p50/p99 click latency per phase and the busy/quiet ratios (targets p99
hostile/quiet ≤ 1.5, review/quiet ≤ 1.2), the bot's largest event-loop stall (its own `LoopLagMonitor`),
how the hostile member's commands and the reviews fared, and the whole bot's memory (its worker pool
included). Exits non-zero only for lost work: an unanswered click, a missing status, a review not posted.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import string
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _harness as harness

SCRIPT = Path(__file__).resolve()
PHASES = ("quiet", "hostile", "review")
HOSTILE = "mallory"
REVIEWER = "rita"
TARGETS = {"hostile": 1.5, "review": 1.2}  # members' p99 over the quiet phase's
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
    from bot.client import BookClubBot
    from bot.domain import WorkKind
    from bot.services.statuses import status_buttons
    from bot.store import NewWork
    from bot.ui import BookClubView
    from bot.workers import Workers

    side = harness.BotSide(args.info)
    settings, store = await side.open_store(
        args.db_dir, DEV_GUILD_ID=str(side.guild_id), REVIEW_FETCH_ALLOW_PRIVATE="true"
    )
    # Everyone organizes (discord.py puts @everyone, id = guild id, in every member's roles), so the
    # reviewer may feature reviews; they are posted in the channel of the button.
    await store.guilds.update(
        side.guild_id, organizer_role_id=side.guild_id, announcement_channel_id=args.channel_id
    )
    rng = random.Random(7)
    for n in range(args.catalog):
        words = " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(40))
        await store.catalog.add(side.guild_id, NewWork(WorkKind.BOOK, f"{words[:195]} {n}", "Some Author"))
    work_id = await store.catalog.add(
        side.guild_id, NewWork(WorkKind.BOOK, "The Lantern Keeper", "Ada Quill", 2021)
    )
    work = await store.catalog.get(side.guild_id, work_id)
    assert work is not None
    workers = Workers()
    workers.warm()
    client = BookClubBot(settings=settings, store=store, workers=workers, freeze_heap=True)
    view = BookClubView(timeout=None)
    for item in status_buttons(work):
        view.add_item(item)

    seen = harness.watch_interactions(client)
    await side.connect(client, timeout=60)
    message = await side.text_channel(args.channel_id).send("Now reading: The Lantern Keeper", view=view)
    client.loop_lag.reset()
    side.say("ready", message_id=str(message.id), custom_id=f"bookclub:status:{work_id}:read")
    command, cpu_s = await side.until_asked()
    records = await store.statuses.for_work(side.guild_id, work_id)
    side.report(
        command=command,
        cpu_s=cpu_s,
        received=seen,
        recorded=sum(1 for r in records if r.status.state.value == "read"),
        max_loop_lag_s=client.loop_lag.max_lag,
        stalls_over_100ms=len(client.loop_lag.stalls),
    )
    await side.close()
    workers.close()


# -- the orchestrator -----------------------------------------------------------------------------------
@dataclass
class Phase:
    """One phase's numbers."""

    phase: str
    repeat: int
    run: harness.ClickRun
    max_loop_lag_ms: float = 0.0
    stalls_over_100ms: int = 0
    hostile_sent: int = 0
    hostile_answered: int = 0
    hostile_p99_ms: float | None = None
    hostile_errors: list[str] = field(default_factory=list)
    reviews_sent: int = 0
    reviews_posted: int = 0
    review_p50_ms: float | None = None
    review_errors: list[str] = field(default_factory=list)


async def hostile_member(emulator: harness.Emulator, until: float, phase: Phase) -> None:
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
        result = await emulator.post("slash", body)
        phase.hostile_sent += 1
        phase.hostile_answered += int(result["ok"])
        phase.hostile_errors += result["errors"][:1]
        latencies.append(time.time() - started)
        n += 1
    phase.hostile_p99_ms = harness.percentile_ms(latencies, 99)


async def feature_review(emulator: harness.Emulator, url: str) -> dict[str, Any]:
    """Have the reviewer run `/review feature` for one page (the whole text); return the control API's answer."""
    body = {
        "command": "review feature",
        "options": {"url": url, "title": "The Lantern Keeper", "full": True},
        "members": [REVIEWER],
        "timeout": 10,
    }
    result: dict[str, Any] = await emulator.post("slash", body)
    return result


async def reviewer(
    emulator: harness.Emulator, urls: list[str], until: float, every: float, phase: Phase
) -> None:
    """Feature a review every `every` seconds (or as soon as the last one is posted) until `until` (loop time)."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    while loop.time() < until:
        next_at = loop.time() + every
        started = time.time()
        result = await feature_review(emulator, urls[phase.reviews_sent % len(urls)])
        phase.reviews_sent += 1
        phase.reviews_posted += int(result["ok"])
        phase.review_errors += result["errors"][:1]
        latencies.append(time.time() - started)
        await asyncio.sleep(max(0.0, min(next_at, until) - loop.time()))
    phase.review_p50_ms = harness.percentile_ms(latencies, 50)


async def measure(phase_name: str, repeat: int, args: argparse.Namespace, urls: list[str]) -> Phase:
    """Start a fresh emulator and bot, click (with or without the hostile member), and compute the numbers."""
    phase = Phase(phase_name, repeat, harness.ClickRun(phase_name, repeat, args.members))
    async with harness.Emulator.start(members=args.members) as emulator:
        bot_args = ["--channel-id", await emulator.channel_id(), "--catalog", str(args.catalog)]
        async with harness.BotProcess.start(SCRIPT, emulator, *bot_args, what="the bot") as bot:
            ready = await bot.line(timeout=120)
            if phase_name == "review":
                # One review first, so its worker has imported the extractor (once per process lifetime).
                await feature_review(emulator, urls[-1])
            # The other member is already at it when the clicks start, and goes on half a second after.
            until = asyncio.get_running_loop().time() + args.window + 0.5
            during = None
            if phase_name == "hostile":
                during = hostile_member(emulator, until, phase)
            elif phase_name == "review":
                during = reviewer(emulator, urls[:-1], until, args.review_every, phase)
            report = await harness.click_storm(
                phase.run, emulator, bot, ready, window=args.window, batches=args.batches, during=during
            )
    phase.max_loop_lag_ms = round(report["max_loop_lag_s"] * 1000, 1)
    phase.stalls_over_100ms = report["stalls_over_100ms"]
    return phase


def summary_of(phases: list[Phase], names: Sequence[str]) -> dict[str, Any]:
    """Median numbers per phase and the median per-repeat busy/quiet ratios of the members' latency."""
    medians = {}
    for name in names:
        mine = [p for p in phases if p.phase == name]
        medians[name] = {
            "latency_p50_ms": statistics.median(p.run.latency_p50_ms or 0 for p in mine),
            "latency_p99_ms": statistics.median(p.run.latency_p99_ms or 0 for p in mine),
            "max_loop_lag_ms": max(p.max_loop_lag_ms for p in mine),
        }
    ratios = {}
    for name in (n for n in TARGETS if n in names):
        pairs = []
        for busy in (p for p in phases if p.phase == name):
            quiet = next(p for p in phases if p.phase == "quiet" and p.repeat == busy.repeat)
            pairs.append((busy.run.latency_p99_ms, quiet.run.latency_p99_ms))
        ratios[f"p99_ratio_{name}_over_quiet"] = harness.median_ratio(pairs)
    return {
        "median": medians,
        **ratios,
        "target_ratios": TARGETS,
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
    if phase.reviews_posted != phase.reviews_sent:
        found.append(
            f"{phase.phase} #{phase.repeat}: {phase.reviews_posted}/{phase.reviews_sent} reviews posted "
            f"{phase.review_errors[:2]}"
        )
    return found


async def orchestrate(args: argparse.Namespace) -> int:
    """Measure both phases `--repeat` times, print a table, write the JSON; return the exit code."""
    started = datetime.now(UTC)
    phases: list[Phase] = []
    pages, _ = harness.build_pages(20, seed=7)
    runner, base = await harness.serve_pages(pages)
    try:
        for repeat in range(1, args.repeat + 1):
            for name in args.phases:
                phase = await measure(name, repeat, args, [base + path for path in pages])
                phases.append(phase)
                print(phase_line(phase, args.members), flush=True)
    finally:
        await runner.cleanup()
    summary = summary_of(phases, args.phases)
    problems = [p for phase in phases for p in problems_of(phase, args.members)]
    print()
    for name in TARGETS:
        if name in args.phases:
            print(
                f"members' p99 {name}/quiet ×{summary[f'p99_ratio_{name}_over_quiet']} "
                f"(target ≤ {TARGETS[name]})"
            )
    print(f"largest loop stall {summary['largest_loop_stall_ms']} ms")
    params = vars(args) | {"title_max": TITLE_MAX}
    return harness.write_results(
        "hostile_input", started, problems, params=params, phases=phases, summary=summary
    )


def phase_line(phase: Phase, members: int) -> str:
    """Return one phase's progress line."""
    line = (
        f"[{phase.phase} #{phase.repeat}] members answered {phase.run.members_saw_answer}/{members}, "
        f"p50 {phase.run.latency_p50_ms} ms, p99 {phase.run.latency_p99_ms} ms, "
        f"largest loop stall {phase.max_loop_lag_ms} ms ({phase.stalls_over_100ms} over 100 ms), "
        f"bot CPU {phase.run.bot_cpu_ms_per_click} ms/click, whole bot PSS {phase.run.bot_pss_burst_mb} MB"
    )
    if phase.phase == "hostile":
        line += (
            f", hostile commands answered {phase.hostile_answered}/{phase.hostile_sent} "
            f"(p99 {phase.hostile_p99_ms} ms)"
        )
    if phase.phase == "review":
        line += f", reviews posted {phase.reviews_posted}/{phase.reviews_sent} (p50 {phase.review_p50_ms} ms)"
    return line


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the orchestrator (or, internally, the bot process)."""
    parser = harness.bench_parser(__doc__)
    harness.add_clicks(parser, members=300)
    harness.add_repeat(parser, 2, of="each phase")
    parser.add_argument("--catalog", type=int, default=300, help="catalog works with 200-character titles")
    parser.add_argument(
        "--review-every",
        type=float,
        default=0.5,
        help="seconds between featured reviews in the review phase (default 0.5; 0: back to back)",
    )
    parser.add_argument(
        "--phases",
        type=lambda text: tuple(text.split(",")),
        default=PHASES,
        help=f"which phases to run, comma-separated (default {','.join(PHASES)}; quiet is required)",
    )
    child = harness.add_bot_command(parser.add_subparsers(dest="role"), kind=False)
    child.add_argument("--catalog", type=int, default=300)
    args = parser.parse_args(argv)
    invalid = args.members < 1 or args.repeat < 1 or args.batches < 1 or args.window < 0 or args.catalog < 0
    invalid = invalid or "quiet" not in args.phases or not set(args.phases) <= set(PHASES)
    if args.role is None and invalid:
        parser.error(
            "--members, --repeat and --batches must be positive; --window and --catalog not negative;"
            f" --phases among {','.join(PHASES)}, with quiet"
        )
    return harness.run_role(args, orchestrate, serve_bot)


if __name__ == "__main__":
    sys.exit(main())
