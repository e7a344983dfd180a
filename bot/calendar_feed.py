"""The subscribable calendar feed: `GET /calendar/<secret>.ics` over HTTP, one per club, off by default.

The listener only exists when `CALENDAR_FEED_PORT` is set; the bot starts it in `setup_hook` and stops
it in `close`. What a club's feed holds is the club feature's business: it registers the renderer with
`serve`. Every request, whatever its path, first takes a token from its address's bucket; then an
unknown, rotated or malformed secret gets the same 404 after the same work (hash, one indexed read).
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from bot.clock import Clock
from bot.store.calendar_feeds import CalendarFeedRepository

log = logging.getLogger(__name__)

FEED_PATH: Final = "/calendar/{secret}.ics"
REQUESTS_PER_MINUTE: Final = 30
# Calendar apps poll every few minutes to hours, so a minute's allowance at once is plenty for one.
BURST: Final = 30
MAX_TRACKED_ADDRESSES: Final = 10_000
CONTENT_TYPE: Final = "text/calendar"

# What a club's feed holds, by guild id; the club feature provides it.
FeedRenderer = Callable[[int], Awaitable[bytes]]


class FeedUnavailable(Exception):
    """The feed's port could not be opened; the message says which and how to fix it."""


class RateLimiter:
    """A token bucket per client address: `burst` requests at once, refilled at `per_minute`.

    Kept in this process's memory: with several shard processes, the README's advice is to serve the feed
    from one of them or to limit per client in the reverse proxy, since each process's limit is its own.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        per_minute: int = REQUESTS_PER_MINUTE,
        burst: int = BURST,
        max_tracked: int = MAX_TRACKED_ADDRESSES,
    ) -> None:
        self._clock = clock
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._max_tracked = max_tracked
        # Least recently seen first: (tokens left, when they were counted, in seconds).
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, address: str) -> int:
        """Spend one request of `address`; return 0 when allowed, else the whole seconds until one is."""
        now = self._clock.now().timestamp()
        tokens, counted = self._buckets.pop(address, (self._burst, now))
        tokens = min(self._burst, tokens + max(0.0, now - counted) * self._rate)
        wait = 0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = max(1, math.ceil((1.0 - tokens) / self._rate))
        self._buckets[address] = (tokens, now)
        self._forget_idle(now)
        return wait

    @property
    def tracked(self) -> int:
        """Return how many addresses have a bucket that is not full."""
        return len(self._buckets)

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that have refilled (they equal a new one), and the oldest past the cap."""
        while self._buckets:
            address, (tokens, counted) = next(iter(self._buckets.items()))
            refilled = tokens + max(0.0, now - counted) * self._rate >= self._burst
            if not refilled and len(self._buckets) <= self._max_tracked:
                break
            del self._buckets[address]


def _not_found() -> web.Response:
    # One body for every miss: an unknown, rotated or malformed secret and a path that is not a feed.
    return web.Response(status=404, text="Not found\n")


class CalendarFeedServer:
    """Serve each club's calendar over HTTP at an address only its organizers are shown."""

    def __init__(
        self,
        feeds: CalendarFeedRepository,
        clock: Clock,
        *,
        host: str,
        port: int,
        public_url: str | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._feeds = feeds
        self._host = host
        self._port = port
        self._public_url = public_url
        self.limiter = limiter or RateLimiter(clock)
        self._render: FeedRenderer | None = None
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None

    def serve(self, render: FeedRenderer | None) -> None:
        """Set what a club's feed holds (None: every feed answers 404, as while the feature is unloaded)."""
        self._render = render

    @property
    def port(self) -> int | None:
        """Return the port listened on while running (the one chosen when configured with 0)."""
        return self._bound_port

    def url_for(self, secret: str) -> str:
        """Return the address a calendar app subscribes to for `secret`."""
        if self._public_url is not None:
            base = self._public_url
        else:
            host = f"[{self._host}]" if ":" in self._host else self._host
            base = f"http://{host}:{self._bound_port if self._bound_port is not None else self._port}"
        return base + FEED_PATH.format(secret=secret)

    async def start(self) -> None:
        """Open the port and start answering; raise `FeedUnavailable` when it cannot be opened."""
        app = web.Application(middlewares=[self._limit])
        app.router.add_get("/calendar/{name}", self._feed)
        # No access log: the path is the secret, and logs are read by more people than organizers.
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise FeedUnavailable(
                f"CALENDAR_FEED_PORT {self._port} on CALENDAR_FEED_HOST {self._host} cannot be opened "
                f"({exc.strerror or exc}): pick a free port, or leave CALENDAR_FEED_PORT empty to serve no feed."
            ) from exc
        self._runner = runner
        self._bound_port = int(runner.addresses[0][1])
        log.info("Serving calendar feeds on %s port %d", self._host, self._bound_port)

    async def stop(self) -> None:
        """Close the port; requests under way are answered first."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
            self._bound_port = None

    @web.middleware
    async def _limit(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        wait = self.limiter.take(request.remote or "unknown")
        if wait:
            return web.Response(status=429, text="Too many requests\n", headers={"Retry-After": str(wait)})
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return _not_found()

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        secret = name.removesuffix(".ics")
        # The lookup runs whatever the name looks like, so a malformed secret costs what a wrong one does.
        guild_id = await self._feeds.guild_for(secret)
        render = self._render
        if guild_id is None or render is None or secret == name:
            return _not_found()
        try:
            body = await render(guild_id)
        except Exception:
            # Logged here, by club, so that aiohttp's own error log (which may quote the path) never runs.
            log.exception("Could not build the calendar feed of guild %s", guild_id)
            return web.Response(status=500, text="The calendar could not be built; try again later\n")
        return web.Response(
            body=body,
            content_type=CONTENT_TYPE,
            charset="utf-8",
            headers={
                "Cache-Control": "private, max-age=300",
                "Content-Disposition": 'inline; filename="bookclub.ics"',
                "Referrer-Policy": "no-referrer",
                "X-Robots-Tag": "noindex",
            },
        )
