"""The demo page in headless Chromium: the browser fixture and the steps every demo browser test takes."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from demo._run import RunningDemo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's headless Chromium (Playwright's own browser download cannot work here)."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (.ci/run does it)")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        await launched.close()


async def member_page(browser: Browser, running: RunningDemo, name: str) -> Page:
    page = await browser.new_page(viewport={"width": 1000, "height": 760})
    await page.goto(f"{running.url}m/{name}")
    await expect(page.locator("body[data-ready]")).to_have_count(1)
    return page


async def open_channel(page: Page, name: str) -> None:
    await page.locator("#sidebar a", has_text=re.compile(rf"^# {re.escape(name)}$")).click()
    await expect(page.locator("#channel-head strong")).to_have_text(f"# {name}")
