"""DISCORD_API_BASE: the bot process sends every REST call where it is told (a shard-shared rate-limit proxy)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def test_the_bot_process_talks_only_to_the_api_base_it_is_given(club, tmp_path):
    # The emulator stands in for the proxy: nothing in the process is patched to find it.
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEV_GUILD_ID", "OPENAI_API_KEY")},
        "DISCORD_TOKEN": club.token,
        "DISCORD_API_BASE": club.api_base,
        "DATABASE_PATH": str(tmp_path / "bookclub.sqlite3"),
        "PYTHONPATH": str(ROOT),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await club.wait_until(lambda: club.gateway.connected, timeout=30, what="the bot process to connect")
        assert club.gateway.identify_payload is not None
        assert any(r.path.endswith("/gateway/bot") for r in club.requests)  # asked the proxy where to connect
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
