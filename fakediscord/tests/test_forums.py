"""Forum posts as Discord refuses them: no starter message, an empty one, over 5 tags, no tag where required."""

from __future__ import annotations

from typing import Any

import aiohttp

from fakediscord import Channel, FakeDiscord
from fakediscord.tests.rest import call


async def post(club: FakeDiscord, forum: Channel, body: dict[str, Any]) -> tuple[int, Any]:
    """Start a thread in `forum` as the bot."""
    return await call(club, "POST", f"/channels/{forum.id}/threads", body)


def tag_ids(forum: Channel) -> list[str]:
    return [t["id"] for t in forum.available_tags]


async def test_a_forum_post_needs_a_starter_message_with_something_in_it(club: FakeDiscord) -> None:
    forum = club.forum_channel("book-forum")
    status, body = await post(club, forum, {"name": "Dune"})
    assert (status, body["code"]) == (400, 50035)
    assert body["errors"]["message"]["_errors"][0]["code"] == "BASE_TYPE_REQUIRED"
    empties: list[dict[str, Any]] = [{}, {"content": ""}, {"embeds": [], "components": []}]
    for empty in empties:
        status, body = await post(club, forum, {"name": "Dune", "message": empty})
        assert (status, body["code"]) == (400, 50006), empty
    assert club.threads_in(forum) == []
    status, body = await post(club, forum, {"name": "Dune", "message": {"content": "Week 1: chapters 1-5"}})
    assert status == 201
    assert body["message"]["content"] == "Week 1: chapters 1-5"
    assert [t.name for t in club.threads_in(forum)] == ["Dune"]


async def test_at_most_five_applied_tags_on_create_and_on_patch(club: FakeDiscord) -> None:
    forum = club.forum_channel("book-forum", tags=["a", "b", "c", "d", "e", "f"])
    six = tag_ids(forum)
    status, body = await post(
        club, forum, {"name": "Dune", "message": {"content": "hi"}, "applied_tags": six}
    )
    assert (status, body["code"]) == (400, 50035)
    assert body["errors"]["applied_tags"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    status, body = await post(
        club, forum, {"name": "Dune", "message": {"content": "hi"}, "applied_tags": six[:5]}
    )
    assert status == 201 and body["applied_tags"] == six[:5]
    thread = club.thread("Dune")
    status, body = await call(club, "PATCH", f"/channels/{thread.id}", {"applied_tags": six})
    assert (status, body["code"]) == (400, 50035) and "applied_tags" in body["errors"]
    assert [str(t) for t in thread.applied_tags] == six[:5]
    status, body = await call(club, "PATCH", f"/channels/{thread.id}", {"applied_tags": six[1:]})
    assert status == 200 and body["applied_tags"] == six[1:]


async def test_a_forum_that_requires_tags_refuses_an_untagged_post(club: FakeDiscord) -> None:
    forum = club.forum_channel("book-forum", tags=["Fiction", "Film"], require_tag=True)
    status, channel = await call(club, "GET", f"/channels/{forum.id}")
    assert status == 200 and channel["flags"] & (1 << 4)
    untagged_bodies: list[dict[str, Any]] = [{}, {"applied_tags": []}]
    for untagged in untagged_bodies:
        status, body = await post(club, forum, {"name": "Dune", "message": {"content": "hi"}, **untagged})
        assert (status, body["code"]) == (400, 40067), untagged
    assert club.threads_in(forum) == []
    fiction = tag_ids(forum)[0]
    status, body = await post(
        club, forum, {"name": "Dune", "message": {"content": "hi"}, "applied_tags": [fiction]}
    )
    assert status == 201 and body["applied_tags"] == [fiction]
    plain = club.forum_channel("open-forum", tags=["Fiction"])
    status, _ = await post(club, plain, {"name": "Emma", "message": {"content": "hi"}})
    assert status == 201  # without the flag a post needs no tag


async def test_the_control_api_creates_a_forum_that_requires_tags(club: FakeDiscord) -> None:
    control = f"{club.http_base}/_control/"
    async with aiohttp.ClientSession() as http:
        made = {"name": "tagged", "tags": ["Fiction", "Film"], "require_tag": True}
        async with http.post(control + "forum", json=made) as resp:
            forum = await resp.json()
    assert forum["flags"] == 1 << 4 and set(forum["tags"]) == {"Fiction", "Film"}
    ch = club.channel("tagged")
    status, body = await post(club, ch, {"name": "Dune", "message": {"content": "hi"}})
    assert (status, body["code"]) == (400, 40067)
    tagged = {"name": "Dune", "message": {"content": "hi"}, "applied_tags": [forum["tags"]["Film"]]}
    status, _ = await post(club, ch, tagged)
    assert status == 201
