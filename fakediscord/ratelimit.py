"""Per-route buckets and the global limit, with Discord's headers (real time: clients sleep in real time)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

# (method, route template) -> (limit, per seconds); everything else gets DEFAULT_LIMIT.
ROUTE_LIMITS: dict[tuple[str, str], tuple[int, float]] = {
    ("POST", "/channels/{channel_id}/messages"): (5, 5.0),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): (5, 5.0),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): (5, 1.0),
    ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"): (1, 0.25),
    ("POST", "/channels/{channel_id}/threads"): (10, 10.0),
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): (10, 10.0),
}
DEFAULT_LIMIT = (50, 1.0)
GLOBAL_LIMIT = (50, 1.0)
MAJOR_PARAMS = ("channel_id", "guild_id", "webhook_id", "webhook_token")


@dataclass
class Bucket:
    """A fixed-window counter."""

    limit: int
    per: float
    remaining: int
    reset_at: float
    name: str

    def roll(self, now: float) -> None:
        """Start a new window when the old one is over."""
        if now >= self.reset_at:
            self.remaining = self.limit
            self.reset_at = now + self.per


@dataclass
class Verdict:
    """The outcome of a rate-limit check: headers to send and, when limited, the 429 body."""

    headers: dict[str, str]
    limited: bool = False
    body: dict[str, object] = field(default_factory=dict)


class RateLimiter:
    """Count requests per bucket and globally."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._buckets: dict[tuple[str, str, str], Bucket] = {}
        self._global: Bucket = Bucket(GLOBAL_LIMIT[0], GLOBAL_LIMIT[1], GLOBAL_LIMIT[0], 0.0, "global")
        self.overrides: dict[tuple[str, str], tuple[int, float]] = {}
        self.hits: list[tuple[str, str, bool]] = []  # (method, template, global) for every 429 we sent

    def check(self, method: str, template: str, params: dict[str, str], *, exempt_global: bool) -> Verdict:
        """Count one request and say whether it is over a limit."""
        now = time.time()
        limit, per = self.overrides.get((method, template)) or ROUTE_LIMITS.get(
            (method, template), DEFAULT_LIMIT
        )
        major = ":".join(params.get(p, "") for p in MAJOR_PARAMS)
        name = hashlib.sha1(f"{method} {template}".encode(), usedforsecurity=False).hexdigest()[:16]
        key = (method, template, major)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(limit, per, limit, now + per, name)
        bucket.roll(now)
        if not self.enabled:
            return Verdict(self._headers(bucket, now))
        if not exempt_global:
            self._global.roll(now)
            if self._global.remaining <= 0:
                retry = max(self._global.reset_at - now, 0.001)
                self.hits.append((method, template, True))
                return Verdict(
                    {
                        "X-RateLimit-Global": "true",
                        "X-RateLimit-Scope": "global",
                        "Retry-After": f"{retry:.3f}",
                    },
                    limited=True,
                    body={
                        "message": "You are being rate limited.",
                        "retry_after": round(retry, 3),
                        "global": True,
                        "code": 0,
                    },
                )
            self._global.remaining -= 1
        if bucket.remaining <= 0:
            retry = max(bucket.reset_at - now, 0.001)
            self.hits.append((method, template, False))
            headers = self._headers(bucket, now)
            headers.update({"X-RateLimit-Scope": "user", "Retry-After": f"{retry:.3f}"})
            return Verdict(
                headers,
                limited=True,
                body={
                    "message": "You are being rate limited.",
                    "retry_after": round(retry, 3),
                    "global": False,
                    "code": 0,
                },
            )
        bucket.remaining -= 1
        return Verdict(self._headers(bucket, now))

    @staticmethod
    def _headers(bucket: Bucket, now: float) -> dict[str, str]:
        after = max(bucket.reset_at - now, 0.0)
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(bucket.remaining, 0)),
            "X-RateLimit-Reset": f"{bucket.reset_at:.3f}",
            "X-RateLimit-Reset-After": f"{after:.3f}",
            "X-RateLimit-Bucket": bucket.name,
        }
