"""Create/edit-message rules Discord enforces that the OpenAPI file does not: mentions, replies, files, buttons."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiohttp
import pytest

from fakediscord import FakeDiscord

MiB = 1024 * 1024


async def post(
    club: FakeDiscord,
    body: dict[str, Any],
    files: Sequence[tuple[str, bytes]] = (),
) -> tuple[int, dict[str, Any]]:
    """POST a message to #general as the bot would; return (status, JSON body)."""
    assert club.default_channel is not None
    url = f"{club.api_base}/channels/{club.default_channel.id}/messages"
    headers = {"Authorization": f"Bot {club.token}"}
    async with aiohttp.ClientSession() as http:
        if files:
            form = aiohttp.FormData()
            form.add_field("payload_json", json.dumps(body), content_type="application/json")
            for i, (name, data) in enumerate(files):
                form.add_field(f"files[{i}]", data, filename=name, content_type="application/octet-stream")
            async with http.post(url, data=form, headers=headers) as resp:
                return resp.status, await resp.json()
        async with http.post(url, json=body, headers=headers) as resp:
            return resp.status, await resp.json()


async def test_parse_users_with_a_users_list_is_refused(club: FakeDiscord) -> None:
    alice = club.member("alice")
    both = {"parse": ["users"], "users": [str(alice.id)]}
    status, body = await post(club, {"content": f"hi {alice.mention}", "allowed_mentions": both})
    assert (status, body["code"]) == (400, 50035)
    assert "allowed_mentions" in body["errors"]
    role = club.role("Readers", mentionable=True)
    both_roles = {"parse": ["roles"], "roles": [str(role.id)]}
    status, _ = await post(club, {"content": role.mention, "allowed_mentions": both_roles})
    assert status == 400
    status, _ = await post(
        club, {"content": f"hi {alice.mention}", "allowed_mentions": {"users": [str(alice.id)]}}
    )
    assert status == 200
    assert [m.content for m in club.pings_of(alice)] == [f"hi {alice.mention}"]


async def test_reply_to_a_missing_message(club: FakeDiscord) -> None:
    said = await club.member("alice").say(club.default_channel, "first")
    await club.member("alice").delete(said)
    ref = {"message_id": str(said.id)}
    status, body = await post(club, {"content": "re", "message_reference": ref})
    assert (status, body["code"]) == (400, 50035)
    status, body = await post(
        club, {"content": "re", "message_reference": {**ref, "fail_if_not_exists": False}}
    )
    assert status == 200 and body["type"] == 0 and "message_reference" not in body
    alive = await club.member("bob").say(club.default_channel, "second")
    status, body = await post(club, {"content": "re", "message_reference": {"message_id": str(alive.id)}})
    assert status == 200 and body["type"] == 19


async def test_at_most_ten_attachments(club: FakeDiscord) -> None:
    files = [(f"{i}.txt", b"x") for i in range(11)]
    status, body = await post(club, {"content": "files"}, files)
    assert (status, body["code"]) == (400, 50035)
    status, body = await post(club, {"content": "files"}, files[:10])
    assert status == 200 and len(body["attachments"]) == 10


async def test_file_over_the_guild_limit_and_body_over_25_mib(club: FakeDiscord) -> None:
    status, body = await post(club, {"content": "big"}, [("big.bin", b"x" * (10 * MiB + 1))])
    assert (status, body["code"]) == (413, 40005)
    status, _ = await post(club, {"content": "fits"}, [("ok.bin", b"x" * (10 * MiB))])
    assert status == 200
    club.guild.attachment_size_limit = 100 * MiB  # a boosted guild: the 25 MiB request limit still holds
    status, body = await post(club, {"content": "huge"}, [("huge.bin", b"x" * (25 * MiB + 1))])
    assert (status, body["code"]) == (413, 40005)
    status, _ = await post(club, {"content": "large"}, [("large.bin", b"x" * (20 * MiB))])
    assert status == 200


@pytest.mark.parametrize(
    ("button", "accepted"),
    [
        ({"type": 2, "style": 1, "custom_id": "a"}, False),
        ({"type": 2, "style": 1, "custom_id": "a", "label": "Read"}, True),
        ({"type": 2, "style": 1, "custom_id": "a", "emoji": {"name": "📖"}}, True),
    ],
)
async def test_a_button_needs_a_label_or_an_emoji(
    club: FakeDiscord, button: dict[str, Any], accepted: bool
) -> None:
    body = {"content": "card", "components": [{"type": 1, "components": [button]}]}
    status, answer = await post(club, body)
    if accepted:
        assert status == 200
    else:
        assert (status, answer["code"]) == (400, 50035)
        assert "label" in json.dumps(answer["errors"])
