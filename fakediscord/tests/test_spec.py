"""Tests for fakediscord.spec: OpenAPI/gateway-schema checks and Discord's documented limits."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from fakediscord import spec as spec_module
from fakediscord.spec import PINNED_DIR, SpecValidator, Violation, invalid_form_body, spec_dir_or_reason

APP = "1100000000000000001"
GUILD = "1100000000000000002"
CHANNEL = "1100000000000000003"
USER = "1100000000000000004"
MSG = "1100000000000000005"
NOW = "2026-11-28T10:00:00.000000+00:00"
MESSAGES = f"/api/v10/channels/{CHANNEL}/messages"
CALLBACK = "/api/v10/interactions/1100000000000000009/itok_abc/callback"


@pytest.fixture(scope="module")
def spec() -> SpecValidator:
    """The validator on the pinned spec copy (its absence fails: validation must not switch off)."""
    validator = SpecValidator.locate()
    assert validator is not None, SpecValidator.skipped_reason
    return validator


def paths(violations: list[Violation]) -> list[str]:
    """Violation paths, for terse assertions."""
    return [v.path for v in violations]


def by_path(violations: list[Violation], path: str) -> Violation:
    """The one violation at `path`."""
    found = [v for v in violations if v.path == path]
    assert len(found) == 1, violations
    return found[0]


# ------------------------------------------------------------------ realistic payloads (prototype shapes)


def user(uid: str = USER, name: str = "reader0", bot: bool = False) -> dict[str, Any]:
    """A user object with every field the schemas require."""
    return {
        "id": uid,
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
    }


def member(u: dict[str, Any] | None = None) -> dict[str, Any]:
    """A guild member (with user unless u is None)."""
    out: dict[str, Any] = {
        "roles": [],
        "joined_at": NOW,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
        "avatar": None,
        "premium_since": None,
        "pending": False,
    }
    if u is not None:
        out["user"] = u
    return out


def text_channel() -> dict[str, Any]:
    """A guild text channel."""
    return {
        "id": CHANNEL,
        "type": 0,
        "guild_id": GUILD,
        "name": "book-club",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
    }


def message(content: str = "hello") -> dict[str, Any]:
    """A MESSAGE_CREATE payload from a user in a guild channel (no nonce: Discord omits it when unset)."""
    return {
        "id": MSG,
        "channel_id": CHANNEL,
        "guild_id": GUILD,
        "author": user(),
        "member": member(),
        "content": content,
        "timestamp": NOW,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
        "components": [],
    }


def rest_message(content: str = "hello") -> dict[str, Any]:
    """A message as REST returns it (and as it is embedded in interactions): no guild_id/member."""
    msg = message(content)
    del msg["guild_id"], msg["member"]
    msg["author"] = user(APP, "BookBot", bot=True)
    return msg


def guild_create() -> dict[str, Any]:
    """A GUILD_CREATE payload with the fields the schema requires."""
    everyone = {
        "id": GUILD,
        "name": "@everyone",
        "permissions": "1071698660929",
        "position": 0,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
        "icon": None,
        "unicode_emoji": None,
    }
    return {
        "id": GUILD,
        "name": "Book Club",
        "icon": None,
        "owner_id": APP,
        "unavailable": False,
        "large": False,
        "member_count": 2,
        "roles": [everyone],
        "emojis": [],
        "stickers": [],
        "features": [],
        "channels": [text_channel()],
        "threads": [],
        "members": [member(user(APP, "BookBot", bot=True)), member(user())],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "joined_at": NOW,
        "system_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "afk_timeout": 300,
        "afk_channel_id": None,
        "application_id": None,
        "banner": None,
        "description": None,
        "discovery_splash": None,
        "hub_type": None,
        "incidents_data": None,
        "premium_progress_bar_enabled": False,
        "public_updates_channel_id": None,
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "splash": None,
        "system_channel_flags": 0,
        "vanity_url_code": None,
        "lazy": True,
    }


def ready() -> dict[str, Any]:
    """A READY payload, including the untyped keys real Discord sends."""
    return {
        "v": 10,
        "user": user(APP, "BookBot", bot=True),
        "guilds": [{"id": GUILD, "unavailable": True}],
        "session_id": "0123456789abcdef",
        "resume_gateway_url": "wss://127.0.0.1:1/gateway",
        "application": {"id": APP, "flags": 0, "flags_new": "0"},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "user_settings": {},
        "geo_ordered_rtc_regions": [],
        "shard": [0, 1],
        "session_type": "normal",
        "_trace": ["fake"],
    }


def thread() -> dict[str, Any]:
    """A THREAD_CREATE payload (thread started from a message)."""
    return {
        "id": MSG,
        "guild_id": GUILD,
        "parent_id": CHANNEL,
        "owner_id": APP,
        "name": "Chapter 1",
        "type": 11,
        "last_message_id": None,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "rate_limit_per_user": 0,
        "flags": 0,
        "applied_tags": [],
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": NOW,
            "locked": False,
            "create_timestamp": NOW,
        },
        "member": {"id": MSG, "user_id": APP, "join_timestamp": NOW, "flags": 0},
        "newly_created": True,
    }


def interaction(itype: int, data: dict[str, Any], msg: dict[str, Any] | None = None) -> dict[str, Any]:
    """An INTERACTION_CREATE payload (2 slash, 3 component, 5 modal submit)."""
    perms = str((1 << 51) - 1)
    out = {
        "id": "1100000000000000009",
        "application_id": APP,
        "type": itype,
        "token": "itok_abc",
        "version": 1,
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "channel": {
            "id": CHANNEL,
            "type": 0,
            "guild_id": GUILD,
            "name": "book-club",
            "position": 0,
            "permission_overwrites": [],
            "flags": 0,
        },
        "guild": {"id": GUILD, "locale": "en-US", "features": []},
        "member": {**member(user()), "permissions": perms},
        "data": data,
        "locale": "en-US",
        "guild_locale": "en-US",
        "app_permissions": perms,
        "attachment_size_limit": 26214400,
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD},
        "context": 0,
    }
    if msg is not None:
        out["message"] = msg
    return out


def dispatch(t: str, d: dict[str, Any], s: int = 1) -> dict[str, Any]:
    """An op 0 frame."""
    return {"op": 0, "t": t, "s": s, "d": d}


# ------------------------------------------------------------------ locating


def test_env_var_pointing_nowhere_gives_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad $FAKEDISCORD_SPEC_DIR yields None and a reason naming the missing files."""
    monkeypatch.setenv("FAKEDISCORD_SPEC_DIR", str(tmp_path))
    spec_dir, reason = spec_dir_or_reason()
    assert spec_dir is None
    assert "openapi.json" in reason
    assert SpecValidator.locate() is None
    assert "FAKEDISCORD_SPEC_DIR" in SpecValidator.skipped_reason


