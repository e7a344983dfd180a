"""Scheduled discussions end to end: event, reminders, gated thread, joining, closing, restarts."""

from __future__ import annotations

import asyncio
import gc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markdown_view import rendered

from bot.domain import State
from bot.spoilers import BookUpTo
from fakediscord import Upload
from fakediscord.world import ChannelType

# Written into the discussion questions: members may only ever see them behind spoiler markup.
SECRETS = ("lighthouse burns", "Mara betrays")
QUESTIONS = "Did the lighthouse burns scene earn its place?; Why Mara betrays the keeper?"
# The clock starts on Monday 2 November 2026 at 18:00 UTC; "next Friday 7pm" in Paris is this:
FRIDAY_7PM = datetime(2026, 11, 6, 18, 0, tzinfo=UTC)


@pytest.fixture
def discussions_channel(club):
    """The text channel where discussion threads open."""
    return club.text_channel("book-talk")


async def setup_club(admin, discussions_channel, announcements, mode="gated"):
    reply = await admin.slash(
        "club setup",
        timezone="Europe/Paris",
        discussions=discussions_channel,
        announcements=announcements,
        spoiler_mode=mode,
    )
    assert reply.content.startswith("Saved."), reply.content


def assert_no_leak(club, members):
    """No member sees a secret outside spoiler markup, except inside a thread they joined."""
    from fakediscord.visibility import hide_spoilers

    joined = {c.id for c in club.world.channels.values() if c.is_thread}
    for member in members:
        view = club.what_member_sees(member)
        mine = {cid for cid in joined if member.id in club.world.channels[cid].thread_members}
        outside = "\n".join(view.thread_names + [m.text for m in view.messages if m.channel_id not in mine])
        outside += "\n" + "\n".join(
            e.get("name", "") + " " + (e.get("description") or "") for e in view.events
        )
        seen = hide_spoilers(outside)
        for secret in SECRETS:
            assert secret not in seen, (member.name, secret)


