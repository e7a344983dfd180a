"""Several bot processes, one emulator, one PostgreSQL: every promise holds across processes (issue 18).

Each test starts real `python -m bot run --shard-count N --shards …` processes (tests/bot_processes.py)
against the emulator in this process and a throwaway PostgreSQL database (`postgres_url`: where the server
binaries are missing these tests fail and say so, as the repository tests do). The processes use the real
clock, so what is scheduled is due a few seconds ahead.

    .venv/bin/python -m pytest tests/e2e/test_processes.py -q -x
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bot_processes import (
    LEASE_SECONDS,
    READ_IT,
    SHARDS,
    BotProcess,
    Server,
    answer_id,
    answer_of,
    discussion_threads,
    make_servers,
    open_store,
    post_current_book_and_poll,
    rows,
    running,
    seed_clubs,
    seed_discussions,
    session_pid,
    sync_commands,
    told_recorded,
)
from markdown_view import rendered

from bot.services.discussions import render
from bot.services.discussions.runner import OPEN
from fakediscord import FakeClock, FakeDiscord, Upload
from fakediscord.gateway import shard_of
from fakediscord.pytest_plugin import require_validation

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
THREADS = "/channels/{channel_id}/threads"


@pytest.fixture
def clock() -> FakeClock:
    """The emulator's clock, at the real time the bot processes live in (snowflakes carry it)."""
    return FakeClock(start=datetime.now(UTC))


@pytest.fixture
async def club(clock: FakeClock) -> Any:
    """The emulator alone (the bots are other processes), validated; rate limits off, as in the crash test."""
    async with FakeDiscord(clock=clock, rate_limits=False) as fake:
        require_validation(fake)
        yield fake
        fake.assert_no_violations()


async def act_later(delay: float, action: Callable[[], Awaitable[Any]]) -> Any:
    await asyncio.sleep(delay)
    return await action()


def status_action(s: Server, n: int) -> tuple[str, Callable[[], Awaitable[Any]]]:
    """Return member n's status action and the state it records: a button click or `/status set`."""
    member = s.members[n]
    if n % 2 == 0:
        return "read", lambda: member.click(s.post, READ_IT)
    return "reading", lambda: member.slash(
        "status set", in_channel=s.announcements, title=f"#{s.work_id}", state="reading", progress="12"
    )


async def wait_for(
    check: Callable[[], Awaitable[bool]],
    *,
    timeout: float,  # noqa: ASYNC109 - a test-facing deadline
    what: str,
    every: float = 0.25,
) -> None:
    """Poll `check` (a database look, say) until it holds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(every)


def assert_routed_by_shard(
    club: FakeDiscord, processes: Sequence[BotProcess], expected: dict[str, int]
) -> None:
    """Each interaction (by id → guild) reached only the session of its guild's shard, held by its process."""
    seen: dict[str, list[int]] = {}
    for shard, sess in club.gateway.sessions.items():
        for frame in sess.buffer:
            if frame["t"] in ("INTERACTION_CREATE", "MESSAGE_POLL_VOTE_ADD") and "guild_id" in frame["d"]:
                assert shard_of(int(frame["d"]["guild_id"]), SHARDS) == shard, frame["t"]
            if frame["t"] == "INTERACTION_CREATE":
                seen.setdefault(frame["d"]["id"], []).append(shard)
        owner = next(p for p in processes if shard in p.shards)
        if sess.connected:
            assert session_pid(sess) == owner.pid, f"shard {shard} is not held by {owner.name}"
    wrong = {i: (seen.get(i), g) for i, g in expected.items() if seen.get(i) != [shard_of(g, SHARDS)]}
    assert wrong == {}, f"interactions not delivered once, on their guild's shard: {list(wrong.items())[:5]}"


# -- 1 -------------------------------------------------------------------------------------------------


