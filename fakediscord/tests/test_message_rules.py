"""Message rules from Discord's docs: spoiler attachments, the Components V2 flag, trimmed embed lengths."""

from __future__ import annotations

from typing import Any

import pytest

from fakediscord import FakeDiscord
from fakediscord.tests.rest import call

IS_SPOILER = 1 << 3
IS_COMPONENTS_V2 = 1 << 15
TEXT = {"type": 10, "content": "Chapter 3 is up"}
ROW = {"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "read", "label": "I read it"}]}


def general(club: FakeDiscord) -> str:
    assert club.default_channel is not None
    return f"/channels/{club.default_channel.id}/messages"


async def test_spoiler_prefix_or_is_spoiler_sets_the_flag(club: FakeDiscord) -> None:
    files = [("SPOILER_ending.txt", b"twist"), ("cover.txt", b"art"), ("notes.txt", b"plain")]
    requests = [{"id": 0}, {"id": 1, "is_spoiler": True}, {"id": 2, "is_spoiler": False}]
    status, sent = await call(
        club, "POST", general(club), {"content": "files", "attachments": requests}, files=files
    )
    assert status == 200
    assert [a.get("flags", 0) & IS_SPOILER for a in sent["attachments"]] == [IS_SPOILER, IS_SPOILER, 0]
    ending, cover, notes = (a["id"] for a in sent["attachments"])
    # An edit may change is_spoiler on kept attachments; the legacy prefix still marks its file.
    kept = [
        {"id": ending, "is_spoiler": False},
        {"id": cover, "is_spoiler": False},
        {"id": notes, "is_spoiler": True},
    ]
    status, edited = await call(club, "PATCH", f"{general(club)}/{sent['id']}", {"attachments": kept})
    assert status == 200
    assert [a.get("flags", 0) & IS_SPOILER for a in edited["attachments"]] == [IS_SPOILER, 0, IS_SPOILER]


@pytest.mark.parametrize(
    ("legacy", "value"),
    [("content", "hello"), ("embeds", [{"title": "Chapter 3"}]), ("poll", None)],
)
async def test_components_v2_messages_hold_no_content_embeds_or_poll(
    club: FakeDiscord, legacy: str, value: Any
) -> None:
    if legacy == "poll":
        value = {"question": {"text": "Next?"}, "answers": [{"poll_media": {"text": "Dune"}}], "duration": 24}
    body = {"flags": IS_COMPONENTS_V2, "components": [TEXT], legacy: value}
    status, refused = await call(club, "POST", general(club), body)
    assert (status, refused["code"]) == (400, 50035)
    assert list(refused["errors"]) == [legacy]
    status, sent = await call(club, "POST", general(club), {"flags": IS_COMPONENTS_V2, "components": [TEXT]})
    assert status == 200 and sent["flags"] & IS_COMPONENTS_V2 and sent["content"] == ""


async def test_v2_components_need_the_flag(club: FakeDiscord) -> None:
    for top in (TEXT, {"type": 17, "components": [TEXT]}, {"type": 14}):
        status, refused = await call(club, "POST", general(club), {"components": [ROW, top]})
        assert (status, refused["code"]) == (400, 50035), top
        assert refused["errors"]["components"]["1"]["_errors"][0]["code"] == "UNION_TYPE_CHOICES"
    status, _ = await call(club, "POST", general(club), {"content": "card", "components": [ROW]})
    assert status == 200  # legacy action rows need no flag
    status, _ = await call(
        club, "POST", general(club), {"flags": IS_COMPONENTS_V2, "components": [ROW, TEXT]}
    )
    assert status == 200


async def test_switching_an_edit_to_v2_empties_the_legacy_fields_and_the_flag_stays(
    club: FakeDiscord,
) -> None:
    status, sent = await call(club, "POST", general(club), {"content": "old card", "components": [ROW]})
    assert status == 200
    path = f"{general(club)}/{sent['id']}"
    status, refused = await call(club, "PATCH", path, {"flags": IS_COMPONENTS_V2, "components": [TEXT]})
    assert (status, refused["code"]) == (400, 50035) and "content" in refused["errors"]
    status, edited = await call(
        club, "PATCH", path, {"flags": IS_COMPONENTS_V2, "content": None, "components": [TEXT]}
    )
    assert status == 200 and edited["content"] == "" and edited["flags"] & IS_COMPONENTS_V2
    status, refused = await call(club, "PATCH", path, {"content": "back to text"})
    assert (status, refused["code"]) == (400, 50035)  # the message is V2 for good
    status, edited = await call(club, "PATCH", path, {"flags": 0, "components": [TEXT, ROW]})
    assert status == 200 and edited["flags"] & IS_COMPONENTS_V2  # the flag cannot be removed


@pytest.mark.club(allow_violations=True)
async def test_embed_lengths_are_counted_after_trimming(club: FakeDiscord) -> None:
    assert club.validator is not None, club.validation_skipped_reason
    padded = {
        "title": "  " + "t" * 256 + "\n",
        "description": "\n" + "d" * 4096 + "   ",
        "fields": [{"name": " " + "n" * 256, "value": "v" * 1024 + "\n\n"}],
        "author": {"name": "a" * 256 + " "},
    }
    status, sent = await call(club, "POST", general(club), {"embeds": [padded]})
    assert status == 200 and not club.violations, sent
    stored = sent["embeds"][0]  # Discord keeps the trimmed text
    assert (stored["title"], stored["author"]["name"]) == ("t" * 256, "a" * 256)
    # The 6000-character total counts trimmed text too: 256 + 4096 + 1648 = 6000 fits, padding or not.
    total = {"title": "t" * 256, "description": "d" * 4096 + "\n" * 500, "footer": {"text": " " + "f" * 1648}}
    status, sent = await call(club, "POST", general(club), {"embeds": [total]})
    assert status == 200 and not club.violations, sent
    for refused_embed, where in (
        ({"title": " " + "t" * 257}, "embeds.0.title"),
        ({"fields": [{"name": "Week 1", "value": "   "}]}, "embeds.0.fields.0.value"),
        ({**total, "footer": {"text": "f" * 1649}}, "embeds"),
    ):
        status, refused = await call(club, "POST", general(club), {"embeds": [refused_embed]})
        assert (status, refused["code"]) == (400, 50035), refused_embed
        assert [v.field for v in club.violations] == [where]
        club.violations.clear()
