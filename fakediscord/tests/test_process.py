"""`python -m fakediscord` in its own process, driven by a bot and the /_control/ API."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import aiohttp

from fakediscord import point_discord_py_at
from fakediscord.tests.sample_bot import SampleBot

ROOT = Path(__file__).resolve().parents[2]  # the project, whose top level holds the package


async def test_standalone_process_with_control_api() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fakediscord",
        "--port",
        "0",
        "--members",
        "3",
        "--no-rate-limits",
        "--no-validate",
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
        control = info["control"]
        restore = point_discord_py_at(info["api_base"], info["gateway_url"])
        bot = SampleBot(int(info["guild_id"]))
        task = asyncio.create_task(bot.start(info["token"]))
        try:
            await asyncio.wait_for(bot.ready_event.wait(), 10)
            async with aiohttp.ClientSession() as http:
                async with http.get(control + "info") as resp:
                    assert (await resp.json())["connected"] is True
                async with http.post(
                    control + "slash", json={"command": "echo", "options": {"text": "hi"}, "members": 3}
                ) as resp:
                    result = await resp.json()
                assert result["ok"] == 3, result
                async with http.get(control + "requests") as resp:
                    log = await resp.json()
            callbacks = [r for r in log["requests"] if r["route"].endswith("/callback")]
            assert len(callbacks) == 3
        finally:
            await bot.close()
            await asyncio.wait_for(task, 5)
            restore()
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 5)
