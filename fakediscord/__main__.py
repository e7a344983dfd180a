"""Run the emulator in its own process: `python -m fakediscord --port 0 --members 100 --no-rate-limits`.

With `--guilds N` the bot is in N guilds, each built alike: #general and every `--channel`, every `--role`,
and `--members` members. Usernames are unique across guilds, as Discord's are: guild k (from 0) holds
`member{k*M}` … `member{k*M+M-1}` for M = `--members`, so guild 0 is what `--guilds 1` builds. The bot
gets them as Discord sends them: READY lists every guild as unavailable, then a GUILD_CREATE for each
(https://discord.com/developers/docs/topics/gateway-events#ready and #guild-create); a session past
2,500 guilds is closed with 4011 Sharding required (`gateway.py`).
"""

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
    guilds = [club.guild] + [club.add_guild(f"Book Club {k + 1}") for k in range(1, args.guilds)]
    for k, guild in enumerate(guilds):
        if guild is not club.guild:
            club.text_channel("general", guild=guild)
        for name in args.channel:
            club.text_channel(name, guild=guild)
        for name in args.role:
            club.role(name, guild=guild)
        for i in range(k * args.members, (k + 1) * args.members):
            club.member(f"member{i}", guild=guild)
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
                "guilds": len(guilds),
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
    parser.add_argument("--members", type=int, default=10, help="members in each guild")
    parser.add_argument("--guilds", type=int, default=1, help="guilds the bot is in, each built alike")
    parser.add_argument("--channel", action="append", default=[], help="extra text channel (repeatable)")
    parser.add_argument("--role", action="append", default=[], help="role in every guild (repeatable)")
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument("--no-validate", action="store_true", help="skip spec validation (faster)")
    parser.add_argument("--interaction-deadline", type=float, default=3.0)
    args = parser.parse_args(argv)
    if args.guilds < 1 or args.members < 0:
        parser.error("--guilds must be positive and --members not negative")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
