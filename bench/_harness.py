"""What the benchmarks share: their processes, the click storm, and the arithmetic of their reports.

A bench runs as three kinds of process, so load generation never shares the bot's event loop: the
emulator (`python -m fakediscord`, on 127.0.0.1, rate limits off), the bot under test (the
bench's own file with `_bot`), and the orchestrator (the bench's file without it). They speak JSON lines:
the emulator prints where it listens, the bot prints `ready` once connected and a `report` when the
orchestrator writes a command on its stdin.

- the orchestrator starts them with `Emulator.start` and `BotProcess.start` (both async context managers
  that stop what they started), and drives clicks with `click_storm`;
- the bot process connects its client through `BotSide`;
- both ends use the figures at the top (`percentile`, `median_ratio`, CPU and memory readings).

No bench imports another bench; what two benches need alike lives here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import importlib.machinery
import json
import logging
import math
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    import discord

    from bot.settings import Settings
    from bot.store import Store

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
KINDS = ("baseline", "bookclub")
IMPORT_PATHS = (
    ROOT,
    ROOT / "tests",
)  # the bot and the emulator (`fakediscord/`), the fake model (`tests/llmfake`)
DEADLINE = 3.0  # seconds Discord gives a bot to answer an interaction
# A child's JSON line can be long (a report notes every click of a 10,000-member storm): asyncio's
# default 64 KiB line limit would cut it.
LINE_LIMIT = 64 * 1024 * 1024
CALLBACK = re.compile(r"^/interactions/(\d+)/[^/]+/callback$")


# -- figures --------------------------------------------------------------------------------------------
def percentile(values: Sequence[float], pct: float) -> float | None:
    """Return the nearest-rank percentile, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def percentile_ms(seconds: Sequence[float], pct: float) -> float | None:
    """Return the nearest-rank percentile of durations in seconds, in milliseconds to 0.1."""
    found = percentile(seconds, pct)
    return None if found is None else round(found * 1000, 1)


def ratio(a: float | None, b: float | None) -> float | None:
    """Return a / b to two places, or None when either is missing or b is zero."""
    return round(a / b, 2) if a is not None and b else None


