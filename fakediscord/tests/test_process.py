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


async def test_standalone_process_with_many_guilds_and_clicks_across_them() -> None:
    # `--guilds`: every guild built alike, usernames unique across guilds; READY then a GUILD_CREATE each
    # (https://discord.com/developers/docs/topics/gateway-events#ready). Clicks on several guilds' messages
    # in one control call are made by the member of that name in each message's guild.
    import discord

    from fakediscord.tests.sample_bot import ReadView

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["--port", "0", "--guilds", "3", "--members", "2", "--channel", "book-talk", "--role", "Reader"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fakediscord", *args, "--no-rate-limits", "--no-validate",
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        info = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
        assert info["guilds"] == 3
        control = info["control"]
        async with aiohttp.ClientSession() as http:
            async with http.get(control + "guilds") as resp:
                guilds = await resp.json()
            # Each guild also has its owner, as every emulated guild does.
            assert [sorted(set(g["members"]) - {"owner"}) for g in guilds] == [
                ["member0", "member1"],
                ["member2", "member3"],
                ["member4", "member5"],
            ]
            assert all(sorted(g["channels"]) == ["book-talk", "general"] for g in guilds)
            assert all("Reader" in g["roles"] for g in guilds)
            assert guilds[0]["id"] == info["guild_id"]

            restore = point_discord_py_at(info["api_base"], info["gateway_url"])
            bot = SampleBot(int(info["guild_id"]))
            task = asyncio.create_task(bot.start(info["token"]))
            try:
                await asyncio.wait_for(bot.ready_event.wait(), 10)
                await asyncio.wait_for(_all_available(bot, 3), 10)
                posted = {}
                for g in guilds[1:]:
                    channel = bot.get_channel(int(g["channels"]["general"]))
                    assert isinstance(channel, discord.TextChannel)
                    posted[g["id"]] = (await channel.send("read?", view=ReadView())).id
                clicks = [
                    {
                        "member": "member2",
                        "message_id": str(posted[guilds[1]["id"]]),
                        "button": "sample:note",
                    },
                    {
                        "member": "member5",
                        "message_id": str(posted[guilds[2]["id"]]),
                        "button": "sample:note",
                    },
                ]
                async with http.post(control + "click", json={"clicks": clicks}) as resp:
                    result = await resp.json()
                assert result["ok"] == 2, result
                # member0 is in the first guild only: a click in the second guild is refused, not made.
                stranger = [{**clicks[0], "member": "member0"}]
                async with http.post(control + "click", json={"clicks": stranger}) as resp:
                    assert resp.status == 400
                    assert "no member 'member0'" in (await resp.json())["error"]
                async with http.get(control + "requests") as resp:
                    log = await resp.json()
                callbacks = [r for r in log["requests"] if r["route"].endswith("/callback")]
                assert len(callbacks) == 2
            finally:
                await bot.close()
                await asyncio.wait_for(task, 5)
                restore()
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 5)


async def _all_available(bot: SampleBot, count: int) -> None:
    while sum(not g.unavailable for g in bot.guilds) < count:  # noqa: ASYNC110 - no event says "all guilds"
        await asyncio.sleep(0.01)
