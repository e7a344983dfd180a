"""Entry point: `python -m bot [run|check|sync|backup|migrate-to-postgres|commands|demo]` (also installed as `bookclub-bot`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
import discord.gateway
import discord.http
import yarl
from dotenv import load_dotenv

from bot.backup import backup_database
from bot.calendar_feed import FeedUnavailable
from bot.client import BookClubBot
from bot.clock import SystemClock
from bot.command_reference import command_markdown, command_payloads
from bot.settings import Settings, SettingsError, configure_logging, load_settings
from bot.store import Database, DatabaseError, Store, open_database
from bot.workers import Workers

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger("bot")

EXIT_CONFIG = 2
LLM_MAX_RETRIES = 3
PORTAL = "https://discord.com/developers/applications"


class StartupError(Exception):
    """Start-up cannot go on; the message is one line that says what to fix."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bookclub-bot", description="Run the book club Discord bot.")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="connect to Discord and serve the club (the default)")
    run.add_argument(
        "--shard-count",
        type=int,
        help="how many shards the bot runs in all (default: as many as Discord recommends)",
    )
    run.add_argument(
        "--shards",
        help="which of them this process runs, e.g. 0-3 or 0,2,5 (needs --shard-count; default: all)",
    )
    sub.add_parser("check", help="validate settings, create and migrate the database, then exit")
    sync = sub.add_parser("sync", help="register the slash commands with Discord, then exit")
    sync.add_argument("--guild", type=int, help="register to this server only (instant) instead of globally")
    backup = sub.add_parser(
        "backup", help="copy the database to FILE while the bot may be running, then exit"
    )
    backup.add_argument("file", type=Path, help="where to write the copy (a new file)")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    commands = sub.add_parser("commands", help="print every slash command as JSON, without connecting")
    commands.add_argument(
        "--markdown", action="store_true", help="print the README's command reference instead"
    )
    move = sub.add_parser(
        "migrate-to-postgres",
        help="copy the SQLite database into an empty PostgreSQL database, verify it, then exit",
    )
    move.add_argument("sqlite_file", type=Path, metavar="SQLITE_FILE", help="the club's SQLite database")
    move.add_argument(
        "database_url",
        metavar="DATABASE_URL",
        help="postgresql://user:password@host:port/name (an empty database)",
    )
    demo = sub.add_parser(
        "demo", help="try the club in a browser: a local Discord, the bot and a page (no token needed)"
    )
    demo.add_argument(
        "--port", type=int, default=8080, help="the page's port (0: any free one; default 8080)"
    )
    demo.add_argument(
        "--db", type=Path, help="keep the club's database in this file (default: a temporary one)"
    )
    demo.add_argument("--open", action="store_true", help="open the page in the default browser")
    demo.add_argument(
        "--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1; anything else is public)"
    )
    return parser


def _demo(args: argparse.Namespace) -> int:
    # Imported here: the demo brings the emulator, which the bot itself never needs.
    from demo._run import DemoArgs, run_demo

    level = os.environ.get("LOG_LEVEL", "WARNING").upper()
    configure_logging(level if level in logging.getLevelNamesMapping() else "WARNING")
    return run_demo(DemoArgs(port=args.port, db=args.db, open_browser=args.open, host=args.host))


async def open_store(settings: Settings, *, listen: bool) -> Store:
    """Open the database, apply pending migrations and build the repositories.

    `listen` for a bot that serves members: its caches then follow other processes' writes (PostgreSQL).
    """
    url = settings.database_url.get() if settings.database_url is not None else None
    db = await open_database(settings.database_path, url, listen=listen)
    try:
        await db.migrate()
    except BaseException:
        await db.close()
        raise
    return Store.build(db, SystemClock())


def build_llm(settings: Settings) -> AsyncOpenAI | None:
    """Return an `openai.AsyncOpenAI` client when summaries are configured."""
    if settings.openai_api_key is None:
        return None
    from openai import AsyncOpenAI

    # Timeouts, 429s and 5xx are retried with backoff (honouring Retry-After) by the client itself.
    return AsyncOpenAI(
        api_key=settings.openai_api_key.get(),
        base_url=settings.openai_base_url,
        max_retries=LLM_MAX_RETRIES,
        timeout=settings.summary_timeout_seconds,
    )


