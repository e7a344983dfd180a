"""Call the emulator's REST API the way a bot does, without discord.py, to see Discord's exact answers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiohttp

from fakediscord import FakeDiscord


async def call(
    club: FakeDiscord,
    method: str,
    path: str,
    body: Any = None,
    *,
    files: Sequence[tuple[str, bytes]] = (),
    auth: bool = True,
) -> tuple[int, Any]:
    """Send one request under /api/v10 as the bot; return (status, JSON body or None for 204)."""
    headers = {"Authorization": f"Bot {club.token}"} if auth else {}
    url = club.api_base + path
    async with aiohttp.ClientSession() as http:
        if files:
            form = aiohttp.FormData()
            form.add_field("payload_json", json.dumps(body or {}), content_type="application/json")
            for i, (name, data) in enumerate(files):
                form.add_field(f"files[{i}]", data, filename=name, content_type="application/octet-stream")
            async with http.request(method, url, data=form, headers=headers) as resp:
                return resp.status, await _json(resp)
        async with http.request(method, url, json=body, headers=headers) as resp:
            return resp.status, await _json(resp)


async def _json(resp: aiohttp.ClientResponse) -> Any:
    return None if resp.status == 204 else await resp.json()
