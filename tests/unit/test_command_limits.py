"""Every text option carries a max_length, so Discord refuses oversized input before the bot sees it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.client import BookClubBot
from bot.clock import SystemClock
from bot.command_reference import command_payloads
from bot.settings import load_settings
from bot.store import Database, Store

STRING, ATTACHMENT = 3, 11


def leaf_options(payload: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (command path, option) for every non-group option under a command payload."""
    for option in payload.get("options", []):
        if option["type"] in (1, 2):
            yield from leaf_options(option, f"{path} {option['name']}")
        else:
            yield path, option


async def test_every_text_option_has_a_max_length(tmp_path) -> None:
    db = await Database.open(":memory:")
    try:
        settings = load_settings({"DISCORD_TOKEN": "x.y.z", "DATABASE_PATH": str(tmp_path / "db")})
        bot = BookClubBot(settings=settings, store=Store.build(db, SystemClock()))
        await bot.load_features()
        options = [(p, o) for c in command_payloads(bot.tree) for p, o in leaf_options(c, f"/{c['name']}")]
    finally:
        await db.close()
    # An option with choices only ever carries one of them.
    texts = [(path, o) for path, o in options if o["type"] == STRING and not o.get("choices")]
    assert texts, "no text options found: the walk is broken"
    unbounded = [f"{path} {o['name']}" for path, o in texts if "max_length" not in o]
    assert unbounded == []
    assert all(o["max_length"] <= 2000 for _, o in texts)  # a URL is the longest text taken
