"""What discussions look like: thread and event names, the first message, reminders, the list.

Everything here is seen by members whose status may not cover the discussion, so it names the scope
(`describe_scope`: titles and chapter or part numbers, never part names or plot) and keeps anything
a member wrote about the book (the questions) behind spoiler markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import discord

from bot.domain import Work
from bot.spoilers import describe_scope
from bot.store import Discussion
from bot.store.discussions import OfferCounts
from bot.text import LIMITS, shorten, spoiler, strip_mentions
from bot.when import format_when

# Discord takes at most 100 user ids in allowed_mentions; staying under leaves room for the text.
MENTIONS_PER_MESSAGE = 90


def scope_label(d: Discussion, works: Mapping[int, Work]) -> str:
    """Return the scope as plain text that can never mention anyone (titles are organizer-typed)."""
    return strip_mentions(describe_scope(d.scope, works))


def marker(discussion_id: int) -> str:
    """Return the tag that identifies the bot's thread for a discussion (found again after a restart)."""
    return f"#{discussion_id}"


def thread_name(d: Discussion, works: Mapping[int, Work]) -> str:
    """Return the thread's name: the scope and the discussion's marker, within Discord's 100 characters."""
    tail = f" · {marker(d.id)}"
    return shorten(scope_label(d, works), LIMITS.thread_name - len(tail)) + tail


def has_marker(name: str, discussion_id: int) -> bool:
    """Say whether a thread name carries this discussion's marker."""
    return name.endswith(f" · {marker(discussion_id)}")


def event_name(d: Discussion, works: Mapping[int, Work]) -> str:
    """Return the scheduled event's name (seen by the whole server: scope only)."""
    return shorten(f"Discussion: {scope_label(d, works)}", LIMITS.event_name)


def event_description(d: Discussion, works: Mapping[int, Work], channel_label: str) -> str:
    """Return the scheduled event's description: where and for whom, no plot."""
    text = (
        f"Book club discussion of {scope_label(d, works)}. Spoilers up to that point are fair game in "
        f"the thread, so join once your status covers it (/status set). The thread opens in {channel_label}."
    )
    return shorten(text, LIMITS.event_description)


def scope_line(d: Discussion, works: Mapping[int, Work]) -> str:
    """Return the scope in bold for messages, escaped."""
    # Markdown-escaped only: `escape` would also backslash the parentheses of "(2023 film)".
    return f"**{discord.utils.escape_markdown(scope_label(d, works))}**"


def first_message(d: Discussion, works: Mapping[int, Work], gated: bool) -> str:
    """Return the thread's first message: the scope, the rules, and the questions behind spoiler markup."""
    lines = [
        f"Welcome to the discussion of {scope_line(d, works)}.",
        "Spoilers up to that point are fair game here; anything beyond it goes in ||spoiler tags||.",
    ]
    if gated:
        lines.append("This thread is private: members join once their status covers the scope.")
    else:
        lines.append("This thread is public: if you are not there yet, keep the spoiler tags closed.")
    if d.questions:
        lines.append("\n**Questions** (spoilers):")
        lines.extend(f"{i}. {spoiler(q)}" for i, q in enumerate(d.questions, 1))
    lines.append(f"\nIt closes {format_when(d.closes_at)}. Update your status with the buttons below.")
    return "\n".join(lines)


def opening_announcement(d: Discussion, works: Mapping[int, Work], gated: bool, thread_id: int) -> str:
    """Return the announcement posted when a discussion opens (no pings)."""
    if gated:
        how = "It is private: press **Join the discussion** and I will let you in once your status covers it."
    else:
        how = f"Join in <#{thread_id}>. If you are not there yet, mind the spoiler tags."
    return f"The discussion of {scope_line(d, works)} is open until {format_when(d.closes_at)}. {how}"


def closing_note(d: Discussion, works: Mapping[int, Work], cancelled: bool = False) -> str:
    """Return the note posted in the thread before it is archived and locked."""
    what = "was cancelled" if cancelled else "has ended"
    return f"This discussion of {scope_line(d, works)} {what}. Thank you all! The thread is now closed."


def reminder_messages(
    d: Discussion, works: Mapping[int, Work], user_ids: Sequence[int]
) -> list[tuple[str, list[int]]]:
    """Return the reminder's messages, each with the users it mentions (at most 90 per message)."""
    head = f"Reminder: the discussion of {scope_line(d, works)} opens {format_when(d.opens_at)}."
    if not user_ids:
        return [(head, [])]
    out: list[tuple[str, list[int]]] = []
    for start in range(0, len(user_ids), MENTIONS_PER_MESSAGE):
        chunk = list(user_ids[start : start + MENTIONS_PER_MESSAGE])
        mentions = " ".join(f"<@{uid}>" for uid in chunk)
        text = head if start == 0 else "…and for:"
        out.append((f"{text}\n{mentions}", chunk))
    out[-1] = (out[-1][0] + "\n-# Don't want these? `/discussion reminders off`.", out[-1][1])
    return out


def _club(guild: discord.Guild) -> str:
    return f"**{discord.utils.escape_markdown(guild.name)}**"


def status_offer(guild: discord.Guild, d: Discussion, works: Mapping[int, Work]) -> str:
    """Return the join offer DMed when a member's status comes to cover an open gated discussion."""
    return (
        f"Your status in {_club(guild)} now covers the discussion of {scope_line(d, works)}. "
        "Press the button to join it."
    )


def interested_offer(guild: discord.Guild, d: Discussion, works: Mapping[int, Work]) -> str:
    """Return the join offer DMed at the opening to a member Interested in the event whose status covers it."""
    return (
        f"The discussion of {scope_line(d, works)} you're interested in is open in {_club(guild)} until "
        f"{format_when(d.closes_at)}. Press the button to join it."
    )


def interested_hint(guild: discord.Guild, d: Discussion, works: Mapping[int, Work], reason: str) -> str:
    """Return the DM for an interested member whose status does not cover the scope: what to mark, no more."""
    return (
        f"The discussion of {scope_line(d, works)} you're interested in is open in {_club(guild)}. "
        f"{reason} Mark it with `/status set` there once you are, and I'll send you a button to join."
    )


def offers_note(offers: OfferCounts) -> str:
    """Return how a gated discussion's join offers by DM went, for `/discussion list` ("" when none)."""
    if not offers.sent and not offers.unreachable:
        return ""
    note = f"Join offers by DM: {offers.sent} delivered"
    if offers.unreachable:
        who = "member" if offers.unreachable == 1 else "members"
        note += (
            f"; {offers.unreachable} {who} could not be reached by DM and can press "
            "**Join the discussion** on the announcement instead"
        )
    return note + "."


def interested_label(count: int) -> str:
    """Return how many members marked a discussion's event Interested ("" for none)."""
    return f"{count} interested" if count else ""


def list_line(
    d: Discussion, works: Mapping[int, Work], offers: OfferCounts | None = None, *, interested: int = 0
) -> str:
    """Return one line of `/discussion list` (with its Interested count and how its join offers went)."""
    where = f" in <#{d.thread_id}>" if d.state == "open" and d.thread_id else ""
    when = (
        f"open until {format_when(d.closes_at)}" if d.state == "open" else f"opens {format_when(d.opens_at)}"
    )
    count = f" · {interested_label(interested)}" if interested else ""
    note = offers_note(offers) if offers is not None else ""
    return f"`{d.id}` {scope_line(d, works)}: {when}{where}{count}" + (f"\n{note}" if note else "")
