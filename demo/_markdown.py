"""Discord's markdown as HTML, server-side, with markdown-it-py: spoilers, underline, mentions, timestamps.

Raw HTML in a message is never passed through (markdown-it's `html` option is off), so whatever a member
types reaches the page as text. Mentions of channels resolve only through the names the viewing member may
see; any other channel renders as "#no-access", as Discord shows it, so a private thread's name never leaks.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererProtocol
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

_MENTION = re.compile(r"<(@!?|@&|#)(\d{1,20})>")
_TIMESTAMP = re.compile(r"<t:(-?\d{1,13})(?::([tTdDfFR]))?>")
_EMOJI = re.compile(r"<a?:(\w{1,32}):\d{1,20}>")


@dataclass(frozen=True)
class Names:
    """Who and what the viewing member can name: users and roles by id, and only the channels they see."""

    users: Mapping[int, str] = field(default_factory=dict)
    roles: Mapping[int, str] = field(default_factory=dict)
    channels: Mapping[int, str] = field(default_factory=dict)


# markdown-it's own text rule runs through `|`; Discord's spoiler marks must stop it.
_TEXT_STOPS = re.compile(r"[\n!#$%&*+\-:<=>@\[\\\]^_`{}~|]")


def _text(state: StateInline, silent: bool) -> bool:
    """Take plain text up to the next character another rule may start at."""
    stop = _TEXT_STOPS.search(state.src, state.pos, state.posMax)
    end = stop.start() if stop else state.posMax
    if end == state.pos:
        return False
    if not silent:
        state.pending += state.src[state.pos : end]
    state.pos = end
    return True


def _spoiler(state: StateInline, silent: bool) -> bool:
    """Parse `||hidden||` as a spoiler whose inside is markdown too."""
    start = state.pos
    if not state.src.startswith("||", start):
        return False
    end = state.src.find("||", start + 2)
    if end < 0 or end == start + 2:
        return False
    if not silent:
        old_max = state.posMax
        state.push("spoiler_open", "span", 1).markup = "||"
        state.pos, state.posMax = start + 2, end
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.push("spoiler_close", "span", -1).markup = "||"
    state.pos = end + 2
    return True


def _discord_tag(state: StateInline, silent: bool) -> bool:
    """Parse `<@id>`, `<@&id>`, `<#id>`, `<t:unix:style>` and custom emoji as single tokens."""
    if state.src[state.pos] != "<":
        return False
    for kind, pattern in (("mention", _MENTION), ("timestamp", _TIMESTAMP), ("emoji", _EMOJI)):
        found = pattern.match(state.src, state.pos)
        if found is None:
            continue
        if not silent:
            token = state.push(kind, "", 0)
            token.meta = {"groups": found.groups()}
        state.pos = found.end()
        return True
    return False


def _spoiler_open(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return '<span class="spoiler" tabindex="0" title="Spoiler: click to reveal">'


def _spoiler_close(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</span>"


def _strong_open(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # Discord reads __text__ as underline, **text** as bold.
    return "<u>" if tokens[idx].markup == "__" else "<strong>"


def _strong_close(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</u>" if tokens[idx].markup == "__" else "</strong>"


def _mention(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    sigil, raw = tokens[idx].meta["groups"]
    names: Names = env["names"]
    target = int(raw)
    if sigil == "#":
        name = names.channels.get(target)
        if name is None:
            return '<span class="mention channel no-access">#no-access</span>'
        return f'<a class="mention channel" href="#channel-{target}" data-channel="{target}">#{html.escape(name)}</a>'
    if sigil == "@&":
        return f'<span class="mention role">@{html.escape(names.roles.get(target, "deleted-role"))}</span>'
    return f'<span class="mention user">@{html.escape(names.users.get(target, "unknown-user"))}</span>'


def _timestamp(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    raw, style = tokens[idx].meta["groups"]
    try:
        when = datetime.fromtimestamp(int(raw), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return html.escape(f"<t:{raw}>")
    # The page formats it in the visitor's own time zone, as Discord does; the text is the fallback.
    return (
        f'<time class="timestamp" datetime="{when.isoformat()}" data-style="{style or "f"}">'
        f"{when:%Y-%m-%d %H:%M} UTC</time>"
    )


def _emoji(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    (name,) = tokens[idx].meta["groups"]
    return f'<span class="emoji">:{html.escape(name)}:</span>'


_RULES = {
    "spoiler_open": _spoiler_open,
    "spoiler_close": _spoiler_close,
    "mention": _mention,
    "timestamp": _timestamp,
    "emoji": _emoji,
    "strong_open": _strong_open,
    "strong_close": _strong_close,
}


def _parser(*, blocks: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"breaks": True, "html": False})
    for name, rule in _RULES.items():
        md.add_render_rule(name, rule)
    # Discord has no reference links, images, indented code, setext headings or rules; text stays text.
    md.disable(["reference", "image", "code", "lheading", "hr", "html_block", "html_inline", "entity"])
    if not blocks:
        md.disable(["heading", "list", "blockquote", "fence"])
    md.enable("strikethrough")
    md.inline.ruler.at("text", _text)
    md.inline.ruler.before("emphasis", "spoiler", _spoiler)
    md.inline.ruler.before("autolink", "discord_tag", _discord_tag)
    md.validateLink = _safe_link  # type: ignore[method-assign]
    return md


def _safe_link(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


_FULL = _parser(blocks=True)
_INLINE = _parser(blocks=False)


def render(text: str | None, names: Names, *, inline: bool = False) -> str:
    """Return Discord markdown as HTML (`inline`: titles and field names, where Discord has no blocks)."""
    if not text:
        return ""
    md = _INLINE if inline else _FULL
    out = md.render(text, {"names": names})
    if inline:
        out = out.removeprefix("<p>").removesuffix("</p>\n")
    return out


def renderer_for(names: Names) -> Callable[..., str]:
    """Return `render` bound to one member's names."""

    def bound(text: str | None, *, inline: bool = False) -> str:
        return render(text, names, inline=inline)

    return bound
