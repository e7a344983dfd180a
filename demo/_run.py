"""`python -m bot demo`: start everything in one process, print the address, stop cleanly on Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
import webbrowser
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from demo._club import DemoClub, DemoError, DemoOptions, world_file
from demo._seed import recall, seed
from demo._web import DemoSite

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARD = ("", "0.0.0.0", "::")  # noqa: S104 - only compared with, to print a reachable address


@dataclass(frozen=True)
class DemoArgs:
    """The command line of `python -m bot demo`."""

    port: int = 8080
    db: Path | None = None
    open_browser: bool = False
    host: str = "127.0.0.1"


@dataclass
class RunningDemo:
    """A started demo: the club, its page and the address it is served at."""

    demo: DemoClub
    site: DemoSite
    url: str
    seconds_to_serve: float


@contextlib.asynccontextmanager
async def running_demo(args: DemoArgs) -> AsyncIterator[RunningDemo]:
    """Start the emulator and the bot, seed the club and serve the page; stop it all on exit."""
    started = time.monotonic()
    demo = DemoClub(DemoOptions(db=args.db))
    await demo.start()
    runner: web.AppRunner | None = None
    saving: asyncio.Task[None] | None = None
    try:
        if demo.restored:
            recall(demo)
        else:
            await seed(demo)
        demo.complete = True
        if args.db is not None:
            demo.save()
            saving = asyncio.create_task(demo.keep_saving())
        site = DemoSite(demo)
        runner = web.AppRunner(site.app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        tcp = web.TCPSite(runner, args.host, args.port)
        await tcp.start()
        server = tcp._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        # A wildcard bind is reached at the loopback address from this machine.
        shown = "127.0.0.1" if args.host in WILDCARD else args.host
        yield RunningDemo(demo, site, f"http://{shown}:{port}/", time.monotonic() - started)
    finally:
        if saving is not None:
            saving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await saving
        if runner is not None:
            await runner.cleanup()
        await demo.stop()


async def serve(args: DemoArgs, *, stop: asyncio.Event) -> None:
    """Run the demo, print its address, and serve until `stop` is set."""
    async with running_demo(args) as running:
        if args.db is None:
            kept = "a temporary database, removed at exit"
        elif running.demo.restored:
            kept = f"the club kept in {args.db}, reopened as the last run left it"
        else:
            kept = f"a new club, kept in {args.db} and {world_file(args.db).name}"
        print(
            f"bookclub demo: serving {running.url} ({len(running.demo.members)} members, {kept}; "
            f"ready in {running.seconds_to_serve:.1f} s). Ctrl-C stops it.",
            flush=True,
        )
        if args.open_browser:
            webbrowser.open(running.url)
        await stop.wait()


async def _main(args: DemoArgs) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await serve(args, stop=stop)


def run_demo(args: DemoArgs) -> int:
    """Run the demo until Ctrl-C (or SIGTERM); return the exit code."""
    if args.host not in LOOPBACK:
        print(
            f"warning: --host {args.host} serves the demo beyond this machine: anyone who reaches it can act "
            "as any member of the demo club.",
            file=sys.stderr,
        )
    try:
        asyncio.run(_main(args))
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"error: cannot serve the demo on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr
        )
        return 2
    print("bookclub demo: stopped.", flush=True)
    return 0