async def test_votes_and_status_clicks_spread_over_the_shards_are_all_stored_once(
    club, clock, tmp_path, postgres_url
):
    servers = await make_servers(club, clock, 8, members=30)
    assert Counter(s.shard for s in servers) == dict.fromkeys(range(SHARDS), 2)
    store = await open_store(postgres_url)
    try:
        await seed_clubs(store, servers)
        a = BotProcess(
            club, database_url=postgres_url, shard_count=SHARDS, shards=[0, 1], workdir=tmp_path, name="a"
        )
        b = BotProcess(
            club, database_url=postgres_url, shard_count=SHARDS, shards=[2, 3], workdir=tmp_path, name="b"
        )
        await sync_commands(club, postgres_url, tmp_path)
        async with running(a, b):
            await post_current_book_and_poll(servers, club)
            acts: list[tuple[Server, int, str]] = []
            tasks = []
            votes = []
            everyone = [(s, n) for s in servers for n in range(len(s.members))]
            burst = 1.5
            for i, (s, n) in enumerate(everyone):
                state, action = status_action(s, n)
                acts.append((s, n, state))
                delay = burst * i / len(everyone)
                tasks.append(asyncio.create_task(act_later(delay, action)))
                member, poll, answer = s.members[n], s.poll, answer_of(n)
                votes.append(
                    asyncio.create_task(act_later(delay, lambda m=member, p=poll, x=answer: m.vote(p, x)))
                )
            results = await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(*votes)
            print(
                f"\n[processes] {len(tasks)} status interactions + {len(votes)} votes; started in "
                f"{a.started_in:.1f} s and {b.started_in:.1f} s"
            )

            failed = [
                (s.guild.name, n, r)
                for (s, n, _), r in zip(acts, results, strict=True)
                if not told_recorded(r)
            ]
            assert failed == [], f"{len(failed)} members were not told 'Recorded': {failed[:3]}"
            assert all(r.ephemeral for r in results)  # type: ignore[union-attr]

            db = store.db
            statuses = await rows(
                db, "SELECT guild_id, user_id, work_id, state, progress_unit, progress_value FROM statuses"
            )
            got = Counter((r["guild_id"], r["user_id"]) for r in statuses)
            assert set(got.values()) == {1} and len(got) == len(acts)
            by_member = {(r["guild_id"], r["user_id"]): r for r in statuses}
            for s, n, state in acts:
                r = by_member[(s.guild.id, s.members[n].id)]
                assert (r["work_id"], r["state"]) == (s.work_id, state)
                if state == "reading":
                    assert (r["progress_unit"], r["progress_value"]) == ("chapter", 12)
            history = await rows(
                db, "SELECT guild_id, user_id, COUNT(*) AS n FROM status_history GROUP BY guild_id, user_id"
            )
            assert {(h["guild_id"], h["user_id"]): h["n"] for h in history} == dict.fromkeys(
                got, 1
            )  # none doubled

            async def all_votes_stored() -> bool:
                return len(await rows(db, "SELECT 1 FROM poll_votes")) >= len(acts)

            await wait_for(all_votes_stored, timeout=15, what="every vote to be stored")
            stored_votes = await rows(
                db,
                "SELECT p.guild_id, v.user_id, v.position FROM poll_votes v JOIN polls p ON p.id = v.poll_id",
            )
            assert Counter((v["guild_id"], v["user_id"]) for v in stored_votes) == Counter(
                (s.guild.id, s.members[n].id) for s, n, _ in acts
            )
            assert {(v["guild_id"], v["user_id"]): v["position"] for v in stored_votes} == {
                (s.guild.id, s.members[n].id): answer_id(s, n) for s, n, _ in acts
            }
            expected = {str(r.interaction_id): s.guild.id for (s, _, _), r in zip(acts, results, strict=True)}  # type: ignore[union-attr]
            assert_routed_by_shard(club, (a, b), expected)
    finally:
        await store.db.close()


# -- 2 -------------------------------------------------------------------------------------------------

GUILDS = 100
PER_GUILD = 10
LEAD = timedelta(seconds=8)  # the processes connect in ~6 s: both run when the discussions fall due


