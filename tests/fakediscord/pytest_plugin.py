"""Pytest fixtures for fakediscord: import them in a conftest (`from fakediscord.pytest_plugin import *`).

- `fake_clock`: a FakeClock at 2026-11-01 12:00 UTC.
- `club`: a running FakeDiscord on that clock, pointed at by discord.py, rate limits off unless asked;
  teardown fails the test on any spec violation or unimplemented route. Options come from the marker
  `@pytest.mark.club(rate_limits=True, allow_violations=True, ...)`; when the spec folder is absent the
  reason is printed and validation is skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from .clock import FakeClock
from .server import FakeDiscord

__all__ = ["club", "fake_clock"]


@pytest.fixture
def fake_clock() -> FakeClock:
    """Return a fake clock at a fixed instant."""
    return FakeClock(start=datetime(2026, 11, 1, 12, tzinfo=UTC))


@pytest.fixture
async def club(fake_clock: FakeClock, request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    """Yield a running emulator; fail the test on any spec violation at teardown."""
    marker = request.node.get_closest_marker("club")
    options = dict(marker.kwargs) if marker else {}
    allow_violations = options.pop("allow_violations", False)
    options.setdefault("rate_limits", False)
    async with FakeDiscord(clock=fake_clock, **options) as fake:
        fake.connect_discord_py()
        if fake.validation_skipped_reason:
            print(f"\n[fakediscord] {fake.validation_skipped_reason}")
        yield fake
        if not allow_violations:
            fake.assert_no_violations()
