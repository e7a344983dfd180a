"""A throwaway PostgreSQL server for tests: initdb and pg_ctl on a temporary directory, 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import asyncpg

USER = "bookclub"
SEARCH = ("/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True))


class PostgresUnavailable(Exception):
    """The PostgreSQL server binaries are not on this machine, or the server would not start."""


def find_binaries() -> Path:
    """Return the folder holding initdb, pg_ctl and postgres (PG_BIN, then PATH, then Debian's places)."""
    candidates = [os.environ["PG_BIN"]] if os.environ.get("PG_BIN") else []
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(str(Path(found).parent))
    candidates.extend(SEARCH)
    for folder in candidates:
        if all((Path(folder) / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found in PG_BIN, PATH, "
        f"{', '.join(SEARCH) or '/usr/lib/postgresql/*/bin'}: install them with "
        "`apt-get install postgresql-15` (or set PG_BIN) to run the PostgreSQL tests."
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One server for a test session; each test makes its own database in it."""

    def __init__(self) -> None:
        self.bin = find_binaries()
        self.root = Path(tempfile.mkdtemp(prefix="bookclub-pg-"))
        self.port = 0
        # PostgreSQL refuses to run as root: there, the server runs as the `postgres` (or `nobody`) user.
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = "postgres" if _user_exists("postgres") else "nobody"
            shutil.chown(self.root, user=user)
            self._as = ["runuser", "-u", user, "--"]

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PostgresUnavailable(f"{' '.join(args[:2])} failed: {result.stderr.strip()}\n{tail}")

    def start(self) -> None:
        """Create the cluster and start the server on a free port."""
        data = self.root / "data"
        self._run(
            str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", USER, "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        for _ in range(3):  # another process may take the port between choosing and binding it
            self.port = _free_port()
            options = (
                f"-h 127.0.0.1 -p {self.port} -k {self.root} -F -c max_connections=200 "
                "-c full_page_writes=off -c synchronous_commit=off"
            )
            try:
                self._run(
                    str(self.bin / "pg_ctl"), "-D", str(data), "-o", options,
                    "-l", str(self.root / "server.log"), "-w", "-t", "60", "start",
                )  # fmt: skip
                return
            except PostgresUnavailable:
                if "already in use" not in (self.root / "server.log").read_text(errors="replace"):
                    raise
        raise PostgresUnavailable("no free port for PostgreSQL after three tries")

    def url(self, database: str = "postgres") -> str:
        """Return the URL of a database on this server."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database; return its URL."""
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing whatever connections a test left open."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(self.url())
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        # In a thread of its own: fixtures call this while a test's event loop may be running.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, run()).result(timeout=60)

    def stop(self) -> None:
        """Stop the server at once and remove its directory."""
        with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
            self._run(
                str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"
            )
        shutil.rmtree(self.root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
