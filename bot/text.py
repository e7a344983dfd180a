"""Discord's text limits and the helpers that keep member text safe to show.

Every feature shows member-, export- or model-written text through these functions: `escape` for a
label or an echo (titles, names, error messages), `balance_spoilers` and `spoiler` for body text that
keeps the member's own formatting, `strip_mentions` for text that must never ping, and `split_markdown`
to cut long text into messages without breaking words, links, markup or spoiler tags. `label_key` is
the one comparison key for labels members type (poll answers, nominations, suggestions).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Discord's documented length and count limits (developer docs; ../shared/discord-spec/README.md)."""

    content: int = 2000
    embed_title: int = 256
    embed_description: int = 4096
    field_name: int = 256
    field_value: int = 1024
    footer: int = 2048
    author: int = 256
    fields: int = 25
    embed_total: int = 6000
    embeds: int = 10
    thread_name: int = 100
    modal_title: int = 45
    text_input_label: int = 45
    button_label: int = 80
    select_option: int = 100
    select_options: int = 25
    choice_name: int = 100
    choices: int = 25
    poll_question: int = 300
    poll_answer: int = 55
    poll_answers: int = 10
    event_name: int = 100
    event_description: int = 1000


LIMITS = Limits()

ELLIPSIS = "…"

# Characters that start or end markdown formatting, masked links or mentions, anywhere in a label.
_MARKDOWN = re.compile(r"([\\*_~|`\[\]<])")
# Headings, quotes and lists only start a line: "# Dune", "> quote", "- item", "1. item".
_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+\.)")
_WHITESPACE = re.compile(r"\s+")
_EVERYONE = re.compile(r"@(everyone|here)", re.IGNORECASE)
_MENTION = re.compile(r"<(@[!&]?|#)(\d{1,20})>")


def _cut(text: str, limit: int) -> str:
    """Cut escaped text to `limit` characters (ellipsis included) without leaving half an escape."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    cut = text[: limit - len(ELLIPSIS)]
    # A trailing backslash would escape the ellipsis, and an odd run of them is half an escape pair.
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    return cut + ELLIPSIS


def _escape_line_start(match: re.Match[str]) -> str:
    marker = match.group(2)
    # "1984. A novel" would start a numbered list: escape the dot (a backslash before a digit shows).
    escaped = f"{marker[:-1]}\\." if marker.endswith(".") else f"\\{marker}"
    return match.group(1) + escaped


def escape(text: str, *, limit: int | None = None) -> str:
    """Return text that shows exactly as typed when used as a label or echo: no markdown, link or ping.

    Newlines collapse to spaces (a label is one line). `@everyone`/`@here` get a zero-width space and
    `<@id>`-style mentions are backslash-escaped, so neither pings nor renders as a mention.
    """
    one_line = _WHITESPACE.sub(" ", text).strip()
    escaped = _MARKDOWN.sub(r"\\\1", one_line)
    escaped = _LINE_START.sub(_escape_line_start, escaped)
    escaped = _EVERYONE.sub("@\u200b\\1", escaped)
    return _cut(escaped, limit) if limit is not None else escaped


# Markdown a member may wrap a label in: bold, underline, spoiler, strike, italics and code.
_LABEL_MARKUP = re.compile(r"\|\||~~|[`*_]")


def label_key(text: str) -> str:
    """Return the key two member-typed labels share when they look the same; empty if it looks empty.

    NFKC folds full-width and composed/decomposed forms, case-folding ignores case, invisible (Cf)
    characters and markdown markup are dropped, and whitespace collapses. Only for comparing: the
    member's own text is what is shown.
    """
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return _WHITESPACE.sub(" ", _LABEL_MARKUP.sub("", folded)).strip()


def code_span(text: str, limit: int = 80) -> str:
    """Return an inline code span showing `text` (shortened to `limit`) that stays closed whatever it holds."""
    # A code span cannot contain its own delimiter; a modifier letter grave accent looks the same.
    inner = _WHITESPACE.sub(" ", text).strip().replace("`", "ˋ")
    inner = shorten(inner, limit) if inner else "(empty)"
    return f"`{inner}`"


def shorten(text: str, limit: int, *, placeholder: str = ELLIPSIS) -> str:
    """Return text cut to at most `limit` characters at a word boundary, marked with `placeholder`."""
    if len(text) <= limit:
        return text
    room = limit - len(placeholder)
    if room <= 0:
        return placeholder[:limit]
    cut = text[:room]
    space = cut.rfind(" ")
    if text[room].isspace():
        pass  # the cut already falls at the end of a word
    elif space >= room // 2:
        cut = cut[:space]
    return _cut(cut.rstrip(" ,;:-"), room) + placeholder if cut.rstrip() else text[:room] + placeholder


def fit_lines(lines: Sequence[str], limit: int, *, more: str = "…and {n} more", empty: str = "-") -> str:
    """Join lines within `limit` characters, ending with "…and N more" when they do not all fit."""
    if not lines:
        return empty
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        left = len(lines) - index
        tail = len(more.format(n=left)) + 1 if left > 1 else 0
        piece = line if len(line) <= limit else shorten(line, limit)
        needed = len(piece) + (1 if out else 0)
        if used + needed + tail > limit:
            out.append(more.format(n=left))
            break
        out.append(piece)
        used += needed
    text = "\n".join(out)
    return text if len(text) <= limit else shorten(text, limit)


# --- Spoiler markup ----------------------------------------------------------------------------


def _escape_pipes(text: str) -> str:
    """Backslash-escape every bare `|`; existing escape pairs are kept as they are."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            if index + 1 < len(text):
                out.append(text[index : index + 2])
                index += 2
                continue
            out.append("\\\\")  # a lone trailing backslash would escape whatever follows
        elif char == "|":
            out.append("\\|")
        else:
            out.append(char)
        index += 1
    return "".join(out)


