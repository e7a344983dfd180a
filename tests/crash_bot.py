"""The bot in its own process, wired as `python -m bot run` wires it, aimed at an emulator (crash tests).

    python tests/crash_bot.py '{"api_base": ..., "gateway_url": ..., "token": ..., "guild_id": ...}' DB_PATH READY

Creates the file READY once connected, then serves until killed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

from bot.__main__ import open_store
from bot.client import BookClubBot
from bot.settings import load_settings
from bot.workers import Workers
from fakediscord import point_discord_py_at


async def serve(info: dict[str, str], db_path: Path, ready: Path) -> None:
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="[bot] %(levelname)s %(name)s: %(message)s"
    )
    point_discord_py_at(info["api_base"], info["gateway_url"])
    env = {"DISCORD_TOKEN": info["token"], "DATABASE_PATH": str(db_path), "DEV_GUILD_ID": info["guild_id"]}
    settings = load_settings(env)
    store = await open_store(settings, listen=True)
    workers = Workers()
    workers.warm()
    bot = BookClubBot(settings=settings, store=store, workers=workers)

    async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    # The emulator needs none of discord.py's real-time waits (as fakediscord's run_bot(fast=True)).
    bot.before_identify_hook = no_wait  # type: ignore[method-assign]
    bot._connection.guild_ready_timeout = 0.05
    runner = asyncio.create_task(bot.start(info["token"]))
    await asyncio.wait_for(bot.wait_until_ready(), 30)
    await asyncio.to_thread(ready.write_text, "ready")
    await runner


if __name__ == "__main__":
    asyncio.run(serve(json.loads(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
