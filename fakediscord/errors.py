"""Discord's JSON error codes, raised by handlers and turned into responses by the server."""

from __future__ import annotations

from typing import Any


class DiscordHTTPError(Exception):
    """An error response the way Discord sends it: HTTP status plus JSON `{code, message}`."""

    def __init__(self, status: int, code: int, message: str, *, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {message} (code {code})")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """Return the JSON body."""
        out: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            out["errors"] = self.errors
        return out


def unknown(kind: str) -> DiscordHTTPError:
    """Return the 404 for an unknown object of `kind`."""
    codes = {
        "channel": 10003,
        "guild": 10004,
        "member": 10007,
        "message": 10008,
        "role": 10011,
        "user": 10013,
        "emoji": 10014,
        "webhook": 10015,
        "interaction": 10062,
        "application command": 10063,
        "guild scheduled event": 10070,
        "poll": 10008,
    }
    return DiscordHTTPError(
        404, codes.get(kind, 0), f"Unknown {kind.title() if kind != 'interaction' else kind}"
    )


def missing_access() -> DiscordHTTPError:
    """Return 403 50001 (the bot cannot see the resource)."""
    return DiscordHTTPError(403, 50001, "Missing Access")


def missing_permissions() -> DiscordHTTPError:
    """Return 403 50013 (the bot sees it but lacks a permission)."""
    return DiscordHTTPError(403, 50013, "Missing Permissions")


def bad_request(code: int, message: str) -> DiscordHTTPError:
    """Return a 400 with a specific code."""
    return DiscordHTTPError(400, code, message)


def form_error(field: str, code: str, message: str) -> DiscordHTTPError:
    """Return a 50035 Invalid Form Body naming one field."""
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(field.split(".")):
        errors = {part: errors}
    return DiscordHTTPError(400, 50035, "Invalid Form Body", errors=errors)
