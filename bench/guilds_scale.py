"""Benchmark: one bot process in 2,500 guilds (Discord's per-shard maximum): memory per guild, start-up, clicks.

    .venv/bin/python bench/guilds_scale.py [--guilds 2500] [--small 10] [--members 20] [--clicks 1000]
        [--click-guilds 1000] [--window 1.0] [--repeat 3]

For each bot (the bare baseline and the real bot, alternating) and each guild count (`--small`, then
`--guilds`), a fresh emulator (`python -m fakediscord --guilds N --members M`: every guild with #general,
#book-talk and #announcements, the roles Organizer and Reader, and M members) and a fresh bot process. The
real bot's SQLite file holds one book per guild before it connects. The bot is ready once every guild's
GUILD_CREATE is parsed (READY lists them unavailable; discord.py fills them in as they come). Then:

- memory after READY: the bot's process tree's PSS, USS and RSS (`/proc/<pid>/smaps_rollup`), read by the
  orchestrator; memory per guild = (PSS(N) - PSS(small)) / (N - small), per bot, in the same run;
- start-up: process start → every guild available, and the client's own start → every guild available;
- at N only, the status_clicks storm: `--clicks` members click "📖 I read it" within `--window`, spread over
  `--click-guilds` guilds (each of those gets the bot's message with the button in its #general, posted by
  the bot), and the same figures as `status_clicks.py` (throughput, p50, p99, CPU/click, RSS).

Exit status 1 only for lost work: a click not answered, or a status the real bot did not record.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _harness as harness

SCRIPT = Path(__file__).resolve()
WORK = ("The Lantern Keeper", "Ada Quill", 2021, 30)
CHANNELS = ("book-talk", "announcements")
ROLES = ("Organizer", "Reader")
MESSAGE = "**Now reading: The Lantern Keeper** — tell the club when you finish."


# -- the bot process ------------------------------------------------------------------------------------
async def guild_layout(side: harness.BotSide) -> list[dict[str, Any]]:
    """Return the emulator's guilds (ids, channel ids by name, member names) from its control API."""
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(side.info["control"] + "guilds") as resp:
        resp.raise_for_status()
        found: list[dict[str, Any]] = await resp.json()
        return found


async def serve_bot(args: argparse.Namespace) -> None:
    """Connect one bot to every guild, say so, post the button where asked, then report what it saw."""
    import discord

    side = harness.BotSide(args.info)
    layout = await guild_layout(side)
    workers = None
    work_ids: dict[int, int] = {}
    seed_s = 0.0
    if args.kind == "baseline":
        from baseline_bot import BareBot, read_view

        client: discord.Client = BareBot()

        def view_for(guild_id: int) -> tuple[discord.ui.View, str]:
            return read_view(1), "bookclub:status:1:read"
    else:
        from bot.client import BookClubBot
        from bot.domain import WorkKind
        from bot.services.statuses import status_buttons
        from bot.store import NewWork
        from bot.ui import BookClubView
        from bot.workers import Workers

        settings, store = await side.open_store(args.db_dir)
        title, author, year, chapters = WORK
        started = time.monotonic()
        for guild in layout:
            gid = int(guild["id"])
            work_ids[gid] = await store.catalog.add(
                gid, NewWork(WorkKind.BOOK, title, author, year, chapters=chapters)
            )
        seed_s = time.monotonic() - started
        workers = (
            Workers()
        )  # as `python -m bot` runs it: started by the first CPU-bound job (clicks have none)
        client = BookClubBot(settings=settings, store=store, workers=workers)

        async def real_view(guild_id: int) -> tuple[discord.ui.View, str]:
            work = await store.catalog.get(guild_id, work_ids[guild_id])
            assert work is not None
            view = BookClubView(timeout=None)
            for item in status_buttons(work):
                view.add_item(item)
            return view, f"bookclub:status:{work.id}:read"

    seen = harness.watch_interactions(client)
    started = time.monotonic()
    await side.connect(client, timeout=args.connect_timeout)
    ready_event_s = time.monotonic() - started
    while sum(not g.unavailable for g in client.guilds) < len(layout):
        if time.monotonic() - started > args.connect_timeout:
            raise RuntimeError(
                f"only {len(client.guilds)}/{len(layout)} guilds after {args.connect_timeout} s"
            )
        await asyncio.sleep(0.01)
    all_guilds_s = time.monotonic() - started
    side.say(
        "ready",
        guilds=sum(not g.unavailable for g in client.guilds),
        ready_event_s=round(ready_event_s, 3),
        all_guilds_s=round(all_guilds_s, 3),
        seed_s=round(seed_s, 3),
    )

    command, _ = await side.until_asked()
    if command.startswith("post "):
        channels: dict[str, str] = json.loads(command.removeprefix("post "))
        gate = asyncio.Semaphore(50)

        async def post(guild_id: str, channel_id: str) -> tuple[str, list[str]]:
            if args.kind == "baseline":
                view, custom_id = view_for(int(guild_id))
            else:
                view, custom_id = await real_view(int(guild_id))
            async with gate:
                message = await side.text_channel(int(channel_id)).send(MESSAGE, view=view)
            return guild_id, [str(message.id), custom_id]

        started = time.monotonic()
        posted = dict(await asyncio.gather(*(post(g, c) for g, c in channels.items())))
        side.say("posted", messages=posted, post_s=round(time.monotonic() - started, 3))
        command, cpu_s = await side.until_asked()
    else:
        cpu_s = 0.0
    report: dict[str, Any] = {"command": command, "cpu_s": cpu_s, "received": seen}
    if side.store is not None:
        report["recorded"] = await side.count("SELECT COUNT(*) FROM statuses WHERE state = 'read'")
        report["history_rows"] = await side.count("SELECT COUNT(*) FROM status_history")
    side.report(**report)
    await side.close(timeout=30)
    if workers is not None:
        workers.close()