async def test_book_vs_film_discussion_from_schedule_to_close(
    club, clock, harness, store, admin, alice, bob, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    carol, dave, erin = club.member("carol"), club.member("dave"), club.member("erin")
    everyone = [admin, alice, bob, carol, dave, erin]
    book, film = f"#{catalog['lantern']}", f"#{catalog['lantern_film']}"
    # alice: read and watched; bob: read only; carol: part-way; dave: nothing; erin: done but opted out.
    await alice.slash("status set", title=book, state="read")
    await alice.slash("status set", title=film, state="watched")
    await bob.slash("status set", title=book, state="read")
    await carol.slash("status set", title=book, state="reading", progress="4")
    await erin.slash("status set", title=book, state="read")
    await erin.slash("status set", title=film, state="watched")
    off = await erin.slash("discussion reminders", setting="off")
    assert off.ephemeral and "won't mention you" in off.content

    reply = await admin.slash(
        "discussion schedule",
        when="next Friday 7pm",
        scope="book_vs_film",
        title=book,
        adaptation=film,
        questions=QUESTIONS,
    )
    unix = int(FRIDAY_7PM.timestamp())
    assert reply.ephemeral
    assert f"<t:{unix}:F> (<t:{unix}:R>)" in reply.content, reply.content
    assert "The Lantern Keeper (book) + The Lantern Keeper (2023 film)" in reply.content
    (d,) = await store.discussions.active(club.guild.id)
    assert d.opens_at == FRIDAY_7PM and d.closes_at == FRIDAY_7PM + timedelta(minutes=90)

    (event,) = club.scheduled_events()
    assert event["entity_type"] == 3 and event["status"] == 1
    assert event["name"] == "Discussion: The Lantern Keeper (book) + The Lantern Keeper (2023 film)"
    assert "#book-talk" in event["entity_metadata"]["location"]
    assert datetime.fromisoformat(event["scheduled_start_time"]) == FRIDAY_7PM
    assert datetime.fromisoformat(event["scheduled_end_time"]) == FRIDAY_7PM + timedelta(minutes=90)
    assert not any(s in (event["description"] or "") for s in SECRETS)
    assert_no_leak(club, everyone)

    # 24 h before: one reminder mentioning exactly the members with a status, minus erin.
    await clock.advance(FRIDAY_7PM - timedelta(hours=24) - clock.now())
    reminded = {alice.id, bob.id, carol.id}
    first = club.bot_messages(announcements)[-1]
    assert first.content.startswith("Reminder:") and f"<t:{unix}:F>" in first.content
    assert set(first.pinged_ids) == reminded
    assert_no_leak(club, everyone)
    await clock.advance(timedelta(hours=23))
    second = club.bot_messages(announcements)[-1]
    assert second.id != first.id and set(second.pinged_ids) == reminded
    assert not club.threads_in(discussions_channel)

    # On time: a private thread named by its scope, with the questions behind spoiler markup.
    await clock.advance(timedelta(hours=1))
    (thread,) = club.threads_in(discussions_channel)
    assert thread.type == 12 and thread.invitable is False
    assert thread.name == f"The Lantern Keeper (book) + The Lantern Keeper (2023 film) · #{d.id}"
    opening = club.messages_in(thread)[0]
    for secret in SECRETS:
        assert (
            f"{secret}" in opening.content
            and secret not in opening.content.replace("||", "\0").split("\0")[0]
        )
    assert [b.label for b in opening.buttons] == ["📖 I read it", "I'm reading…", "🎬 I watched it"]
    assert club.scheduled_events()[0]["status"] == 2
    assert (await store.discussions.get(club.guild.id, d.id)).state == "open"
    post = club.bot_messages(announcements)[-1]
    assert "Join the discussion" in [b.label for b in post.buttons] and not post.pinged
    for member in (carol, dave, bob):
        assert thread.name not in club.what_member_sees(member).thread_names
    assert_no_leak(club, everyone)

    # bob read the book but has not seen the film: told exactly what to mark, then let in.
    refused = await bob.click(post, "Join the discussion")
    assert refused.ephemeral
    assert "You need to have watched *The Lantern Keeper* (2023) first." in refused.content
    assert bob.id not in thread.thread_members
    marked = await bob.click(refused, "🎬 I watched it")
    assert marked.content == "Recorded: *The Lantern Keeper (2023)*: watched it."
    await club.wait_until(
        lambda: club.last_reply_to(bob) is not None and "now covers" in club.last_reply_to(bob).content,
        what="bob's offer",
    )
    offer = club.last_reply_to(bob)
    joined = await bob.click(offer, "Join the discussion")
    assert joined.ephemeral and f"<#{thread.id}>" in joined.content
    assert bob.id in thread.thread_members
    assert thread.name in club.what_member_sees(bob).thread_names
    alice_in = await alice.click(post, "Join the discussion")
    assert f"<#{thread.id}>" in alice_in.content
    # What members write inside the gated thread stays with those who joined it.
    await alice.say(thread, "I cried when the lighthouse burns, honestly")
    assert "I cried when the lighthouse burns" in club.text_member_sees(bob)
    for member in (carol, dave, erin):
        assert "lighthouse burns" not in club.text_member_sees(member, reveal_spoilers=True)
    carol_out = await carol.click(post, "Join the discussion")
    assert "You need to have finished *The Lantern Keeper* and watched" in carol_out.content
    assert carol.id not in thread.thread_members and dave.id not in thread.thread_members
    assert_no_leak(club, everyone)

    # At the end: a closing note, archived and locked, the event completed.
    await clock.advance(timedelta(minutes=90))
    assert thread.archived and thread.locked
    assert "has ended" in club.messages_in(thread)[-1].content
    assert club.scheduled_events()[0]["status"] == 3
    assert (await store.discussions.get(club.guild.id, d.id)).state == "closed"
    assert_no_leak(club, everyone)

    assert len(club.pings_of(alice)) == 2 and len(club.pings_of(bob)) == 2 and len(club.pings_of(carol)) == 2
    for member in (admin, dave, erin):
        assert club.pings_of(member) == []


async def test_bad_input_is_explained_and_nothing_is_scheduled(
    club, harness, store, admin, alice, catalog, announcements, discussions_channel
):
    not_set = await admin.slash("discussion schedule", when="next Friday 7pm", scope="book", title="#1")
    assert "no discussion channel" in not_set.content
    await setup_club(admin, discussions_channel, announcements)
    cases = [
        ({"when": "next Friday 7pm", "scope": "book"}, "no current book"),
        ({"when": "yesterday 8pm", "scope": "book", "title": "lantern keeper (2021)"}, "already passed"),
        ({"when": "someday", "scope": "book", "title": f"#{catalog['lantern']}"}, "could not read"),
        (
            {"when": "2027-03-28 02:30", "scope": "book", "title": f"#{catalog['lantern']}"},
            "does not exist in Europe/Paris",
        ),
        (
            {"when": "next Friday 7pm", "scope": "chapter", "up_to": 31, "title": f"#{catalog['lantern']}"},
            "has 30 chapters",
        ),
        (
            {"when": "next Friday 7pm", "scope": "book_vs_film", "title": f"#{catalog['pride']}"},
            "no single adaptation",
        ),
        ({"when": "next Friday 7pm", "scope": "book", "title": "Zzyzx Road Atlas"}, "No book called"),
    ]
    for options, expected in cases:
        reply = await admin.slash("discussion schedule", **options)
        assert reply.ephemeral and expected in reply.content, (options, reply.content)
    refused = await alice.slash(
        "discussion schedule", when="next Friday 7pm", scope="book", title=f"#{catalog['lantern']}"
    )
    assert "Only organizers" in refused.content
    assert await store.discussions.active(club.guild.id) == []
    assert club.scheduled_events() == []
    listed = await alice.slash("discussion list")
    assert "No discussions are scheduled" in listed.content


async def test_four_session_plan_each_gated_at_its_own_chapter(
    club, clock, harness, store, admin, alice, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    await admin.slash("book current", book=f"#{catalog['lantern']}")
    preview = await admin.slash("discussion plan", sessions=4, first="next Friday 7pm")
    assert preview.ephemeral
    for chapter in (8, 15, 23, 30):
        assert f"The Lantern Keeper, up to ch. {chapter}" in preview.content
    assert await store.discussions.active(club.guild.id) == []  # nothing until confirmed
    await harness.restart()  # the confirm button is persistent
    done = await admin.click(preview, "Schedule all 4")
    assert "Scheduled 4 discussions" in done.content
    planned = await store_of(harness).discussions.active(club.guild.id)
    assert [d.scope for d in planned] == [BookUpTo(catalog["lantern"], chapter=c) for c in (8, 15, 23, 30)]
    assert [d.opens_at for d in planned] == [FRIDAY_7PM + timedelta(weeks=i) for i in range(4)]
    assert len(club.scheduled_events()) == 4
    again = await admin.click(preview, "Schedule all 4") if preview.buttons else None
    assert again is None or "already scheduled" in again.content

    # alice is at chapter 16: each session, at its own time, lets her in only up to its own chapter.
    await alice.slash("status set", title=f"#{catalog['lantern']}", state="reading", progress="16")
    for d, chapter in zip(planned, (8, 15, 23, 30), strict=True):
        await clock.advance(d.opens_at + timedelta(minutes=1) - clock.now())
        thread = club.thread(f"The Lantern Keeper, up to ch. {chapter} · #{d.id}")
        assert thread.type == 12 and not thread.archived
        post = club.bot_messages(announcements)[-1]
        answer = await alice.click(post, "Join the discussion")
        if chapter <= 16:
            assert f"<#{thread.id}>" in answer.content and alice.id in thread.thread_members
        else:
            assert (
                f"up to chapter {chapter} first" in answer.content and alice.id not in thread.thread_members
            )
    threads = club.threads_in(discussions_channel)
    assert [t.archived for t in threads] == [True, True, True, False]
    status = await store_of(harness).statuses.for_member(club.guild.id, alice.id)
    assert status[catalog["lantern"]].state is State.READING


def store_of(harness):
    assert harness.store is not None
    return harness.store


async def test_restart_between_thread_created_and_recorded_open_yields_one_thread(
    club, clock, harness, admin, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    await admin.slash(
        "discussion schedule", when="next Friday 7pm", scope="book", title=f"#{catalog['lantern']}"
    )
    (d,) = await store_of(harness).discussions.active(club.guild.id)
    # The opening fails right after Discord made the thread, before its id was recorded; then the bot stops.
    # The database is left exactly as a power cut at that moment would leave it.

    async def power_cut(discussion_id, thread_id):
        raise RuntimeError("power cut")

    store_of(harness).discussions.record_thread = power_cut  # type: ignore[method-assign]
    await clock.advance(FRIDAY_7PM - clock.now())
    assert len(club.threads_in(discussions_channel)) == 1
    interrupted = await store_of(harness).discussions.get(club.guild.id, d.id)
    assert (interrupted.state, interrupted.thread_id) == ("opening", None)
    await harness.restart()
    await clock.advance(timedelta(minutes=5))  # the scheduler's retry of the opening
    opened = await store_of(harness).discussions.get(club.guild.id, d.id)
    assert opened.state == "open"
    (thread,) = club.threads_in(discussions_channel)
    assert opened.thread_id == thread.id
    assert len([m for m in club.messages_in(thread) if m.from_bot]) == 1


async def test_a_week_of_downtime_gives_one_late_opening_and_no_stale_reminders(
    club, clock, harness, admin, alice, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements, mode="tagged")
    await alice.slash("status set", title=f"#{catalog['lantern']}", state="read")
    await admin.slash(
        "discussion schedule",
        when="next Friday 7pm",
        scope="book",
        title=f"#{catalog['lantern']}",
        duration=7 * 24 * 60,
    )
    await harness.stop()
    await clock.advance(timedelta(days=7))
    before = len(club.bot_messages(announcements))
    await harness.restart()
    await club.wait_until(lambda: len(club.threads_in(discussions_channel)) == 1, what="the late opening")
    await clock.advance(timedelta(minutes=1))
    (thread,) = club.threads_in(discussions_channel)
    assert thread.type == 11  # tagged: public
    new = club.bot_messages(announcements)[before:]
    assert [m.content.startswith("Reminder:") for m in new] == [False]  # only the opening announcement
    assert club.pings_of(alice) == []


async def test_manage_one_discussion_list_reschedule_open_now_and_cancel(
    club, clock, harness, store, admin, alice, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements, mode="tagged")
    lantern = f"#{catalog['lantern']}"
    await admin.slash("discussion schedule", when="next Friday 7pm", scope="chapter", up_to=10, title=lantern)
    await admin.slash(
        "discussion schedule", when="2026-11-20 19:00", scope="screen", title=f"#{catalog['lantern_film']}"
    )
    first, second = await store.discussions.active(club.guild.id)
    choices = await admin.autocomplete("discussion cancel", "discussion", "film")
    assert [c["value"] for c in choices] == [second.id]
    assert choices[0]["name"].startswith(
        f"{second.id}: The Lantern Keeper (2023 film) (scheduled, 2026-11-20"
    )
    listed = await alice.slash("discussion list")
    assert "The Lantern Keeper, up to ch. 10" in listed.embed["description"]
    assert "The Lantern Keeper (2023 film)" in listed.embed["description"]

    moved = await admin.slash("discussion reschedule", discussion=first.id, when="next Saturday 18:00")
    saturday = datetime(2026, 11, 7, 17, 0, tzinfo=UTC)
    assert f"<t:{int(saturday.timestamp())}:F>" in moved.content
    event = next(e for e in club.scheduled_events() if int(e["id"]) == first.event_id)
    assert datetime.fromisoformat(event["scheduled_start_time"]) == saturday

    # Cancelled before it starts: the event is cancelled and no thread ever opens.
    cancelled = await admin.slash("discussion cancel", discussion=first.id)
    assert "cancelled" in cancelled.content
    assert next(e for e in club.scheduled_events() if int(e["id"]) == first.event_id)["status"] == 4
    await clock.advance(saturday + timedelta(hours=1) - clock.now())
    assert club.threads_in(discussions_channel) == []

    # Opened early, then cancelled while running: the thread closes and the event completes.
    opened = await admin.slash("discussion open-now", discussion=second.id)
    (thread,) = club.threads_in(discussions_channel)
    assert f"<#{thread.id}>" in opened.content and thread.type == 11
    assert next(e for e in club.scheduled_events() if int(e["id"]) == second.event_id)["status"] == 2
    stopped = await admin.slash("discussion cancel", discussion=second.id)
    assert "closed" in stopped.content and thread.archived and thread.locked
    assert "was cancelled" in club.messages_in(thread)[-1].content
    assert next(e for e in club.scheduled_events() if int(e["id"]) == second.event_id)["status"] == 3
    late = await admin.slash("discussion close", discussion=second.id)
    assert "not open" in late.content
    await clock.advance(timedelta(days=14))
    assert len(club.threads_in(discussions_channel)) == 1  # no timer reopened anything


async def test_forum_discussion_channel_gets_a_post(
    club, clock, harness, store, admin, catalog, announcements
):
    forum = club.forum_channel("book-forum")
    await setup_club(admin, forum, announcements, mode="tagged")
    gated = await admin.slash("club setup", spoiler_mode="gated")
    assert "forum channels do not have" in gated.content
    await admin.slash(
        "discussion schedule",
        when="tomorrow 8pm",
        scope="book",
        title=f"#{catalog['frank']}",
        questions="Who is the monster?",
    )
    await clock.advance(timedelta(days=2))
    (post,) = club.threads_in(forum)
    first = club.messages_in(post)[0]
    assert first.content.startswith("Welcome to the discussion of **Frankenstein (whole book)**")
    assert "||Who is the monster?||" in first.content
    assert post.archived and post.locked


POST_THREAD = "/channels/{channel_id}/threads"


def tag_id(forum, name):
    """Return the id of the forum's tag called `name` (as the emulator stores it)."""
    return int(next(t["id"] for t in forum.available_tags if t["name"] == name))


async def test_a_forum_that_requires_tags_gets_posts_with_the_club_tag(
    club, clock, harness, store, admin, catalog, announcements
):
    forum = club.forum_channel("book-forum", tags=["Book club"], require_tag=True)
    await setup_club(admin, forum, announcements, mode="tagged")
    await admin.slash("discussion schedule", when="tomorrow 8pm", scope="book", title=f"#{catalog['frank']}")
    (d,) = await store.discussions.active(club.guild.id)
    await clock.advance(timedelta(days=1, hours=1, minutes=1))
    refused = [str(r) for r in club.requests_to("POST", POST_THREAD) if r.status >= 400]
    assert refused == []  # before issue 16's fix: 400 (40067 "A tag is required"), retried, no post
    (post,) = club.threads_in(forum)
    assert post.applied_tags == [tag_id(forum, "Book club")]
    assert club.messages_in(post)[0].content.startswith("Welcome to the discussion of **Frankenstein")
    opened = await store.discussions.get(club.guild.id, d.id)
    assert (opened.state, opened.thread_id) == ("open", post.id)
    await clock.advance(timedelta(hours=2))
    assert post.archived and post.locked


async def test_a_deleted_forum_tag_is_told_to_organizers_once_and_fixed_with_setup(
    club, clock, harness, store, admin, catalog, announcements, error_log
):
    from fakediscord import payloads

    forum = club.forum_channel("book-forum", tags=["Fiction", "Film"], require_tag=True)
    saved = await admin.slash(
        "club setup", discussions=forum, announcements=announcements, spoiler_mode="tagged", tag="Fiction"
    )
    assert "will carry the tag **Fiction**" in saved.content
    await admin.slash("discussion schedule", when="tomorrow 8pm", scope="book", title=f"#{catalog['frank']}")
    # A moderator deletes the tag in the forum's settings.
    forum.available_tags = [t for t in forum.available_tags if t["name"] != "Fiction"]
    await club.dispatch("CHANNEL_UPDATE", payloads.channel(club.world, forum))
    await clock.advance(timedelta(days=1, hours=3))
    notices = [m for m in club.bot_messages(announcements) if "I could not open discussion" in m.content]
    assert len(notices) == 1, [m.content for m in notices]
    assert "requires a tag on every post" in notices[0].content
    assert "no longer one of its tags" in notices[0].content and "`/club setup tag:`" in notices[0].content
    assert "**Film**" in notices[0].content
    assert club.threads_in(forum) == [] and club.requests_to("POST", POST_THREAD) == []
    (d,) = await store.discussions.active(club.guild.id)
    assert d.state == "scheduled"
    settings = await admin.slash("club settings")
    assert {f["name"]: f["value"] for f in settings.embed["fields"]}["Forum tag"].startswith("deleted")
    assert not error_log.records  # a setting to fix, not a failure to retry

    fixed = await admin.slash("club setup", tag="film")
    assert "will carry the tag **Film**" in fixed.content
    opened = await admin.slash("discussion open-now", discussion=d.id)
    (post,) = club.threads_in(forum)
    assert f"<#{post.id}>" in opened.content
    assert post.applied_tags == [tag_id(forum, "Film")]


async def test_discord_refusing_a_post_for_its_tag_is_permanent_and_told_to_organizers(
    club, clock, harness, store, admin, catalog, announcements, error_log
):
    forum = club.forum_channel("book-forum", tags=["Fiction"], require_tag=True)
    await setup_club(admin, forum, announcements, mode="tagged")
    await admin.slash("discussion schedule", when="tomorrow 8pm", scope="book", title=f"#{catalog['frank']}")
    # The bot's view of the forum is stale (say the tag went while it was disconnected): Discord refuses.
    refusal = {"code": 40067, "message": "A tag is required to create a forum post in this channel"}
    club.fail("POST", POST_THREAD, status=400, times=None, body=refusal)
    (d,) = await store.discussions.active(club.guild.id)
    await clock.advance(timedelta(days=1, hours=1, minutes=1))
    notices = [m for m in club.bot_messages(announcements) if "I could not open discussion" in m.content]
    assert len(notices) == 1
    assert f"I could not open discussion `{d.id}`: Discord refused the post" in notices[0].content
    assert "requires a tag on every post" in notices[0].content
    assert "`/club setup tag:`" in notices[0].content and "/discussion open-now" in notices[0].content
    # Nothing was left half-open: no thread, back to scheduled, so open-now can try again.
    assert club.threads_in(forum) == []
    assert (await store.discussions.get(club.guild.id, d.id)).state == "scheduled"
    await clock.advance(timedelta(hours=6))  # well past every retry the scheduler would make
    assert len(club.requests_to("POST", POST_THREAD)) == 1
    assert len([m for m in club.bot_messages(announcements) if "I could not open" in m.content]) == 1
    assert not error_log.records
    closed = await store.discussions.get(club.guild.id, d.id)
    assert (closed.state, closed.thread_id) == ("closed", None)  # its end time came without a thread


async def test_reminder_times_per_club_and_a_channel_lost_before_opening(
    club, clock, harness, store, admin, alice, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements, mode="tagged")
    bad = await admin.slash("discussion reminder-times", times="soonish")
    assert "like `24h, 1h`" in bad.content
    saved = await admin.slash("discussion reminder-times", times="2d, 30m")
    assert "2 d and 30 min before" in saved.content
    refused = await alice.slash("discussion reminder-times", times="none")
    assert "Only organizers" in refused.content
    await alice.slash("status set", title=f"#{catalog['lantern']}", state="want_to_read")
    await admin.slash(
        "discussion schedule", when="next Friday 7pm", scope="book", title=f"#{catalog['lantern']}"
    )
    await clock.advance(FRIDAY_7PM - timedelta(days=2) - clock.now())
    assert len(club.pings_of(alice)) == 1
    await clock.advance(timedelta(days=2, minutes=-31))
    assert len(club.pings_of(alice)) == 1
    await clock.advance(timedelta(minutes=1))
    assert len(club.pings_of(alice)) == 2

    # The bot lost its thread permissions meanwhile: organizers are told, nothing half-opens.
    await club.set_permissions(discussions_channel, "bot", deny=["create_public_threads"])
    await clock.advance(timedelta(minutes=31))
    notice = club.bot_messages(announcements)[-1]
    assert "I could not open discussion" in notice.content and "Create Public Threads" in notice.content
    assert club.threads_in(discussions_channel) == []
    (d,) = await store.discussions.active(club.guild.id)
    assert d.state == "scheduled"


async def test_reminders_leave_out_members_who_left_or_cannot_see_the_channels(
    club, clock, store, admin, alice, bob, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements, mode="tagged")
    carol, dave, erin = club.member("carol"), club.member("dave"), club.member("erin")
    for member in (alice, bob, carol, dave, erin):
        await member.slash("status set", title=f"#{catalog['lantern']}", state="read")
    await admin.slash(
        "discussion schedule", when="next Friday 7pm", scope="book", title=f"#{catalog['lantern']}"
    )
    # dave leaves the server; carol cannot see the announcements, erin cannot see the discussion channel.
    await club.remove_member(dave)
    await club.set_permissions(announcements, carol, deny=["view_channel"])
    await club.set_permissions(discussions_channel, erin, deny=["view_channel"])

    await clock.advance(FRIDAY_7PM - timedelta(hours=24) - clock.now())
    first = club.bot_messages(announcements)[-1]
    assert first.content.startswith("Reminder:"), first.content
    assert set(first.pinged_ids) == {alice.id, bob.id}
    assert not any(f"<@{m.id}>" in first.content for m in (carol, dave, erin)), first.content
    assert club.pings_of(carol) == [] and club.pings_of(erin) == []
    # Who may see is checked at each reminder: carol, let back in, is in the next one.
    await club.set_permissions(announcements, carol, allow=["view_channel"])
    await clock.advance(timedelta(hours=23))
    second = club.bot_messages(announcements)[-1]
    assert second.id != first.id and set(second.pinged_ids) == {alice.id, bob.id, carol.id}


async def test_removing_a_book_ends_its_discussions_events_and_timers(
    club, clock, harness, store, admin, alice, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements, mode="tagged")
    lantern = f"#{catalog['lantern']}"
    await admin.slash("discussion schedule", when="next Friday 7pm", scope="chapter", up_to=10, title=lantern)
    await admin.slash("discussion schedule", when="2026-11-20 19:00", scope="book", title=lantern)
    await admin.slash(
        "discussion schedule", when="2026-11-13 19:00", scope="book", title=f"#{catalog['pride']}"
    )
    scheduled, running, kept = sorted(await store.discussions.active(club.guild.id), key=lambda d: d.id)
    await admin.slash("discussion open-now", discussion=running.id)
    (thread,) = club.threads_in(discussions_channel)

    ask = await admin.slash("book remove", title=lantern)
    assert "calls off its 2 upcoming or open discussions" in ask.content, ask.content
    done = await admin.click(ask.message, "Remove it")
    assert done.content == "Removed *The Lantern Keeper (2021)* from the catalog.", done.content

    # The rows went with the book; on Discord, the unopened event is cancelled, the running one
    # completed, and the open thread says so and is archived and locked.
    assert [d.id for d in await store.discussions.active(club.guild.id)] == [kept.id]
    assert await store.discussions.get(club.guild.id, scheduled.id) is None
    events = {int(e["id"]): e["status"] for e in club.scheduled_events()}
    assert events == {scheduled.event_id: 4, running.event_id: 3, kept.event_id: 1}
    assert thread.archived and thread.locked
    assert "was cancelled" in club.messages_in(thread)[-1].content
    # Only the remaining discussion keeps timers.
    timers = await store.timers.for_guild(club.guild.id)
    assert timers and {t.payload["discussion_id"] for t in timers} == {kept.id}

    # Nothing of the removed book fires later: no reminder, no thread; the other one opens on time.
    before = len(club.bot_messages(announcements))
    await clock.advance(datetime(2026, 11, 13, 19, 0, tzinfo=UTC) - clock.now())
    reminders = [m.content for m in club.bot_messages(announcements)[before:] if "Reminder" in m.content]
    assert reminders and all("Lantern" not in r for r in reminders), reminders
    assert len(club.threads_in(discussions_channel)) == 2
    assert (await store.discussions.get(club.guild.id, kept.id)).state == "open"
    # Opening and closing took per-discussion locks; none outlives its use.
    gc.collect()
    assert len(harness.bot.discussions.runner._locks) == 0


async def test_removing_a_film_calls_off_the_book_vs_film_discussion_that_names_it(
    club, harness, store, admin, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements, mode="tagged")
    await admin.slash(
        "discussion schedule",
        when="next Friday 7pm",
        scope="book_vs_film",
        title=f"#{catalog['lantern']}",
        adaptation=f"#{catalog['lantern_film']}",
    )
    await admin.slash(
        "discussion schedule", when="2026-11-20 19:00", scope="book", title=f"#{catalog['lantern']}"
    )
    versus, book_only = sorted(await store.discussions.active(club.guild.id), key=lambda d: d.id)

    ask = await admin.slash("book remove", title=f"#{catalog['lantern_film']}")
    assert "calls off its 1 upcoming or open discussions" in ask.content, ask.content
    await admin.click(ask.message, "Remove it")

    # The comparison cannot happen without the film: its row, timers and event go; the book's stays.
    assert [d.id for d in await store.discussions.active(club.guild.id)] == [book_only.id]
    assert await store.discussions.get(club.guild.id, versus.id) is None
    events = {int(e["id"]): e["status"] for e in club.scheduled_events()}
    assert events == {versus.event_id: 4, book_only.event_id: 1}
    timers = await store.timers.for_guild(club.guild.id)
    assert timers and {t.payload["discussion_id"] for t in timers} == {book_only.id}


def goodreads_export() -> Upload:
    """alice's Goodreads export (it marks The Lantern Keeper read)."""
    path = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "goodreads.csv"
    return Upload(path.name, path.read_bytes(), "text/csv")


async def test_status_import_reaching_a_gated_scope_brings_the_join_offer_by_dm(
    club, clock, store, admin, alice, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    scheduled = await admin.slash(
        "discussion schedule", when="next Friday 7pm", scope="book", title=f"#{catalog['lantern']}"
    )
    assert scheduled.ephemeral, scheduled.content
    (d,) = await store.discussions.active(club.guild.id)
    await clock.advance(d.opens_at + timedelta(minutes=1) - clock.now())
    (thread,) = club.threads_in(discussions_channel)
    assert alice.id not in thread.thread_members

    def offers() -> list:
        return [
            m
            for m in club.bot_messages()
            if club.world.channels[m.channel_id].type == ChannelType.DM
            and alice.id in club.world.channels[m.channel_id].recipient_ids
            and "now covers" in m.content
        ]

    assert offers() == []
    # alice's Goodreads export marks The Lantern Keeper read; confirming the preview records it.
    preview = await alice.slash("status import", file=goodreads_export())
    done = await alice.click(preview.message, "Import these")
    assert rendered(done.content).startswith("Imported 3 statuses")
    await club.wait_until(lambda: offers() != [], what="alice's offer after the import")
    (offer,) = offers()
    assert "The Lantern Keeper" in offer.content
    joined = await alice.click(offer, "Join the discussion")
    assert joined.ephemeral and f"<#{thread.id}>" in joined.content
    assert alice.id in thread.thread_members
    assert len(offers()) == 1  # one offer for one import


async def test_a_status_before_the_gated_discussion_opened_does_not_hide_the_offer_after(
    club, clock, harness, store, admin, alice, catalog, announcements, discussions_channel
):
    await setup_club(admin, discussions_channel, announcements)
    scheduled = await admin.slash(
        "discussion schedule", when="next Friday 7pm", scope="book", title=f"#{catalog['lantern']}"
    )
    assert scheduled.ephemeral, scheduled.content
    # Before it opens, alice's status write finds no open gated discussion (and the bot remembers that).
    await alice.slash("status set", title=f"#{catalog['lantern']}", state="reading", progress="ch 3")
    await harness.bot.discussions.runner.drain()
    assert store.discussions.known_gated_work_ids(club.guild.id) == frozenset()
    (d,) = await store.discussions.active(club.guild.id)
    await clock.advance(d.opens_at + timedelta(minutes=1) - clock.now())
    (thread,) = club.threads_in(discussions_channel)
    # It opened: her next status change must see it, not the remembered "none".
    await alice.slash("status set", title=f"#{catalog['lantern']}", state="read")
    await club.wait_until(
        lambda: any("now covers" in m.content for m in club.bot_messages() if m.channel_id != thread.id),
        what="alice's offer after the discussion opened",
    )


async def test_open_now_racing_cancel_answers_what_really_happened(
    club, store, admin, catalog, announcements, discussions_channel
):
    """Each answer names a real thread, or says the discussion was called off; never `<#None>`."""
    await setup_club(admin, discussions_channel, announcements, mode="tagged")
    for day in range(10, 16):
        await admin.slash(
            "discussion schedule", when=f"2026-11-{day} 19:00", scope="book", title=f"#{catalog['lantern']}"
        )
    for d in await store.discussions.active(club.guild.id):
        opened, cancelled = await asyncio.gather(
            admin.slash("discussion open-now", discussion=d.id),
            admin.slash("discussion cancel", discussion=d.id),
        )
        assert opened.ephemeral and cancelled.ephemeral
        assert "<#None>" not in opened.content, opened.content
        final = await store.discussions.get(club.guild.id, d.id)
        assert final is not None and final.state in ("cancelled", "closed"), final
        threads = {t.id: t for t in club.threads_in(discussions_channel)}
        if "is open in" in opened.content:
            # open-now won: its thread exists, and the cancel that followed closed it early.
            assert final.thread_id in threads and f"<#{final.thread_id}>" in opened.content
            assert final.state == "closed" and threads[final.thread_id].locked
        else:
            # cancel won: open-now says so, and no thread was made for this discussion.
            assert f"is {final.state} now" in opened.content or "only a scheduled one" in opened.content
            assert final.state == "cancelled" and final.thread_id is None
        assert f"is now {final.state}" in cancelled.content or "already" in cancelled.content, (
            cancelled.content
        )


async def test_members_discord_cannot_dm_get_no_offer_retries_and_join_from_the_announcement(
    club, clock, harness, store, admin, alice, bob, catalog, announcements, discussions_channel, error_log
):
    """Discord refuses a DM with 403 50007 (DMs closed) or 50278 (no server shared): final, never retried."""
    await setup_club(admin, discussions_channel, announcements)
    book = f"#{catalog['lantern']}"
    scheduled = await admin.slash(
        "discussion schedule", when="next Friday 7pm", scope="book", title=book, duration=1440
    )
    assert scheduled.ephemeral, scheduled.content
    (d,) = await store.discussions.active(club.guild.id)
    await clock.advance(d.opens_at + timedelta(minutes=1) - clock.now())
    (thread,) = club.threads_in(discussions_channel)
    post = club.bot_messages(announcements)[-1]
    assert "Join the discussion" in [b.label for b in post.buttons]
    carol, dave = club.member("carol"), club.member("dave")
    club.close_dms(carol)  # her DMs from server members are off: 50007
    club.share_no_server(dave)  # to Discord he shares no server with the bot: 50278
    members = (alice, bob, carol, dave)

    def dm_attempts(member) -> list:
        """Every message the bot tried to post in its DM with `member`, delivered or refused."""
        dms = {
            c.id
            for c in club.world.channels.values()
            if c.type == ChannelType.DM and member.id in c.recipient_ids
        }
        return [
            r
            for r in club.requests_to("POST", "/channels/{channel_id}/messages")
            if int(r.path.split("/")[2]) in dms
        ]

    async def mark_read(*who) -> None:
        for member in who:
            done = await member.slash("status set", title=book, state="read")
            assert done.ephemeral and "Recorded" in done.content, done.content
        await harness.bot.discussions.runner.drain()  # the offers go out in the background

    await mark_read(*members)
    await club.wait_until(lambda: all(dm_attempts(m) for m in members), what="one DM attempt per member")
    assert [[r.status for r in dm_attempts(m)] for m in members] == [[200], [200], [403], [403]]
    for member in (alice, bob):
        (offer,) = [
            m
            for m in club.bot_messages()
            if club.world.channels[m.channel_id].type == ChannelType.DM
            and member.id in club.world.channels[m.channel_id].recipient_ids
        ]
        assert "now covers" in offer.content and "Join the discussion" in [b.label for b in offer.buttons]
    for member in (carol, dave):
        assert "now covers" not in club.text_member_sees(member)

    # Time passing, more status changes and a restart bring no second attempt (nor a second offer).
    await clock.advance(timedelta(hours=6))
    await mark_read(alice, carol, dave)
    await harness.restart()
    await mark_read(carol, dave)
    await clock.advance(timedelta(hours=6))
    assert [len(dm_attempts(m)) for m in members] == [1, 1, 1, 1]

    # Organizers see two offers delivered and two members who could not be reached, pointed at Join.
    listed = await admin.slash("discussion list")
    assert (
        "Join offers by DM: 2 delivered; 2 members could not be reached by DM and can press "
        "**Join the discussion** on the announcement instead." in listed.embed["description"]
    ), listed.embed["description"]

    # The announcement's button still lets carol in.
    joined = await carol.click(post, "Join the discussion")
    assert joined.ephemeral and f"<#{thread.id}>" in joined.content, joined.content
    assert carol.id in thread.thread_members
    assert error_log.records == []
