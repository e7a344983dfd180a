"""Pytest fixtures for fakediscord: import them in a conftest (`from fakediscord.pytest_plugin import *`).

- `fake_clock`: a FakeClock at 2026-11-01 12:00 UTC.
- `club`: a running FakeDiscord on that clock, pointed at by discord.py, rate limits off unless asked;
  teardown fails the test on any spec violation or unimplemented route. Options come from the marker
  `@pytest.mark.club(rate_limits=True, allow_violations=True, ...)`. Validation runs against the pinned spec
  copy; if it cannot run (the copy is missing, or $FAKEDISCORD_SPEC_DIR points at a bad copy) the test fails,
  unless the marker switched it off on purpose with `validate=False`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from .clock import FakeClock
from .server import FakeDiscord

__all__ = ["club", "fake_clock", "require_validation"]


def require_validation(fake: FakeDiscord) -> None:
    """Fail the test when spec validation is not running (it must not switch off silently)."""
    if fake.validator is None:
        pytest.fail(
            f"[fakediscord] spec validation is unavailable: {fake.validation_skipped_reason}. "
            "Tests run only with validation on; restore fakediscord/spec_data or fix $FAKEDISCORD_SPEC_DIR.",
            pytrace=False,
        )


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
        if options.get("validate") is not False:
            require_validation(fake)
        yield fake
        if not allow_violations:
            fake.assert_no_violations()
