"""The command line: start-up failures are one line and exit 2; check and commands work offline."""

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from postgres_server import USER as PG_USER

from bot.store import Database, DatabaseError
from bot.store.db import bundled_migrations
from bot.store.postgres import PostgresDatabase

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def run_bot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISCORD_TOKEN", "DATABASE_PATH", "DATABASE_URL", "DEV_GUILD_ID"}
    }
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_exits_2_naming_the_variable(tmp_path):
    result = run_bot(cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: DISCORD_TOKEN is not set")
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DEV_GUILD_ID": "abc"}, "DEV_GUILD_ID"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
        ({"DISCORD_TOKEN": "x y"}, "DISCORD_TOKEN"),
    ],
)
def test_malformed_setting_exits_2_with_one_line(tmp_path, env, variable):
    result = run_bot("check", cwd=tmp_path, **{"DISCORD_TOKEN": TOKEN, **env})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and variable in result.stderr


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("DEV_GUILD_ID=oops\n")
    result = run_bot("check", cwd=tmp_path, DISCORD_TOKEN=TOKEN)
    assert result.returncode == 2 and "DEV_GUILD_ID" in result.stderr


def test_check_creates_and_migrates_the_database(tmp_path):
    result = run_bot("check", cwd=tmp_path, DISCORD_TOKEN=TOKEN)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:")
    db = tmp_path / "data" / "bookclub.sqlite3"
    assert db.is_file()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1
        assert conn.execute("SELECT COUNT(*) FROM guild_settings").fetchone()[0] == 0
    assert TOKEN not in result.stdout + result.stderr


def test_check_reports_an_unusable_database(tmp_path):
    (tmp_path / "broken.sqlite3").write_bytes(b"not a database at all" * 200)
    result = run_bot("check", cwd=tmp_path, DISCORD_TOKEN=TOKEN, DATABASE_PATH="broken.sqlite3")
    assert result.returncode == 2
    assert "DATABASE_PATH" in result.stderr and "Traceback" not in result.stderr


def test_commands_prints_json_without_a_token(tmp_path):
    result = run_bot("commands", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    commands = json.loads(result.stdout)
    names = {c["name"] for c in commands}
    assert {"club", "privacy"} <= names
    club = next(c for c in commands if c["name"] == "club")
    assert {o["name"] for o in club["options"]} >= {"setup", "settings"}


def test_no_two_commands_share_a_name(tmp_path):
    commands = json.loads(run_bot("commands", cwd=tmp_path).stdout)
    seen = set()
    for command in commands:
        for option in command.get("options", []):
            if option["type"] in (1, 2):
                path = f"{command['name']} {option['name']}"
                assert path not in seen
                seen.add(path)
        assert command["name"] not in seen
        seen.add(command["name"])


@pytest.mark.parametrize(
    ("text", "count", "ids"),
    [(None, None, None), (None, 4, None), ("0-3", 16, [0, 1, 2, 3]), ("0,2,5", 6, [0, 2, 5]), ("7", 8, [7])],
)
def test_shards_read_as_ranges_and_lists(text, count, ids):
    from bot.__main__ import shard_ids

    assert shard_ids(text, count) == ids


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--shards", "0-3"], "--shards needs --shard-count"),
        (["--shard-count", "4", "--shards", "2-4"], "go from 0 to 3"),
        (["--shard-count", "4", "--shards", "a"], "like 0-3 or 0,2,5"),
        (["--shard-count", "0"], "1 or more"),
    ],
)
def test_bad_shard_options_exit_2_with_what_to_fix(tmp_path, args, says):
    result = run_bot("run", *args, cwd=tmp_path, DISCORD_TOKEN=TOKEN)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was written


