"""What a member reads once Discord renders markdown escapes (tests compare against this)."""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\([^\w\s])")


def rendered(text: str | None) -> str:
    """Return text as a member reads it: escapes such as `\\(` rendered, zero-width spaces gone."""
    return _ESCAPE.sub(r"\1", text or "").replace("\u200b", "")