def shard_ids(text: str | None, count: int | None) -> list[int] | None:
    """Read `--shards` ("0-3", "0,2,5", "4") against `--shard-count`; None means every shard."""
    if text is None:
        return None
    if count is None:
        raise SettingsError("--shards needs --shard-count: say how many shards the bot runs in all.")
    ids: set[int] = set()
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise SettingsError(f"--shards {text!r}: write shard numbers like 0-3 or 0,2,5.")
        ids.update(range(int(low), int(high if dash else low) + 1))
    if not ids or max(ids) >= count:
        raise SettingsError(
            f"--shards {text!r}: shard numbers go from 0 to {count - 1} with --shard-count {count}."
        )
    return sorted(ids)


def shard_options(count: int | None, ids_text: str | None) -> dict[str, Any]:
    """Return the bot's shard keyword arguments for the command line's `--shard-count` and `--shards`."""
    if count is not None and count < 1:
        raise SettingsError("--shard-count must be 1 or more.")
    ids = shard_ids(ids_text, count)
    options: dict[str, Any] = {}
    if count is not None:
        options["shard_count"] = count
    if ids is not None:
        options["shard_ids"] = ids
    return options


def use_api_base(settings: Settings) -> None:
    """Send REST calls to DISCORD_API_BASE when set (a rate-limit proxy shared by shard processes).

    discord.py builds every request's URL from `Route.BASE`, so this reroutes all of them; the gateway
    address then comes from the proxy's answer to GET /gateway/bot.
    """
    if settings.discord_api_base is not None:
        discord.http.Route.BASE = settings.discord_api_base


async def use_gateway_of_api_base(bot: discord.Client, settings: Settings) -> None:
    """With DISCORD_API_BASE, connect to the gateway its GET /gateway/bot names, with `--shard-count` too.

    discord.py asks for the gateway only when it picks the shard count itself; given `--shard-count`, it
    would connect to wss://gateway.discord.gg whatever the API base. Behind a rate-limit proxy the answer
    is Discord's own gateway, so nothing changes there; against a local emulator it is the emulator's.
    """
    if settings.discord_api_base is None:
        return
    _, url, _ = await bot.http.get_bot_gateway()
    # Class-wide, as discord.py falls back to it after an invalidated session too.
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


async def _run(settings: Settings, shards: dict[str, Any] | None = None) -> None:
    token = settings.require_token()
    use_api_base(settings)
    store = await open_store(settings, listen=True)
    llm = build_llm(settings)
    # Started by the first CPU-bound job, not here: its processes (forkserver, worker, resource tracker)
    # would add ~25 MB to a bot whose members only click.
    workers = Workers()
    bot = BookClubBot(
        settings=settings, store=store, llm=llm, workers=workers, freeze_heap=True, **(shards or {})
    )
    try:
        async with bot:
            await bot.login(token.get())
            await use_gateway_of_api_base(bot, settings)
            await bot.connect()
    except discord.LoginFailure as exc:
        raise StartupError(
            f"Discord rejected DISCORD_TOKEN (it was reset or mistyped): copy a fresh one from {PORTAL} "
            "→ your application → Bot → Reset Token."
        ) from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise StartupError(
            "Discord refused a privileged intent: turn on 'Message Content Intent' in the developer portal "
            f"({PORTAL} → your application → Bot → Privileged Gateway Intents), or unset OPENAI_API_KEY "
            "to run without thread summaries."
        ) from exc
    except FeedUnavailable as exc:
        raise StartupError(str(exc)) from exc
    finally:
        workers.close()
        await store.db.close()