def test_demo_on_a_database_it_did_not_keep_exits_2_after_the_host_warning(tmp_path):
    # A bot's own database (or one from before the demo kept its server) is refused before anything starts:
    # nothing binds, so the public host's warning is checked without serving beyond this machine.
    db = tmp_path / "bookclub.sqlite3"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.close()
    result = run_bot("demo", "--host", "0.0.0.0", "--port", "0", "--db", str(db), cwd=tmp_path)
    assert result.returncode == 2
    warning, error = result.stderr.strip().splitlines()
    assert warning.startswith("warning: --host 0.0.0.0 serves the demo beyond this machine")
    assert error.startswith(f"error: {db} holds a database but not the demo's server saved beside it")
    assert "Traceback" not in result.stderr + result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bookclub.sqlite3"]


def test_check_migrates_a_postgres_database(tmp_path, postgres_url):
    database_url = postgres_url
    result = run_bot("check", cwd=tmp_path, DISCORD_TOKEN=TOKEN, DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    latest = bundled_migrations("postgres")[-1].version
    assert f"schema version {latest}" in result.stdout and database_url in result.stdout
    assert not (tmp_path / "data").exists()  # no SQLite file on the side
    again = run_bot("check", cwd=tmp_path, DISCORD_TOKEN=TOKEN, DATABASE_URL=database_url)
    assert again.returncode == 0 and f"schema version {latest}" in again.stdout


def test_check_names_an_unreachable_postgres_in_one_line(tmp_path):
    result = run_bot(
        "check", cwd=tmp_path, DISCORD_TOKEN=TOKEN, DATABASE_URL="postgresql://club:hunter2@127.0.0.1:1/club"
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: DATABASE_URL: cannot connect to 'postgresql://club:***@127.0.0.1:1/club'"
    )
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


def test_backup_on_postgres_points_to_pg_dump(tmp_path):
    url = "postgresql://club:hunter2@127.0.0.1:5432/club"
    result = run_bot("backup", "copy.sqlite3", cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pg_dump" in lines[0] and "hunter2" not in lines[0]
    assert not (tmp_path / "copy.sqlite3").exists()


@pytest.fixture
async def one_connection_databases(postgres_server) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Yield a function making an empty database owned by a role that may hold one connection at a time."""
    import asyncpg

    admin = await asyncpg.connect(postgres_server.url())
    names: list[str] = []

    async def make() -> str:
        name = f"solo_{os.getpid()}_{len(names)}"
        names.append(name)
        await admin.execute(f'CREATE ROLE "{name}" LOGIN CONNECTION LIMIT 1')  # not a superuser: limited
        await admin.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
        return postgres_server.url(name).replace(f"//{PG_USER}@", f"//{name}@")

    try:
        yield make
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        await admin.close()


async def test_run_listens_for_changes_but_check_and_migrate_to_postgres_do_not(
    tmp_path, one_connection_databases
):
    # Each role's one connection is the pool's: a second, listening one is refused, as the bot's own shows.
    refused = await one_connection_databases()
    with pytest.raises(DatabaseError, match=r"cannot listen.*too many connections"):
        await PostgresDatabase.connect(refused, listen=True)
    # `run` listens (its caches follow other processes' writes), so it is refused there too, before any
    # call to Discord; the API base is a closed local port, so a run that got further fails otherwise.
    ran = await asyncio.to_thread(
        run_bot,
        "run",
        cwd=tmp_path,
        DISCORD_TOKEN=TOKEN,
        DATABASE_URL=refused,
        DISCORD_API_BASE="http://127.0.0.1:1/api/v10",
    )
    assert ran.returncode == 2 and "cannot listen" in ran.stderr, ran.stderr

    checked = await one_connection_databases()
    result = await asyncio.to_thread(
        run_bot, "check", cwd=tmp_path, DISCORD_TOKEN=TOKEN, DATABASE_URL=checked
    )
    assert result.returncode == 0, result.stderr
    assert f"schema version {bundled_migrations('postgres')[-1].version}" in result.stdout

    club = tmp_path / "club.sqlite3"
    lite = await Database.open(club)
    await lite.migrate()
    await lite.close()
    target = await one_connection_databases()
    moved = await asyncio.to_thread(run_bot, "migrate-to-postgres", str(club), target, cwd=tmp_path)
    assert moved.returncode == 0, moved.stderr
