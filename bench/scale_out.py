"""Benchmark: 1, 2 and 4 bot processes of 4 shards on one PostgreSQL; the scaling factor, and no duplicate fires.

    .venv/bin/python bench/scale_out.py [--guilds 40] [--members 25] [--per-guild 10] [--processes 1,2,4]

One emulator (in this process: `fakediscord.FakeDiscord` on 127.0.0.1, rate limits and validation off) holds
`--guilds` guilds spread over 4 shards, each with an admin and `--members` members; one throwaway PostgreSQL
server (`tests/postgres_server.py`) gets a fresh database for each process count P. For each P the real bot runs
as P processes of `python -m bot run --shard-count 4 --shards …` (P=1: 0-3; P=2: 0-1 and 2-3; P=4: one shard
each), started and watched by `tests/bot_processes.py`, the multi-process tests' harness. In each round:

1. every guild's admin posts the status buttons (`/book current`) and a native poll (`/poll create`) in channels
   of the round's own;
2. **burst**: every member clicks "📖 I read it" and votes in their guild's poll, all within `--window` seconds;
   clicks count once answered (the emulator's 3 s deadline holds), votes once stored in PostgreSQL;
3. **discussions**: `--per-guild` discussions per guild fall due at the same moment (rows and timers written
   through the repositories, as `/discussion schedule` does); each process opens its shards' ones.

Reported per P: answered clicks/s, stored votes/s, operations/s, the seconds from due to every discussion open
(and discussions/s), the CPU the bot processes used per operation summed over them (process trees), the
emulator's CPU busy fraction (this process: the emulator and its members, the load generator), PostgreSQL's CPU,
and the counts that must be 0: duplicates (a second status history row, vote or thread per item) and lost work
(a click told nothing or not stored, a vote not stored, a discussion not opened). The scaling factor is
throughput(P) / throughput(1) in the same run. Exits 1 only for duplicates or lost work, never for timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _harness as harness

# The multi-process tests' harness, one copy: importable from `tests/` as `postgres_server` is (`_harness.py`).
sys.path.insert(0, str(harness.ROOT / "tests"))
import bot_processes as bp

SHARD_COUNT = 4
THREADS = "/channels/{channel_id}/threads"


def shard_ranges(processes: int) -> list[list[int]]:
    """Split the 4 shards over `processes` processes in contiguous ranges (1: 0-3; 2: 0-1, 2-3; 4: one each)."""
    if processes < 1 or SHARD_COUNT % processes:
        raise SystemExit(f"--processes: {processes} does not divide {SHARD_COUNT} shards evenly")
    size = SHARD_COUNT // processes
    return [list(range(start, start + size)) for start in range(0, SHARD_COUNT, size)]


def postgres_pid(pg: Any) -> int | None:
    """Return the PostgreSQL server's postmaster pid (its first line of `postmaster.pid`), if running."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((Path(pg.root) / "data" / "postmaster.pid").read_text().split()[0])
    return None


class CpuMeter:
    """CPU seconds of the bot process trees, this process (the emulator) and PostgreSQL, between two readings."""

    def __init__(self, bots: Sequence[Any], pg_pid: int | None) -> None:
        self.bots = bots
        self.pg_pid = pg_pid
        self.start = self._read()
        self.began = time.monotonic()

    def _read(self) -> tuple[float, float, float]:
        bots = sum(harness.tree_cpu_seconds(b.pid) for b in self.bots)
        pg = harness.tree_cpu_seconds(self.pg_pid) if self.pg_pid else 0.0
        return bots, time.process_time(), pg

    def stop(self) -> dict[str, float]:
        """Return the CPU used since the meter started, and the wall time."""
        bots, emulator, pg = self._read()
        return {
            "wall_s": time.monotonic() - self.began,
            "bots_cpu_s": bots - self.start[0],
            "emulator_cpu_s": emulator - self.start[1],
            "postgres_cpu_s": pg - self.start[2],
        }