def test_pinned_copy_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without $FAKEDISCORD_SPEC_DIR the pinned copy is used, wherever the repository sits."""
    monkeypatch.delenv("FAKEDISCORD_SPEC_DIR", raising=False)
    spec_dir, reason = spec_dir_or_reason()
    assert spec_dir == PINNED_DIR and reason == ""
    assert (PINNED_DIR / "openapi.json.xz").is_file()


def test_locate_is_cached(spec: SpecValidator) -> None:
    """locate() hands back the same loaded validator."""
    assert SpecValidator.locate() is spec
    assert SpecValidator.skipped_reason == ""


def test_known_route(spec: SpecValidator) -> None:
    """Operations are looked up by method and templated path."""
    assert spec.known_route("POST", MESSAGES)
    assert spec.known_route("PATCH", "/api/v10/webhooks/1/tok/messages/@original")
    assert spec.known_route("post", CALLBACK)
    assert spec.known_route("GET", "/users/@me")
    assert not spec.known_route("PUT", "/api/v10/users/@me")
    assert not spec.known_route("GET", "/api/v10/nope")


# ------------------------------------------------------------------ requests: messages


def test_valid_message_passes(spec: SpecValidator) -> None:
    """A realistic message with an embed, a poll and buttons has no violations."""
    body = {
        "content": "New review!",
        "embeds": [
            {
                "title": "Dune",
                "description": "5/5",
                "fields": [{"name": "Reader", "value": "reader0"}],
                "footer": {"text": "bookclub"},
                "author": {"name": "r0"},
            }
        ],
        "components": [
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 1, "label": "Like", "custom_id": "like"},
                    {"type": 2, "style": 5, "label": "Web", "url": "https://x.y"},
                ],
            }
        ],
        "allowed_mentions": {"parse": []},
    }
    assert spec.check_request("POST", MESSAGES, {}, body) == []
    poll = {
        "poll": {
            "question": {"text": "Next book?"},
            "answers": [{"poll_media": {"text": "Dune"}}, {"poll_media": {"text": "Emma"}}],
            "duration": 24,
            "allow_multiselect": False,
        }
    }
    assert spec.check_request("POST", MESSAGES, {}, poll) == []


def test_content_2001_chars(spec: SpecValidator) -> None:
    """The documented 2000-char limit wins over the spec's 4000."""
    v = by_path(spec.check_request("POST", MESSAGES, {}, {"content": "x" * 2001}), "content")
    assert v == Violation("content", "Must be 2000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    assert spec.check_request("POST", MESSAGES, {}, {"content": "x" * 2000}) == []


def test_content_wrong_type_gives_leaf_path(spec: SpecValidator) -> None:
    """A type error from the OpenAPI part is reported at its field."""
    v = by_path(spec.check_request("POST", MESSAGES, {}, {"content": 5}), "content")
    assert "string" in v.message
    nested = spec.check_request("POST", MESSAGES, {}, {"embeds": [{"title": 5}]})
    assert paths(nested) == ["embeds.0.title"]


def test_poll_with_11_answers(spec: SpecValidator) -> None:
    """At most 10 poll answers."""
    answers = [{"poll_media": {"text": f"Book {i}"}} for i in range(11)]
    out = spec.check_request("POST", MESSAGES, {}, {"poll": {"question": {"text": "?"}, "answers": answers}})
    assert paths(out) == ["poll.answers"]


def test_poll_answer_56_chars_and_duration(spec: SpecValidator) -> None:
    """Answer text is 55 max (spec says 300); duration 1-768 hours."""
    poll = {"question": {"text": "q" * 301}, "answers": [{"poll_media": {"text": "a" * 56}}], "duration": 769}
    out = spec.check_request("POST", MESSAGES, {}, {"poll": poll})
    assert set(paths(out)) == {"poll.question.text", "poll.answers.0.poll_media.text", "poll.duration"}
    assert by_path(out, "poll.duration").code == "NUMBER_TYPE_MAX"


def test_embed_limits(spec: SpecValidator) -> None:
    """Per-field limits, 25 fields, 10 embeds and the 6000-char total."""
    big = {
        "title": "t" * 257,
        "description": "d" * 4097,
        "footer": {"text": "f" * 2049},
        "author": {"name": "a" * 257},
        "fields": [{"name": "n" * 257, "value": "v" * 1025}],
    }
    out = spec.check_request("POST", MESSAGES, {}, {"embeds": [big]})
    assert set(paths(out)) >= {
        "embeds.0.title",
        "embeds.0.description",
        "embeds.0.footer.text",
        "embeds.0.author.name",
        "embeds.0.fields.0.name",
        "embeds.0.fields.0.value",
    }
    fields = [{"name": "n", "value": "v"}] * 26
    assert paths(spec.check_request("POST", MESSAGES, {}, {"embeds": [{"fields": fields}]})) == [
        "embeds.0.fields"
    ]
    many = spec.check_request("POST", MESSAGES, {}, {"embeds": [{"title": "t"}] * 11})
    assert paths(many) == ["embeds"]
    total = [{"description": "d" * 4000}, {"description": "d" * 2001}]
    v = by_path(spec.check_request("POST", MESSAGES, {}, {"embeds": total}), "embeds")
    assert v.code == "MAX_EMBED_SIZE_EXCEEDED"


def test_component_limits(spec: SpecValidator) -> None:
    """Rows, buttons per row, labels, custom_id, select options, duplicate ids."""
    row = {
        "type": 1,
        "components": [{"type": 2, "style": 1, "label": "x" * 81, "custom_id": f"b{i}"} for i in range(6)],
    }
    out = spec.check_request("POST", MESSAGES, {}, {"components": [row]})
    assert "components.0.components" in paths(out)
    assert "components.0.components.0.label" in paths(out)
    rows = [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": "ok", "custom_id": f"r{i}"}]}
        for i in range(6)
    ]
    assert paths(spec.check_request("POST", MESSAGES, {}, {"components": rows})) == ["components"]
    select = {
        "type": 3,
        "custom_id": "c" * 101,
        "options": [{"label": f"o{i}", "value": f"v{i}"} for i in range(26)],
    }
    out = spec.check_request("POST", MESSAGES, {}, {"components": [{"type": 1, "components": [select]}]})
    assert set(paths(out)) >= {"components.0.components.0.custom_id", "components.0.components.0.options"}
    dup = {
        "type": 1,
        "components": [
            {"type": 2, "style": 1, "label": "a", "custom_id": "same"},
            {"type": 2, "style": 2, "label": "b", "custom_id": "same"},
        ],
    }
    out = spec.check_request("POST", MESSAGES, {}, {"components": [dup]})
    assert by_path(out, "components.0.components.1.custom_id").code == "COMPONENT_CUSTOM_ID_DUPLICATED"


def test_message_edit_and_webhook_routes(spec: SpecValidator) -> None:
    """Limits apply to edits, follow-ups and @original edits too."""
    long = {"content": "x" * 2001}
    for method, path in [
        ("PATCH", f"{MESSAGES}/{MSG}"),
        ("POST", f"/api/v10/webhooks/{APP}/itok_abc"),
        ("PATCH", f"/api/v10/webhooks/{APP}/itok_abc/messages/@original"),
        ("PATCH", f"/api/v10/webhooks/{APP}/itok_abc/messages/{MSG}"),
    ]:
        assert paths(
            spec.check_request(method, path, {"wait": "true"} if method == "POST" else {}, long)
        ) == ["content"], (method, path)


# ------------------------------------------------------------------ requests: interactions


def test_callback_message_and_type_error(spec: SpecValidator) -> None:
    """Type 4 data is a message; a bad field inside the anyOf is reported at its leaf."""
    assert spec.check_request("POST", CALLBACK, {}, {"type": 4, "data": {"content": "hi", "flags": 64}}) == []
    assert paths(spec.check_request("POST", CALLBACK, {}, {"type": 4, "data": {"content": "x" * 2001}})) == [
        "data.content"
    ]
    assert paths(spec.check_request("POST", CALLBACK, {}, {"type": 4, "data": {"content": 5}})) == [
        "data.content"
    ]
    assert spec.check_request("POST", CALLBACK, {}, {"type": 5}) == []
    assert spec.check_request("POST", CALLBACK, {}, {"type": 99}) != []


def test_callback_autocomplete_26_choices(spec: SpecValidator) -> None:
    """Autocomplete results are capped at 25 choices."""
    choices = [{"name": f"Book {i}", "value": f"b{i}"} for i in range(26)]
    out = spec.check_request("POST", CALLBACK, {}, {"type": 8, "data": {"choices": choices}})
    assert paths(out) == ["data.choices"]
    assert spec.check_request("POST", CALLBACK, {}, {"type": 8, "data": {"choices": choices[:25]}}) == []
    assert spec.check_request("POST", CALLBACK + "?with_response=true", {}, {"type": 6}) == []


def test_callback_modal(spec: SpecValidator) -> None:
    """Modal custom_id/title and text-input value limits."""
    text_input = {"type": 4, "custom_id": "review", "label": "Review", "style": 2, "value": "v" * 4001}
    body = {
        "type": 9,
        "data": {
            "custom_id": "m",
            "title": "Write a review",
            "components": [{"type": 1, "components": [text_input]}],
        },
    }
    assert paths(spec.check_request("POST", CALLBACK, {}, body)) == ["data.components.0.components.0.value"]
    text_input["value"] = "ok"
    assert spec.check_request("POST", CALLBACK, {}, body) == []


# ------------------------------------------------------------------ requests: threads and commands


def test_thread_limits(spec: SpecValidator) -> None:
    """Thread name 1-100 and auto_archive_duration choices."""
    route = f"/api/v10/channels/{CHANNEL}/messages/{MSG}/threads"
    assert spec.check_request("POST", route, {}, {"name": "Chapter 1", "auto_archive_duration": 1440}) == []
    assert paths(spec.check_request("POST", route, {}, {"name": "n" * 101})) == ["name"]
    v = by_path(
        spec.check_request("POST", route, {}, {"name": "ok", "auto_archive_duration": 61}),
        "auto_archive_duration",
    )
    assert v.code == "BASE_TYPE_CHOICES" and "10080" in v.message
    forum = {"name": "Book", "message": {"content": "x" * 2001}}
    assert paths(spec.check_request("POST", f"/api/v10/channels/{CHANNEL}/threads", {}, forum)) == [
        "message.content"
    ]


def test_command_limits(spec: SpecValidator) -> None:
    """Names, option counts, choices, order of required options, duplicates and total size."""
    route = f"/api/v10/applications/{APP}/commands"
    ok = [
        {
            "name": "review",
            "description": "Review a book",
            "type": 1,
            "options": [
                {"type": 3, "name": "título", "description": "Book", "required": True},
                {"type": 4, "name": "stars", "description": "1-5", "choices": [{"name": "one", "value": 1}]},
            ],
        },
        {"name": "Mark As Read", "type": 3},
    ]
    assert spec.check_request("PUT", route, {}, ok) == []
    bad = [
        {"name": "Review", "description": "d"},
        {"name": "x" * 33, "description": "d"},
        {
            "name": "many",
            "description": "d",
            "options": [{"type": 3, "name": f"o{i}", "description": "d"} for i in range(26)],
        },
        {"name": "sp ace", "description": "d"},
        {"name": "nodesc", "description": ""},
        {
            "name": "choices",
            "description": "d",
            "options": [
                {
                    "type": 3,
                    "name": "c",
                    "description": "d",
                    "choices": [{"name": str(i), "value": str(i)} for i in range(26)],
                }
            ],
        },
        {
            "name": "order",
            "description": "d",
            "options": [
                {"type": 3, "name": "a", "description": "d"},
                {"type": 3, "name": "b", "description": "d", "required": True},
            ],
        },
        {"name": "many", "description": "again"},
    ]
    out = spec.check_request("PUT", route, {}, bad)
    assert by_path(out, "0.name").code == "APPLICATION_COMMAND_INVALID_NAME"
    assert by_path(out, "1.name").code == "BASE_TYPE_BAD_LENGTH"
    assert by_path(out, "2.options").code == "BASE_TYPE_MAX_LENGTH"
    assert by_path(out, "3.name").code == "STRING_TYPE_REGEX"
    assert "4.description" in paths(out)
    assert "5.options.0.choices" in paths(out)
    assert by_path(out, "6.options.1.required").code == "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"
    assert by_path(out, "7.name").code == "APPLICATION_COMMANDS_DUPLICATE_NAME"
    huge = {
        "name": "huge",
        "description": "d" * 100,
        "options": [
            {
                "type": 3,
                "name": f"o{i}",
                "description": "d" * 100,
                "choices": [{"name": "n" * 100, "value": "v" * 100} for _ in range(25)],
            }
            for i in range(2)
        ],
    }
    guild_route = f"/api/v10/applications/{APP}/guilds/{GUILD}/commands"
    assert (
        by_path(spec.check_request("POST", guild_route, {}, huge), "").code == "APPLICATION_COMMAND_TOO_LARGE"
    )
    too_many = [{"name": f"c{i}", "description": "d"} for i in range(101)]
    assert (
        by_path(spec.check_request("PUT", route, {}, too_many), "").code
        == "APPLICATION_COMMANDS_MAX_EXCEEDED"
    )


def test_unknown_route_and_bad_params(spec: SpecValidator) -> None:
    """Unknown routes and malformed path/query parameters are reported."""
    assert [v.code for v in spec.check_request("POST", "/api/v10/nope", {}, None)] == ["SPEC_UNKNOWN_ROUTE"]
    out = spec.check_request("GET", "/api/v10/channels/abc/messages", {"limit": "x"}, None)
    assert set(paths(out)) == {"channel_id", "limit"}


def test_warm_request_timing(spec: SpecValidator) -> None:
    """Print how long a warm request check takes (not asserted)."""
    body = {"content": "hi", "embeds": [{"title": "t", "description": "d"}]}
    spec.check_request("POST", MESSAGES, {}, body)
    n = 50
    t0 = time.perf_counter()
    for _ in range(n):
        spec.check_request("POST", MESSAGES, {}, body)
    req_ms = (time.perf_counter() - t0) / n * 1000
    frame = dispatch(
        "INTERACTION_CREATE", interaction(3, {"custom_id": "like", "component_type": 2}, rest_message())
    )
    spec.check_gateway(frame)
    t0 = time.perf_counter()
    for _ in range(n):
        spec.check_gateway(frame)
    gw_ms = (time.perf_counter() - t0) / n * 1000
    print(f"\nwarm check_request: {req_ms:.2f} ms; warm check_gateway(INTERACTION_CREATE): {gw_ms:.2f} ms")


# ------------------------------------------------------------------ error bodies


def test_invalid_form_body_nesting() -> None:
    """Paths become nested dicts ending in _errors lists."""
    body = invalid_form_body(
        [
            Violation("content", "Must be 2000 or fewer in length.", "BASE_TYPE_MAX_LENGTH"),
            Violation("embeds.0.title", "Must be 256 or fewer in length.", "BASE_TYPE_MAX_LENGTH"),
            Violation("embeds.0.title", "other", "X"),
            Violation("", "root", "ROOT"),
        ]
    )
    assert body["code"] == 50035 and body["message"] == "Invalid Form Body"
    errors = body["errors"]
    assert errors["content"] == {
        "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]
    }
    assert [e["code"] for e in errors["embeds"]["0"]["title"]["_errors"]] == ["BASE_TYPE_MAX_LENGTH", "X"]
    assert errors["_errors"] == [{"code": "ROOT", "message": "root"}]


# ------------------------------------------------------------------ responses


def test_response_checks(spec: SpecValidator) -> None:
    """Required response fields, error bodies, undocumented statuses."""
    me = {**user(APP, "BookBot", bot=True), "mfa_enabled": False, "locale": "en-US"}
    assert spec.check_response("GET", "/api/v10/users/@me", 200, me) == []
    author = user(APP, "BookBot", bot=True)
    del author["primary_guild"]
    msg = {**rest_message(), "author": author}
    out = spec.check_response("POST", MESSAGES, 200, msg)
    assert by_path(out, "author.primary_guild").code == "BASE_TYPE_REQUIRED"
    assert spec.check_response("POST", MESSAGES, 200, rest_message()) == []
    bad_nonce = {**rest_message(), "nonce": None}
    assert paths(spec.check_response("POST", MESSAGES, 200, bad_nonce)) == ["nonce"]
    form = invalid_form_body(
        [Violation("content", "Must be 2000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")]
    )
    assert spec.check_response("POST", MESSAGES, 400, form) == []
    broken = {
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": {"content": {"_errors": [{"code": 1}]}},
    }
    assert paths(spec.check_response("POST", MESSAGES, 400, broken)) == ["errors.content._errors.0"]
    limited = {"message": "You are being rate limited.", "retry_after": 1.5, "global": False, "code": 0}
    assert spec.check_response("POST", MESSAGES, 429, limited) == []
    assert spec.check_response("DELETE", f"{MESSAGES}/{MSG}", 204, None) == []
    assert spec.check_response("POST", CALLBACK, 204, None) == []
    assert spec.check_response("GET", f"/api/v10/channels/{CHANNEL}", 502, None) == []
    assert [v.code for v in spec.check_response("GET", "/api/v10/users/@me", 302, None)] == [
        "SPEC_UNDOCUMENTED_STATUS"
    ]


# ------------------------------------------------------------------ gateway


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(
            {"op": 10, "d": {"heartbeat_interval": 41250, "_trace": ["fake"]}, "s": None, "t": None},
            id="HELLO",
        ),
        pytest.param({"op": 11, "d": None, "s": None, "t": None}, id="HEARTBEAT_ACK"),
        pytest.param({"op": 7, "d": None, "s": None, "t": None}, id="RECONNECT"),
        pytest.param({"op": 9, "d": False, "s": None, "t": None}, id="INVALID_SESSION"),
        pytest.param(dispatch("READY", ready()), id="READY"),
        pytest.param(dispatch("RESUMED", {"_trace": ["fake"]}), id="RESUMED"),
        pytest.param(dispatch("GUILD_CREATE", guild_create()), id="GUILD_CREATE"),
        pytest.param(dispatch("MESSAGE_CREATE", message()), id="MESSAGE_CREATE"),
        pytest.param(
            dispatch("MESSAGE_UPDATE", {**message("edited"), "edited_timestamp": NOW}), id="MESSAGE_UPDATE"
        ),
        pytest.param(
            dispatch("MESSAGE_DELETE", {"id": MSG, "channel_id": CHANNEL, "guild_id": GUILD}),
            id="MESSAGE_DELETE",
        ),
        pytest.param(dispatch("THREAD_CREATE", thread()), id="THREAD_CREATE"),
        pytest.param(
            dispatch(
                "MESSAGE_POLL_VOTE_ADD",
                {
                    "user_id": USER,
                    "channel_id": CHANNEL,
                    "message_id": MSG,
                    "guild_id": GUILD,
                    "answer_id": 1,
                },
            ),
            id="POLL_VOTE_ADD",
        ),
        pytest.param(
            dispatch(
                "MESSAGE_REACTION_ADD",
                {
                    "user_id": APP,
                    "channel_id": CHANNEL,
                    "message_id": MSG,
                    "guild_id": GUILD,
                    "emoji": {"id": None, "name": "👍"},
                    "burst": False,
                    "type": 0,
                    "member": member(user(APP, "BookBot", bot=True)),
                },
            ),
            id="REACTION_ADD",
        ),
        pytest.param(
            dispatch(
                "INTERACTION_CREATE",
                interaction(
                    2,
                    {
                        "id": "1100000000000000010",
                        "name": "review",
                        "type": 1,
                        "options": [{"name": "title", "type": 3, "value": "Dune"}],
                    },
                ),
            ),
            id="INTERACTION_slash",
        ),
        pytest.param(
            dispatch(
                "INTERACTION_CREATE",
                interaction(3, {"custom_id": "like", "component_type": 2}, rest_message()),
            ),
            id="INTERACTION_button",
        ),
        pytest.param(
            dispatch(
                "INTERACTION_CREATE",
                interaction(
                    5,
                    {
                        "custom_id": "m",
                        "components": [
                            {"type": 1, "components": [{"type": 4, "custom_id": "review", "value": "Great"}]}
                        ],
                    },
                ),
            ),
            id="INTERACTION_modal",
        ),
    ],
)
def test_realistic_gateway_frames_pass(spec: SpecValidator, frame: dict[str, Any]) -> None:
    """Frames shaped like the prototype's (plus required fields) pass the closed schema."""
    assert spec.check_gateway(frame) == []


