"""Benchmark: `/summarize` on threads of 100, 1,000 and 10,000 messages against a zero-latency local model.

    .venv/bin/python bench/summaries.py [--sizes 100,1000,10000] [--context 8000] [--answer-chars 1600] [--repeat 3]

For each size, a fresh emulator (in this process, rate limits and validation off) holds one thread
seeded with member messages of varied length. Two clients read it, one after the other:

- **baseline**: a bare `discord.Client` that reads the thread's whole history (`thread.history`);
- **bookclub**: the real `BookClubBot` (fresh SQLite file, summaries configured) answering a member's
  `/summarize`, timed from the command until the summary is shown. Its model is `tests/llmfake`,
  answering at once with a summary of `--answer-chars` characters (about a real 350-word answer), so
  the time is the bot's own: reading, chunking, requests, storing and posting.

Reported per size: LLM calls; tokens sent per token of thread (every request's characters / 4, over
the thread's "author: text" characters / 4; target ≤ 1.2, i.e. each message sent about once); wall
time of both and their ratio. Exits non-zero only for lost work (a message not sent to the model, or
no summary shown); timing is reported, never asserted.
"""

from __future__ import annotations

import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import _harness as harness

sys.path[:0] = map(
    str, harness.IMPORT_PATHS
)  # the emulator and the fake model (tests/llmfake) run in this process

import discord  # noqa: E402
from llmfake import FakeLLM, LLMRequest, default_answer  # noqa: E402

from bot.__main__ import build_llm  # noqa: E402
from bot.client import BookClubBot  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.store import Database, Store  # noqa: E402
from fakediscord import FakeDiscord  # noqa: E402
from fakediscord.world import ChannelType  # noqa: E402

RESULTS = harness.RESULTS_DIR / "summaries.json"
LINE_PREFIX = "["
WORDS = [
    "the",
    "keeper",
    "lighthouse",
    "storm",
    "chapter",
    "ending",
    "twist",
    "letter",
    "sister",
    "harbour",
    "lamp",
    "fog",
    "island",
    "promise",
    "memory",
    "ship",
    "winter",
    "tide",
    "night",
    "voice",
    "secret",
    "map",
    "bell",
    "father",
    "quiet",
    "coast",
    "rope",
    "light",
    "dark",
    "sea",
]


@dataclass
class Result:
    """One thread size's figures."""

    messages: int
    thread_tokens: int
    llm_calls: int
    tokens_sent: int
    sent_per_thread_token: float
    baseline_read_s: float
    bookclub_summary_s: float
    ratio: float
    every_message_sent_once: bool
    summary_shown: bool


def sentence(rng: random.Random) -> str:
    """Return a member-like message of 3 to 60 words."""
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 60))).capitalize() + rng.choice(".?!")


def realistic_answer(chars: int):
    """Answer like a model that uses its length: the default summary padded to about `chars` characters."""

    def answer(request: LLMRequest) -> str:
        text = default_answer(request)
        filler = " The discussion also covered the keeper's choices and the storm's meaning."
        while len(text) < chars:
            text += filler
        return text[:chars]

    return answer


