"""Profile the status click path: where the real bot spends what the bare discord.py client does not.

    .venv/bin/python bench/profile_clicks.py [--members 1000] [--no-run] [--top 25]

Runs `status_clicks.py --repeat 1 --profile` (each bot under cProfile from `ready` to the report, in its
own process, against its own emulator), then reads the two `bench/results/status_clicks.*.pstats` and
prints deterministic figures per click: Python function calls (the real bot, the baseline, the
difference), the statements and hops to SQLite's thread, the transactions opened, the cache loads,
the tasks created, and the bot's own functions by calls per click. cProfile times only the
event loop's thread (SQLite's thread is not in it) and its wall times are skewed by the profiler and by
other processes, so the counts are the figures to compare; the times are a guide.
"""

from __future__ import annotations

import argparse
import pstats
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
ROOT = BENCH.parent

# (label, file suffix, function name): what one click costs in the store and the event loop, counted by
# calls of plain functions, each called once per event (a coroutine counts once per resumption).
STORE_CALLS = (
    ("statements sent to SQLite", "bot/store/db.py", "_bind"),
    ("db.py objects built (a transaction is one)", "bot/store/db.py", "__init__"),
    ("cache loads started (2 per load)", "bot/store/cache.py", "_stamp"),
    ("cache hits answered by peek", "bot/store/cache.py", "peek"),
    ("tasks created", "asyncio/base_events.py", "create_task"),
    ("custom ids formatted", "bot/ui.py", "format"),
)
# Hops to SQLite's thread: aiosqlite queues each call on it.
HOP = ("~", "<method 'put_nowait' of '_queue.SimpleQueue' objects>", "aiosqlite/core.py")


def load(kind: str) -> pstats.Stats:
    """Read one bot's profile written by `status_clicks.py --profile`."""
    path = RESULTS / f"status_clicks.{kind}.pstats"
    if not path.exists():
        sys.exit(f"{path} is missing: run without --no-run first")
    return pstats.Stats(str(path))


def primitive_calls(stats: pstats.Stats, suffix: str, name: str) -> int:
    """Return the calls (first entries, not coroutine resumptions counted apart) of matching functions."""
    total = 0
    for (file, _line, func), (primitive, _calls, _tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if func == name and file.endswith(suffix):
            total += primitive
    return total


def hops(stats: pstats.Stats) -> int:
    """Return the calls aiosqlite queued on SQLite's thread (a group commit is one)."""
    file, func, caller = HOP
    total = 0
    for (f, _line, name), (_p, _c, _tt, _ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if f == file and name == func:
            total += sum(v[0] for k, v in callers.items() if k[0].endswith(caller))
    return total


# Where the calls of the network stack are: how many connections aiohttp opens varies with the load, so
# the calls outside it are the steadier figure to compare between runs.
NETWORK = (
    "site-packages/aiohttp/",
    "site-packages/aiohappyeyeballs/",
    "site-packages/yarl/",
    "/asyncio/",
    "selectors.py",
    "socket.py",
    "ssl.py",
    "~",
)


def calls_outside_network(stats: pstats.Stats) -> int:
    """Return the calls of Python functions outside aiohttp, asyncio and sockets (builtins left out too)."""
    total = 0
    for (file, _line, _func), (_p, calls, _tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if not any(part in file if part != "~" else file == "~" for part in NETWORK):
            total += calls
    return total


def total_calls(stats: pstats.Stats) -> int:
    """Return every function call in the profile."""
    return int(stats.total_calls)  # type: ignore[attr-defined]


def own_functions(stats: pstats.Stats, clicks: int, top: int) -> list[str]:
    """Return the bot's own functions (bot/, cogs/) by cumulative time, with their calls per click."""
    rows = []
    for (file, line, func), (_primitive, calls, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if file.startswith(str(ROOT / "bot")) or file.startswith(str(ROOT / "cogs")):
            rows.append((ct, calls, tt, f"{Path(file).relative_to(ROOT)}:{line}({func})"))
    rows.sort(reverse=True)
    return [
        f"  {calls / clicks:6.2f}/click  cum {ct / clicks * 1e6:7.1f} µs  own {tt / clicks * 1e6:6.1f} µs  {where}"
        for ct, calls, tt, where in rows[:top]
    ]


def report(clicks: int, top: int) -> None:
    """Print the per-click figures of the two profiles."""
    real, base = load("bookclub"), load("baseline")
    real_calls, base_calls = total_calls(real), total_calls(base)
    print(
        f"function calls per click: bookclub {real_calls / clicks:.0f}, baseline {base_calls / clicks:.0f},"
    )
    print(f"  extra {(real_calls - base_calls) / clicks:.0f} (×{real_calls / base_calls:.2f})")
    real_own, base_own = calls_outside_network(real), calls_outside_network(base)
    print(
        f"  outside the network stack and builtins: bookclub {real_own / clicks:.0f}, "
        f"baseline {base_own / clicks:.0f}, extra {(real_own - base_own) / clicks:.0f}"
    )
    print(
        f"profiled time per click (event loop thread, wall): bookclub {real.total_tt / clicks * 1e6:.0f} µs, "  # type: ignore[attr-defined]
        f"baseline {base.total_tt / clicks * 1e6:.0f} µs"  # type: ignore[attr-defined]
    )
    print(f"per click{'':36s}bookclub  baseline")
    for label, suffix, name in STORE_CALLS:
        mine, bare = (primitive_calls(s, suffix, name) / clicks for s in (real, base))
        print(f"  {label:42s} {mine:8.3f}  {bare:8.3f}")
    print(f"  {'hops to SQLite thread':42s} {hops(real) / clicks:8.3f}  {hops(base) / clicks:8.3f}")
    print(f"the bot's own functions, top {top} by cumulative time (calls include coroutine resumptions):")
    print("\n".join(own_functions(real, clicks, top)))


def main(argv: Sequence[str] | None = None) -> int:
    """Profile both bots (unless --no-run) and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1000, help="members clicking (default 1000)")
    parser.add_argument("--no-run", action="store_true", help="only read the profiles of the last run")
    parser.add_argument("--top", type=int, default=25, help="how many of the bot's functions to list")
    args = parser.parse_args(argv)
    if not args.no_run:
        command = [sys.executable, str(BENCH / "status_clicks.py"), "--repeat", "1", "--profile"]
        command += ["--members", str(args.members)]
        done = subprocess.run(command, cwd=BENCH, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stdout, done.stderr, sep="\n")
            return done.returncode
    report(args.members, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