def test_gateway_violations(spec: SpecValidator) -> None:
    """Typos, wrong types, missing fields and unknown events are reported at their leaf."""
    vote = {"user_id": USER, "chanel_id": CHANNEL, "message_id": MSG, "answer_id": "1"}
    out = spec.check_gateway(dispatch("MESSAGE_POLL_VOTE_ADD", vote))
    assert by_path(out, "d.chanel_id").code == "SPEC_UNKNOWN_FIELD"
    assert by_path(out, "d.channel_id").code == "BASE_TYPE_REQUIRED"
    assert by_path(out, "d.answer_id").code == "NUMBER_TYPE_COERCE"
    msg = message()
    del msg["author"]["username"]
    msg["nonce"] = None
    assert set(paths(spec.check_gateway(dispatch("MESSAGE_CREATE", msg)))) == {"d.author.username", "d.nonce"}
    bad_button = interaction(3, {"custom_id": "like", "component_type": 2}, message())
    out = spec.check_gateway(dispatch("INTERACTION_CREATE", bad_button))
    assert set(paths(out)) == {"d.message.guild_id", "d.message.member"}
    ready_frame = dispatch("READY", ready())
    del ready_frame["d"]["application"]["flags_new"]
    assert paths(spec.check_gateway(ready_frame)) == ["d.application.flags_new"]
    assert paths(spec.check_gateway({"op": 0, "t": "RESUMED", "s": 2})) == ["d"]
    assert [v.code for v in spec.check_gateway(dispatch("NOT_AN_EVENT", {}))] == ["SPEC_UNKNOWN_EVENT"]
    assert paths(spec.check_gateway({"op": 10, "d": {}, "s": None, "t": None})) == ["d.heartbeat_interval"]
    assert spec.check_gateway({"op": 42, "d": None}) == []
    bad_type = interaction(2, {"id": "1", "name": "review", "type": 1})
    bad_type["type"] = 42
    assert paths(spec.check_gateway(dispatch("INTERACTION_CREATE", bad_type))) == ["d.type"]


def test_long_gateway_arrays_are_sampled(spec: SpecValidator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrays past GATEWAY_ARRAY_SAMPLE are checked on the first N-1 items and the last."""
    members = [member(user(str(10**18 + i), f"r{i}")) for i in range(200)]
    members[-1]["deaf"] = "no"
    members[100]["mute"] = "no"
    frame = dispatch(
        "GUILD_MEMBERS_CHUNK",
        {"guild_id": GUILD, "members": members, "chunk_index": 0, "chunk_count": 1, "not_found": []},
    )
    assert paths(spec.check_gateway(frame)) == ["d.members.199.deaf"]
    monkeypatch.setattr(spec_module, "GATEWAY_ARRAY_SAMPLE", None)
    assert set(paths(spec.check_gateway(frame))) == {"d.members.199.deaf", "d.members.100.mute"}