async def wait_until(check: Any, timeout: float, every: float = 0.05) -> float | None:  # noqa: ASYNC109 - a bench deadline
    """Poll the async `check` until it holds; return time.monotonic() then, or None on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return time.monotonic()
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(every)


async def burst(
    bots: Sequence[Any], servers: Sequence[Any], store: Any, args: argparse.Namespace, pg_pid: int | None
) -> dict[str, Any]:
    """Every member clicks "📖 I read it" and votes, within `--window`; count what was answered and stored."""
    everyone = [(s, n) for s in servers for n in range(len(s.members))]
    expected = len(everyone)
    answered_at: list[float] = []
    latencies: list[float] = []  # click sent -> its answer, as the member saw it
    outcomes: Counter[str] = Counter()
    errors: list[str] = []

    async def click(s: Any, n: int, delay: float) -> None:
        await asyncio.sleep(delay)
        sent = time.monotonic()
        try:
            reply = await s.members[n].click(s.post, bp.READ_IT, timeout=10)
        except AssertionError as exc:
            outcomes["late_10062" if "deadline" in str(exc) else "unanswered"] += 1
            if len(errors) < 5:
                errors.append(str(exc))
            return
        if bp.told_recorded(reply):
            outcomes["answered"] += 1
            answered_at.append(time.monotonic())
            latencies.append(answered_at[-1] - sent)
        else:
            outcomes["wrong_answer"] += 1
            if len(errors) < 5:
                errors.append(str(reply.content))

    async def vote(s: Any, n: int, delay: float) -> None:
        await asyncio.sleep(delay)
        await s.members[n].vote(s.poll, bp.answer_of(n))

    async def votes_stored() -> bool:
        found = await bp.rows(store.db, "SELECT COUNT(*) AS n FROM poll_votes")
        return int(found[0]["n"]) >= expected

    meter = CpuMeter(bots, pg_pid)
    first = time.monotonic()
    tasks = []
    for i, (s, n) in enumerate(everyone):
        delay = args.window * i / expected
        tasks.append(asyncio.create_task(click(s, n, delay)))
        tasks.append(asyncio.create_task(vote(s, n, delay)))
    await asyncio.gather(*tasks)
    votes_done = await wait_until(votes_stored, timeout=30)
    cpu = meter.stop()

    # What the database holds: each clicking member's status once, with one history row; each vote once.
    db = store.db
    statuses = await bp.rows(db, "SELECT guild_id, user_id, state FROM statuses")
    history = await bp.rows(
        db, "SELECT guild_id, user_id, COUNT(*) AS n FROM status_history GROUP BY guild_id, user_id"
    )
    votes = await bp.rows(
        db, "SELECT p.guild_id, v.user_id, v.position FROM poll_votes v JOIN polls p ON p.id = v.poll_id"
    )
    wanted = {(s.guild.id, s.members[n].id) for s, n in everyone}
    stored_read = {(r["guild_id"], r["user_id"]) for r in statuses if r["state"] == "read"} & wanted
    vote_counts = Counter((v["guild_id"], v["user_id"]) for v in votes)
    right_vote = {(s.guild.id, s.members[n].id): bp.answer_id(s, n) for s, n in everyone}
    voted = {((v["guild_id"], v["user_id"]), v["position"]) for v in votes}
    ops = outcomes["answered"] + len(votes)
    clicks_s = outcomes["answered"] / (max(answered_at) - first) if answered_at else 0.0
    votes_s = len(votes) / (votes_done - first) if votes_done else 0.0
    last = max([*answered_at, votes_done or 0.0])
    return {
        "clicks_sent": expected,
        "clicks_answered": outcomes["answered"],
        "clicks_late_10062": outcomes["late_10062"],
        "clicks_unanswered": outcomes["unanswered"] + outcomes["wrong_answer"],
        "click_errors": errors,
        "clicks_per_s": round(clicks_s, 1),
        "click_latency_p50_ms": harness.percentile_ms(latencies, 50),
        "click_latency_p99_ms": harness.percentile_ms(latencies, 99),
        "votes_sent": expected,
        "votes_stored": len(votes),
        "votes_per_s": round(votes_s, 1),
        "ops_per_s": round(ops / (last - first), 1) if last > first else 0.0,
        "seconds": round(last - first, 2),
        # Lost: a status not stored as 'read', a vote missing or on the wrong answer.
        "lost_statuses": len(wanted - stored_read),
        "lost_votes": len(set(right_vote.items()) - voted),
        # Duplicates: a second history row for one click, a second vote row for one member.
        "duplicate_history_rows": sum(h["n"] - 1 for h in history if h["n"] > 1),
        "duplicate_votes": sum(c - 1 for c in vote_counts.values() if c > 1),
        **cpu_figures(cpu, ops),
    }


def cpu_figures(cpu: dict[str, float], ops: int) -> dict[str, Any]:
    """Return the CPU figures of a phase: per operation (ms) for the bots and PostgreSQL, the emulator's busy fraction."""
    wall = cpu["wall_s"] or 1.0
    return {
        "bots_cpu_s": round(cpu["bots_cpu_s"], 2),
        "bots_cpu_ms_per_op": round(cpu["bots_cpu_s"] * 1000 / max(1, ops), 3),
        "postgres_cpu_ms_per_op": round(cpu["postgres_cpu_s"] * 1000 / max(1, ops), 3),
        "emulator_cpu_s": round(cpu["emulator_cpu_s"], 2),
        "emulator_busy": round(cpu["emulator_cpu_s"] / wall, 2),
        "bots_busy_cores": round(cpu["bots_cpu_s"] / wall, 2),
        "postgres_busy_cores": round(cpu["postgres_cpu_s"] / wall, 2),
    }


