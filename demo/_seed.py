"""Seed the demo club through its members' own actions, so the page shows what they would see.

The catalog is the one `data/README.md` tells organizers to try the sample export with (the two books of
`data/sample-goodreads.csv`), plus the film the bundled review in `data/reviews/` compares with the novel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from demo._club import DemoClub, DemoError
from fakediscord import Upload

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE_EXPORT = DATA / "sample-goodreads.csv"
FEATURED_REVIEW = "frankenstein-1818-and-1931.md"

# Written behind spoiler tags in the discussion's questions: only members let into its gated thread
# ever receive them (the browser tests check the other pages never do).
QUESTIONS = (
    "Who is the real monster: Victor or the creature he abandons?; Does the Arctic ending forgive anyone?"
)
GATED_TEXT = "Victor or the creature he abandons"


@dataclass(frozen=True)
class Cast:
    """Who is in the club and where each one is with the current book."""

    organizer: str = "olga"
    read_and_watched: str = "alice"
    read_only: str = "bob"
    reading: str = "carol"
    reading_chapter: int = 12
    neither: str = "dan"
    watched_only: str = "erin"
    imported: str = "gina"
    newcomer: str = "hugo"

    @property
    def names(self) -> list[str]:
        """Return every member's name, the organizer first."""
        return [
            self.organizer,
            self.read_and_watched,
            self.read_only,
            self.reading,
            self.neither,
            self.watched_only,
            self.imported,
            self.newcomer,
        ]


CAST = Cast()
CHANNELS = ("general", "announcements", "discussions")


def _check(reply: object, expect: str) -> None:
    text = getattr(reply, "text", "") or ""
    if expect not in text:
        raise RuntimeError(f"seeding went wrong: expected {expect!r} in {text!r}")


def recall(demo: DemoClub, cast: Cast = CAST) -> None:
    """Find the cast and the channels of a club a previous run kept, restored into the emulator."""
    club = demo.club
    known = {m.user.name for m in club.guild.members.values()}
    missing = [name for name in cast.names if name not in known]
    if missing:
        raise DemoError(f"the kept club has no member called {', '.join(missing)}")
    demo.members = {name: club.member(name) for name in cast.names}
    channels = {
        c.name: c for c in club.world.channels.values() if c.guild_id == club.guild.id and not c.is_thread
    }
    demo.channels = {}
    for name in CHANNELS:
        if name not in channels:
            raise DemoError(f"the kept club has no #{name} channel")
        demo.channels[name] = channels[name]


async def seed(demo: DemoClub, cast: Cast = CAST) -> None:
    """Set the club up in gated mode and have every member act, in the order a real club would."""
    club = demo.club
    organizers = club.role("Organizers", permissions=["manage_guild"], mentionable=True)
    olga = club.member(cast.organizer, roles=[organizers])
    members = {name: club.member(name) for name in cast.names[1:]}
    demo.members = {cast.organizer: olga, **members}
    general = club.default_channel
    announcements = club.text_channel("announcements", topic="What the club reads, watches and votes on")
    discussions = club.text_channel("discussions", topic="Spoiler-scoped discussion threads")
    demo.channels = {"general": general, "announcements": announcements, "discussions": discussions}

    reply = await olga.slash(
        "club setup",
        organizer_role=organizers,
        timezone="Europe/Paris",
        announcements=announcements,
        discussions=discussions,
        spoiler_mode="gated",
    )
    _check(reply, "Saved.")
    await olga.say(
        general, f"Welcome to the club! We start with *Frankenstein*: see {announcements.mention}."
    )
    _check(
        await olga.slash(
            "book add", title="Pride and Prejudice", author="Jane Austen", year=1813, chapters=61, pages=432
        ),
        "Added",
    )
    _check(
        await olga.slash(
            "book add", title="Frankenstein", author="Mary Shelley", year=1818, chapters=24, pages=280
        ),
        "Added",
    )
    _check(
        await olga.slash(
            "book adapt",
            book="Frankenstein",
            title="Frankenstein",
            year=1931,
            kind="film",
            director="James Whale",
        ),
        "Added",
    )
    current = await olga.slash("book current", book="Frankenstein", adaptation="Frankenstein (1931)")
    post = club.bot_messages(announcements)[-1]
    log.debug("current book: %s", current.text)

    alice = members[cast.read_and_watched]
    await alice.click(post, "📖 I read it")
    await alice.click(post, "🎬 I watched it")
    _check(await members[cast.read_only].slash("status set", title="Frankenstein", state="read"), "Recorded")
    carol = members[cast.reading]
    asked = await carol.click(post, "I'm reading…")
    await carol.submit_modal(
        asked, {asked.modal.fields[0].custom_id: str(cast.reading_chapter)} if asked.modal else {}
    )
    _check(
        await members[cast.watched_only].slash("status set", title="Frankenstein (1931)", state="watched"),
        "Recorded",
    )
    gina = members[cast.imported]
    preview = await gina.slash("status import", file=Upload(SAMPLE_EXPORT.name, SAMPLE_EXPORT.read_bytes()))
    confirm = next((b.label for b in preview.buttons if "Import" in (b.label or "")), None)
    if confirm is not None:
        await gina.click(preview, confirm)

    _check(await olga.slash("review feature", bundled=FEATURED_REVIEW), "")
    await alice.say(general, "Finished it last night. ||The ending on the ice wrecked me.||")
    _check(
        await olga.slash(
            "discussion schedule",
            when="tomorrow 19:00",
            scope="book",
            title="Frankenstein",
            questions=QUESTIONS,
        ),
        "",
    )
    _check(
        await olga.slash(
            "poll create",
            question="What do we read after Frankenstein?",
            answers="Dracula; Emma; The Left Hand of Darkness",
            duration="3d",
            in_channel=announcements,
        ),
        "",
    )
    poll = next(m for m in reversed(club.messages_in(announcements)) if m.poll)
    await alice.vote(poll, "Dracula")
    await members[cast.reading].vote(poll, "Emma")
    await club.settle()
