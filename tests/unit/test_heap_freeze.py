"""`python -m bot` moves what start-up built out of the cyclic collector's sight, once, at the first ready."""

from __future__ import annotations

import gc

import discord

from bot.client import BookClubBot
from bot.clock import SystemClock
from bot.settings import load_settings
from bot.store import Database, Store


async def _ready_bot(tmp_path, *, freeze_heap: bool) -> tuple[BookClubBot, Database]:
    db = await Database.open(":memory:")
    settings = load_settings({"DISCORD_TOKEN": "x.y.z", "DATABASE_PATH": str(tmp_path / "db")})
    bot = BookClubBot(settings=settings, store=Store.build(db, SystemClock()), freeze_heap=freeze_heap)
    await bot.load_features()
    # What the gateway's READY gives discord.py: who the bot is.
    bot._connection.user = discord.ClientUser(
        state=bot._connection, data={"id": "1", "username": "bookclub", "discriminator": "0", "avatar": None}
    )
    return bot, db


async def test_the_first_ready_freezes_the_start_up_heap_and_a_reconnect_does_not(tmp_path) -> None:
    gc.unfreeze()
    bot, db = await _ready_bot(tmp_path, freeze_heap=True)
    try:
        await bot.on_ready()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the features, the command tree, the libraries
        since = [[i] for i in range(1000)]  # made after start-up: must stay collectable
        await bot.on_ready()  # a reconnect's ready
        assert gc.get_freeze_count() == frozen
        assert gc.is_tracked(since[0])
    finally:
        gc.unfreeze()
        await db.close()


async def test_a_bot_built_without_the_option_freezes_nothing(tmp_path) -> None:
    gc.unfreeze()
    bot, db = await _ready_bot(tmp_path, freeze_heap=False)
    try:
        await bot.on_ready()
        assert gc.get_freeze_count() == 0
    finally:
        await db.close()
