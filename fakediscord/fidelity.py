"""Spec validation glue: run the SpecValidator (fakediscord/spec.py) and record violations."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Protocol

from .messages import trimmed_embed

log = logging.getLogger(__name__)


class ViolationLike(Protocol):
    """What spec.Violation provides."""

    path: str
    message: str
    code: str


class Validator(Protocol):
    """What spec.SpecValidator provides."""

    def check_request(self, method: str, path: str, query: dict[str, Any], body: object | None) -> list[Any]:
        """Check a request."""
        ...

    def check_response(self, method: str, path: str, status: int, body: object | None) -> list[Any]:
        """Check a response."""
        ...

    def check_gateway(self, frame: dict[str, Any]) -> list[Any]:
        """Check a gateway frame."""
        ...


@dataclass
class RecordedViolation:
    """A spec violation seen by the emulator.

    `source` is "request" or "bot-gateway" (the bot sent something Discord rejects), "response" or "gateway"
    (the emulator itself sent something off-spec: an emulator bug).
    """

    source: str
    method: str
    path: str
    field: str
    message: str
    code: str
    at: float

    def __str__(self) -> str:
        where = f"{self.method} {self.path}" if self.method else self.path
        blame = (
            "the bot sent" if self.source in ("request", "bot-gateway") else "fakediscord sent (emulator bug)"
        )
        return f"[{self.source}] {blame} {where}: {self.field or '<root>'}: {self.message} ({self.code})"


_SNOWFLAKE = re.compile(r"^\d{15,21}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)$")
_CLEAN_SHAPES: set[str] = set()
_MAX_SHAPES = 50_000


def _shape(value: Any) -> Any:
    """Replace what never changes validity (snowflake digits, timestamps, tokens) so equal shapes share a key."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if isinstance(value, str):
        if _SNOWFLAKE.match(value):
            return "<snowflake>"
        if _TIMESTAMP.match(value):
            return "<timestamp>"
    return value


class CachingValidator:
    """Skip re-validating payloads whose shape already validated clean (bot start-ups repeat them every test).

    Only clean results are remembered; anything with a violation is validated again, so messages stay exact.
    """

    def __init__(self, inner: Validator) -> None:
        self.inner = inner

    @staticmethod
    def _key(*parts: Any) -> str:
        return json.dumps([_shape(p) for p in parts], sort_keys=True, default=str)

    def _cached(self, key: str, run: Any) -> list[Any]:
        if key in _CLEAN_SHAPES:
            return []
        found = run()
        if not found:
            if len(_CLEAN_SHAPES) > _MAX_SHAPES:
                _CLEAN_SHAPES.clear()
            _CLEAN_SHAPES.add(key)
        return found

    def check_request(self, method: str, path: str, query: dict[str, Any], body: object | None) -> list[Any]:
        """Check a request (cached by template and shape)."""
        key = self._key("req", method, _template_of(path), query, body)
        return self._cached(key, lambda: self.inner.check_request(method, path, query, body))

    def check_response(self, method: str, path: str, status: int, body: object | None) -> list[Any]:
        """Check a response (cached by template and shape)."""
        key = self._key("resp", method, _template_of(path), status, body)
        return self._cached(key, lambda: self.inner.check_response(method, path, status, body))

    def check_gateway(self, frame: dict[str, Any]) -> list[Any]:
        """Check a gateway frame (cached by shape; `s` is ignored)."""
        key = self._key("gw", {k: v for k, v in frame.items() if k != "s"})
        return self._cached(key, lambda: self.inner.check_gateway(frame))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _template_of(path: str) -> str:
    # Interaction/webhook tokens and ids vary per request; the route shape is what matters.
    return re.sub(
        r"/\d{15,21}", "/{id}", re.sub(r"/(interactions|webhooks)/(\d+)/[^/]+", r"/\1/\2/{token}", path)
    )


def load_validator(option: Any) -> tuple[Validator | None, str | None]:
    """Return (validator, skipped_reason) for the `validate=` option of FakeDiscord."""
    if option is False:
        return None, "spec validation switched off (validate=False)"
    if option not in (True, None):
        return option, None
    try:
        from . import spec
    except ImportError as exc:
        return None, f"spec validation skipped: fakediscord.spec is not importable ({exc})"
    located = spec.SpecValidator.locate()
    if located is None:
        reason = getattr(spec.SpecValidator, "skipped_reason", "") or "Discord spec folder not found"
        return None, f"spec validation skipped: {reason}"
    return CachingValidator(located), None