async def baseline_read(club: FakeDiscord, thread_id: int) -> float:
    """Time a bare discord.py client reading the thread's whole history."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True
    client = discord.Client(intents=intents)
    async with club.run_bot(client):
        channel = await client.fetch_channel(thread_id)
        assert isinstance(channel, discord.Thread)
        started = time.perf_counter()
        count = 0
        async for _ in channel.history(limit=None, oldest_first=True):
            count += 1
        return time.perf_counter() - started


async def measure(size: int, context: int, answer_chars: int) -> Result:
    """Seed one thread of `size` messages and time both clients on it."""
    rng = random.Random(size)
    async with (
        FakeDiscord(rate_limits=False, validate=False) as club,
        FakeLLM(answer=realistic_answer(answer_chars)) as llm,
    ):
        club.connect_discord_py()
        members = [club.member(f"reader{i:02d}") for i in range(20)]
        parent = club.text_channel("discussions")
        thread = await club.open_thread(parent, members[0].id, "The ending", ChannelType.PUBLIC_THREAD)
        thread_chars = 0
        for i in range(size):
            author = members[i % len(members)]
            text = sentence(rng)
            club.messages.build(thread, author.id, {"content": text})
            thread_chars += len(f"{author.name}: {text}")

        baseline = await baseline_read(club, thread.id)

        with tempfile.TemporaryDirectory() as tmp:
            db = await Database.open(Path(tmp) / "bench.sqlite3")
            await db.migrate()
            env = {
                "DISCORD_TOKEN": club.token,
                "DEV_GUILD_ID": str(club.guild.id),
                "OPENAI_API_KEY": "sk-bench",
                "OPENAI_BASE_URL": llm.base_url,
                "SUMMARY_CONTEXT_TOKENS": str(context),
                "SUMMARY_DAILY_TOKENS": "100000000",
            }
            settings = load_settings(env)
            store = Store.build(db, club.clock)
            bot = BookClubBot(settings=settings, store=store, llm=build_llm(settings), clock=club.clock)
            try:
                async with club.run_bot(bot):
                    await club.wait_for_commands()
                    started = time.perf_counter()
                    reply = await members[1].slash("summarize", in_channel=thread, followup_timeout=600)

                    def shown() -> bool:
                        return bool(
                            reply.message is not None
                            and (reply.message.embeds or "Posted" in reply.message.content)
                        )

                    await club.wait_until(shown, timeout=600, what="the summary")
                    elapsed = time.perf_counter() - started
            finally:
                await db.close()

    sent_chars = sum(len(str(m.get("content") or "")) for r in llm.requests for m in r.messages)
    numbers = [
        int(line[1 : line.index("]")])
        for r in llm.requests
        for line in r.user_text.splitlines()
        if line.startswith(LINE_PREFIX) and "]" in line and line[1 : line.index("]")].isdigit()
    ]
    thread_tokens = thread_chars // 4
    tokens_sent = sent_chars // 4
    return Result(
        messages=size,
        thread_tokens=thread_tokens,
        llm_calls=len(llm.requests),
        tokens_sent=tokens_sent,
        sent_per_thread_token=round(tokens_sent / thread_tokens, 3),
        baseline_read_s=round(baseline, 3),
        bookclub_summary_s=round(elapsed, 3),
        ratio=round(elapsed / baseline, 2) if baseline else float("inf"),
        every_message_sent_once=sorted(numbers) == list(range(1, size + 1)),
        summary_shown=shown(),
    )


def main(argv: list[str] | None = None) -> int:
    """Run the sizes and print a table; exit 1 if a message was lost or no summary was shown."""
    parser = harness.bench_parser(__doc__)
    parser.add_argument("--sizes", default="100,1000,10000", help="comma-separated thread sizes")
    parser.add_argument("--context", type=int, default=8000, help="SUMMARY_CONTEXT_TOKENS")
    parser.add_argument("--answer-chars", type=int, default=1600, help="length of each model answer")
    harness.add_repeat(parser, 3, of="each size (median times, median ratio)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results = []
    for size in sizes:
        runs = [asyncio.run(measure(size, args.context, args.answer_chars)) for _ in range(args.repeat)]
        # Calls and tokens are the same every run; the times are the medians, the ratio taken per run.
        middle = sorted(runs, key=lambda r: r.ratio)[len(runs) // 2]
        middle.baseline_read_s = statistics.median(r.baseline_read_s for r in runs)
        middle.bookclub_summary_s = statistics.median(r.bookclub_summary_s for r in runs)
        middle.every_message_sent_once = all(r.every_message_sent_once for r in runs)
        middle.summary_shown = all(r.summary_shown for r in runs)
        results.append(middle)
    print(
        f"{'messages':>9} {'calls':>6} {'thread tok':>11} {'sent tok':>9} {'sent/thread':>12} {'baseline s':>11} {'bookclub s':>11} {'ratio':>6}"
    )
    for r in results:
        print(
            f"{r.messages:>9,} {r.llm_calls:>6} {r.thread_tokens:>11,} {r.tokens_sent:>9,} {r.sent_per_thread_token:>12.3f} "
            f"{r.baseline_read_s:>11.3f} {r.bookclub_summary_s:>11.3f} {r.ratio:>6.2f}"
        )
    payload: dict[str, Any] = {
        "repeat": args.repeat,
        "context_tokens": args.context,
        "answer_chars": args.answer_chars,
        "results": [asdict(r) for r in results],
    }
    harness.save_json(RESULTS, payload)
    lost = [r.messages for r in results if not (r.every_message_sent_once and r.summary_shown)]
    if lost:
        print(
            f"LOST WORK for sizes {lost}: a message was not sent exactly once, or no summary was shown",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