async def test_a_thousand_discussions_over_a_hundred_guilds_open_exactly_once(
    club, clock, tmp_path, postgres_url
):
    servers = await make_servers(club, clock, GUILDS)
    assert set(Counter(s.shard for s in servers)) == set(range(SHARDS))
    store = await open_store(postgres_url)
    try:
        await seed_clubs(store, servers)
        opens_at = datetime.now(UTC) + LEAD
        ids: dict[int, int] = {}  # discussion id -> guild id
        for s in servers:
            for d in await seed_discussions(store, s, opens_at, PER_GUILD):
                ids[d] = s.guild.id
        assert len(ids) == GUILDS * PER_GUILD
        assert datetime.now(UTC) < opens_at, "seeding took longer than the lead: raise LEAD"
        a = BotProcess(
            club, database_url=postgres_url, shard_count=SHARDS, shards=[0, 1], workdir=tmp_path, name="a"
        )
        b = BotProcess(
            club, database_url=postgres_url, shard_count=SHARDS, shards=[2, 3], workdir=tmp_path, name="b"
        )
        async with running(a, b):
            db = store.db

            async def all_open() -> bool:
                left = await rows(db, "SELECT COUNT(*) AS n FROM discussions WHERE state != 'open'")
                return left[0]["n"] == 0

            began = time.monotonic()
            try:
                await wait_for(all_open, timeout=45, what="every discussion to open", every=0.5)
            except AssertionError as exc:
                states = await rows(db, "SELECT state, COUNT(*) AS n FROM discussions GROUP BY state")
                doubled = sum(n - 1 for n in discussion_threads(club, servers).values())
                raise AssertionError(
                    f"{exc}: states { ({r['state']: r['n'] for r in states}) }, {doubled} duplicate threads"
                ) from None
            opened_in = time.monotonic() - began
            await asyncio.sleep(2)  # a duplicate opening would come now, from the slower process
            timers = await rows(db, "SELECT guild_id, key FROM timers WHERE event = ?", (OPEN,))
            assert timers == [], f"{len(timers)} opening timers left, e.g. {timers[:3]}"
        created = [r for r in club.requests_to("POST", THREADS) if 200 <= r.status < 300]
        threads = discussion_threads(club, servers)
        print(
            f"\n[processes] {len(ids)} discussions opened {opened_in:.1f} s after due "
            f"(+{(datetime.now(UTC) - opens_at).total_seconds():.0f} s since); "
            f"{len(created)} thread creations; {sum(n - 1 for n in threads.values())} duplicates"
        )
        assert {d: n for d, n in threads.items() if n != 1} == {}, "discussions with more than one thread"
        assert set(threads) == set(ids), "discussions without a thread"
        assert len(created) == len(ids)
        discussions = await rows(
            store.db, "SELECT id, guild_id, state, thread_id, channel_id FROM discussions"
        )
        assert {d["id"]: d["guild_id"] for d in discussions} == ids
        assert {d["state"] for d in discussions} == {"open"}
        assert len({d["thread_id"] for d in discussions}) == len(ids)
        channel = {s.guild.id: s.discussions.id for s in servers}
        for d in discussions:
            thread = club.world.channels[d["thread_id"]]
            assert thread.parent_id == channel[d["guild_id"]] == d["channel_id"]
            assert render.has_marker(thread.name, d["id"])
    finally:
        await store.db.close()


# -- 4 -------------------------------------------------------------------------------------------------


async def test_an_import_preview_made_through_one_process_is_confirmed_through_another(
    club, clock, tmp_path, postgres_url
):
    (server,) = await make_servers(club, clock, 1)
    store = await open_store(postgres_url)
    try:
        await seed_clubs(store, [server])
        importer = club.member("ivy", guild=server.guild)
        await sync_commands(club, postgres_url, tmp_path)
        shards = {"database_url": postgres_url, "shard_count": 1, "shards": [0], "workdir": tmp_path}
        first = BotProcess(club, name="first", **shards)  # type: ignore[arg-type]
        async with running(first):
            data = (FIXTURES / "goodreads.csv").read_bytes()
            preview = await importer.slash(
                "status import", in_channel=server.announcements, file=Upload("goodreads.csv", data, "text/csv"),
                followup_timeout=20,
            )  # fmt: skip
            assert preview.ephemeral and preview.buttons, preview.content
        assert first.proc is not None and first.proc.returncode == 0, first.log_tail()
        second = BotProcess(club, name="second", **shards)  # type: ignore[arg-type]
        async with running(second):
            done = await importer.click(preview.message, "Import these", followup_timeout=20)
            assert rendered(done.content).startswith("Imported"), done.content
            stored = await store.statuses.for_member(server.guild.id, importer.id)
            assert stored[server.work_id].state.value == "read"  # the fixture marks Pride and Prejudice read
    finally:
        await store.db.close()


