"""The bot's default permissions in the emulator are what README's invite link grants, no more."""

from __future__ import annotations

import re
from pathlib import Path

from fakediscord import FakeDiscord
from fakediscord.permissions import BOT_INVITE_PERMISSIONS, DEFAULT_EVERYONE, FLAGS, bits, names

README = Path(__file__).resolve().parents[2] / "README.md"
# Developer-portal labels whose discord.py name is not the label in snake case.
PORTAL_NAMES = {"view_channels": "view_channel", "create_polls": "send_polls"}


def readme_invite_permissions() -> list[str]:
    """Return the bot permissions README's step 3 tells the owner to tick, as discord.py names."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    step = text[text.index("bot permissions") : text.index("Open the generated URL")]
    labels = re.findall(r"\*\*([^*]+)\*\*", step)
    out = []
    for label in labels:
        key = label.strip().lower().replace(" ", "_")
        out.append(PORTAL_NAMES.get(key, key))
    return out


def test_invite_list_matches_readme() -> None:
    listed = readme_invite_permissions()
    assert listed and all(name in FLAGS for name in listed), listed
    assert sorted(BOT_INVITE_PERMISSIONS) == sorted(listed)


async def test_bot_has_the_invite_permissions_plus_everyones(club: FakeDiscord) -> None:
    assert club.default_channel is not None
    have = club.world.permissions_in(club.default_channel, club.world.bot_user.id)
    assert have == bits(BOT_INVITE_PERMISSIONS) | bits(DEFAULT_EVERYONE)
    for extra in ("manage_events", "pin_messages", "mention_everyone"):
        assert extra not in names(have)