async def discussions(
    bots: Sequence[Any],
    club: Any,
    servers: Sequence[Any],
    store: Any,
    args: argparse.Namespace,
    pg_pid: int | None,
) -> dict[str, Any]:
    """Schedule `--per-guild` discussions per guild due at one moment; time them all open, count threads."""
    opens_at = datetime.now(UTC) + timedelta(seconds=args.lead)
    ids: dict[int, int] = {}  # discussion id -> guild id
    for s in servers:
        # A guild's discussions fall due a millisecond apart (`seed_discussions`): one moment, in order.
        for made in await bp.seed_discussions(store, s, opens_at, args.per_guild):
            ids[made] = s.guild.id
    seeded_late = datetime.now(UTC) >= opens_at
    before = len(club.requests)
    await asyncio.sleep(max(0.0, (opens_at - datetime.now(UTC)).total_seconds()))
    meter = CpuMeter(bots, pg_pid)
    due = time.monotonic()

    async def all_open() -> bool:
        left = await bp.rows(store.db, "SELECT COUNT(*) AS n FROM discussions WHERE state != 'open'")
        return int(left[0]["n"]) == 0

    done = await wait_until(all_open, timeout=args.open_timeout)
    cpu = meter.stop()
    await asyncio.sleep(2)  # a duplicate opening by another process would come now
    threads = bp.discussion_threads(club, servers)
    created = [
        r
        for r in club.requests[before:]
        if r.method == "POST" and r.route == THREADS and 200 <= r.status < 300
    ]
    rows = await bp.rows(store.db, "SELECT id, state, thread_id FROM discussions")
    opened = {r["id"] for r in rows if r["state"] == "open"}
    timers = await bp.rows(store.db, "SELECT COUNT(*) AS n FROM timers WHERE event = 'discussion.open'")
    count = len(ids)
    open_s = done - due if done is not None else None
    return {
        "discussions": count,
        "seeded_after_due": seeded_late,
        "all_open_s": round(open_s, 2) if open_s is not None else None,
        "discussions_per_s": round(count / open_s, 1) if open_s else None,
        "thread_creations": len(created),
        "lost_discussions": len(set(ids) - opened) + len(set(ids) - set(threads)),
        "duplicate_threads": sum(n - 1 for n in threads.values() if n > 1) + max(0, len(created) - count),
        "duplicate_thread_ids": len(rows) - len({r["thread_id"] for r in rows}),
        "opening_timers_left": int(timers[0]["n"]),
        **cpu_figures(cpu, count),
    }


