"""The subscribable calendar feed, over real HTTP on 127.0.0.1: organizers get its address, calendar apps
read it, a rotated or guessed address reads nothing, and nothing spoilery ever leaves Discord through it."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import timedelta
from pathlib import Path

import aiohttp
import icalendar
import pytest
from calendar_view import QUESTIONS, SECRETS, events_by_uid, parse, unfolded
from markdown_view import rendered

from bot.calendar_feed import BURST
from bot.client import BookClubBot
from bot.settings import load_settings
from bot.store import Database, Store

FEED_URL = re.compile(r"http://127\.0\.0\.1:(\d+)(/calendar/[A-Za-z0-9_-]+\.ics)")


@pytest.fixture
def bot_env() -> dict[str, str]:
    """Serve the feed on a free port of 127.0.0.1 (the default host)."""
    return {"CALENDAR_FEED_PORT": "0"}


@pytest.fixture
def discussions_channel(club):
    """The text channel where discussion threads open."""
    return club.text_channel("book-talk")


def listening_ports() -> set[int]:
    """Return the TCP ports this process listens on (Linux: its socket fds matched to /proc/net/tcp*)."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        path = Path("/proc/self/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


async def fetch(url: str, *, source: str = "127.0.0.1") -> tuple[int, dict[str, str], bytes]:
    """GET `url` as a calendar app on `source` would; return status, headers and body."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session, session.get(url) as response:
        return response.status, dict(response.headers), await response.read()


def feed_url(reply) -> str:
    """Return the feed address an organizer was shown."""
    found = FEED_URL.search(rendered(reply.content))
    assert found, reply.content
    return found.group(0)


async def setup_club(admin, discussions_channel, announcements, mode: str = "tagged") -> None:
    reply = await admin.slash(
        "club setup",
        timezone="Europe/Paris",
        discussions=discussions_channel,
        announcements=announcements,
        spoiler_mode=mode,
    )
    assert reply.content.startswith("Saved."), reply.content


async def test_organizer_gets_the_feed_calendar_apps_read_it_and_rotation_kills_the_old_address(
    club, harness, store, admin, alice, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    lantern = f"#{catalog['lantern']}"
    await admin.slash("discussion schedule", when="next Friday 7pm", scope="chapter", up_to=10, title=lantern)
    await admin.slash("discussion schedule", when="2027-04-02 19:00", scope="book", title=lantern)
    port = harness.bot.calendar_feed.port
    assert port in listening_ports()

    # A member is refused, and nothing is created for them to find.
    for command in ("club calendar feed", "club calendar rotate"):
        refused = await alice.slash(command)
        assert refused.ephemeral and "Only organizers" in rendered(refused.content), command
    assert await store.calendar_feeds.get(club.guild.id) is None

    shown = await admin.slash("club calendar feed")
    assert shown.ephemeral
    url = feed_url(shown)
    assert int(FEED_URL.search(url).group(1)) == port
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(secret) >= 43  # 32 random bytes, URL-safe base64

    status, headers, body = await fetch(url)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    feed = icalendar.Calendar.from_ical(body)
    (zone,) = feed.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Paris"
    from_file = parse(await alice.slash("club calendar file"))
    assert events_by_uid(feed).keys() == events_by_uid(from_file).keys()
    assert len(events_by_uid(feed)) == 2

    # The database holds the hash, never the secret, so the address cannot be shown again.
    (row,) = await store.db.fetch_all("SELECT guild_id, secret_hash FROM calendar_feeds")
    assert (row["guild_id"], row["secret_hash"]) == (
        club.guild.id,
        hashlib.sha256(secret.encode()).hexdigest(),
    )
    again = await admin.slash("club calendar feed")
    assert (
        again.ephemeral and secret not in again.content and "/club calendar rotate" in rendered(again.content)
    )

    # A member's failed rotate changed nothing: the address still works.
    assert (await fetch(url))[0] == 200

    rotated = await admin.slash("club calendar rotate")
    assert rotated.ephemeral and "stopped working" in rendered(rotated.content)
    new_url = feed_url(rotated)
    assert new_url != url
    old_status, _, old_body = await fetch(url)
    unknown_status, _, unknown_body = await fetch(url.replace(secret, "x" * len(secret)))
    malformed_status, _, malformed_body = await fetch(url.replace(f"{secret}.ics", "%00.ics"))
    not_ics_status, _, not_ics_body = await fetch(url.removesuffix(".ics"))
    # Rotated, guessed, malformed: one answer, telling nothing apart.
    assert (old_status, unknown_status, malformed_status, not_ics_status) == (404, 404, 404, 404)
    assert old_body == unknown_body == malformed_body == not_ics_body
    assert b"VCALENDAR" not in old_body
    new_status, _, new_body = await fetch(new_url)
    assert new_status == 200 and events_by_uid(icalendar.Calendar.from_ical(new_body)).keys() == (
        events_by_uid(feed).keys()
    )

    # The address survives a restart (only the port, chosen afresh here, changes), and the port closes with the bot.
    new_path = FEED_URL.search(new_url).group(2)
    await harness.restart()
    assert port not in listening_ports() or harness.bot.calendar_feed.port == port
    restarted = f"http://127.0.0.1:{harness.bot.calendar_feed.port}{new_path}"
    assert (await fetch(restarted))[0] == 200
    assert (await fetch(f"http://127.0.0.1:{harness.bot.calendar_feed.port}{FEED_URL.search(url).group(2)}"))[
        0
    ] == 404
    last_port = harness.bot.calendar_feed.port
    await harness.stop()
    assert last_port not in listening_ports()


async def test_requests_past_the_limit_get_429_per_address_until_time_passes(
    club, clock, harness, store, admin, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    url = feed_url(await admin.slash("club calendar feed"))
    guess = url.replace(url.rsplit("/", 1)[1], "guessed-secret.ics")
    for _ in range(BURST - 1):
        assert (await fetch(guess))[0] == 404
    assert (await fetch(url))[0] == 200  # the last one of the burst

    status, headers, body = await fetch(url)
    assert status == 429 and b"VCALENDAR" not in body
    assert int(headers["Retry-After"]) == 2  # 30 a minute: one every 2 seconds
    assert (await fetch(guess))[0] == 429  # guessing costs the same allowance as reading
    # Another address has its own allowance.
    assert (await fetch(url, source="127.0.0.2"))[0] == 200

    await clock.advance(timedelta(seconds=2))
    assert (await fetch(url))[0] == 200
    assert (await fetch(url))[0] == 429


async def test_feed_is_off_by_default_and_opens_no_port(club, clock, tmp_path, admin):
    before = listening_ports()
    db = await Database.open(tmp_path / "off.sqlite3")
    await db.migrate()
    store = Store.build(db, clock)
    env = {"DISCORD_TOKEN": club.token, "DATABASE_PATH": str(db.path), "DEV_GUILD_ID": str(club.guild.id)}
    bot = BookClubBot(settings=load_settings(env), store=store, clock=clock)
    try:
        async with club.run_bot(bot):
            await club.wait_for_commands()
            assert bot.calendar_feed is None
            assert listening_ports() == before
            for command in ("club calendar feed", "club calendar rotate"):
                reply = await admin.slash(command)
                text = rendered(reply.content)
                assert reply.ephemeral and "feed is off" in text and "CALENDAR_FEED_PORT" in text, command
            assert await store.calendar_feeds.get(club.guild.id) is None
    finally:
        await db.close()


STATUSES = {
    "none": (),
    "reading": (("lantern", "reading", "5"),),
    "read": (("lantern", "read", None),),
    "watched": (("lantern_film", "watched", None),),
    "read+watched": (("lantern", "read", None), ("lantern_film", "watched", None)),
}


@pytest.mark.parametrize("mode", ["tagged", "gated"])
async def test_no_spoiler_text_reaches_the_file_or_the_feed_for_any_status(
    club, clock, harness, store, admin, catalog, announcements, discussions_channel, mode
):
    await setup_club(admin, discussions_channel, announcements, mode)
    lantern, film = f"#{catalog['lantern']}", f"#{catalog['lantern_film']}"
    for options in (
        {"when": "next Friday 7pm", "scope": "chapter", "up_to": 10, "title": lantern},
        {"when": "2026-11-20 19:00", "scope": "book", "title": lantern},
        {"when": "2026-11-27 19:00", "scope": "screen", "title": film},
        {"when": "2026-12-04 19:00", "scope": "book_vs_film", "title": lantern},
        {"when": "2027-04-02 19:00", "scope": "book", "title": lantern},
    ):
        await admin.slash("discussion schedule", questions=QUESTIONS, **options)
    chapter, book, screen, versus, _spring = await store.discussions.active(club.guild.id)
    members = {}
    for label, marks in STATUSES.items():
        member = club.member(f"reader-{label.replace('+', '-')}")
        for work, state, progress in marks:
            done = await member.slash(
                "status set",
                title=f"#{catalog[work]}",
                state=state,
                **({"progress": progress} if progress else {}),
            )
            assert done.ephemeral, done.content
        members[label] = member
    # Every state a discussion can be in: open (questions posted), ended, called off, moved, still to come.
    await admin.slash("discussion open-now", discussion=chapter.id)
    await admin.slash("discussion open-now", discussion=book.id)
    await admin.slash("discussion close", discussion=book.id)
    await admin.slash("discussion cancel", discussion=screen.id)
    await admin.slash("discussion reschedule", discussion=versus.id, when="2026-12-05 18:00")
    # The secrets are really there: stored, and posted in the open thread behind spoiler markup.
    stored = "\n".join(
        "\n".join(d.questions) for d in await store.discussions.calendar(club.guild.id, clock.now())
    )
    thread_text = "\n".join(
        m.content for t in club.threads_in(discussions_channel) for m in club.messages_in(t)
    )
    for secret in SECRETS:
        assert secret in stored and f"{secret}" in thread_text

    url = feed_url(await admin.slash("club calendar feed"))
    status, _, feed = await fetch(url)
    assert status == 200
    files = {label: await member.slash("club calendar file") for label, member in members.items()}
    files["organizer"] = await admin.slash("club calendar file")
    for label, got in files.items():
        data = got.message.attachment_bytes(0)
        assert data == feed, f"{label}: the file differs from the feed"
        cal = parse(got)
        assert len(events_by_uid(cal)) == 5, label
        values = [str(v) for component in cal.walk() for v in component.values()]
        for secret in SECRETS:
            assert secret not in unfolded(data), (label, secret)
            assert not any(secret in v for v in values), (label, secret)
            assert secret not in got.content, (label, secret)


async def test_a_feed_served_without_the_guild_in_the_gateway_cache_still_names_the_club(
    club, harness, admin, catalog, announcements, discussions_channel
):
    # With shard processes, one process may serve every club's feed (it reads the shared database), so a club
    # on another process's shards is not in its gateway cache. Here the guild's GUILD_CREATE is held back after
    # READY (discord-api-docs, Gateway Events, Ready: guilds start unavailable), so the process has no name.
    await setup_club(admin, discussions_channel, announcements)
    await admin.slash(
        "discussion schedule", when="next Friday 7pm", scope="book", title=f"#{catalog['lantern']}"
    )
    path = FEED_URL.search(feed_url(await admin.slash("club calendar feed"))).group(2)

    club.gateway.held_guild_creates.add(club.guild.id)
    bot = await harness.restart()
    pending = bot.get_guild(club.guild.id)
    assert pending is None or pending.unavailable or not pending.name

    for _ in range(2):  # the second read is answered from the name kept after the first
        status, _, body = await fetch(f"http://127.0.0.1:{bot.calendar_feed.port}{path}")
        assert status == 200
        feed = icalendar.Calendar.from_ical(body)
        assert str(feed["X-WR-CALNAME"]) == f"{club.guild.name}: discussions"
        assert len(events_by_uid(feed)) == 1
    assert len(club.requests_to("GET", "/guilds/{guild_id}")) == 1