def spoiler(text: str) -> str:
    """Wrap text in `||…||`; pipes inside are escaped so the wrapper cannot end early."""
    if not text.strip():
        return ""
    return f"||{_escape_pipes(text)}||"


def _spoiler_markers(text: str, protected: Sequence[tuple[int, int]] = ()) -> list[int]:
    """Return the positions of `||` markers Discord would read (not escaped, not in protected spans)."""
    markers: list[int] = []
    index = 0
    spans = iter(sorted(protected))
    span = next(spans, None)
    while index < len(text) - 1:
        while span is not None and span[1] <= index:
            span = next(spans, None)
        if span is not None and span[0] <= index < span[1]:
            index = span[1]
            continue
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "|" and text[index + 1] == "|":
            markers.append(index)
            index += 2
            continue
        index += 1
    return markers


def balance_spoilers(text: str) -> str:
    """Keep a member's `||spoilers||` but escape an unpaired `||`, so it can neither expose nor swallow text."""
    markers = _spoiler_markers(text, _protected_spans(text))
    if len(markers) % 2 == 0:
        return text
    last = markers[-1]
    return text[:last] + "\\|\\|" + text[last + 2 :]


# --- Mentions ----------------------------------------------------------------------------------


def strip_mentions(text: str, names: Mapping[int, str] | None = None) -> str:
    """Remove every ping from text: user, role and channel mentions, `@everyone` and `@here`.

    A user mention becomes the member's display name when `names` has it (no @, so it cannot ping).
    """
    names = names or {}

    def replace(match: re.Match[str]) -> str:
        kind, snowflake = match.group(1), int(match.group(2))
        if kind in ("@", "@!") and snowflake in names:
            return names[snowflake]
        return {"@&": "a role", "#": "a channel"}.get(kind, "someone")

    text = _MENTION.sub(replace, text)
    return _EVERYONE.sub(r"\1", text)


# --- Splitting long text -----------------------------------------------------------------------

# Spans that must never be cut: code blocks, inline code, masked links, bare links, <…> tokens
# (mentions, timestamps, suppressed links).
_ATOMS = re.compile(
    r"```.*?```"
    r"|`[^`\n]+`"
    r"|\[[^\]\n]{0,300}\]\([^)\s]{1,2000}\)"
    r"|https?://\S+"
    r"|<[^<>\s]{1,200}>",
    re.DOTALL,
)
_SENTENCE_END = re.compile(r"[.!?…][)\"'”’]*\s")


def _protected_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _ATOMS.finditer(text)]


def _cut_points(text: str, protected: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return (position, priority) of every place text may be cut; higher priority cuts read better."""
    blocked = bytearray(len(text) + 1)
    for start, end in protected:
        for i in range(start + 1, end):
            blocked[i] = 1
    points: list[tuple[int, int]] = []
    for i, char in enumerate(text):
        if blocked[i] or not char.isspace():
            continue
        if char == "\n" and i + 1 < len(text) and text[i + 1] == "\n":
            points.append((i, 3))
        elif char == "\n":
            points.append((i, 2))
        else:
            points.append((i, 0))
    sentence_ends = {m.end() - 1 for m in _SENTENCE_END.finditer(text)}
    return [(i, 1 if p == 0 and i in sentence_ends else p) for i, p in points]


def split_markdown(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters without breaking words, links or markup.

    Cuts fall on paragraph, then line, then sentence, then word boundaries, never inside a link, a
    code span or a `<…>` token. A `||spoiler||` cut in two is closed at the end of one chunk and
    reopened at the start of the next, so no spoiler text ends up outside the markup.
    """
    if limit < 20:
        raise ValueError("limit too small to split markdown safely")
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    protected = [(s, e) for s, e in _protected_spans(text) if e - s <= limit // 2]
    markers = _spoiler_markers(text, protected)
    points = _cut_points(text, protected)
    positions = [i for i, _ in points]
    chunks: list[str] = []
    start = 0
    reopen = False
    overhead = 4  # room for "||" to close and "||" to reopen
    while start < len(text):
        prefix = "||" if reopen else ""
        if len(text) - start <= limit - len(prefix):
            chunks.append(prefix + text[start:].strip())
            break
        room = limit - len(prefix) - overhead
        window = points[bisect_right(positions, start) : bisect_right(positions, start + room)]
        if window:
            floor = start + room // 2
            late = [(p, i) for i, p in window if i >= floor]
            cut = max(late)[1] if late else window[-1][0]
        else:
            cut = start + room  # one unbroken run longer than a chunk: a hard cut cannot be avoided
            # Never inside a code span or link (its "||" would start to count), nor between the two
            # characters of a "||" marker.
            around = next((s for s, e in protected if s < cut < e and s > start), None)
            if around is not None:
                cut = around
            elif cut - 1 in markers:
                cut -= 1
        inside = bisect_left(markers, cut) % 2 == 1
        piece = text[start:cut].strip()
        chunks.append(prefix + piece + ("||" if inside and piece else ""))
        start = cut
        while start < len(text) and text[start].isspace():
            start += 1
        reopen = inside
    return [c for c in chunks if c.strip("| \n")]
