"""What a member reads once Discord renders markdown escapes (tests compare against this)."""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\([^\w\s])")


def rendered(text: str | None) -> str:
    """Return text as a member reads it: escapes such as `\\(` rendered, zero-width spaces gone."""
    return _ESCAPE.sub(r"\1", text or "").replace("\u200b", "")


# Delimiters that must come in pairs outside code for the text around them to render as written.
_PAIRED = ("||", "**", "~~", "__")
_UNESCAPED_PING = re.compile(r"@(everyone|here)", re.IGNORECASE)


def _closing_run(text: str, start: int, length: int) -> int:
    """Return where the next run of exactly `length` backticks begins at or after `start`, or -1."""
    i = start
    while i < len(text):
        if text[i] != "`":
            i += 1
            continue
        end = i
        while end < len(text) and text[end] == "`":
            end += 1
        if end - i == length:
            return i
        i = end
    return -1


def unbalanced_markup(text: str) -> list[str]:
    """Return what in `text` would render differently from how it was meant, as Discord reads markdown.

    A backtick run opens a code span (or block) that only the next run of the same length closes;
    outside code, `\\x` is literal and spoiler, bold, strike and underline marks must pair up; an
    `@everyone`/`@here` outside code is a bare ping word (the escape helper breaks it up).
    """
    problems: list[str] = []
    outside: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and not text[i + 1].isalnum() and not text[i + 1].isspace():
            outside.append("\0")  # an escaped character is literal: it pairs with nothing
            i += 2
            continue
        if ch == "`":
            end = i
            while end < len(text) and text[end] == "`":
                end += 1
            close = _closing_run(text, end, end - i)
            if close < 0:
                problems.append(f"unclosed {'`' * (end - i)} at {i}: {text[max(0, i - 20) : i + 20]!r}")
                outside.append("\0")
                i = end
                continue
            outside.append("\0")
            i = close + (end - i)
            continue
        outside.append(ch)
        i += 1
    plain = "".join(outside)
    for mark in _PAIRED:
        if plain.count(mark) % 2:
            problems.append(f"odd number of {mark}: {text[:120]!r}")
    if _UNESCAPED_PING.search(plain):
        problems.append(f"bare @everyone/@here: {text[:120]!r}")
    return problems