async def _check(settings: Settings) -> None:
    settings.require_token()
    store = await open_store(settings, listen=False)  # migrates and reads the version: no caches to keep
    try:
        version = await store.db.schema_version()
    finally:
        await store.db.close()
    summaries = f"on (model {settings.summary_model})" if settings.summaries_enabled else "off"
    feed = (
        f"on (port {settings.calendar_feed_port} on {settings.calendar_feed_host})"
        if settings.calendar_feed_enabled
        else "off"
    )
    print(
        f"ok: settings valid; database {settings.database_label} at schema version {version}; summaries {summaries}; "
        f"calendar feed {feed}"
    )


async def _sync(settings: Settings, guild_id: int | None) -> None:
    token = settings.require_token()
    use_api_base(settings)
    store = await open_store(settings, listen=False)
    # Registering commands serves nobody: no feed port, which the running bot may hold anyway.
    bot = BookClubBot(settings=replace(settings, calendar_feed_port=None), store=store)
    try:
        async with bot:
            try:
                await bot.login(token.get())
            except discord.LoginFailure as exc:
                raise StartupError(
                    f"Discord rejected DISCORD_TOKEN: copy a fresh one from {PORTAL}."
                ) from exc
            if guild_id is not None:
                guild = discord.Object(guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
                print(f"ok: registered {len(synced)} commands to server {guild_id} (available now)")
            else:
                synced = await bot.tree.sync()
                print(
                    f"ok: registered {len(synced)} commands globally (Discord may take up to an hour to show them)"
                )
    finally:
        await store.db.close()


async def _commands(settings: Settings, markdown: bool) -> None:
    # The tree is built offline; cogs only need repository objects, so an empty in-memory database will do.
    db = await Database.open(":memory:")
    try:
        bot = BookClubBot(settings=settings, store=Store.build(db, SystemClock()))
        await bot.load_features()
        if markdown:
            print(command_markdown(bot.tree), end="")
        else:
            print(json.dumps(command_payloads(bot.tree), indent=2, ensure_ascii=False))
    finally:
        await db.close()


def _backup(settings: Settings, target: Path, *, overwrite: bool) -> None:
    if settings.database_url is not None:
        raise StartupError(
            f"backup copies the SQLite file, but DATABASE_URL points at PostgreSQL ({settings.database_label}): "
            "back it up with PostgreSQL's own tools, e.g. pg_dump --format=custom --file=bookclub.dump "
            '"$DATABASE_URL" (restore with pg_restore).'
        )
    result = backup_database(settings.database_path, target, overwrite=overwrite)
    print(
        f"ok: backed up {settings.database_path} to {result.path} "
        f"({result.pages} pages, schema version {result.schema_version})"
    )


async def _migrate_to_postgres(sqlite_file: Path, url: str) -> None:
    from bot.store.transfer import TransferError, migrate_to_postgres

    try:
        report = await migrate_to_postgres(sqlite_file, url)
    except TransferError as exc:
        raise StartupError(str(exc)) from exc
    print(report.render())
    print(
        f"ok: copied {sum(t.source_rows for t in report.tables)} rows in {len(report.tables)} tables "
        f"(schema version {report.target_version}); every table's rows and checksum match.\n"
        "Next: stop the bot, set DATABASE_URL to this database (in .env or the environment) and start it "
        f"again; keep {sqlite_file} as the backup of the club before the move."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, load settings and run the chosen subcommand; return the exit code."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "demo":
        # Needs no token and no settings: the demo builds its own, for its own emulated server.
        return _demo(args)
    load_dotenv(Path.cwd() / ".env")
    try:
        settings = load_settings(os.environ)
        configure_logging(settings.log_level)
        if command == "run":
            shards = shard_options(getattr(args, "shard_count", None), getattr(args, "shards", None))
            asyncio.run(_run(settings, shards))
        elif command == "check":
            asyncio.run(_check(settings))
        elif command == "sync":
            asyncio.run(_sync(settings, args.guild))
        elif command == "migrate-to-postgres":
            asyncio.run(_migrate_to_postgres(args.sqlite_file, args.database_url))
        elif command == "backup":
            _backup(settings, args.file, overwrite=args.force)
        else:
            asyncio.run(_commands(settings, args.markdown))
    except (SettingsError, DatabaseError, StartupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
