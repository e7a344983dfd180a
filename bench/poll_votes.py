"""Benchmark: 10,000 poll votes as fast as the emulator can send them, against the real bot and a bare client.

    .venv/bin/python bench/poll_votes.py [--members 2000] [--answers 5] [--repeat 1]

Each member votes for every answer of a multiple-choice Discord poll (members x answers votes, 10,000 by
default). Three kinds of process, as in every bench (`_harness.py`): the emulator, the bot under test (this file with
`_bot`) and this orchestrator, which starts the votes through `POST /_control/vote` and asks the bot for its
report. The baseline is a bare `discord.Client` that only counts `on_raw_poll_vote_add` in memory; the real
bot stores every vote in SQLite through its gateway listener.

Throughput of a bot = votes / (last vote handled by the bot - votes started by the orchestrator), both
`time.time()` on one machine. Also reported: the bot's message edits while the votes came in (its own
tallies, debounced per poll; the poll message itself must never be edited). Exits non-zero only when a vote
is missing from SQLite, never for timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import _harness as harness

SCRIPT = Path(__file__).resolve()
RESULTS = harness.RESULTS_DIR / "poll_votes.json"
EDIT_ROUTE = "/channels/{channel_id}/messages/{message_id}"


# -- the bot process ------------------------------------------------------------------------------------
async def serve_bot(args: argparse.Namespace) -> None:
    """Run one bot, post the poll, count the votes it handles, and report when all arrived (or on timeout)."""
    import discord

    side = harness.BotSide(args.info, collect_warnings=False)
    handled = {"n": 0, "first": 0.0, "last": 0.0}
    target = {"n": -1}
    all_handled = asyncio.Event()

    def note() -> None:
        now = time.time()
        handled["first"] = handled["first"] or now
        handled["last"] = now
        handled["n"] += 1
        if handled["n"] == target["n"]:
            all_handled.set()

    labels = [f"Answer {i}" for i in range(1, args.answers + 1)]
    if args.kind == "baseline":
        from baseline_bot import baseline_intents

        class CountingBot(discord.Client):
            """Counts vote events in memory, nothing else."""

            async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
                note()

        client: discord.Client = CountingBot(
            intents=baseline_intents(), allowed_mentions=discord.AllowedMentions.none()
        )
    else:
        from bot.client import BookClubBot
        from bot.clock import SystemClock
        from bot.store import PollKind

        settings, store = await side.open_store(args.db_dir, database_url=args.database_url)
        real_bot = BookClubBot(settings=settings, store=store)
        client = real_bot

    await side.connect(client)
    channel = side.text_channel(args.channel_id)
    poll_id = None
    if side.store is None:
        poll = discord.Poll(question="Benchmark", duration=timedelta(hours=24), multiple=True)
        for text in labels:
            poll.add_answer(text=text)
        message = await channel.send(poll=poll)
        message_id = message.id
    else:
        cog: Any = real_bot.get_cog("Polls")
        service = cog.service
        # A vote counts as handled once its transaction is committed to SQLite.
        original = store.polls.apply_votes

        async def counted(ops: Any) -> None:
            await original(ops)
            for _ in ops:
                note()

        store.polls.apply_votes = counted  # type: ignore[method-assign]
        # A date poll by default: votes are stored exactly as for any Discord poll, and each one also asks
        # for the debounced tally edit of the bot's own message, which this run counts.
        dates = args.poll == "dates"
        soon = SystemClock().now() + timedelta(days=2)
        posted = await service.post_native(
            channel,
            side.guild_id,
            question="Benchmark",
            labels=labels,
            duration=timedelta(hours=24),
            multiple=True,
            created_by=0,
            kind=PollKind.DATES if dates else PollKind.NATIVE,
            starts=[soon + timedelta(hours=i) for i in range(len(labels))] if dates else None,
        )
        assert posted.message_id is not None
        message_id, poll_id = posted.message_id, posted.id
    side.say("ready", message_id=str(message_id))

    command = (await side.until_asked())[0].split()
    target["n"] = int(command[1]) if len(command) > 1 else 0
    if handled["n"] < target["n"]:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_handled.wait(), args.timeout)
    report: dict[str, Any] = dict(handled)
    if side.store is not None:
        await service.tallies.flush()  # the trailing tally edit, before the bot shuts down
    if side.store is not None and poll_id is not None:
        report["stored"] = await side.count("SELECT COUNT(*) FROM poll_votes WHERE poll_id = ?", (poll_id,))
    side.report(**report)
    await side.close()


# -- the orchestrator -----------------------------------------------------------------------------------
async def measure(kind: str, args: argparse.Namespace, pg: Any = None, n: int = 0) -> dict[str, Any]:
    """Start a fresh emulator and the bot, deliver the votes, and compute the numbers.

    Kind `postgres` is the real bot on a fresh database of the PostgreSQL server `pg`.
    """
    expected = args.members * args.answers
    async with harness.Emulator.start(members=args.members) as emulator:
        bot_args = [
            "--kind",
            "bookclub" if kind == "postgres" else kind,
            "--channel-id",
            await emulator.channel_id(),
            "--answers",
            str(args.answers),
        ]
        bot_args += ["--timeout", str(args.timeout), "--poll", args.poll]
        if kind == "postgres":
            bot_args += ["--database-url", pg.create_database(f"votes_{n}")]
        async with harness.BotProcess.start(SCRIPT, emulator, *bot_args, what=f"the {kind} bot") as bot:
            ready = await bot.line()
            before = await emulator.request_count()
            emulator_cpu = emulator.cpu_seconds()
            started = time.time()
            body = {
                "message_id": ready["message_id"],
                "answers": list(range(1, args.answers + 1)),
                "members": args.members,
            }
            sent = await emulator.post("vote", body, timeout=600)
            sent_s = time.time() - started
            report = await bot.ask(f"report {expected}", timeout=args.timeout + 30)
            emulator_cpu_s = emulator.cpu_seconds() - emulator_cpu
            await asyncio.sleep(args.settle)  # the last, trailing tally edit lands after the last vote
            log = await emulator.requests_since(before)
    edits = [r for r in log if r["method"] == "PATCH" and r["route"] == EDIT_ROUTE]
    duration = max(report["last"] - started, 1e-9) if report["n"] else None
    by_message: dict[str, list[float]] = {}
    for r in edits:
        by_message.setdefault(r["path"], []).append(r["time"])
    gaps = [
        b - a for times in by_message.values() for a, b in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    return {
        "kind": kind,
        "votes_sent": sent["sent"],
        "send_errors": sent["errors"],
        "emulator_send_s": round(sent_s, 3),
        "handled": report["n"],
        "stored": report.get("stored"),
        "duration_s": round(duration, 3) if duration else None,
        "votes_per_s": round(report["n"] / duration, 1) if duration else 0.0,
        "message_edits": len(edits),
        "poll_message_edits": sum(1 for r in edits if ready["message_id"] in r["path"]),
        "min_edit_gap_s": round(min(gaps), 2) if gaps else None,
        "emulator_cpu_s": round(emulator_cpu_s, 2),
        "bot_peak_rss_mb": round(report.get("peak_rss_kb", 0) / 1024, 1),
    }


async def orchestrate(args: argparse.Namespace) -> int:
    """Measure both bots, print the table and ratio, write the JSON; return the exit code."""
    runs: list[dict[str, Any]] = []
    kinds = (*harness.KINDS, "postgres") if args.postgres else harness.KINDS
    with contextlib.ExitStack() as stack:
        pg = stack.enter_context(harness.postgres_server()) if args.postgres else None
        for n in range(args.repeat):
            for kind in kinds:
                runs.append(await measure(kind, args, pg, n))
    expected = args.members * args.answers
    problems = []
    for r in runs:
        if r["votes_sent"] != expected:
            problems.append(
                f"{r['kind']}: the emulator sent {r['votes_sent']} of {expected} votes: {r['send_errors'][:3]}"
            )
        if r["kind"] in ("bookclub", "postgres") and r["stored"] != expected:
            problems.append(f"{r['kind']}: {r['stored']} of {expected} votes stored")
        if r["poll_message_edits"]:
            problems.append(f"{r['kind']}: edited the poll message {r['poll_message_edits']} times")

    def best(kind: str) -> float:
        return max((r["votes_per_s"] for r in runs if r["kind"] == kind), default=0.0)

    ratio = best("bookclub") / best("baseline") if best("baseline") else None
    print(
        f"{'kind':<9} {'sent':>6} {'handled':>7} {'stored':>6} {'s':>7} {'votes/s':>8} {'edits':>5}"
        f" {'min gap s':>9} {'poll edits':>10}"
    )
    for r in runs:
        print(
            f"{r['kind']:<9} {r['votes_sent']:>6} {r['handled']:>7} {r['stored'] if r['stored'] is not None else '-':>6}"
            f" {r['duration_s'] or 0:>7.2f} {r['votes_per_s']:>8.0f} {r['message_edits']:>5}"
            f" {r['min_edit_gap_s'] if r['min_edit_gap_s'] is not None else '-':>9} {r['poll_message_edits']:>10}"
        )
    if ratio is not None:
        print(f"bookclub / baseline throughput (best of {args.repeat}): {ratio:.2f}")
    pg_ratio = best("postgres") / best("bookclub") if args.postgres and best("bookclub") else None
    if pg_ratio is not None:
        print(f"postgres / sqlite throughput, the real bot (best of {args.repeat}): {pg_ratio:.2f}")
    for p in problems:
        print("LOST:", p)
    harness.save_json(
        RESULTS,
        {
            "args": vars(args),
            "runs": runs,
            "ratio": ratio,
            "ratio_postgres_over_sqlite": pg_ratio,
            "problems": problems,
        },
    )
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the orchestrator or one bot."""
    parser = harness.bench_parser(__doc__)
    parser.add_argument("--members", type=int, default=2000, help="members who vote (default 2000)")
    parser.add_argument("--answers", type=int, default=5, help="answers each member votes for (2-10)")
    harness.add_repeat(parser, 1)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a bot may take after the votes")
    parser.add_argument(
        "--poll",
        choices=["dates", "native"],
        default="dates",
        help="the real bot's poll: with a tally or without",
    )
    parser.add_argument(
        "--settle", type=float, default=0.5, help="seconds to let the last requests reach the log"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="also measure the real bot on a throwaway PostgreSQL"
    )
    child = harness.add_bot_command(parser.add_subparsers(dest="role"))
    child.add_argument("--database-url", default=None)
    child.add_argument("--answers", type=int, required=True)
    child.add_argument("--timeout", type=float, required=True)
    child.add_argument("--poll", choices=["dates", "native"], required=True)
    return harness.run_role(parser.parse_args(argv), orchestrate, serve_bot)


if __name__ == "__main__":
    sys.exit(main())
