"""Real bot processes for multi-process tests: `python -m bot run --shard-count N --shards A-B`.

Each process is the bot as an operator runs it (settings from the environment, DATABASE_URL for the
shared PostgreSQL, DISCORD_API_BASE pointed at the emulator in the test process), with the real clock.
`BotProcess.start` returns once the emulator holds a fresh, connected gateway session for each of the
process's shards; `kill` is SIGKILL, `stop` is Ctrl-C as an operator would press it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from fakediscord import FakeDiscord
from fakediscord.gateway import Session

ROOT = Path(__file__).resolve().parents[1]
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
        self.started_in: float | None = None  # seconds from spawn to every shard's session being live

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
        self.started_in = time.monotonic() - began
        for shard, sess in self.sessions().items():
            owner = session_pid(sess)
            assert owner == self.pid, f"shard {shard}'s websocket belongs to pid {owner}, not {self.name}"

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
    if not peer:
        return None
    return pid_with_local_port(int(peer[1]))


def pid_with_local_port(port: int) -> int | None:
    """Return the pid holding the TCP socket bound to 127.0.0.1:`port` (from /proc/net/tcp and fds)."""
    wanted = f"0100007F:{port:04X}"
    inode = None
    with contextlib.suppress(OSError), open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[1] == wanted:
                inode = fields[9]
                break
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fds = f"/proc/{entry}/fd"
        with contextlib.suppress(OSError):
            for fd in os.listdir(fds):
                with contextlib.suppress(OSError):
                    if os.readlink(f"{fds}/{fd}") == target:
                        return int(entry)
    return None