# -- 3 -------------------------------------------------------------------------------------------------


async def test_a_process_sigkilled_mid_burst_leaves_nothing_half_written_and_its_timers_run_once(
    club, clock, tmp_path, postgres_url
):
    servers = await make_servers(club, clock, 8, members=20)
    store = await open_store(postgres_url)
    db = store.db
    try:
        await seed_clubs(store, servers)
        await sync_commands(club, postgres_url, tmp_path)
        flags = {"database_url": postgres_url, "shard_count": SHARDS, "workdir": tmp_path}
        a = BotProcess(club, shards=[0, 1], name="a", **flags)  # type: ignore[arg-type]
        b = BotProcess(club, shards=[2, 3], name="b", **flags)  # type: ignore[arg-type]
        async with running(a, b):
            killed = [s for s in servers if s.shard in b.shards]
            survived = [s for s in servers if s.shard in a.shards]
            # A discussion due now in one of b's guilds, whose thread Discord is slow to create: b is in
            # its handler (timer claimed, state 'opening', the POST sent) when it is killed.
            mid = killed[0]
            await post_current_book_and_poll(servers, club)
            (mid_id,) = await seed_discussions(store, mid, datetime.now(UTC))
            club.slow("POST", f"^/channels/{mid.discussions.id}/threads$", 4.0)
            # A poll in that guild schedules its end through b's scheduler, which wakes it to the due timer.
            reply = await mid.admin.slash(
                "poll create", in_channel=mid.announcements, question="Snacks?", answers="Tea; Cake"
            )
            assert rendered(reply.content).startswith("Poll #"), reply.content
            await club.wait_until(
                lambda: any(r.path == f"/channels/{mid.discussions.id}/threads" for r in club.requests),
                timeout=20,
                what="b to start opening the discussion",
            )

            acts = [(s, n) for s in servers for n in range(len(s.members))]
            burst, kill_at = 1.5, 0.4
            tasks = []
            for i, (s, n) in enumerate(acts):
                _, action = status_action(s, n)
                tasks.append(asyncio.create_task(act_later(burst * i / len(acts), action)))
                member, poll, answer = s.members[n], s.poll, answer_of(n)
                tasks.append(
                    asyncio.create_task(
                        act_later(burst * i / len(acts), lambda m=member, p=poll, x=answer: m.vote(p, x))
                    )
                )
            await asyncio.sleep(kill_at)
            opening = [r for r in club.requests if r.path == f"/channels/{mid.discussions.id}/threads"]
            await b.kill()
            assert opening and opening[0].status == 0, "the slow thread creation ended before the kill"
            # b died holding the opening's claim, leased for SCHEDULER_LEASE_SECONDS (not 15 minutes).
            (claim,) = await rows(
                db,
                "SELECT claimed_by, claimed_until FROM timers WHERE event = ? AND key = ?",
                (OPEN, str(mid_id)),
            )
            assert claim["claimed_by"] is not None, (
                "b's claim on the opening was handed back, not left to lapse"
            )
            lease_left = datetime.fromisoformat(claim["claimed_until"]) - datetime.now(UTC)
            assert timedelta(0) < lease_left <= timedelta(seconds=LEASE_SECONDS), lease_left
            results = await asyncio.gather(*tasks, return_exceptions=True)
            status_results = results[0::2]
            told = {
                (s.guild.id, s.members[n].id)
                for (s, n), r in zip(acts, status_results, strict=True)
                if told_recorded(r)
            }
            answered_late = [
                r
                for (s, _), r in zip(acts, status_results, strict=True)
                if s in survived and not told_recorded(r)
            ]
            assert answered_late == [], f"the surviving process left members unanswered: {answered_late[:3]}"

            # Everyone told "Recorded" is stored, whole: the status with its progress and its history row.
            statuses = await rows(
                db, "SELECT guild_id, user_id, state, progress_unit, progress_value, changed_at FROM statuses"
            )
            by_member = {(r["guild_id"], r["user_id"]): r for r in statuses}
            assert told <= set(by_member), (
                f"told 'Recorded' but not stored: {sorted(told - set(by_member))[:5]}"
            )
            history = await rows(db, "SELECT guild_id, user_id, state, changed_at FROM status_history")
            last = {(h["guild_id"], h["user_id"]): (h["state"], h["changed_at"]) for h in history}
            for key, r in by_member.items():
                assert last.get(key) == (r["state"], r["changed_at"]), f"status without its history: {key}"
                assert (r["progress_unit"], r["progress_value"]) in ((None, None), ("chapter", 12)), r
            print(
                f"\n[processes] killed b {kill_at} s into the burst: {len(told)}/{len(acts)} told 'Recorded'"
            )

            # The survivor keeps serving its shards.
            for s in survived:
                late = club.member("late", guild=s.guild)
                reply = await late.click(s.post, READ_IT)
                assert told_recorded(reply), reply.content

            # A discussion falls due in each of b's guilds while nobody serves them.
            outage = [
                d
                for s in killed
                for d in await seed_discussions(store, s, datetime.now(UTC) + timedelta(seconds=1))
            ]
            await asyncio.sleep(2)
            replacement = BotProcess(club, shards=b.shards, name="b2", **flags)  # type: ignore[arg-type]
            async with running(replacement):
                ids = [mid_id, *outage]

                async def all_open() -> bool:
                    found = await rows(
                        db,
                        "SELECT state FROM discussions WHERE id IN (" + ",".join("?" * len(ids)) + ")",
                        ids,
                    )
                    return {r["state"] for r in found} == {"open"}

                took_over = time.monotonic()
                try:
                    # The one b claimed runs once its claim lapses (SCHEDULER_LEASE_SECONDS, given to the processes).
                    await wait_for(
                        all_open,
                        timeout=LEASE_SECONDS + 30,
                        what="b's discussions to open after b2 connected",
                    )
                except AssertionError as exc:
                    found = await rows(
                        db,
                        "SELECT id, state FROM discussions WHERE id IN (" + ",".join("?" * len(ids)) + ")",
                        ids,
                    )
                    state = {r["id"]: r["state"] for r in found}
                    raise AssertionError(
                        f"{exc}: the one b was opening when killed is {state[mid_id]}; those due during the "
                        f"outage: {Counter(state[d] for d in outage)}"
                    ) from None
                print(
                    f"[processes] b's claim had {lease_left.total_seconds():.1f} s left at the kill; "
                    f"b2 opened b's {len(ids)} discussions {time.monotonic() - took_over:.1f} s after it connected"
                )
                await asyncio.sleep(1)
                threads = discussion_threads(club, servers)
                assert {d: threads[d] for d in ids} == dict.fromkeys(ids, 1), (
                    "each of b's discussions opens once"
                )

                # Votes b never stored (queued in its memory, or sent while it was dead) come back from Discord.
                async def votes_match() -> bool:
                    stored = await rows(
                        db,
                        "SELECT p.message_id, v.position, v.user_id FROM poll_votes v JOIN polls p ON p.id = v.poll_id",
                    )
                    mine = {(r["message_id"], r["position"], r["user_id"]) for r in stored}
                    truth = {
                        (s.poll.id, aid, uid)
                        for s in servers
                        for aid, voters in s.poll.stored.poll.votes.items()
                        for uid in voters
                    }
                    return mine == truth

                await wait_for(votes_match, timeout=20, what="the stored votes to equal Discord's")
                # And b's members who got no answer are served now.
                for s, n in [
                    (s, n) for (s, n) in acts if s in killed and (s.guild.id, s.members[n].id) not in told
                ][:5]:
                    reply = await s.members[n].click(s.post, READ_IT)
                    assert told_recorded(reply), reply.content
                # No opening timer is left behind: neither b's lapsed claim nor a retry of it outlives the opening.
                left = await rows(
                    db, "SELECT id, guild_id, key, attempts FROM timers WHERE event = ?", (OPEN,)
                )
                assert left == [], f"opening timers left after the discussions opened: {left}"
    finally:
        await db.close()