def invalid_form_body(violations: list[Any]) -> dict[str, Any]:
    """Return Discord's 50035 body for request violations (spec.invalid_form_body when available)."""
    try:
        from . import spec

        return spec.invalid_form_body(violations)
    except (ImportError, AttributeError):
        errors: dict[str, Any] = {}
        for v in violations:
            node = errors
            for part in [p for p in v.path.split(".") if p]:
                node = node.setdefault(part, {})
            node.setdefault("_errors", []).append({"code": v.code, "message": v.message})
        return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def stringify_snowflakes(value: Any) -> Any:
    """Copy a request body with integer snowflakes as strings (Discord accepts both; the spec types strings).

    Upload placeholders (`attachments: [{"id": 0}]`, as discord.py sends them) count as snowflakes too.
    """
    if isinstance(value, dict):
        out = {k: stringify_snowflakes(v) for k, v in value.items()}
        for att in out.get("attachments") or [] if isinstance(out.get("attachments"), list) else []:
            if isinstance(att, dict) and isinstance(att.get("id"), int):
                att["id"] = str(att["id"])
        return out
    if isinstance(value, list):
        return [stringify_snowflakes(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1 << 32:
        return str(value)
    return value


def normalise_request(template: str, body: Any) -> Any:
    """Undo serialisations Discord accepts but the OpenAPI spec types differently, before validating.

    - integer snowflakes (discord.py sends ints in allowed_mentions, message_reference, upload placeholders);
    - role `permissions` as a digit string (the documented wire form; the spec types it as an integer);
    - channel type 16 (GUILD_MEDIA) in command `channel_types` (documented; missing from the spec's enum;
      discord.py adds it for `discord.ForumChannel` options);
    - embed text with leading or trailing whitespace (see trim_embed_text).
    """
    body = trim_embed_text(stringify_snowflakes(body))
    if "/commands" in template:
        body = _without_media_channel_type(body)
    if template.startswith("/guilds/{guild_id}/roles") and isinstance(body, dict):
        perms = body.get("permissions")
        if isinstance(perms, str) and perms.isdigit():
            body["permissions"] = int(perms)
    return body


def trim_embed_text(value: Any) -> Any:
    """Copy a body with its embeds' counted text trimmed, as Discord counts it before applying the limits.

    Message resource, Embed Limits: "All of the following limits are measured inclusively. Leading and
    trailing whitespace characters are not included (they are trimmed automatically)." The OpenAPI file's
    maxLength (and the hand-coded limits, the 6000 total among them) then see what Discord counts; a field name
    or value of whitespace only becomes the empty, missing value Discord refuses.
    """
    if isinstance(value, list):
        return [trim_embed_text(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: trim_embed_text(v) for k, v in value.items() if k != "embeds"}
    if "embeds" in value:
        embeds = value["embeds"]
        out["embeds"] = [trimmed_embed(e) for e in embeds] if isinstance(embeds, list) else embeds
    return out


def normalise_response(template: str, body: Any) -> Any:
    """Apply the same spec-gap allowances to a response before validating it (see normalise_request)."""
    return _without_media_channel_type(body) if "/commands" in template else body


# Fields a resolved thread option carries beyond the gateway schema's partial channel. Discord's OpenAPI
# spec types ResolvedObjectsResponse.channels as full ThreadResponse objects, and discord.py's
# AppCommandThread reads owner_id and the counts; the gateway schema lists only the partial fields.
_RESOLVED_THREAD_EXTRAS = (
    "owner_id",
    "message_count",
    "member_count",
    "rate_limit_per_user",
    "total_message_sent",
    "applied_tags",
)


def normalise_gateway(frame: dict[str, Any]) -> dict[str, Any]:
    """Drop the full-thread fields of resolved thread options before checking a frame against the gateway schema."""
    if frame.get("t") != "INTERACTION_CREATE":
        return frame
    channels = (((frame.get("d") or {}).get("data") or {}).get("resolved") or {}).get("channels")
    if not channels:
        return frame
    trimmed = {
        cid: {k: v for k, v in ch.items() if k not in _RESOLVED_THREAD_EXTRAS}
        if "thread_metadata" in ch
        else ch
        for cid, ch in channels.items()
    }
    d = dict(frame["d"])
    d["data"] = {**d["data"], "resolved": {**d["data"]["resolved"], "channels": trimmed}}
    return {**frame, "d": d}


def _without_media_channel_type(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _without_media_channel_type(v) for k, v in value.items()}
        if isinstance(out.get("channel_types"), list):
            out["channel_types"] = [t for t in out["channel_types"] if t != 16]
        return out
    if isinstance(value, list):
        return [_without_media_channel_type(v) for v in value]
    return value


def record(source: str, method: str, path: str, violations: list[Any]) -> list[RecordedViolation]:
    """Turn validator output into recorded violations."""
    now = time.time()
    return [
        RecordedViolation(
            source,
            method,
            path,
            getattr(v, "path", ""),
            getattr(v, "message", str(v)),
            getattr(v, "code", ""),
            now,
        )
        for v in violations
    ]
