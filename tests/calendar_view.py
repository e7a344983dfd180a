"""What the calendar tests share: spoiler questions that must never leave Discord, and reading an .ics."""

from __future__ import annotations

import re
from typing import Any

import icalendar

# Written into the questions: a calendar file or feed is seen outside Discord, so they must never be in it.
SECRETS = ("lighthouse burns", "Mara betrays")
QUESTIONS = "Did the lighthouse burns scene earn its place?; Why Mara betrays the keeper?"


def parse(reply: Any) -> icalendar.Calendar:
    """Return the calendar attached to a `/club calendar file` answer."""
    (attachment,) = reply.message.attachments
    assert attachment["filename"] == "bookclub.ics"
    return icalendar.Calendar.from_ical(reply.message.attachment_bytes(0))


def events_by_uid(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    """Return the calendar's entries by UID."""
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def unfolded(ics: bytes) -> str:
    """Return the calendar's text with RFC 5545 line folding undone (a secret could straddle a fold)."""
    return re.sub(r"\r\n[ \t]", "", ics.decode("utf-8"))
