"""`python -m bot demo --db FILE` keeps the club between runs; `--host` warns; DMs reach one member's page only.

The runs are real `python -m bot demo` processes stopped with SIGINT, acted on through the page's own HTTP
API (what the page's buttons post) and read in headless Chromium, as `test_demo_page.py` does.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aiohttp
from demo_pages import browser, member_page, open_channel
from playwright.async_api import Browser, expect

from demo._run import DemoArgs, RunningDemo, running_demo
from demo._seed import CAST

__all__ = ["browser"]  # the Chromium fixture, shared with the page's tests

DAN = CAST.neither  # has done neither: he marks the book read and votes in these tests
OFFER = "now covers the discussion"  # the bot's DM when a member's new status lets them into a gated thread


@dataclass
class DemoProcess:
    """One `python -m bot demo` run in its own process."""

    proc: subprocess.Popen[str]
    url: str
    first_line: str

    def stop(self) -> tuple[str, str]:
        """Send SIGINT as Ctrl-C does; return stdout and stderr once it exited 0."""
        self.proc.send_signal(signal.SIGINT)
        assert self.proc.wait(timeout=30) == 0
        out, err = self.proc.communicate()
        return self.first_line + out, err


def start_demo(cwd: Path, *args: str) -> DemoProcess:
    env = {**os.environ, "TMPDIR": str(cwd), "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO"}
    env.pop("DISCORD_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--port", "0", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the address, once the page is served
    found = re.search(r"serving (http://[\d.]+:\d+/)", line)
    if not found:
        proc.kill()
        raise AssertionError((line, proc.communicate()))
    return DemoProcess(proc, found.group(1), line)


def assert_clean(err: str) -> None:
    """The run logged no error and printed no traceback (INFO lines are expected)."""
    assert "Traceback" not in err, err
    assert not [line for line in err.splitlines() if re.search(r"\b(ERROR|CRITICAL)\b", line)], err


async def api(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    async with aiohttp.ClientSession() as session:
        if body is None:
            async with session.get(url + path) as r:
                return await r.json()
        async with session.post(url + path, json=body) as r:
            answer = await r.json()
            assert r.status == 200, answer
            return answer


async def eventually(check: Callable[[], Any], what: str, seconds: float = 8.0) -> Any:
    for _ in range(int(seconds / 0.1)):
        if found := await check():
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def channel_id(state: dict[str, Any], name: str) -> str:
    return next(c["id"] for c in state["channels"] if c["name"] == name)


def poll_in(state: dict[str, Any]) -> dict[str, Any]:
    announcements = state["messages"][channel_id(state, "announcements")]
    return next(m for m in announcements if m["poll"])


def dm_texts(state: dict[str, Any]) -> str:
    return " ".join(m["html"] for d in state["dms"] for m in state["messages"].get(d["id"], []))


async def test_a_second_run_on_the_same_db_shows_the_kept_club(tmp_path: Path, browser: Browser) -> None:
    db = tmp_path / "club.sqlite3"
    first = start_demo(tmp_path, "--db", str(db))
    try:
        assert "a new club, kept in" in first.first_line
        state = await api(first.url, f"api/m/{DAN}/state")
        poll = poll_in(state)
        emma = next(a for a in poll["poll"]["answers"] if a["text"] == "Emma")
        await api(
            first.url, f"api/m/{DAN}/act", {"kind": "vote", "message_id": poll["id"], "answer": emma["id"]}
        )
        await api(first.url, "api/clock", {"step": "next_discussion"})
        await api(
            first.url,
            f"api/m/{DAN}/act",
            {
                "kind": "slash",
                "command": "status set",
                "channel_id": channel_id(state, "general"),
                "options": {"title": "Frankenstein", "state": "read"},
            },
        )

        async def offered() -> bool:
            return OFFER in dm_texts(await api(first.url, f"api/m/{DAN}/state"))

        await eventually(offered, "the bot's DM offer to dan")
        clock = await api(first.url, "api/clock")
    finally:
        _out, err = first.stop()
    assert_clean(err)
    assert db.with_name(db.name + ".world.json").is_file()

    second = start_demo(tmp_path, "--db", str(db))
    try:
        assert "reopened as the last run left it" in second.first_line
        assert (await api(second.url, "api/clock"))["now"] == clock["now"]  # the fake clock went on
        state = await api(second.url, f"api/m/{DAN}/state")
        dan_id = int(state["me"]["id"])
        kept = next(a for a in poll_in(state)["poll"]["answers"] if a["text"] == "Emma")
        assert kept["mine"] and kept["count"] == 2
        assert OFFER in dm_texts(state)

        page = await member_page(browser, cast(RunningDemo, _Elsewhere(second.url)), DAN)
        await open_channel(page, "announcements")
        emma_row = page.locator("[data-testid=poll] .poll-answer", has_text="Emma")
        await expect(emma_row.locator("[data-testid=poll-count]")).to_have_text("2 votes")
        # The offer's button was sent by the last run's bot: this one answers it from the database.
        await page.locator("#sidebar a.dm-link").click()
        await page.get_by_role("button", name="Join the discussion").click()
        await expect(page.locator("#sidebar a.thread-link", has_text="Frankenstein")).to_have_count(1)
    finally:
        _out, err = second.stop()
    assert_clean(err)

    with sqlite3.connect(db) as conn:
        status = conn.execute(
            "SELECT s.state FROM statuses s JOIN works w ON w.id = s.work_id "
            "WHERE s.user_id = ? AND w.title = 'Frankenstein' AND w.kind = 'book'",
            (dan_id,),
        ).fetchall()
        votes = conn.execute(
            "SELECT o.answer FROM poll_votes v JOIN poll_options o ON (o.poll_id, o.position) = "
            "(v.poll_id, v.position) WHERE v.user_id = ?",
            (dan_id,),
        ).fetchall()
    assert status == [("read",)]
    assert votes == [("Emma",)]


@dataclass
class _Elsewhere:
    """What `member_page` needs of a demo: its address (here a demo in another process)."""

    url: str


async def test_a_dm_from_the_bot_shows_in_that_members_page_only(browser: Browser) -> None:
    async with running_demo(DemoArgs(port=0)) as running:
        state = await api(running.url, f"api/m/{DAN}/state")
        assert not state["dms"]
        await api(running.url, "api/clock", {"step": "next_discussion"})
        await api(
            running.url,
            f"api/m/{DAN}/act",
            {
                "kind": "slash",
                "command": "status set",
                "channel_id": channel_id(state, "general"),
                "options": {"title": "Frankenstein", "state": "read"},
            },
        )

        async def offered() -> bool:
            return OFFER in dm_texts(await api(running.url, f"api/m/{DAN}/state"))

        await eventually(offered, "the bot's DM offer to dan")
        page = await member_page(browser, running, DAN)
        await page.locator("#sidebar a.dm-link").click()
        await expect(page.locator("#messages .msg", has_text=OFFER)).to_have_count(1)
        for other in (n for n in CAST.names if n != DAN):
            seen = json.dumps(await api(running.url, f"api/m/{other}/state"), ensure_ascii=False)
            assert OFFER not in seen, other
            other_page = await member_page(browser, running, other)
            assert OFFER not in await other_page.content(), other
            await other_page.close()
        assert not running.demo.club.violations, running.demo.club.violations


def test_a_host_other_than_loopback_serves_with_a_warning(tmp_path: Path) -> None:
    # 127.0.0.2 is still this machine (all of 127/8 is loopback) but not a name the demo treats as private,
    # so the warning's path runs without serving beyond it.
    run = start_demo(tmp_path, "--host", "127.0.0.2")
    try:
        assert run.url.startswith("http://127.0.0.2:"), run.url
        with urllib.request.urlopen(run.url, timeout=10) as r:
            assert r.status == 200
    finally:
        _out, err = run.stop()
    assert "warning: --host 127.0.0.2 serves the demo beyond this machine" in err, err
    assert_clean(err)