def median_ratio(pairs: Iterable[tuple[float | None, float | None]]) -> float | None:
    """Return the median of a / b over the pairs that have both (the ratios of one run's repeats)."""
    ratios = [a / b for a, b in pairs if a is not None and b]
    return round(statistics.median(ratios), 2) if ratios else None


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time another process used so far (Linux only; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """Return `pid` and every process descended from it (the bot, its forkserver and its workers; Linux)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
            parents.setdefault(ppid, []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(parents.get(current, []))
    return found


def tree_memory_kb(pid: int) -> dict[str, int]:
    """Return the memory of a process and its descendants, in KiB, shared pages counted once.

    PSS splits each shared page between the processes sharing it, so the sum is what the tree costs
    the machine; USS (private pages only) is what stopping it would free. From `/proc/<pid>/smaps_rollup`.
    """
    total = {"processes": 0, "pss_kb": 0, "uss_kb": 0, "rss_kb": 0}
    for member in process_tree(pid):
        fields: dict[str, int] = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()[1:]:
                key, _, value = line.partition(":")
                fields[key] = int(value.split()[0])
        if not fields:
            continue
        total["processes"] += 1
        total["pss_kb"] += fields.get("Pss", 0)
        total["uss_kb"] += fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
        total["rss_kb"] += fields.get("Rss", 0)
    return total


def tree_cpu_seconds(pid: int) -> float:
    """Return the CPU time a process and its descendants (its worker processes) used so far."""
    return sum(cpu_seconds(member) for member in process_tree(pid))


def memory_kb() -> dict[str, int]:
    """Return this process's resident set size now and at its peak, in KiB (Linux only)."""
    found: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return {"rss_kb": found.get("VmRSS", 0), "peak_rss_kb": found.get("VmHWM", 0)}


# -- review pages -------------------------------------------------------------------------------------
WORDS = (
    *("lighthouse", "harbour", "keeper", "storm", "novel", "chapter", "reader", "quiet", "patient", "lamp"),
    *("tide", "letters", "island", "winter", "memory", "prose", "sentence", "ferry", "village", "mother"),
    *("brother", "silence", "weather", "rope", "gull", "beacon", "ledger"),
)


def review_text(rng: random.Random, chars: int) -> list[str]:
    """Return paragraphs of plausible review prose adding up to about `chars` characters."""
    paragraphs: list[str] = []
    total = 0
    while total < chars:
        sentences = []
        for _ in range(rng.randint(3, 7)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
            sentences.append(" ".join(words).capitalize() + rng.choice([".", ".", ".", "!", "?"]))
        paragraph = " ".join(sentences)
        if paragraphs and total + len(paragraph) > chars:
            break
        paragraphs.append(paragraph)
        total += len(paragraph) + 2
    return paragraphs


def page_html(number: int, paragraphs: list[str]) -> str:
    """Wrap a review in a blog page with the clutter extraction must drop."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    comment = f"<li class='comment'><p>Comment on review {number}: I disagree about the ending.</p></li>"
    return (
        f"<!doctype html><html><head><title>Review {number} | Harbour Reads</title>"
        "<meta name='author' content='Bench Writer'><meta property='og:site_name' content='Harbour Reads'></head>"
        "<body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav><main><article>"
        f"<h1>Review {number}</h1>{body}<div class='share'>Share on Facebook Share on X</div></article>"
        "<aside class='related'><h3>Related posts</h3><a href='/x'>Another review</a></aside>"
        f"<section id='comments'><ol>{comment}{comment}</ol><div id='respond'><h3>Leave a Reply</h3>"
        "<form><textarea></textarea></form></div></section></main><footer>© Harbour Reads</footer></body></html>"
    )


def build_pages(count: int, seed: int) -> tuple[dict[str, str], list[int]]:
    """Return page path → HTML for `count` reviews of 5,000-20,000 characters, and each review's length."""
    rng = random.Random(seed)
    pages: dict[str, str] = {}
    sizes: list[int] = []
    for n in range(count):
        # Paragraphs run to about 1,400 characters, so the text lands between 5,000 and 20,000.
        paragraphs = review_text(rng, rng.randint(6_500, 20_000))
        pages[f"/review/{n}"] = page_html(n, paragraphs)
        sizes.append(sum(len(p) + 2 for p in paragraphs) - 2)
    return pages, sizes


async def serve_pages(pages: dict[str, str]) -> tuple[web.AppRunner, str]:
    """Serve the blog pages on 127.0.0.1; return the runner and the base URL."""

    async def page(request: web.Request) -> web.Response:
        html = pages.get(request.path)
        if html is None:
            raise web.HTTPNotFound()
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/review/{n}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


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


class BotSide:
    """The bot process's end of a bench: its client on the emulator, its SQLite file, its JSON lines.

    Built from the emulator's JSON line (`--info`). Warnings and errors are kept for the report rather than
    printed (stdout carries the JSON lines) unless `collect_warnings` is false.
    """

    def __init__(self, info: str, *, collect_warnings: bool = True) -> None:
        from fakediscord import point_discord_py_at

        # `python -m bot` runs a package's `__main__`, which multiprocessing does not import again in each
        # worker process; a bench file is run by its path and would be. Name it as a package's `__main__`
        # too, so the bot's worker processes hold what they hold in production.
        sys.modules["__main__"].__spec__ = importlib.machinery.ModuleSpec("bench.__main__", None)
        self.warnings = LogCollector()
        if collect_warnings:
            logging.getLogger().addHandler(self.warnings)
        logging.getLogger().setLevel(logging.WARNING)
        self.info: dict[str, Any] = json.loads(info)
        point_discord_py_at(self.info["api_base"], self.info["gateway_url"])
        self.token: str = self.info["token"]
        self.store: Store | None = None
        self._client: discord.Client | None = None
        self._runner: asyncio.Task[None] | None = None

    @property
    def guild_id(self) -> int:
        """Return the id of the emulator's first guild."""
        return int(self.info["guild_id"])

    async def open_store(
        self, db_dir: str, *, database_url: str | None = None, **env: str
    ) -> tuple[Settings, Store]:
        """Migrate a fresh SQLite file in `db_dir` (or the PostgreSQL database at `database_url`).

        Return the real bot's settings (with `env`) and store.
        """
        from bot.clock import SystemClock
        from bot.settings import load_settings
        from bot.store import Store
        from bot.store.connect import open_database

        db_path = Path(db_dir) / "bookclub.sqlite3"
        if database_url is not None:
            env = {"DATABASE_URL": database_url, **env}
        settings = load_settings({"DISCORD_TOKEN": self.token, "DATABASE_PATH": str(db_path), **env})
        db = await open_database(db_path, database_url, listen=True)
        await db.migrate()
        self.store = Store.build(db, SystemClock())
        return settings, self.store

    async def count(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Return the one number a `SELECT COUNT(*) …` finds in the real bot's database."""
        assert self.store is not None
        row = await self.store.db.fetch_one(sql, params)
        return int(row[0]) if row else 0

    async def connect(self, client: discord.Client, *, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a start-up deadline
        """Start `client` on the emulator and wait until it is ready."""

        async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
            return None

        # Real Discord needs these waits; the emulator does not (same speed-ups as the e2e tests).
        client.before_identify_hook = no_wait  # type: ignore[method-assign]
        client._connection.guild_ready_timeout = 0.05
        self._client = client
        self._runner = asyncio.create_task(client.start(self.token))
        await asyncio.wait_for(client.wait_until_ready(), timeout)

    def text_channel(self, channel_id: int) -> discord.TextChannel:
        """Return the connected client's text channel `channel_id`."""
        import discord

        assert self._client is not None
        channel = self._client.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel), channel
        return channel

    def say(self, event: str, **fields: Any) -> None:
        """Print a JSON line for the orchestrator, with this process's memory readings."""
        print(json.dumps({"event": event, **fields, **memory_kb()}), flush=True)

    def report(self, **fields: Any) -> None:
        """Print the report line: `fields`, the memory readings and the warnings the bot logged."""
        self.say("report", **fields, log_count=self.warnings.count, log_first=self.warnings.first)

    async def until_asked(self) -> tuple[str, float]:
        """Wait for the orchestrator's command on stdin; return it and the CPU time used meanwhile.

        The CPU time is the whole process's (`time.process_time`): the event loop and aiosqlite's thread.
        """
        cpu_before = time.process_time()
        command = await asyncio.to_thread(sys.stdin.readline)
        return command.strip(), time.process_time() - cpu_before

    async def close(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - a shut-down deadline
        """Close the client, wait for it to stop, and close the database."""
        if self._client is not None and self._runner is not None:
            await self._client.close()
            await asyncio.wait_for(self._runner, timeout)
        if self.store is not None:
            await self.store.db.close()


# -- the orchestrator -----------------------------------------------------------------------------------
@contextlib.contextmanager
def postgres_server() -> Iterator[Any]:
    """Start the tests' throwaway PostgreSQL server (`tests/postgres_server.py`, one copy); stop it after."""
    sys.path.insert(0, str(ROOT / "tests"))
    from postgres_server import PostgresServer

    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def child_env() -> dict[str, str]:
    """Return the environment for child processes: the repo and the emulator importable."""
    paths = [*map(str, IMPORT_PATHS), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


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


class Emulator:
    """An emulator in its own process, and an HTTP session on its control API."""

    def __init__(
        self, process: asyncio.subprocess.Process, info: dict[str, Any], http: aiohttp.ClientSession
    ):
        self.process = process
        self.info = info
        self.http = http

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls,
        *,
        members: int = 1,
        validate: bool = False,
        command: Sequence[str] | None = None,
        guilds: int = 1,
        channels: Sequence[str] = (),
        roles: Sequence[str] = (),
    ) -> AsyncIterator[Emulator]:
        """Run `python -m fakediscord` with `members` members (or `command`, printing the same line); stop it after.

        With `guilds` above 1, that many guilds of `members` members each, every one with #general,
        `channels` and `roles`.
        """
        if command is None:
            command = [sys.executable, "-m", "fakediscord", "--port", "0", "--members", str(members)]
            command += ["--no-rate-limits"] + ([] if validate else ["--no-validate"])
            command += ["--guilds", str(guilds)] if guilds != 1 else []
            command += [arg for name in channels for arg in ("--channel", name)]
            command += [arg for name in roles for arg in ("--role", name)]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, env=child_env(), cwd=ROOT, limit=LINE_LIMIT
        )
        try:
            assert process.stdout is not None
            info = await read_json_line(process.stdout, 60, "the emulator")
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                yield cls(process, info, http)
        finally:
            await stop_process(process)

    def cpu_seconds(self) -> float:
        """Return the CPU time the emulator used so far."""
        return cpu_seconds(self.process.pid)

    async def get(self, path: str, **params: str) -> Any:
        """Return the JSON of `GET /_control/<path>`."""
        async with self.http.get(self.info["control"] + path, params=params) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def post(self, path: str, body: dict[str, Any], *, timeout: float = 300.0) -> Any:  # noqa: ASYNC109 - passed to aiohttp
        """Return the JSON of `POST /_control/<path>` with `body`."""
        limit = aiohttp.ClientTimeout(total=timeout)
        async with self.http.post(self.info["control"] + path, json=body, timeout=limit) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def channel_id(self, name: str = "general") -> str:
        """Return the id of the first guild's text channel `name`."""
        channels: dict[str, str] = (await self.get("info"))["channels"]
        return next(cid for cid, found in channels.items() if found == name)

    async def request_count(self) -> int:
        """Return how many requests the emulator has logged so far."""
        return int((await self.get("requests", since="0"))["total"])

    async def requests_since(self, count: int) -> list[dict[str, Any]]:
        """Return the requests logged after the first `count`."""
        requests: list[dict[str, Any]] = (await self.get("requests", since=str(count)))["requests"]
        return requests


class BotProcess:
    """A bot under test in its own process (the bench's file with `_bot`), with a fresh temporary directory."""

    def __init__(self, process: asyncio.subprocess.Process, what: str, started: float) -> None:
        self.process = process
        self.what = what
        self.started = started  # time.monotonic() just before the process was started

    @property
    def pid(self) -> int:
        """Return the bot process's id."""
        return self.process.pid

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls, script: Path, emulator: Emulator, *args: str, what: str, exit_timeout: float = 20.0
    ) -> AsyncIterator[BotProcess]:
        """Run `script _bot --info … --db-dir … args…`; afterwards wait for it to exit, or stop it after a failure."""
        with tempfile.TemporaryDirectory(prefix=f"bench-{script.stem}-") as tmp:
            command = [sys.executable, str(script), "_bot", "--info", json.dumps(emulator.info)]
            command += ["--db-dir", tmp]
            started = time.monotonic()
            process = await asyncio.create_subprocess_exec(
                *command,
                *args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=child_env(),
                cwd=ROOT,
                limit=LINE_LIMIT,
            )
            try:
                yield cls(process, what, started)
                await asyncio.wait_for(process.wait(), exit_timeout)
            finally:
                await stop_process(process)

    async def line(self, timeout: float = 60.0) -> dict[str, Any]:  # noqa: ASYNC109 - the bot's deadline
        """Return the next JSON line the bot prints."""
        assert self.process.stdout is not None
        return await read_json_line(self.process.stdout, timeout, self.what)

    async def ready(self, timeout: float = 60.0) -> dict[str, Any]:  # noqa: ASYNC109 - the bot's deadline
        """Return the bot's `ready` line, with `startup_s`: from starting its process to that line."""
        found = await self.line(timeout)
        found["startup_s"] = round(time.monotonic() - self.started, 3)
        return found

    async def ask(self, command: str = "report", timeout: float = 60.0) -> dict[str, Any]:  # noqa: ASYNC109 - the bot's deadline
        """Write `command` on the bot's stdin and return the JSON line it answers with."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()
        return await self.line(timeout)


# -- the click storm ------------------------------------------------------------------------------------
@dataclasses.dataclass
class ClickRun:
    """One bot's answers to one storm of clicks, against one fresh emulator."""

    kind: str
    repeat: int
    members: int
    clicks_sent: int = 0
    answered: int = 0  # callbacks the emulator accepted (it refuses those after its 3 s deadline with 10062)
    within_deadline: int = 0  # accepted and ≤ 3 s after the click by our clock
    late_10062: int = 0
    other_callback_errors: int = 0
    members_saw_answer: int = 0  # what the control API's click calls reported
    click_errors: list[str] = dataclasses.field(default_factory=list)
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
    # The whole bot (its process, forkserver and workers), shared pages counted once: after READY, and
    # after the storm (before its report), in MiB.
    bot_processes: int = 0
    bot_pss_ready_mb: float = 0.0
    bot_uss_ready_mb: float = 0.0
    bot_pss_burst_mb: float = 0.0
    bot_uss_burst_mb: float = 0.0
    bot_startup_s: float = 0.0  # starting the bot's process → its `ready` line (connected, button posted)
    bot_log_warnings: int = 0
    bot_log_first: list[str] = dataclasses.field(default_factory=list)
    profile: str | None = None


async def click_in_batches(
    emulator: Emulator, message_id: str, custom_id: str, names: list[str], window: float, batches: int
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
        result: dict[str, Any] = await emulator.post("click", body)
        return result

    results = await asyncio.gather(*(one(i, g) for i, g in enumerate(groups)))
    return sent_at, list(results)


@dataclasses.dataclass(frozen=True)
class ClickTarget:
    """One member's click on one message's button, in whichever guild the message is."""

    member: str  # a username, unique across the emulator's guilds
    message_id: str
    custom_id: str


async def click_targets_in_batches(
    emulator: Emulator, targets: list[ClickTarget], window: float, batches: int
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Send the clicks as `batches` control calls evenly spread over `window`; return when each member was sent.

    Unlike `click_in_batches` the clicks may land on many messages in many guilds (`POST /_control/click`
    with `clicks`), each by the member of that name in the message's guild.
    """
    size = math.ceil(len(targets) / batches)
    groups = [targets[i : i + size] for i in range(0, len(targets), size)]
    sent_at: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(i: int, group: list[ClickTarget]) -> dict[str, Any]:
        await asyncio.sleep(max(0.0, start + i * window / len(groups) - loop.time()))
        now = time.time()
        sent_at.update(dict.fromkeys((t.member for t in group), now))
        clicks = [{"member": t.member, "message_id": t.message_id, "button": t.custom_id} for t in group]
        result: dict[str, Any] = await emulator.post("click", {"clicks": clicks, "timeout": 10})
        return result

    results = await asyncio.gather(*(one(i, g) for i, g in enumerate(groups)))
    return sent_at, list(results)


async def click_storm(
    run: ClickRun,
    emulator: Emulator,
    bot: BotProcess,
    ready: dict[str, Any],
    *,
    window: float,
    batches: int,
    during: Coroutine[Any, Any, None] | None = None,
    targets: list[ClickTarget] | None = None,
) -> dict[str, Any]:
    """Have every member click the button of the bot's `ready` message within `window`; fill `run`.

    With `targets`, those clicks instead (on many messages, in many guilds; `run.members` should be their
    number). `during` runs alongside the clicks (it starts 0.1 s before them and must finish before the log
    is read). Returns the bot's report.
    """
    ready_memory = tree_memory_kb(bot.pid)
    before = await emulator.request_count()
    alongside = None
    if during is not None:
        alongside = asyncio.create_task(during)
        await asyncio.sleep(0.1)
    emulator_cpu = emulator.cpu_seconds()
    if targets is None:
        names = [f"member{i}" for i in range(run.members)]
        sent_at, results = await click_in_batches(
            emulator, ready["message_id"], ready["custom_id"], names, window, batches
        )
    else:
        sent_at, results = await click_targets_in_batches(emulator, targets, window, batches)
    run.emulator_cpu_s = round(emulator.cpu_seconds() - emulator_cpu, 2)
    if alongside is not None:
        await alongside
    await asyncio.sleep(0.2)  # let stray late callbacks land in the log
    log = await emulator.requests_since(before)
    burst_memory = tree_memory_kb(bot.pid)
    report = await bot.ask("report")
    summarise_clicks(run, sent_at, results, log, report)
    run.bot_processes = burst_memory["processes"]
    run.bot_pss_ready_mb, run.bot_uss_ready_mb = mib(ready_memory["pss_kb"]), mib(ready_memory["uss_kb"])
    run.bot_pss_burst_mb, run.bot_uss_burst_mb = mib(burst_memory["pss_kb"]), mib(burst_memory["uss_kb"])
    return report


def mib(kib: int) -> float:
    """Return KiB as MiB to 0.1."""
    return round(kib / 1024, 1)


def summarise_clicks(
    run: ClickRun,
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

    first = min(sent_at.values())
    run.send_spread_s = round(max(sent_at.values()) - first, 3)
    if answered_at:
        run.duration_s = round(max(answered_at) - first, 3)
        run.throughput_per_s = round(run.answered / run.duration_s, 1) if run.duration_s > 0 else 0.0
    run.latency_p50_ms, run.latency_p99_ms = percentile_ms(latencies, 50), percentile_ms(latencies, 99)
    run.latency_max_ms = percentile_ms(latencies, 100)
    run.delivery_p50_ms, run.delivery_p99_ms = percentile_ms(delivery, 50), percentile_ms(delivery, 99)
    run.handling_p50_ms, run.handling_p99_ms = percentile_ms(handling, 50), percentile_ms(handling, 99)
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


# -- arguments and results ------------------------------------------------------------------------------
def bench_parser(doc: str | None) -> argparse.ArgumentParser:
    """Return a bench's argument parser, with its module docstring as the description."""
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def add_repeat(parser: argparse.ArgumentParser, default: int, of: str = "each bot") -> None:
    """Add `--repeat`: how many measurements of `of` one run takes."""
    parser.add_argument(
        "--repeat", type=int, default=default, help=f"measurements of {of} (default {default})"
    )


def add_clicks(parser: argparse.ArgumentParser, members: int) -> None:
    """Add the options of a click storm: `--members`, `--window` and `--batches`."""
    parser.add_argument("--members", type=int, default=members, help=f"members who click (default {members})")
    parser.add_argument("--window", type=float, default=1.0, help="seconds the clicks are spread over")
    parser.add_argument("--batches", type=int, default=50, help="control calls the clicks are split into")


def add_validate(parser: argparse.ArgumentParser) -> None:
    """Add `--validate`: let the emulator check every payload against Discord's API spec."""
    parser.add_argument(
        "--validate", action="store_true", help="let the emulator check every payload (slower)"
    )


def add_bot_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], *, kind: bool = True, channel: bool = True
) -> argparse.ArgumentParser:
    """Add the internal `_bot` sub-command with what `BotProcess.start` passes; return it for the bench's own."""
    child = commands.add_parser("_bot", help=argparse.SUPPRESS)
    if kind:
        child.add_argument("--kind", choices=KINDS, required=True)
    child.add_argument("--info", required=True)
    child.add_argument("--db-dir", required=True)
    if channel:
        child.add_argument("--channel-id", type=int, required=True)
    return child


def run_role(
    args: argparse.Namespace,
    orchestrate: Callable[[argparse.Namespace], Coroutine[Any, Any, int]],
    serve_bot: Callable[[argparse.Namespace], Coroutine[Any, Any, None]],
) -> int:
    """Run the bot process when asked for `_bot`, else the orchestrator; return the exit code."""
    if args.role == "_bot":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_bot(args))
        return 0
    return asyncio.run(orchestrate(args))


def as_json(value: Any) -> Any:
    """Return what JSON can hold for a value it cannot: a dataclass's fields, else the value's text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def save_json(path: Path, data: Any) -> None:
    """Write `data` as indented JSON (dataclasses as their fields), creating `bench/results/` if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=as_json) + "\n", encoding="utf-8")


def write_results(benchmark: str, started: datetime, problems: list[str], **body: Any) -> int:
    """Write `bench/results/<benchmark>.json`, print the problems, and return the exit code (1 only for lost work).

    The JSON holds what ran, when and on what machine, then `body` (its runs may be dataclasses), then whether
    the run was ok and why not.
    """
    import discord

    path = RESULTS_DIR / f"{benchmark}.json"
    result = {
        "benchmark": benchmark,
        "command": " ".join([".venv/bin/python", f"bench/{benchmark}.py", *sys.argv[1:]]),
        "started_at": started.isoformat(),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "discord.py": discord.__version__,
            "platform": platform.platform(),
        },
        **body,
        "ok": not problems,
        "problems": problems,
    }
    save_json(path, result)
    print(f"wrote {path.relative_to(ROOT)}")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0
