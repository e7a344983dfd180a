"""The calendar feed's pieces: the per-address rate limit, its addresses, and secrets kept only as hashes."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import aiohttp
from conftest import SteppingClock

from bot.calendar_feed import CalendarFeedServer, RateLimiter

GUILD = 111111111111111111
OTHER = 222222222222222222


def test_a_burst_passes_then_each_request_waits_for_its_token():
    clock = SteppingClock()
    limiter = RateLimiter(clock, per_minute=30, burst=30)
    assert [limiter.take("198.51.100.7") for _ in range(30)] == [0] * 30
    assert limiter.take("198.51.100.7") == 2  # one token every 2 seconds
    clock.advance(timedelta(seconds=1))
    assert limiter.take("198.51.100.7") == 1  # half a token refilled; refused requests spend nothing
    clock.advance(timedelta(seconds=1))
    assert limiter.take("198.51.100.7") == 0
    assert limiter.take("198.51.100.7") == 2


def test_addresses_have_their_own_allowance():
    clock = SteppingClock()
    limiter = RateLimiter(clock, per_minute=6, burst=2)
    assert [limiter.take("a"), limiter.take("a"), limiter.take("a")] == [0, 0, 10]
    assert [limiter.take("b"), limiter.take("b")] == [0, 0]
    assert limiter.take("a") == 10


def test_a_full_bucket_never_holds_more_than_its_burst():
    clock = SteppingClock()
    limiter = RateLimiter(clock, per_minute=60, burst=3)
    limiter.take("a")
    clock.advance(timedelta(hours=5))
    assert [limiter.take("a") for _ in range(4)] == [0, 0, 0, 1]


def test_idle_addresses_are_forgotten_and_the_number_tracked_is_capped():
    clock = SteppingClock()
    limiter = RateLimiter(clock, per_minute=60, burst=2, max_tracked=100)
    for n in range(50):
        limiter.take(f"idle-{n}")
    assert limiter.tracked == 50
    clock.advance(timedelta(seconds=2))  # their buckets are full again: the same as no bucket
    limiter.take("new")
    assert limiter.tracked == 1
    for n in range(500):
        limiter.take(f"flood-{n}")
    assert limiter.tracked <= 100


def test_a_clock_that_steps_back_grants_nothing_extra():
    clock = SteppingClock()
    limiter = RateLimiter(clock, per_minute=60, burst=1)
    assert limiter.take("a") == 0
    clock.advance(timedelta(seconds=-30))
    assert limiter.take("a") == 1


async def test_addresses_use_the_public_url_or_the_listening_address(store):
    clock = SteppingClock()
    feeds = store.calendar_feeds
    proxied = CalendarFeedServer(
        feeds, clock, host="127.0.0.1", port=8787, public_url="https://club.example.org"
    )
    assert proxied.url_for("abc") == "https://club.example.org/calendar/abc.ics"
    direct = CalendarFeedServer(feeds, clock, host="::1", port=8787)
    assert direct.url_for("abc") == "http://[::1]:8787/calendar/abc.ics"


async def test_secrets_are_stored_hashed_made_once_and_rotated(store):
    feeds = store.calendar_feeds
    assert await feeds.get(GUILD) is None
    secret = await feeds.create(GUILD)
    assert secret is not None and len(secret) >= 43
    assert await feeds.create(GUILD) is None  # the first one stays: it cannot be shown again
    rows = await store.db.fetch_all("SELECT * FROM calendar_feeds")
    assert [r["secret_hash"] for r in rows] == [hashlib.sha256(secret.encode()).hexdigest()]
    assert secret not in str([dict(r) for r in rows])
    assert await feeds.guild_for(secret) == GUILD

    other = await feeds.rotate(OTHER)  # rotating a club without a feed gives it one
    assert await feeds.guild_for(other) == OTHER
    fresh = await feeds.rotate(GUILD)
    assert fresh != secret
    assert await feeds.guild_for(secret) is None
    assert await feeds.guild_for(fresh) == GUILD
    for wrong in ("", "x" * 43, secret[:-1], secret + "=", "\udcff", "../" * 100):
        assert await feeds.guild_for(wrong) is None, wrong


async def test_a_failing_calendar_is_a_500_logged_by_club_never_by_address(store, caplog):
    secret = await store.calendar_feeds.create(GUILD)
    assert secret is not None
    server = CalendarFeedServer(store.calendar_feeds, SteppingClock(), host="127.0.0.1", port=0)

    async def broken(guild_id: int) -> bytes:
        raise RuntimeError(f"no calendar for {guild_id}")

    server.serve(broken)
    await server.start()
    try:
        url = server.url_for(secret)
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            assert response.status == 500
        server.serve(None)  # the feature unloaded: every address is unknown
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            assert response.status == 404
    finally:
        await server.stop()
    assert server.port is None
    assert any(str(GUILD) in r.getMessage() for r in caplog.records)
    assert not any(secret in r.getMessage() or secret in (r.exc_text or "") for r in caplog.records)
