"""The club's discussions as an iCalendar file (RFC 5545) that calendar apps import and update."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import Work
from bot.services.discussions.render import event_name, scope_label
from bot.store.discussions import Discussion

# A calendar app keeps entries by UID: the same discussion must keep the same one across exports.
UID_DOMAIN = "bookclub-bot"
PRODID = "-//bookclub-bot//Book club discussions//EN"


def discussion_uid(d: Discussion) -> str:
    """Return the discussion's stable iCalendar UID (RFC 5545 3.8.4.7: globally unique, never reused)."""
    return f"discussion-{d.guild_id}-{d.id}@{UID_DOMAIN}"


def discussion_link(d: Discussion) -> str | None:
    """Return where a member finds the discussion: its thread once open, else its scheduled event."""
    if d.thread_id is not None and d.state != "cancelled":
        return f"https://discord.com/channels/{d.guild_id}/{d.thread_id}"
    if d.event_id is not None:
        return f"https://discord.com/events/{d.guild_id}/{d.event_id}"
    return None


def build_calendar(
    discussions: Sequence[Discussion],
    works: Mapping[int, Work],
    *,
    timezone: str,
    club_name: str,
    now: datetime,
) -> bytes:
    """Return the .ics bytes for `discussions`, times in the club's zone with its VTIMEZONE.

    Names and descriptions state the scope only, as the server-wide event names do: never questions.
    """
    zone = ZoneInfo(timezone)
    # Imported when a calendar is asked for: icalendar and dateutil are ~2 MB a club may never use.
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{club_name}: discussions")
    cal.add("x-wr-timezone", timezone)
    for d in discussions:
        event = icalendar.Event()
        event.add("uid", discussion_uid(d))
        event.add("dtstamp", now)
        event.add("sequence", d.sequence)
        event.add("dtstart", d.opens_at.astimezone(zone))
        event.add("dtend", d.closes_at.astimezone(zone))
        event.add("summary", event_name(d, works))
        event.add("status", "CANCELLED" if d.state == "cancelled" else "CONFIRMED")
        link = discussion_link(d)
        where = f" It happens on Discord: {link}" if link else " It happens on the club's Discord server."
        event.add(
            "description",
            f"Book club discussion of {scope_label(d, works)}. Spoilers up to that point are fair game in "
            f"the thread, so mark your status first.{where}",
        )
        if link:
            event.add("url", link)
        cal.add_component(event)
    if discussions:
        # Only the years the entries need: a VTIMEZONE with every rule since 1970 would be most of the file.
        first = min(d.opens_at for d in discussions).astimezone(zone).date()
        last = max(d.closes_at for d in discussions).astimezone(zone).date()
        cal.add_missing_timezones(
            first_date=first.replace(month=1, day=1), last_date=last.replace(year=last.year + 1)
        )
    return cal.to_ical()
