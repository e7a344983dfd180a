"""Run the emulator in its own process: `python -m fakediscord --port 0 --members 100 --no-rate-limits`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys

from .server import FakeDiscord


async def _serve(args: argparse.Namespace) -> None:
    club = FakeDiscord(
        rate_limits=not args.no_rate_limits,
        validate=False if args.no_validate else None,
        interaction_deadline=args.interaction_deadline,
    )
    for i in range(args.members):
        club.member(f"member{i}")
    for name in args.channel:
        club.text_channel(name)
    await club.listen(args.host, args.port)
    print(
        json.dumps(
            {
                "port": club.port,
                "token": club.token,
                "api_base": club.api_base,
                "gateway_url": club.gateway_url,
                "control": f"{club.http_base}/_control/",
                "guild_id": str(club.guild.id),
                "validation_skipped_reason": club.validation_skipped_reason,
            }
        ),
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await club.stop()


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m fakediscord", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--channel", action="append", default=[], help="extra text channel (repeatable)")
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument("--no-validate", action="store_true", help="skip spec validation (faster)")
    parser.add_argument("--interaction-deadline", type=float, default=3.0)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
