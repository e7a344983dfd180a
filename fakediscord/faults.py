"""HTTP fault injection: fail or slow down chosen routes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HttpFault:
    """Answer matching requests with `status` (or just delay them when status is None)."""

    method: str
    route: str  # a route template ("/channels/{channel_id}/messages") or a regex on the path
    status: int | None
    times: int | None = 1  # None = forever
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hits: int = 0

    def matches(self, method: str, template: str, path: str) -> bool:
        """Tell whether this fault applies to a request."""
        if self.method not in ("*", method):
            return False
        return (
            self.route == template or bool(re.search(self.route, path))
            if "{" not in self.route
            else (self.route == template)
        )

    @property
    def exhausted(self) -> bool:
        """Tell whether the fault has fired its number of times."""
        return self.times is not None and self.hits >= self.times

    def response_body(self) -> Any:
        """Return the JSON body to send."""
        if self.body is not None:
            return self.body
        if self.status == 429:
            return {"message": "You are being rate limited.", "retry_after": 0.1, "global": False, "code": 0}
        return {"message": f"{self.status}: injected fault", "code": 0}
