"""REST plumbing shared by every route module: the parsed request, an explicit response, the router."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from multidict import MultiMapping

from .messages import Upload


@dataclass
class RestRequest:
    """One parsed REST request."""

    method: str
    path: str
    template: str
    params: dict[str, str]
    query: MultiMapping[str]
    body: Any
    files: list[Upload] = field(default_factory=list)
    size: int = 0  # bytes in the request body, as received

    def int_param(self, name: str) -> int:
        """Return a path parameter as an int."""
        return int(self.params[name])

    def json(self) -> dict[str, Any]:
        """Return the body as a dict (empty when absent)."""
        return self.body if isinstance(self.body, dict) else {}


@dataclass
class RestResponse:
    """A handler's explicit response."""

    status: int
    body: Any = None


Handler = Callable[[RestRequest], Awaitable[Any]]


@dataclass
class Route:
    """A REST route: method, Discord's path template and its handler."""

    method: str
    template: str
    handler: Handler
    regex: re.Pattern[str]
    auth: bool = True  # webhook/interaction routes authenticate by token in the path


def compile_template(template: str) -> re.Pattern[str]:
    """Turn `/channels/{channel_id}` into a regex; `*_id` params match digits only."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        return f"(?P<{name}>\\d+)" if name.endswith("_id") else f"(?P<{name}>[^/]+)"

    return re.compile("^" + re.sub(r"\{(\w+)\}", repl, template) + "$")


class Router:
    """Match paths to routes."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        """Register a route."""
        self.routes.append(Route(method, template, handler, compile_template(template), auth))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """Return (route, params, path_exists_with_other_method)."""
        other = False
        for route in self.routes:
            m = route.regex.match(path)
            if m:
                if route.method == method:
                    return route, m.groupdict(), True
                other = True
        return None, {}, other


def guess_template(path: str) -> str:
    """Name an unmatched path's template by replacing ids, for logs."""
    return re.sub(r"/\d{5,}", "/{id}", path)
