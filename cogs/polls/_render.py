"""Pure rendering of polls: the info post, tallies, results, ranked rounds in words and as an image."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime

import discord

from bot.store import Poll, PollKind
from bot.text import LIMITS, escape, fit_lines
from cogs.polls._rankedchoice import Count

COLOUR = discord.Colour.blurple()


def ts(when: datetime, style: str = "F") -> str:
    """Return Discord's timestamp markup, shown in each member's own time zone."""
    return f"<t:{int(when.timestamp())}:{style}>"


def label(poll: Poll, position: int) -> str:
    """Return an answer's full text, escaped for a message."""
    option = poll.option(position)
    return escape(option.label, limit=200) if option else f"answer {position}"


def info_embed(poll: Poll, *, tally: tuple[Mapping[int, int], int] | None = None) -> discord.Embed:
    """Describe a native or date poll: every answer in full, when it closes, and optionally the tally."""
    lines = []
    for o in poll.options:
        text = escape(o.label, limit=300)
        if o.starts_at is not None:
            text = f"{ts(o.starts_at)} ({ts(o.starts_at, 'R')})"
        elif o.answer != o.label:
            text += f" (in the poll: “{escape(o.answer)}”)"
        lines.append(f"{o.position}. {text}")
    embed = discord.Embed(
        title=escape(poll.question, limit=LIMITS.embed_title),
        description=fit_lines(lines, LIMITS.embed_description),
        colour=COLOUR,
    )
    verb = "Closes" if poll.is_open else "Closed"
    embed.add_field(name=verb, value=f"{ts(poll.closes_at)} ({ts(poll.closes_at, 'R')})")
    if tally is not None:
        counts, voters = tally
        embed.add_field(
            name=f"Votes so far ({voters} member{'s' if voters != 1 else ''})"
            if poll.is_open
            else "Final votes",
            value=fit_lines(tally_lines(poll, counts), LIMITS.field_value),
            inline=False,
        )
    embed.set_footer(text=f"Poll #{poll.id} · results are posted here when it ends")
    return embed


def tally_lines(poll: Poll, counts: Mapping[int, int]) -> list[str]:
    """Return one line per answer with its votes, most first (ties in answer order)."""
    total = sum(counts.values())
    ranked = sorted(poll.options, key=lambda o: (-counts.get(o.position, 0), o.position))
    top = max(counts.values(), default=0)
    lines = []
    for o in ranked:
        n = counts.get(o.position, 0)
        share = f" ({round(100 * n / total)}%)" if total else ""
        crown = " 🏆" if n and n == top else ""
        text = f"{ts(o.starts_at)}" if o.starts_at is not None else escape(o.label, limit=200)
        lines.append(f"**{n}** vote{'s' if n != 1 else ''}{share} · {text}{crown}")
    return lines


def results_embed(poll: Poll, counts: Mapping[int, int], voters: int) -> discord.Embed:
    """Show a closed native or date poll's final counts."""
    top = max(counts.values(), default=0)
    leaders = [o for o in poll.options if top and counts.get(o.position, 0) == top]
    if not leaders:
        verdict = "Nobody voted."
    elif len(leaders) == 1:
        best = leaders[0]
        shown = (
            f"{ts(best.starts_at)} ({ts(best.starts_at, 'R')})"
            if best.starts_at
            else label(poll, best.position)
        )
        verdict = f"Winner: **{shown}**"
        if best.starts_at:
            # parse_when accepts a pasted Discord timestamp, so this schedules exactly the winning instant.
            verdict += (
                "\nOrganizers: **Schedule the discussion** below discusses the club's current book at this time. "
                f"For another scope, give `<t:{int(best.starts_at.timestamp())}:F>` as its time to "
                "`/discussion schedule`."
            )
    else:
        verdict = "Tie between " + ", ".join(
            f"**{ts(o.starts_at) if o.starts_at else label(poll, o.position)}**" for o in leaders
        )
    embed = discord.Embed(
        title="Results: " + escape(poll.question, limit=LIMITS.embed_title - 9),
        description=fit_lines([verdict, "", *tally_lines(poll, counts)], LIMITS.embed_description),
        colour=discord.Colour.green(),
    )
    closed = poll.closed_at or poll.closes_at
    embed.set_footer(text=f"Poll #{poll.id} · {voters} member{'s' if voters != 1 else ''} voted")
    embed.add_field(name="Closed", value=ts(closed))
    return embed


def ranked_embed(poll: Poll, ballots: int) -> discord.Embed:
    """Describe an open ranked-choice poll: the choices, the close and the turnout (never who chose what)."""
    lines = [f"{o.position}. {escape(o.label, limit=200)}" for o in poll.options]
    embed = discord.Embed(
        title="Rank your choices: " + escape(poll.question, limit=LIMITS.embed_title - 19),
        description=fit_lines(
            [
                "Press **Rank your choices** and order up to 5 titles; you can change your ballot until "
                "the poll closes. Ballots are secret: only the counts are shown.",
                "",
                *lines,
            ],
            LIMITS.embed_description,
        ),
        colour=COLOUR,
    )
    embed.add_field(name="Closes", value=f"{ts(poll.closes_at)} ({ts(poll.closes_at, 'R')})")
    embed.add_field(name="Ballots cast", value=str(ballots))
    embed.set_footer(text=f"Poll #{poll.id} · counted by instant runoff")
    return embed


