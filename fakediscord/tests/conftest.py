"""Fixtures: a fresh emulator per test (fakediscord.pytest_plugin) and the sample bot connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakediscord import FakeClock, FakeDiscord
from fakediscord.pytest_plugin import club, fake_clock
from fakediscord.tests.sample_bot import SampleBot

__all__ = ["bot", "clock", "club", "fake_clock"]


@pytest.fixture
def clock(fake_clock: FakeClock) -> FakeClock:
    """Return the emulator's clock (shadows the repository's SteppingClock fixture)."""
    return fake_clock


@pytest.fixture
async def bot(club: FakeDiscord, clock: FakeClock) -> AsyncIterator[SampleBot]:
    """Return the sample bot, connected and with commands synced."""
    async with club.run_bot(SampleBot(club.guild.id, clock=clock)) as b:
        yield b


def pytest_configure(config: pytest.Config) -> None:
    """Register the `club` marker (kwargs go to FakeDiscord)."""
    config.addinivalue_line("markers", "club(**options): options for the FakeDiscord fixture")
