"""Benchmark: extract and post N featured reviews of 5,000-20,000 characters, against a bare discord.py client.

    .venv/bin/python bench/reviews_post.py [--reviews 100] [--repeat 1] [--seed 7]

Processes: the emulator (`python -m fakediscord`, rate limits off, so the numbers are the bots' own cost and
not Discord's 5-messages-per-5-seconds channel limit), the bot under test (this file with `_bot`), and this
orchestrator, which serves the N blog pages on 127.0.0.1 (article, share buttons, related posts, a comment
section with a duplicated comment), runs `/review feature url:… title:… full:true` for each page, one after
the other, through the emulator's control API, and reads the emulator's request log afterwards.

- **bookclub**: the real `BookClubBot` (`REVIEW_FETCH_ALLOW_PRIVATE=true`, a fresh SQLite file): guarded
  fetch, trafilatura extraction in the worker pool, splitting, posting, the comment thread, the database.
- **baseline**: a bare `discord.Client` with the same slash command that sends the very same messages, from
  text the orchestrator extracted and split before the run, opens the same thread and answers the same way:
  no fetch, no extraction, no splitting, no storage.

Per review: REST calls the bot made (emulator log), and time from the slash command to the bot's final answer.
Exits non-zero only for lost work: a review not answered as posted, posts that differ from the baseline's
(message and embed counts), or featured reviews missing from SQLite. Timing is reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _harness as harness

SCRIPT = Path(__file__).resolve()
WORK = ("The Lantern Keeper", "Ada Quill", 2021)


def pre_split(pages: dict[str, str], base: str) -> dict[str, list[list[dict[str, Any]]]]:
    """Extract and split every page as the real bot would, before the run, for the baseline to send."""
    from bot.domain import Work, WorkKind
    from cogs.reviews._document import ReviewDocument, Section
    from cogs.reviews._extract import extract_article
    from cogs.reviews._render import featured_messages

    work = Work(1, WorkKind.BOOK, WORK[0], WORK[1], WORK[2])
    posts: dict[str, list[list[dict[str, Any]]]] = {}
    for path, html in pages.items():
        url = base + path
        article = extract_article(html, url)
        doc = ReviewDocument(
            title=WORK[0],
            sections=(Section(article.text, plain=True),),
            author=article.author,
            source=url,
            headline=article.title,
            site=article.site,
            published=article.date,
        )
        posts[url] = [
            [dict(e.to_dict()) for e in m] for m in featured_messages(doc, work, None, "No spoilers")
        ]
    return posts


# -- the bot processes ----------------------------------------------------------------------------------
def baseline_client(posts: dict[str, list[list[dict[str, Any]]]], guild_id: int) -> Any:
    """Build a bare discord.py client whose `/review feature` sends pre-split posts and opens a thread."""
    import discord
    from baseline_bot import baseline_intents
    from discord import app_commands

    class BareReviews(discord.Client):
        def __init__(self) -> None:
            super().__init__(intents=baseline_intents(), allowed_mentions=discord.AllowedMentions.none())
            self.tree = app_commands.CommandTree(self)
            group = app_commands.Group(name="review", description="Reviews")

            @group.command(name="feature", description="Post a featured review")
            async def feature(
                interaction: discord.Interaction, url: str, title: str | None = None, full: bool = False
            ) -> None:
                await interaction.response.defer(ephemeral=True, thinking=True)
                channel = interaction.channel
                assert isinstance(channel, discord.TextChannel)
                sent = [
                    await channel.send(embeds=[discord.Embed.from_dict(e) for e in message])
                    for message in posts[url]
                ]
                thread = await sent[0].create_thread(name=f"Review: {WORK[0]} · No spoilers")
                await thread.send(f"Comments on the review of *{WORK[0]}*. Spoiler scope: **No spoilers**.")
                await interaction.followup.send(
                    f"Posted the whole text ({len(sent)} messages).", ephemeral=True
                )

            self.tree.add_command(group)

        async def setup_hook(self) -> None:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)

    return BareReviews()


async def serve_bot(args: argparse.Namespace) -> None:
    """Run one bot against the emulator and report what it stored when asked."""
    import discord

    side = harness.BotSide(args.info)
    if args.kind == "baseline":
        posts = json.loads(await asyncio.to_thread(Path(args.posts).read_text, encoding="utf-8"))
        client: discord.Client = baseline_client(posts, side.guild_id)
    else:
        from bot.client import BookClubBot
        from bot.domain import WorkKind
        from bot.store import NewWork

        settings, store = await side.open_store(
            args.db_dir, DEV_GUILD_ID=str(side.guild_id), REVIEW_FETCH_ALLOW_PRIVATE="true"
        )
        await store.catalog.add(side.guild_id, NewWork(WorkKind.BOOK, *WORK))
        # Everyone organizes in this club (discord.py puts @everyone, id = guild id, in every member's roles).
        await store.guilds.update(
            side.guild_id, organizer_role_id=side.guild_id, announcement_channel_id=args.channel_id
        )
        client = BookClubBot(settings=settings, store=store)

    await side.connect(client)
    side.say("ready")
    command, cpu_s = await side.until_asked()
    report: dict[str, Any] = {"command": command, "cpu_s": cpu_s}
    if side.store is not None:
        report["featured_rows"] = await side.count(
            "SELECT COUNT(*) FROM reviews WHERE kind = 'featured' AND thread_id IS NOT NULL"
        )
    side.report(**report)
    await side.close()


# -- the orchestrator -----------------------------------------------------------------------------------
@dataclass
class Run:
    """One bot posting every review against a fresh emulator."""

    kind: str
    repeat: int
    reviews: int
    posted: int = 0
    failures: list[str] = field(default_factory=list)
    rest_calls: int = 0
    rest_calls_per_review: float = 0.0
    rest_by_route: dict[str, int] = field(default_factory=dict)
    messages_per_review: float = 0.0
    embeds: int = 0
    seconds_total: float = 0.0
    ms_per_review_median: float = 0.0
    ms_per_review_p90: float = 0.0
    bot_cpu_s: float = 0.0  # the bot process and its worker processes
    workers_cpu_s: float = 0.0
    bot_cpu_ms_per_review: float = 0.0
    emulator_cpu_s: float = 0.0
    bot_peak_rss_mb: float = 0.0
    featured_rows: int | None = None
    bot_log_warnings: int = 0
    bot_log_first: list[str] = field(default_factory=list)
    message_shapes: list[int] = field(default_factory=list)


async def measure(kind: str, repeat: int, urls: list[str], posts_file: Path, args: argparse.Namespace) -> Run:
    """Start a fresh emulator and one bot, post every review, and count."""
    run = Run(kind, repeat, len(urls))
    async with harness.Emulator.start(validate=args.validate) as emulator:
        bot_args = ["--kind", kind, "--channel-id", await emulator.channel_id(), "--posts", str(posts_file)]
        async with harness.BotProcess.start(SCRIPT, emulator, *bot_args, what=f"the {kind} bot") as bot:
            ready = await bot.line()
            workers_cpu = harness.tree_cpu_seconds(bot.pid) - harness.cpu_seconds(bot.pid)
            before = await emulator.request_count()
            emulator_cpu = emulator.cpu_seconds()
            timings: list[float] = []
            started = time.perf_counter()
            for url in urls:
                body = {
                    "command": "review feature",
                    "options": {"url": url, "title": WORK[0], "full": True},
                    "members": 1,
                    "channel": "general",
                    "timeout": 10,
                }
                t0 = time.perf_counter()
                result = await emulator.post("slash", body)
                timings.append(time.perf_counter() - t0)
                if result.get("ok") == 1:
                    run.posted += 1
                else:
                    run.failures.append(f"{url}: {result.get('errors')}")
            run.seconds_total = round(time.perf_counter() - started, 2)
            # Extraction runs in the bot's worker processes: their CPU is the bot's too.
            workers_cpu = harness.tree_cpu_seconds(bot.pid) - harness.cpu_seconds(bot.pid) - workers_cpu
            run.workers_cpu_s = round(workers_cpu, 2)
            run.emulator_cpu_s = round(emulator.cpu_seconds() - emulator_cpu, 2)
            log = await emulator.requests_since(before)
            messages = await emulator.get("messages", channel="general")
            report = await bot.ask("report")
    # Interaction callbacks and follow-ups are the answer to the organizer; the rest are the posts and thread.
    routes = Counter(f"{e['method']} {e['route']}" for e in log)
    run.rest_by_route = dict(routes.most_common())
    run.rest_calls = sum(routes.values())
    run.rest_calls_per_review = round(run.rest_calls / max(1, len(urls)), 2)
    posted = [m for m in messages if m.get("embeds")]
    run.message_shapes = [len(m["embeds"]) for m in posted]
    run.embeds = sum(run.message_shapes)
    run.messages_per_review = round(len(posted) / max(1, len(urls)), 2)
    ordered = sorted(timings)
    run.ms_per_review_median = round(statistics.median(ordered) * 1000, 1)
    run.ms_per_review_p90 = round(ordered[max(0, int(len(ordered) * 0.9) - 1)] * 1000, 1)
    run.bot_cpu_s = round(report["cpu_s"] + run.workers_cpu_s, 2)
    run.bot_cpu_ms_per_review = round(run.bot_cpu_s * 1000 / max(1, len(urls)), 1)
    run.bot_peak_rss_mb = round(report["peak_rss_kb"] / 1024, 1)
    run.featured_rows = report.get("featured_rows")
    run.bot_log_warnings = report["log_count"]
    run.bot_log_first = report["log_first"]
    run.bot_peak_rss_mb = max(run.bot_peak_rss_mb, round(ready["peak_rss_kb"] / 1024, 1))
    return run


def problems_of(runs: list[Run]) -> list[str]:
    """Return lost work: unanswered reviews, posts that differ between the bots, rows missing in SQLite."""
    problems = []
    for run in runs:
        if run.posted != run.reviews:
            problems.append(
                f"{run.kind} #{run.repeat}: {run.reviews - run.posted} reviews not posted {run.failures[:3]}"
            )
        if run.kind == "bookclub" and run.featured_rows != run.reviews:
            problems.append(
                f"bookclub #{run.repeat}: {run.featured_rows} featured reviews stored, not {run.reviews}"
            )
    for repeat in {r.repeat for r in runs}:
        pair = {r.kind: r for r in runs if r.repeat == repeat}
        if len(pair) == 2 and pair["baseline"].message_shapes != pair["bookclub"].message_shapes:
            problems.append(f"#{repeat}: the bots posted different messages (embeds per message differ)")
    return problems


async def orchestrate(args: argparse.Namespace) -> int:
    """Serve the pages, measure both bots, print a table and write the JSON; return the exit code."""
    started = datetime.now(UTC)
    pages, sizes = harness.build_pages(args.reviews, args.seed)
    runner, base = await harness.serve_pages(pages)
    runs: list[Run] = []
    try:
        posts = await asyncio.to_thread(pre_split, pages, base)
        with tempfile.TemporaryDirectory(prefix="bench-reviews-posts-") as tmp:
            posts_file = Path(tmp) / "posts.json"
            posts_file.write_text(json.dumps(posts), encoding="utf-8")
            urls = [base + path for path in pages]
            for repeat in range(1, args.repeat + 1):
                for kind in harness.KINDS:
                    run = await measure(kind, repeat, urls, posts_file, args)
                    runs.append(run)
                    print(
                        f"[{kind} #{repeat}] posted {run.posted}/{run.reviews}, {run.rest_calls_per_review} REST calls "
                        f"and {run.messages_per_review} messages per review, median {run.ms_per_review_median} ms",
                        flush=True,
                    )
    finally:
        await runner.cleanup()
    by_kind = {k: [r for r in runs if r.kind == k] for k in harness.KINDS}

    def median_of(kind: str, name: str) -> float:
        return float(statistics.median(getattr(r, name) for r in by_kind[kind]))

    summary = {
        name: {
            "baseline": median_of("baseline", name),
            "bookclub": median_of("bookclub", name),
            "ratio": harness.ratio(median_of("bookclub", name), median_of("baseline", name)),
        }
        for name in (
            "rest_calls_per_review",
            "ms_per_review_median",
            "ms_per_review_p90",
            "bot_cpu_ms_per_review",
        )
    }
    problems = problems_of(runs)
    print()
    print(
        f"{args.reviews} reviews of {min(sizes):,}-{max(sizes):,} characters (article text), rate limits off"
    )
    print(f"{'':28}{'baseline':>12}{'bookclub':>12}{'ratio':>8}")
    for name, values in summary.items():
        print(f"{name:28}{values['baseline']:>12}{values['bookclub']:>12}{values['ratio'] or '-':>8}")
    print()
    params = {"reviews": args.reviews, "repeat": args.repeat, "seed": args.seed, "validate": args.validate}
    return harness.write_results("reviews_post", started, problems, params=params, runs=runs, summary=summary)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the orchestrator (or, internally, one bot process)."""
    parser = harness.bench_parser(__doc__)
    parser.add_argument("--reviews", type=int, default=100, help="featured reviews to post (default 100)")
    harness.add_repeat(parser, 1)
    parser.add_argument("--seed", type=int, default=7, help="seed for the generated reviews")
    harness.add_validate(parser)
    child = harness.add_bot_command(parser.add_subparsers(dest="role"))
    child.add_argument("--posts", required=True)
    args = parser.parse_args(argv)
    if args.role is None and (args.reviews < 1 or args.repeat < 1):
        parser.error("--reviews and --repeat must be positive")
    return harness.run_role(args, orchestrate, serve_bot)


if __name__ == "__main__":
    sys.exit(main())