# -- the orchestrator -----------------------------------------------------------------------------------
def click_plan(
    layout: list[dict[str, Any]], clicks: int, click_guilds: int
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Return the guilds clicked in (spread evenly over the list) and (member, guild id) per click, round-robin."""
    step = max(1, len(layout) // click_guilds)
    chosen = layout[::step][:click_guilds]
    plan = []
    for i in range(clicks):
        guild = chosen[i % len(chosen)]
        # `--members` names are unique across guilds (the click log is matched by name); each guild's owner,
        # whom every emulated guild has, is not one of them.
        members = [name for name in guild["members"] if name.startswith("member")]
        plan.append((members[i // len(chosen)], guild["id"]))
    if len({name for name, _ in plan}) != len(plan):
        raise RuntimeError("two clicks by members of one name")
    return chosen, plan


async def measure(
    kind: str, guilds: int, storm: bool, repeat: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Start a fresh emulator with `guilds` guilds and one bot; read its memory after READY; click if `storm`."""
    found: dict[str, Any] = {"kind": kind, "guilds": guilds, "repeat": repeat}
    async with harness.Emulator.start(
        members=args.members, guilds=guilds, channels=CHANNELS, roles=ROLES, validate=False
    ) as emulator:
        layout = await emulator.get("guilds")
        emulator_cpu = emulator.cpu_seconds()
        bot_args = ["--kind", kind, "--connect-timeout", str(args.connect_timeout)]
        async with harness.BotProcess.start(
            SCRIPT, emulator, *bot_args, what=f"the {kind} bot ({guilds} guilds)", exit_timeout=60
        ) as bot:
            ready = await bot.ready(timeout=args.connect_timeout + 60)
            memory = harness.tree_memory_kb(bot.pid)
            # Near `startup_s`, the emulator (building N GUILD_CREATE payloads) was the bottleneck, not the bot.
            found["emulator_cpu_startup_s"] = round(emulator.cpu_seconds() - emulator_cpu, 3)
            found.update(
                guilds_ready=ready["guilds"],
                startup_s=ready["startup_s"],
                ready_event_s=ready["ready_event_s"],
                all_guilds_s=ready["all_guilds_s"],
                seed_s=ready["seed_s"],
                # The start-up a bot whose database already holds its guilds' data has (seeding is the bench's).
                startup_less_seed_s=round(ready["startup_s"] - ready["seed_s"], 3),
                processes=memory["processes"],
                pss_ready_mb=harness.mib(memory["pss_kb"]),
                uss_ready_mb=harness.mib(memory["uss_kb"]),
                rss_ready_mb=harness.mib(memory["rss_kb"]),
                memory_ready_kb=memory,
            )
            if not storm:
                report = await bot.ask("report")
                found["log_warnings"], found["log_first"] = report["log_count"], report["log_first"]
                return found
            chosen, plan = click_plan(layout, args.clicks, args.click_guilds)
            channels = {g["id"]: g["channels"]["general"] for g in chosen}
            posted = await bot.ask("post " + json.dumps(channels), timeout=120)
            found["post_s"] = posted["post_s"]
            messages: dict[str, list[str]] = posted["messages"]
            targets = [harness.ClickTarget(name, *messages[gid]) for name, gid in plan]
            run = harness.ClickRun(kind, repeat, len(targets))
            run.bot_startup_s = ready["startup_s"]
            await harness.click_storm(
                run, emulator, bot, ready, window=args.window, batches=args.batches, targets=targets
            )
            found["click_guilds"] = len(chosen)
            found["clicks"] = run
    return found


CLICK_RATIOS = (
    "throughput_per_s",
    "latency_p50_ms",
    "latency_p99_ms",
    "bot_cpu_ms_per_click",
    "bot_peak_rss_mb",
    "bot_pss_burst_mb",
)


def per_guild_kib(big: dict[str, Any], small: dict[str, Any], field: str) -> float | None:
    """Return (memory at N - memory at small N) / (N - small N) in KiB per guild; `field` is pss_kb, uss_kb or rss_kb."""
    span = big["guilds"] - small["guilds"]
    difference = big["memory_ready_kb"][field] - small["memory_ready_kb"][field]
    return round(difference / span, 2) if span > 0 else None


def summary_of(rows: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """Per bot: memory per guild and start-up (medians over repeats); bookclub/baseline ratios per repeat."""
    per_repeat: dict[int, dict[str, dict[str, Any]]] = {}
    for repeat in range(1, args.repeat + 1):
        per_repeat[repeat] = {}
        for kind in harness.KINDS:
            big = next(
                r for r in rows if r["kind"] == kind and r["repeat"] == repeat and r["guilds"] == args.guilds
            )
            small = next(
                r for r in rows if r["kind"] == kind and r["repeat"] == repeat and r["guilds"] == args.small
            )
            clicks: harness.ClickRun = big["clicks"]
            per_repeat[repeat][kind] = {
                "pss_kib_per_guild": per_guild_kib(big, small, "pss_kb"),
                "uss_kib_per_guild": per_guild_kib(big, small, "uss_kb"),
                "rss_kib_per_guild": per_guild_kib(big, small, "rss_kb"),
                "pss_ready_mb_small": small["pss_ready_mb"],
                "pss_ready_mb": big["pss_ready_mb"],
                "rss_ready_mb": big["rss_ready_mb"],
                "startup_s_small": small["startup_s"],
                "startup_s": big["startup_s"],
                "startup_less_seed_s": big["startup_less_seed_s"],
                "all_guilds_s_small": small["all_guilds_s"],
                "emulator_cpu_startup_s": big["emulator_cpu_startup_s"],
                "all_guilds_s": big["all_guilds_s"],
                **{name: getattr(clicks, name) for name in CLICK_RATIOS},
            }
    fields = list(per_repeat[1]["baseline"])
    medians = {
        kind: {
            name: round(statistics.median(v), 3)
            if (v := [per_repeat[r][kind][name] for r in per_repeat if per_repeat[r][kind][name] is not None])
            else None
            for name in fields
        }
        for kind in harness.KINDS
    }
    ratios = {
        name: harness.median_ratio(
            (per_repeat[r]["bookclub"][name], per_repeat[r]["baseline"][name]) for r in per_repeat
        )
        for name in fields
    }
    return {"median": medians, "ratio_bookclub_over_baseline": ratios}


def table(rows: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    """Render the measurements and the ratios as text."""
    head = [
        "bot",
        "guilds",
        "start-up s",
        "all guilds s",
        "PSS MB",
        "USS MB",
        "RSS MB",
        "answered",
        "p50 ms",
        "p99 ms",
    ]
    head += ["answers/s", "CPU ms/click", "peak RSS MB"]
    lines = [head]
    for r in rows:
        c: harness.ClickRun | None = r.get("clicks")
        cells = [
            f"{r['kind']} #{r['repeat']}",
            r["guilds"],
            r["startup_s"],
            r["all_guilds_s"],
            r["pss_ready_mb"],
        ]
        cells += [r["uss_ready_mb"], r["rss_ready_mb"]]
        if c is None:
            cells += ["-"] * 6
        else:
            cells += [f"{c.answered}/{c.members}", c.latency_p50_ms, c.latency_p99_ms, c.throughput_per_s]
            cells += [c.bot_cpu_ms_per_click, c.bot_peak_rss_mb]
        lines.append([str(x) for x in cells])
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    out = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.append("")
    for kind in harness.KINDS:
        m = summary["median"][kind]
        out.append(
            f"{kind}: PSS {m['pss_kib_per_guild']} KiB/guild (USS {m['uss_kib_per_guild']}, RSS "
            f"{m['rss_kib_per_guild']}), all guilds available after {m['all_guilds_s']} s"
        )
    out.append(
        "bookclub/baseline: "
        + ", ".join(f"{name} ×{value}" for name, value in summary["ratio_bookclub_over_baseline"].items())
    )
    return "\n".join(out)


def problems_of(row: dict[str, Any]) -> list[str]:
    """Return what is wrong with a measurement's correctness (never its timing)."""
    found = []
    if row["guilds_ready"] != row["guilds"]:
        found.append(f"{row['kind']} ({row['guilds']} guilds): {row['guilds_ready']} guilds available")
    run: harness.ClickRun | None = row.get("clicks")
    if run is None:
        return found
    if run.answered != run.members or run.members_saw_answer != run.members:
        found.append(
            f"{run.kind} #{run.repeat}: {run.answered}/{run.members} clicks answered "
            f"({run.late_10062} late with 10062, members saw {run.members_saw_answer}); first: {run.click_errors[:2]}"
        )
    if run.kind == "bookclub" and run.recorded != run.members:
        found.append(f"bookclub #{run.repeat}: {run.recorded}/{run.members} statuses recorded in SQLite")
    return found


async def orchestrate(args: argparse.Namespace) -> int:
    """Measure both bots at both guild counts `--repeat` times, print a table, write the JSON."""
    started = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for repeat in range(1, args.repeat + 1):
        for kind in harness.KINDS:
            for guilds in (args.small, args.guilds):
                row = await measure(kind, guilds, guilds == args.guilds, repeat, args)
                rows.append(row)
                print(
                    f"[{kind} #{repeat}, {guilds} guilds] PSS {row['pss_ready_mb']} MB after READY, "
                    f"all guilds after {row['all_guilds_s']} s",
                    flush=True,
                )
    summary = summary_of(rows, args)
    problems = [p for r in rows for p in problems_of(r)]
    print()
    print(table(rows, summary))
    print()
    params = {
        "guilds": args.guilds,
        "small": args.small,
        "members_per_guild": args.members,
        "channels_per_guild": 1 + len(CHANNELS),
        "roles_per_guild": list(ROLES),
        "clicks": args.clicks,
        "click_guilds": args.click_guilds,
        "window_s": args.window,
        "batches": args.batches,
        "repeat": args.repeat,
        "deadline_s": harness.DEADLINE,
    }
    return harness.write_results("guilds_scale", started, problems, params=params, runs=rows, summary=summary)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the orchestrator (or, internally, one bot process)."""
    parser = harness.bench_parser(__doc__)
    parser.add_argument(
        "--guilds", type=int, default=2500, help="guilds at scale (default 2,500, one shard's most)"
    )
    parser.add_argument("--small", type=int, default=10, help="guilds of the small measurement (default 10)")
    parser.add_argument("--members", type=int, default=20, help="members per guild (default 20)")
    parser.add_argument("--clicks", type=int, default=1000, help="clicks in the storm (default 1,000)")
    parser.add_argument("--click-guilds", type=int, default=1000, help="guilds the clicks spread over")
    parser.add_argument("--window", type=float, default=1.0, help="seconds the clicks are spread over")
    parser.add_argument("--batches", type=int, default=50, help="control calls the clicks are split into")
    parser.add_argument("--connect-timeout", type=float, default=180.0, help=argparse.SUPPRESS)
    harness.add_repeat(parser, 3)
    child = harness.add_bot_command(parser.add_subparsers(dest="role"), channel=False)
    child.add_argument("--connect-timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    if args.role is None:
        if not 0 < args.small < args.guilds or args.repeat < 1 or args.batches < 1 or args.window < 0:
            parser.error(
                "need 0 < --small < --guilds, positive --repeat and --batches, --window not negative"
            )
        if (
            not 0 < args.click_guilds <= args.guilds
            or not 0 < args.clicks <= args.click_guilds * args.members
        ):
            parser.error("need 0 < --click-guilds <= --guilds and 0 < --clicks <= --click-guilds x --members")
    return harness.run_role(args, orchestrate, serve_bot)


if __name__ == "__main__":
    sys.exit(main())
