"""Fitting messages and embeds to Discord's limits."""

from __future__ import annotations

import discord

from bot.replies import fit_embed, fit_message
from bot.text import LIMITS


def test_oversized_embed_is_fitted_in_every_part():
    embed = discord.Embed(title="t" * 400, description="word " * 2000)
    embed.set_author(name="a" * 300)
    embed.set_footer(text="f" * 3000)
    for i in range(30):
        embed.add_field(name="n" * 300, value="v" * 2000 if i % 2 else "", inline=False)
    fitted = fit_embed(embed)
    assert len(fitted.title or "") <= LIMITS.embed_title
    assert len(fitted.description or "") <= LIMITS.embed_description
    assert len(fitted.fields) <= LIMITS.fields
    assert all(0 < len(f.name or "") <= 256 and 0 < len(f.value or "") <= 1024 for f in fitted.fields)
    assert len(fitted) <= LIMITS.embed_total
    # The original is left alone.
    assert len(embed.title or "") == 400


def test_small_embed_is_unchanged():
    embed = discord.Embed(title="Dune", description="A desert planet.")
    embed.add_field(name="Rating", value="★★★★☆")
    assert fit_embed(embed).to_dict() == embed.to_dict()


def test_message_total_across_embeds_is_kept_within_6000():
    embeds = [discord.Embed(title=f"part {i}", description="x " * 2000) for i in range(12)]
    content, fitted = fit_message("c" * 2500, embeds)
    assert content is not None and len(content) <= LIMITS.content
    assert len(fitted) == LIMITS.embeds
    assert sum(len(e) for e in fitted) <= LIMITS.embed_total


def test_plain_message_passes_through():
    assert fit_message("hello", []) == ("hello", [])
    assert fit_message(None, []) == (None, [])


def test_every_message_and_dm_goes_through_bot_replies():
    """`send_dm` is where Discord's 50007/50278 are handled, so nothing else may post or open a DM."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    direct = re.compile(r"\.send\(|\.send_message\(|\bcreate_dm\(")
    found = [
        f"{path.relative_to(root)}:{number}"
        for package in ("bot", "cogs")
        for path in sorted((root / package).rglob("*.py"))
        if path != root / "bot" / "replies.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if direct.search(line)
    ]
    assert found == [], "post with bot.replies.send/reply and DM with send_dm"
