"""Start-up failures that only Discord can report: a rejected token, a privileged intent switched off."""

from __future__ import annotations

import asyncio

import pytest

from bot.__main__ import StartupError, _run
from bot.settings import load_settings


async def test_rejected_token_names_the_portal_switch(club, tmp_path):
    settings = load_settings(
        {"DISCORD_TOKEN": "d3Jvbmc.dG9rZW4.reset-since", "DATABASE_PATH": str(tmp_path / "db.sqlite3")}
    )
    with pytest.raises(StartupError, match=r"Discord rejected DISCORD_TOKEN.*Reset Token"):
        await asyncio.wait_for(_run(settings), 10)


async def test_missing_message_content_intent_is_explained(club, tmp_path):
    club.gateway.allowed_intents = 0  # the portal switch is off
    settings = load_settings(
        {
            "DISCORD_TOKEN": club.token,
            "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
            "OPENAI_API_KEY": "sk-local",
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        }
    )
    with pytest.raises(StartupError, match="Message Content Intent"):
        await asyncio.wait_for(_run(settings), 10)


async def test_without_summaries_no_privileged_intent_is_requested(club, tmp_path):
    club.gateway.allowed_intents = 0
    settings = load_settings({"DISCORD_TOKEN": club.token, "DATABASE_PATH": str(tmp_path / "db.sqlite3")})
    task = asyncio.create_task(_run(settings))
    await club.wait_until_ready()
    await club.wait_until(lambda: club.gateway.identify_payload is not None, what="IDENTIFY")
    assert not task.done()
    assert club.gateway.identify_payload["intents"] & (1 << 15) == 0  # MESSAGE_CONTENT
    assert club.gateway.identify_payload["intents"] & (1 << 1) == 0  # GUILD_MEMBERS
    # Not privileged, and needed for members' Interested on discussion events.
    assert club.gateway.identify_payload["intents"] & (1 << 16)  # GUILD_SCHEDULED_EVENTS
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_sync_registers_commands_globally_or_to_one_guild(club, tmp_path, capsys):
    from bot.__main__ import _sync

    settings = load_settings({"DISCORD_TOKEN": club.token, "DATABASE_PATH": str(tmp_path / "db.sqlite3")})
    await asyncio.wait_for(_sync(settings, None), 10)
    expected = {
        "club",
        "book",
        "status",
        "privacy",
        "discussion",
        "Hide as spoiler",
        "poll",
        "nominations",
        "nominate",
        "review",
        "summarize",
    }
    assert expected <= {c["name"] for c in club.commands(guild=None)}
    assert club.commands() == []
    assert f"registered {len(expected)} commands globally" in capsys.readouterr().out
    await asyncio.wait_for(_sync(settings, club.guild.id), 10)
    assert {c["name"] for c in club.commands()} == expected
    assert f"to server {club.guild.id}" in capsys.readouterr().out
    assert not club.gateway.identify_count  # sync never connects to the gateway
