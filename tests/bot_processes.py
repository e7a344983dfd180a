"""Real bot processes for multi-process tests and benches: `python -m bot run --shard-count N --shards A-B`.

Each process is the bot as an operator runs it (settings from the environment, DATABASE_URL for the
shared PostgreSQL, DISCORD_API_BASE pointed at the emulator in the test process), with the real clock.
`BotProcess.start` returns once the emulator holds a fresh, connected gateway session for each of the
process's shards; `kill` is SIGKILL, `stop` is Ctrl-C as an operator would press it. Below them, the
clubs they serve: guilds spread over the shards with their cast (`make_servers`), set up and scheduled
through the repositories (`seed_clubs`, `seed_discussions`), and counted back (`discussion_threads`).
`tests/e2e/test_processes.py` and `bench/scale_out.py` share this module (the bench puts `tests/` on its path,
as for `postgres_server.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from markdown_view import rendered

from bot.clock import SystemClock
from bot.domain import WorkKind
from bot.scheduler import Scheduler
from bot.services.discussions import render
from bot.services.discussions.runner import DiscussionRunner
from bot.spoilers import WholeBook
from bot.store import Database, NewDiscussion, NewWork, Store, open_database
from fakediscord import FakeClock, FakeDiscord
from fakediscord.gateway import Session, shard_of
from fakediscord.world import Channel, Guild

ROOT = Path(__file__).resolve().parents[1]
SHARDS = 4  # the shard count the clubs below are spread over
READ_IT = "📖 I read it"
ANSWERS = ("Emma", "Dracula", "Beloved")
START_TIMEOUT = 90.0  # seconds; discord.py waits 5 s before each shard after a process's first one
STOP_TIMEOUT = 20.0
# Settings of the scheduler across processes: look for timers other processes scheduled every second,
# and let a dead process's claim lapse after LEASE_SECONDS (its handlers are then cut off after a third).
LEASE_SECONDS = 8
SCHEDULER_ENV = {"SCHEDULER_POLL_SECONDS": "1", "SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS)}
# Settings a developer's shell may hold that would change what the processes do.
_DROPPED = ("DEV_GUILD_ID", "OPENAI_API_KEY", "DATABASE_URL", "DATABASE_PATH", "DISCORD_API_BASE")


def shards_flag(shards: Sequence[int]) -> str:
    """Write shard ids for `--shards`: "0-1" for a run, "0,2" otherwise."""
    ids = sorted(shards)
    if ids == list(range(ids[0], ids[-1] + 1)):
        return f"{ids[0]}-{ids[-1]}" if len(ids) > 1 else str(ids[0])
    return ",".join(map(str, ids))


def bot_env(
    club: FakeDiscord, database_url: str, workdir: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return a bot process's environment: the emulator's token and API base, the shared database."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update(
        {
            "DISCORD_TOKEN": club.token,
            "DISCORD_API_BASE": club.api_base,
            "DATABASE_URL": database_url,
            "DATABASE_PATH": str(workdir / "unused.sqlite3"),  # must stay unused: DATABASE_URL wins
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            **SCHEDULER_ENV,
        }
    )
    env.update(extra or {})
    return env


async def sync_commands(club: FakeDiscord, database_url: str, workdir: Path) -> None:
    """Register the slash commands globally with `python -m bot sync`, as an operator does once."""
    log = workdir / "sync.log"
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "sync",
            cwd=workdir, env=bot_env(club, database_url, workdir),
            stdout=asyncio.subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
        code = await asyncio.wait_for(proc.wait(), START_TIMEOUT)
    assert code == 0, f"python -m bot sync failed ({code}):\n{log.read_text(errors='replace')[-3000:]}"
    assert club.world.commands.get(None), "python -m bot sync registered no global command"


class BotProcess:
    """One `python -m bot run --shard-count N --shards …` process."""

    def __init__(
        self,
        club: FakeDiscord,
        *,
        database_url: str,
        shard_count: int,
        shards: Sequence[int],
        workdir: Path,
        name: str,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.club = club
        self.database_url = database_url
        self.shard_count = shard_count
        self.shards = tuple(sorted(shards))
        self.workdir = workdir
        self.name = name
        self.env = dict(env or {})
        self.log_path = workdir / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.started_in: float | None = None  # seconds from spawn to every shard holding its guilds

    @property
    def pid(self) -> int:
        """Return the process id (once started)."""
        assert self.proc is not None, f"{self.name} was not started"
        return self.proc.pid

    @property
    def running(self) -> bool:
        """Tell whether the process is alive."""
        return self.proc is not None and self.proc.returncode is None

    def log_tail(self, chars: int = 4000) -> str:
        """Return the end of what the process wrote to stderr."""
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def sessions(self) -> dict[int, Session]:
        """Return the emulator's current sessions of this process's shards."""
        return {s: self.club.gateway.sessions[s] for s in self.shards if s in self.club.gateway.sessions}

    async def start(self, timeout: float = START_TIMEOUT) -> None:  # noqa: ASYNC109 - a test-facing deadline
        """Spawn the process and wait until each of its shards has a new, connected session."""
        before = {s: self.club.gateway.sessions.get(s) for s in self.shards}
        env = bot_env(self.club, self.database_url, self.workdir, self.env)
        args = ["run", "--shard-count", str(self.shard_count), "--shards", shards_flag(self.shards)]
        began = time.monotonic()
        # stderr to a file, not a pipe: a pipe held by the bot's worker processes outlives a SIGKILLed bot.
        with self.log_path.open("ab") as err:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *args,
                cwd=self.workdir, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=err,
            )  # fmt: skip

        def ready() -> bool:
            fresh = self.sessions()
            return len(fresh) == len(self.shards) and all(
                sess is not before[s] and sess.connected and sess.session_id != "<forgotten>"
                for s, sess in fresh.items()
            )

        while not ready():
            if self.proc.returncode is not None:
                raise AssertionError(
                    f"{self.name} exited ({self.proc.returncode}) before its shards connected:\n{self.log_tail()}"
                )
            if time.monotonic() - began > timeout:
                raise AssertionError(f"{self.name}'s shards {self.shards} did not connect in {timeout:g} s")
            await asyncio.sleep(0.05)
        for shard, sess in self.sessions().items():
            owner = session_pid(sess)
            assert owner == self.pid, f"shard {shard}'s websocket belongs to pid {owner}, not {self.name}"
        await guilds_arrived(self.club, self.shards, timeout=max(1.0, timeout - (time.monotonic() - began)))
        self.started_in = time.monotonic() - began

    async def kill(self) -> None:
        """SIGKILL the process (no clean-up of any kind) and wait until the emulator sees its shards gone."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        deadline = time.monotonic() + 10
        while any(sess.connected for sess in self.sessions().values()):
            assert time.monotonic() < deadline, f"{self.name}'s websockets stayed open after SIGKILL"
            await asyncio.sleep(0.05)

    async def stop(self) -> int | None:
        """Stop the process as Ctrl-C does (SIGKILL after STOP_TIMEOUT); return its exit code."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        return self.proc.returncode


async def guilds_arrived(club: FakeDiscord, shards: Iterable[int], timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a test-facing deadline
    """Wait until each shard's process has handled a GUILD_CREATE for every guild of that shard.

    A live session is not enough: after READY the guilds are unavailable until their GUILD_CREATE, and a
    command that comes first is answered "still connecting". The proof is the bot's own: a heartbeat the
    emulator requests after the last GUILD_CREATE carries that frame's sequence number or a later one.
    Guilds whose GUILD_CREATE a test holds back (`held_guild_creates`) are not waited for.
    """
    gateway = club.gateway
    deadline = time.monotonic() + timeout
    for shard in shards:
        while True:
            sess = gateway.sessions.get(shard)
            if sess is not None and sess.connected:
                wanted = {
                    str(g.id)
                    for g in club.world.guilds.values()
                    if sess.holds(g.id) and g.id not in gateway.held_guild_creates
                }
                creates = {
                    str(f["d"]["id"]): int(f["s"]) for f in sess.buffer if f.get("t") == "GUILD_CREATE"
                }
                if wanted <= creates.keys():
                    last = max((creates[g] for g in wanted), default=0)
                    if sess.heartbeat_seq >= last:
                        break
                    await gateway.request_heartbeat(sess)
            if time.monotonic() > deadline:
                raise AssertionError(f"shard {shard}'s process did not get its guilds in {timeout:g} s")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running(*processes: BotProcess) -> AsyncIterator[tuple[BotProcess, ...]]:
    """Start processes together (as an operator's supervisor does); stop whichever still run on exit."""
    try:
        await asyncio.gather(*(p.start() for p in processes))
        yield processes
    finally:
        await asyncio.gather(*(p.stop() for p in processes), return_exceptions=True)


def session_pid(sess: Session) -> int | None:
    """Return the pid of the process at the client end of a session's websocket (Linux /proc)."""
    if sess.transport is None:
        return None
    peer = sess.transport.get_extra_info("peername")
    ours = sess.transport.get_extra_info("sockname")
    if not peer or not ours:
        return None
    return pid_with_local_port(int(peer[1]), int(ours[1]))


def _link(path: str) -> str | None:
    """Return where a /proc fd link points, or None if the fd closed meanwhile."""
    try:
        return os.readlink(path)
    except OSError:
        return None


def pid_with_local_port(port: int, remote_port: int) -> int | None:
    """Return the pid holding the TCP socket 127.0.0.1:`port` → 127.0.0.1:`remote_port` (/proc/net/tcp and fds).

    Both ends are matched: on a shared machine another connection may use the same local port toward another
    server. Of the processes holding the socket (a child may have inherited it), the one whose parent does not.
    """
    wanted = (f"0100007F:{port:04X}", f"0100007F:{remote_port:04X}")
    inode = None
    with contextlib.suppress(OSError), open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if (fields[1], fields[2]) == wanted:
                inode = fields[9]
                break
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    holders: dict[int, int] = {}  # pid -> parent pid
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fds = f"/proc/{entry}/fd"
        with contextlib.suppress(OSError, ValueError, IndexError):
            if any(_link(f"{fds}/{fd}") == target for fd in os.listdir(fds)):
                stat = Path(f"/proc/{entry}/stat").read_text()
                holders[int(entry)] = int(stat.rpartition(")")[2].split()[1])
    roots = [pid for pid, parent in holders.items() if parent not in holders]
    return min(roots) if roots else None


# -- the clubs the processes serve -----------------------------------------------------------------------
@dataclass
class Server:
    """One guild of the test and its cast."""

    guild: Guild
    announcements: Channel
    discussions: Channel
    admin: Any
    members: list[Any] = field(default_factory=list)
    work_id: int = 0
    post: Any = None  # the "Now reading" post with the status buttons
    poll: Any = None  # the native poll message

    @property
    def shard(self) -> int:
        return shard_of(self.guild.id, SHARDS)


async def make_servers(club: FakeDiscord, clock: FakeClock, count: int, members: int = 0) -> list[Server]:
    """Create `count` guilds a fake millisecond apart (so they spread over the shards), each with a cast."""
    guilds = [club.guild]
    while len(guilds) < count:
        await clock.advance(timedelta(milliseconds=1), settle=0)
        guilds.append(club.add_guild(f"Club {len(guilds)}"))
    servers = []
    for g in guilds:
        admins = club.role("Admins", permissions=["manage_guild"], guild=g)
        server = Server(
            guild=g,
            announcements=club.text_channel("announcements", guild=g),
            discussions=club.text_channel("discussions", guild=g),
            admin=club.member("sam", roles=[admins], guild=g),
        )
        server.members = [club.member(f"reader{n}", guild=g) for n in range(members)]
        servers.append(server)
    return servers


async def open_store(url: str) -> Store:
    """Open the shared database from the test process (migrated), as the processes see it."""
    db = await open_database(Path("unused.sqlite3"), url)
    await db.migrate()
    return Store.build(db, SystemClock())


async def seed_clubs(store: Store, servers: Sequence[Server]) -> None:
    """Set each club up (channels) and give it one catalog work, through the repositories."""
    for s in servers:
        await store.guilds.update(
            s.guild.id, announcement_channel_id=s.announcements.id, discussion_channel_id=s.discussions.id
        )
        s.work_id = await store.catalog.add(
            s.guild.id, NewWork(WorkKind.BOOK, "Pride and Prejudice", "Jane Austen", 1813, chapters=61)
        )


async def seed_discussions(store: Store, server: Server, opens_at: datetime, count: int = 1) -> list[int]:
    """Schedule discussions as `/discussion schedule` does: rows, then the runner's timers."""
    clock = SystemClock()
    runner = DiscussionRunner(store, Scheduler(store.timers, clock), clock, gateway=None)  # type: ignore[arg-type]
    items = [
        NewDiscussion(
            work_id=server.work_id,
            scope=WholeBook(server.work_id),
            title="Pride and Prejudice",
            opens_at=opens_at + timedelta(milliseconds=n),
            closes_at=opens_at + timedelta(hours=2),
        )
        for n in range(count)
    ]
    made = await store.discussions.create_many(server.guild.id, items)
    for d in made:
        await runner.schedule_timers(d)
    return [d.id for d in made]


async def post_current_book_and_poll(servers: Sequence[Server], club: FakeDiscord) -> None:
    """Each club's admin posts the status buttons (`/book current`) and a native poll (`/poll create`)."""

    async def one(s: Server) -> None:
        reply = await s.admin.slash("book current", in_channel=s.announcements, book=f"#{s.work_id}")
        assert "posted it" in rendered(reply.content), reply.content
        s.post = next(m for m in club.bot_messages(s.announcements) if m.buttons)
        reply = await s.admin.slash(
            "poll create", in_channel=s.announcements, question="Next book?", answers="; ".join(ANSWERS)
        )
        assert rendered(reply.content).startswith("Poll #"), reply.content
        s.poll = next(m for m in club.bot_messages(s.announcements) if m.poll is not None)

    await asyncio.gather(*(one(s) for s in servers))


def discussion_threads(club: FakeDiscord, servers: Sequence[Server]) -> Counter[int]:
    """Count the threads the emulator holds per discussion id (by the marker in the thread's name)."""
    found: Counter[int] = Counter()
    for s in servers:
        for thread in club.threads_in(s.discussions):
            tail = thread.name.rpartition(" · #")[2]
            if tail.isdigit() and render.has_marker(thread.name, int(tail)):
                found[int(tail)] += 1
    return found


def answer_of(n: int) -> str:
    return ANSWERS[n % len(ANSWERS)]


def told_recorded(result: object) -> bool:
    return not isinstance(result, BaseException) and rendered(str(result.content)).startswith("Recorded")  # type: ignore[attr-defined]


async def rows(db: Database, sql: str, params: Iterable[object] = ()) -> list[dict[str, Any]]:
    return [dict(r) for r in await db.fetch_all(sql, tuple(params))]


def answer_id(s: Server, n: int) -> int:
    answers = s.poll.stored.payload["poll"]["answers"]
    return next(int(a["answer_id"]) for a in answers if a["poll_media"]["text"] == answer_of(n))