def round_lines(poll: Poll, result: Count[int]) -> list[str]:
    """Say what happened in each round: the votes, who was eliminated and where their ballots went."""
    lines = []
    for r in result.rounds:
        votes = " · ".join(
            f"{label(poll, c)} {n}" for c, n in sorted(r.votes.items(), key=lambda kv: -kv[1]) if n
        )
        empty = sum(1 for n in r.votes.values() if not n)
        if empty:
            votes += f" · {empty} title{'s' if empty != 1 else ''} with no votes"
        line = f"**Round {r.number}**: {votes}"
        if r.exhausted:
            line += f" (exhausted ballots: {r.exhausted})"
        if r.eliminated is not None:
            moved = ", ".join(
                f"{n} to {label(poll, c)}" if c is not None else f"{n} exhausted"
                for c, n in sorted(r.transfers.items(), key=lambda kv: (kv[0] is None, -kv[1]))
            )
            line += f"\n→ {label(poll, r.eliminated)} eliminated"
            if r.tie_break:
                line += f" (tie for last place, broken by: {r.tie_break})"
            line += f"; ballots moved: {moved or 'none'}"
        elif result.winner is not None:
            line += f"\n→ **{label(poll, result.winner)}** wins"
        lines.append(line)
    return lines


def ranked_results_embed(poll: Poll, result: Count[int]) -> discord.Embed:
    """Show a closed ranked-choice poll's rounds and winner."""
    if result.winner is None:
        verdict = "Nobody cast a ballot, so there is no winner."
    else:
        verdict = f"Winner: **{label(poll, result.winner)}** after {len(result.rounds)} round(s)."
    rule = (
        "Ties for last place eliminate whoever had fewer votes in the earliest round where they differ, "
        "then whoever was nominated last."
    )
    embed = discord.Embed(
        title="Results: " + escape(poll.question, limit=LIMITS.embed_title - 9),
        description=fit_lines([verdict, "", *round_lines(poll, result), "", rule], LIMITS.embed_description),
        colour=discord.Colour.green(),
    )
    embed.set_footer(text=f"Poll #{poll.id} · {result.ballots} ballot(s) · instant runoff")
    return embed


# --- The rounds as an image ---------------------------------------------------------------------
# Pillow, not matplotlib: one well-kept wheel of a few MB with no numpy or font cache to build, and a grid of
# bars is all the chart needs. Drawing is pure CPU work, so callers run it in a worker thread.

_BG = (255, 255, 255)
_INK = (35, 39, 42)
_MUTED = (150, 150, 150)
_BAR = (88, 101, 242)
_OUT = (237, 66, 69)
_WIN = (59, 165, 93)


def rounds_png(labels: Sequence[str], result: Count[int]) -> bytes:
    """Draw the count as a grid: one row per candidate, one column per round, a bar for its votes.

    `labels[i]` names candidate `i + 1` (the poll positions). Pure CPU work: call it off the event loop.
    """
    # Imported on first use: only a closing ranked-choice poll draws, and Pillow is ~2 MB resident.
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=14)
    small = ImageFont.load_default(size=12)
    rounds = result.rounds or ()
    out_round = {r.eliminated: r.number for r in rounds if r.eliminated is not None}
    # Rows in finishing order: the winner first, then the last eliminated, and so on.
    order = [c for c in result.candidates if c not in out_round]
    order.sort(key=lambda c: (c != result.winner, c))
    order += sorted(out_round, key=lambda c: -out_round[c])
    label_w, cell_w, row_h, head_h, pad = 260, 90, 26, 30, 12
    width = pad * 2 + label_w + cell_w * max(len(rounds), 1)
    height = pad * 2 + head_h + row_h * len(order)
    image = Image.new("RGB", (width, height), _BG)
    draw = ImageDraw.Draw(image)
    most = max((max(r.votes.values(), default=0) for r in rounds), default=0) or 1
    for col, r in enumerate(rounds):
        x = pad + label_w + col * cell_w
        draw.text((x + 4, pad + 6), f"Round {r.number}", fill=_INK, font=font)
    for row, c in enumerate(order):
        y = pad + head_h + row * row_h
        name = labels[c - 1] if 0 < c <= len(labels) else str(c)
        if len(name) > 34:
            name = name[:33] + "…"
        draw.text(
            (pad, y + 5),
            name,
            fill=_INK if c in (result.winner,) else _MUTED if c in out_round else _INK,
            font=font,
        )
        for col, r in enumerate(rounds):
            if c not in r.votes:
                continue
            x = pad + label_w + col * cell_w
            n = r.votes[c]
            colour = _OUT if r.eliminated == c else _WIN if (c == result.winner and r is rounds[-1]) else _BAR
            bar = int((cell_w - 34) * n / most)
            draw.rectangle((x + 4, y + 5, x + 4 + max(bar, 1), y + row_h - 6), fill=colour)
            draw.text((x + 8 + bar, y + 6), str(n), fill=_INK, font=small)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def kind_word(poll: Poll) -> str:
    """Name the poll's kind for members."""
    return {PollKind.NATIVE: "poll", PollKind.RANKED: "ranked-choice poll", PollKind.DATES: "date poll"}[
        poll.kind
    ]