def fresh_channels(club: Any, servers: Sequence[Any], round_name: str) -> None:
    """Give every guild the round's own announcement and discussion channels (threads counted per round)."""
    for s in servers:
        s.announcements = club.text_channel(f"announcements-{round_name}", guild=s.guild)
        s.discussions = club.text_channel(f"discussions-{round_name}", guild=s.guild)


def log_errors(bots: Sequence[Any]) -> list[str]:
    """Return the ERROR lines (and tracebacks' last lines) the bot processes logged, first ones first."""
    found = []
    for b in bots:
        for line in b.log_tail(200_000).splitlines():
            if " ERROR " in line or line.startswith(("ERROR", "Traceback")):
                found.append(f"{b.name}: {line[:300]}")
    return found


async def measure(
    processes: int,
    repeat: int,
    club: Any,
    servers: Sequence[Any],
    pg: Any,
    workdir: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Run one round: P processes on a fresh database; the burst, then the discussions."""
    name = f"r{repeat}p{processes}"
    url = pg.create_database(f"scale_out_{name}")
    fresh_channels(club, servers, name)
    store = await bp.open_store(url)
    try:
        await bp.seed_clubs(store, servers)
        folder = workdir / name
        folder.mkdir()
        bots = [
            bp.BotProcess(
                club,
                database_url=url,
                shard_count=SHARD_COUNT,
                shards=shards,
                workdir=folder,
                name=f"{name}-{i}",
            )
            for i, shards in enumerate(shard_ranges(processes))
        ]
        began = time.monotonic()
        async with bp.running(*bots):
            started_s = time.monotonic() - began
            await bp.post_current_book_and_poll(servers, club)
            memory = [harness.tree_memory_kb(b.pid) for b in bots]
            clicks = await burst(bots, servers, store, args, postgres_pid(pg))
            opened = await discussions(bots, club, servers, store, args, postgres_pid(pg))
        errors = log_errors(bots)
        return {
            "processes": processes,
            "shards": [bp.shards_flag(b.shards) for b in bots],
            "startup_s": round(started_s, 1),
            "pss_mb": harness.mib(sum(m["pss_kb"] for m in memory)),
            "burst": clicks,
            "discussions": opened,
            "exit_codes": [b.proc.returncode if b.proc else None for b in bots],
            "log_errors": len(errors),
            "log_errors_first": errors[:5],
        }
    finally:
        await store.db.close()


def problems_of(run: dict[str, Any]) -> list[str]:
    """Return the duplicates and the lost work of one round, as sentences."""
    p, b, d = run["processes"], run["burst"], run["discussions"]
    found = []
    for key in ("lost_statuses", "lost_votes", "duplicate_history_rows", "duplicate_votes"):
        if b[key]:
            found.append(f"P={p}: {b[key]} {key.replace('_', ' ')} in the burst")
    if b["clicks_answered"] + b["clicks_late_10062"] + b["clicks_unanswered"] != b["clicks_sent"]:
        found.append(f"P={p}: clicks neither answered nor refused")
    for key in ("lost_discussions", "duplicate_threads", "duplicate_thread_ids", "opening_timers_left"):
        if d[key]:
            found.append(f"P={p}: {d[key]} {key.replace('_', ' ')}")
    if d["all_open_s"] is None:
        found.append(f"P={p}: not every discussion opened in time (--open-timeout)")
    return found


FACTORS = {  # figure -> where it is in a round
    "ops_per_s": ("burst", "ops_per_s"),
    "clicks_per_s": ("burst", "clicks_per_s"),
    "votes_per_s": ("burst", "votes_per_s"),
    "discussions_per_s": ("discussions", "discussions_per_s"),
    "bots_cpu_ms_per_op": ("burst", "bots_cpu_ms_per_op"),
    "bots_cpu_ms_per_discussion": ("discussions", "bots_cpu_ms_per_op"),
}


def scaling(runs: Sequence[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Return throughput(P) / throughput(1) per figure: per repeat against that repeat's P=1, then the median."""
    ones = {r["repeat"]: r for r in runs if r["processes"] == 1}
    found: dict[str, dict[str, float | None]] = {}
    for p in sorted({r["processes"] for r in runs} - {1}):
        rounds = [(r, ones[r["repeat"]]) for r in runs if r["processes"] == p and r["repeat"] in ones]
        found[f"p{p}"] = {
            name: harness.median_ratio((r[part][key], one[part][key]) for r, one in rounds)
            for name, (part, key) in FACTORS.items()
        }
    return found


SUMMARY = {  # figure -> where it is in a round; the median over repeats
    "ops_per_s": ("burst", "ops_per_s"),
    "clicks_per_s": ("burst", "clicks_per_s"),
    "votes_per_s": ("burst", "votes_per_s"),
    "burst_bots_cpu_ms_per_op": ("burst", "bots_cpu_ms_per_op"),
    "burst_postgres_cpu_ms_per_op": ("burst", "postgres_cpu_ms_per_op"),
    "burst_emulator_busy": ("burst", "emulator_busy"),
    "burst_bots_busy_cores": ("burst", "bots_busy_cores"),
    "burst_postgres_busy_cores": ("burst", "postgres_busy_cores"),
    "discussions_all_open_s": ("discussions", "all_open_s"),
    "discussions_per_s": ("discussions", "discussions_per_s"),
    "discussion_bots_cpu_ms": ("discussions", "bots_cpu_ms_per_op"),
    "discussion_emulator_busy": ("discussions", "emulator_busy"),
}
DUPLICATES = (
    ("burst", "duplicate_history_rows"),
    ("burst", "duplicate_votes"),
    ("discussions", "duplicate_threads"),
    ("discussions", "duplicate_thread_ids"),
)
LOST = (("burst", "lost_statuses"), ("burst", "lost_votes"), ("discussions", "lost_discussions"))


def summary(runs: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Return, per process count, the median of each figure over the repeats and the duplicates and lost summed."""
    found: dict[str, dict[str, Any]] = {}
    for p in sorted({r["processes"] for r in runs}):
        mine = [r for r in runs if r["processes"] == p]
        figures: dict[str, Any] = {}
        for name, (part, key) in SUMMARY.items():
            values = [r[part][key] for r in mine if r[part][key] is not None]
            figures[name] = round(statistics.median(values), 3) if values else None
        figures["clicks_late_10062"] = sum(r["burst"]["clicks_late_10062"] for r in mine)
        figures["duplicates"] = sum(r[part][key] for r in mine for part, key in DUPLICATES)
        figures["lost"] = sum(r[part][key] for r in mine for part, key in LOST)
        found[f"p{p}"] = figures
    return found


def print_table(runs: Sequence[dict[str, Any]], factors: dict[str, dict[str, float | None]]) -> None:
    """Print one line per round and the scaling factors."""
    print(
        f"{'P':>2} {'start s':>7} {'clicks/s':>8} {'votes/s':>8} {'ops/s':>7} {'cpu ms/op':>9} {'emu busy':>8}"
        f" {'bots cores':>10} {'pg cores':>8} {'10062':>5} {'open s':>6} {'disc/s':>6} {'cpu ms/disc':>11} {'dup':>3} {'lost':>4}"
    )
    for r in runs:
        b, d = r["burst"], r["discussions"]
        dup = b["duplicate_history_rows"] + b["duplicate_votes"] + d["duplicate_threads"]
        lost = b["lost_statuses"] + b["lost_votes"] + d["lost_discussions"]
        print(
            f"{r['processes']:>2} {r['startup_s']:>7} {b['clicks_per_s']:>8} {b['votes_per_s']:>8} {b['ops_per_s']:>7}"
            f" {b['bots_cpu_ms_per_op']:>9} {b['emulator_busy']:>8} {b['bots_busy_cores']:>10} {b['postgres_busy_cores']:>8}"
            f" {b['clicks_late_10062']:>5} {d['all_open_s']!s:>6} {d['discussions_per_s']!s:>6}"
            f" {d['bots_cpu_ms_per_op']:>11} {dup:>3} {lost:>4}"
        )
    for key, f in factors.items():
        print(f"scaling {key}: " + ", ".join(f"{k} ×{v}" for k, v in f.items()))


async def orchestrate(args: argparse.Namespace) -> int:
    """Start PostgreSQL and the emulator, run a round per process count, write the results."""
    from fakediscord import FakeClock, FakeDiscord

    started = datetime.now(UTC)
    counts = [int(p) for p in args.processes.split(",")]
    for p in counts:
        shard_ranges(p)
    runs: list[dict[str, Any]] = []
    with harness.postgres_server() as pg, tempfile.TemporaryDirectory(prefix="bench-scale-out-") as tmp:
        workdir = Path(tmp)
        clock = FakeClock(start=datetime.now(UTC))  # at the real time the bot processes live in
        async with FakeDiscord(clock=clock, rate_limits=False, validate=False) as club:
            servers = await bp.make_servers(club, clock, args.guilds, members=args.members)
            spread = Counter(s.shard for s in servers)
            await bp.sync_commands(club, pg.create_database("scale_out_sync"), workdir)
            for repeat in range(args.repeat):
                for p in counts:
                    run = {"repeat": repeat, **await measure(p, repeat, club, servers, pg, workdir, args)}
                    runs.append(run)
                    print_table([run], {})
    factors = scaling(runs)
    print_table(runs, factors)
    problems = [found for run in runs for found in problems_of(run)]
    return harness.write_results(
        "scale_out",
        started,
        problems,
        parameters={
            "guilds": args.guilds,
            "members_per_guild": args.members,
            "per_guild": args.per_guild,
            "window_s": args.window,
            "repeat": args.repeat,
            "lead_s": args.lead,
            "shard_count": SHARD_COUNT,
            "guilds_per_shard": {str(k): v for k, v in sorted(spread.items())},
            "scheduler": bp.SCHEDULER_ENV,
        },
        scaling=factors,
        summary=summary(runs),
        runs=runs,
    )


def main() -> int:
    """Parse the options and run the orchestrator."""
    parser = harness.bench_parser(__doc__)
    parser.add_argument("--guilds", type=int, default=40, help="guilds over the 4 shards (default 40)")
    parser.add_argument(
        "--members", type=int, default=25, help="members per guild who click and vote (default 25)"
    )
    parser.add_argument("--per-guild", type=int, default=10, help="discussions due per guild (default 10)")
    parser.add_argument(
        "--window", type=float, default=0.25, help="seconds the clicks and votes are sent over (default 0.25)"
    )
    parser.add_argument(
        "--lead", type=float, default=4.0, help="seconds from scheduling to the discussions' due time"
    )
    parser.add_argument(
        "--open-timeout", type=float, default=60.0, help="seconds to wait for every discussion"
    )
    harness.add_repeat(parser, 1, of="each process count")
    parser.add_argument("--processes", default="1,2,4", help="process counts to measure (default 1,2,4)")
    return asyncio.run(orchestrate(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
