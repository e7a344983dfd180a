"""Scheduled events as the Guild Scheduled Event resource documents them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import discord
import pytest

from fakediscord import FakeClock, FakeDiscord
from fakediscord.tests.sample_bot import SampleBot

EXTERNAL, VOICE, STAGE = 3, 2, 1
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4


def iso(when: datetime) -> str:
    """Return the ISO8601 form discord.py sends."""
    return when.isoformat()


def external(clock: FakeClock, **over: Any) -> dict[str, Any]:
    """Return a valid EXTERNAL event body starting in a day, with `over` applied."""
    start = clock.now() + timedelta(days=1)
    return {
        "name": "Meetup",
        "privacy_level": 2,
        "entity_type": EXTERNAL,
        "entity_metadata": {"location": "Library"},
        "scheduled_start_time": iso(start),
        "scheduled_end_time": iso(start + timedelta(hours=2)),
        "channel_id": None,
        **over,
    }


def someone_elses_event(club: FakeDiscord, clock: FakeClock, creator_id: int) -> str:
    """Put an EXTERNAL event a member created into the guild (as if made in Discord's client); return its id."""
    eid = club.world.new_id()
    body = external(clock, name="Olga's meetup")
    club.guild.scheduled_events[eid] = {
        **body,
        "id": str(eid),
        "guild_id": str(club.guild.id),
        "creator_id": str(creator_id),
        "description": None,
        "status": SCHEDULED,
        "entity_id": None,
        "user_count": 0,
        "image": None,
        "recurrence_rule": None,
        "guild_scheduled_event_exceptions": [],
    }
    return str(eid)


async def refused(call: Any) -> discord.HTTPException:
    """Await `call` and return the HTTP error it raised."""
    with pytest.raises(discord.HTTPException) as err:
        await call
    return err.value


async def test_external_event_field_requirements(club: FakeDiscord, bot: SampleBot, clock: FakeClock) -> None:
    gid = club.guild.id
    general = club.default_channel
    assert general is not None
    http = bot.http
    no_end = external(clock)
    del no_end["scheduled_end_time"]
    assert (await refused(http.create_guild_scheduled_event(gid, **no_end))).code == 50035
    # (A missing entity_metadata.location is refused by the OpenAPI schema itself; see the PATCH test.)
    in_channel = external(clock, channel_id=str(general.id))
    assert (await refused(http.create_guild_scheduled_event(gid, **in_channel))).code == 50035
    assert club.scheduled_events() == []
    made = await http.create_guild_scheduled_event(gid, **external(clock))
    assert made["status"] == SCHEDULED and made["entity_metadata"] == {"location": "Library"}


async def test_voice_and_stage_events_need_the_right_channel(
    club: FakeDiscord, bot: SampleBot, clock: FakeClock
) -> None:
    gid, http = club.guild.id, bot.http
    voice, stage = club.voice_channel("Lounge"), club.voice_channel("Stage", stage=True)
    text = club.default_channel
    assert text is not None
    base = external(clock, entity_type=VOICE, entity_metadata=None, scheduled_end_time=None)
    for wrong in (None, text.id, stage.id):
        body = {**base, "channel_id": str(wrong) if wrong else None}
        assert (await refused(http.create_guild_scheduled_event(gid, **body))).code == 50035
    made = await http.create_guild_scheduled_event(gid, **{**base, "channel_id": str(voice.id)})
    assert made["channel_id"] == str(voice.id)
    staged = {**base, "entity_type": STAGE, "channel_id": str(stage.id)}
    # A stage event also needs MANAGE_CHANNELS, MUTE_MEMBERS and MOVE_MEMBERS in the channel.
    assert (await refused(http.create_guild_scheduled_event(gid, **staged))).code == 50013
    await club.set_permissions(
        stage, "bot", allow=["manage_channels", "mute_members", "move_members", "connect"]
    )
    assert (await http.create_guild_scheduled_event(gid, **staged))["entity_type"] == STAGE


async def test_times_on_create_and_patch(club: FakeDiscord, bot: SampleBot, clock: FakeClock) -> None:
    gid, http = club.guild.id, bot.http
    past = external(clock, scheduled_start_time=iso(clock.now() - timedelta(minutes=1)))
    assert (await refused(http.create_guild_scheduled_event(gid, **past))).code == 50035
    backwards = external(clock)
    backwards["scheduled_end_time"] = iso(clock.now() + timedelta(hours=1))
    assert (await refused(http.create_guild_scheduled_event(gid, **backwards))).code == 50035
    made = await http.create_guild_scheduled_event(gid, **external(clock))
    eid = made["id"]
    late_end = iso(clock.now() + timedelta(hours=23))
    assert (await refused(http.edit_scheduled_event(gid, eid, scheduled_end_time=late_end))).code == 50035
    gone = iso(clock.now() - timedelta(hours=1))
    assert (await refused(http.edit_scheduled_event(gid, eid, scheduled_start_time=gone))).code == 50035
    voice = club.voice_channel("Lounge")
    # Changing to VOICE without a channel breaks the field requirements; with one it is fine.
    assert (
        await refused(http.edit_scheduled_event(gid, eid, entity_type=VOICE, channel_id=None))
    ).code == 50035
    moved = await http.edit_scheduled_event(gid, eid, entity_type=VOICE, channel_id=str(voice.id))
    assert moved["entity_type"] == VOICE and moved["entity_metadata"] is None
    # Back to EXTERNAL needs channel_id null, a location and an end time.
    assert (await refused(http.edit_scheduled_event(gid, eid, entity_type=EXTERNAL))).code == 50035
    end = iso(clock.now() + timedelta(days=2))
    no_place: dict[str, Any] = {"entity_type": EXTERNAL, "channel_id": None, "scheduled_end_time": end}
    assert (await refused(http.edit_scheduled_event(gid, eid, **no_place))).code == 50035
    back = await http.edit_scheduled_event(
        gid, eid, entity_type=EXTERNAL, channel_id=None, entity_metadata={"location": "Park"}
    )
    assert back["entity_metadata"] == {"location": "Park"}


async def test_status_transitions(club: FakeDiscord, bot: SampleBot, clock: FakeClock) -> None:
    gid, http = club.guild.id, bot.http
    eid = (await http.create_guild_scheduled_event(gid, **external(clock)))["id"]
    assert (await refused(http.edit_scheduled_event(gid, eid, status=COMPLETED))).code == 50035
    assert (await http.edit_scheduled_event(gid, eid, status=ACTIVE))["status"] == ACTIVE
    assert (await refused(http.edit_scheduled_event(gid, eid, status=CANCELED))).code == 50035
    assert (await http.edit_scheduled_event(gid, eid, status=COMPLETED))["status"] == COMPLETED
    assert (await refused(http.edit_scheduled_event(gid, eid, status=ACTIVE))).code == 50035
    other = (await http.create_guild_scheduled_event(gid, **external(clock)))["id"]
    assert (await http.edit_scheduled_event(gid, other, status=CANCELED))["status"] == CANCELED


async def test_external_events_start_and_complete_with_the_clock(
    club: FakeDiscord, bot: SampleBot, clock: FakeClock
) -> None:
    guild = bot.get_guild(club.guild.id)
    assert guild is not None
    start = clock.now() + timedelta(hours=1)
    event = await guild.create_scheduled_event(
        name="Reading night",
        start_time=start,
        end_time=start + timedelta(hours=2),
        entity_type=discord.EntityType.external,
        location="Cafe",
        privacy_level=discord.PrivacyLevel.guild_only,
    )

    def status() -> discord.EventStatus | None:
        cached = guild.get_scheduled_event(event.id)
        return cached.status if cached else None

    await clock.advance(timedelta(minutes=59))
    assert club.scheduled_events()[0]["status"] == SCHEDULED
    await clock.advance(timedelta(minutes=2))
    assert club.scheduled_events()[0]["status"] == ACTIVE
    await club.wait_until(lambda: status() is discord.EventStatus.active, what="GUILD_SCHEDULED_EVENT_UPDATE")
    await clock.advance(timedelta(hours=2))
    assert club.scheduled_events()[0]["status"] == COMPLETED
    await club.wait_until(lambda: status() is discord.EventStatus.completed, what="the completion")


async def test_member_who_cannot_view_the_channel_does_not_see_the_event(
    club: FakeDiscord, bot: SampleBot, clock: FakeClock
) -> None:
    insiders = club.role("Insiders")
    alice, bob = club.member("alice", roles=[insiders]), club.member("bob")
    voice = club.voice_channel("Back room")
    await club.set_permissions(voice, club.guild.everyone, deny=["view_channel"])
    await club.set_permissions(voice, insiders, allow=["view_channel"])
    await club.set_permissions(voice, "bot", allow=["view_channel", "connect"])
    body = external(clock, name="Secret meetup", entity_type=VOICE, channel_id=str(voice.id))
    body.update(entity_metadata=None, scheduled_end_time=None)
    await bot.http.create_guild_scheduled_event(club.guild.id, **body)
    await bot.http.create_guild_scheduled_event(club.guild.id, **external(clock, name="Open meetup"))
    assert [e["name"] for e in alice.sees().events] == ["Secret meetup", "Open meetup"]
    assert [e["name"] for e in bob.sees().events] == ["Open meetup"]
    with pytest.raises(AssertionError):
        await bob.mark_interested(club.scheduled_events()[0])
    await alice.mark_interested(club.scheduled_events()[0])


async def test_user_add_and_remove_need_the_scheduled_events_intent(
    club: FakeDiscord, bot: SampleBot, clock: FakeClock
) -> None:
    alice = club.member("alice")
    made = await bot.http.create_guild_scheduled_event(club.guild.id, **external(clock))
    session = club.gateway.session
    assert session is not None

    def sent() -> list[str]:
        return [f["t"] for f in session.buffer if str(f.get("t")).startswith("GUILD_SCHEDULED_EVENT_USER")]

    await alice.mark_interested(made)
    await alice.unmark_interested(made)
    assert sent() == ["GUILD_SCHEDULED_EVENT_USER_ADD", "GUILD_SCHEDULED_EVENT_USER_REMOVE"]
    session.intents &= ~(1 << 16)  # as if the bot had identified without GUILD_SCHEDULED_EVENTS
    await alice.mark_interested(made)
    assert sent() == ["GUILD_SCHEDULED_EVENT_USER_ADD", "GUILD_SCHEDULED_EVENT_USER_REMOVE"]


async def test_at_most_100_uncompleted_events(club: FakeDiscord, bot: SampleBot, clock: FakeClock) -> None:
    gid, http = club.guild.id, bot.http
    ids = [(await http.create_guild_scheduled_event(gid, **external(clock)))["id"] for _ in range(100)]
    assert (await refused(http.create_guild_scheduled_event(gid, **external(clock)))).code == 30038
    await http.edit_scheduled_event(gid, ids[0], status=CANCELED)
    await http.create_guild_scheduled_event(gid, **external(clock))


@pytest.mark.club(bot_permissions=["create_events"])
async def test_create_events_edits_own_events_only(
    club: FakeDiscord, bot: SampleBot, clock: FakeClock
) -> None:
    gid, http = club.guild.id, bot.http
    mine = (await http.create_guild_scheduled_event(gid, **external(clock)))["id"]
    assert (await http.edit_scheduled_event(gid, mine, name="Mine, renamed"))["name"] == "Mine, renamed"
    theirs = someone_elses_event(club, clock, club.member("olga").id)
    assert (await refused(http.edit_scheduled_event(gid, theirs, name="taken over"))).code == 50013
    assert (await refused(http.delete_scheduled_event(gid, theirs))).code == 50013
    await http.delete_scheduled_event(gid, mine)


@pytest.mark.club(bot_permissions=["manage_events"])
async def test_manage_events_edits_anyones_but_cannot_create(
    club: FakeDiscord, bot: SampleBot, clock: FakeClock
) -> None:
    gid, http = club.guild.id, bot.http
    assert (await refused(http.create_guild_scheduled_event(gid, **external(clock)))).code == 50013
    theirs = someone_elses_event(club, clock, club.member("olga").id)
    assert (await http.edit_scheduled_event(gid, theirs, name="Renamed"))["name"] == "Renamed"
    await http.delete_scheduled_event(gid, theirs)


async def test_bot_does_not_see_events_in_channels_it_cannot_view(
    club: FakeDiscord, bot: SampleBot, clock: FakeClock
) -> None:
    voice = club.voice_channel("Lounge")
    body = external(clock, name="Hidden", entity_type=VOICE, channel_id=str(voice.id))
    body.update(entity_metadata=None, scheduled_end_time=None)
    made = await bot.http.create_guild_scheduled_event(club.guild.id, **body)
    await bot.http.create_guild_scheduled_event(club.guild.id, **external(clock, name="Open"))
    await club.set_permissions(voice, "bot", deny=["view_channel"])
    listed = await bot.http.get_scheduled_events(club.guild.id, False)
    assert [e["name"] for e in listed] == ["Open"]
    with pytest.raises(discord.NotFound):
        await bot.http.get_scheduled_event(club.guild.id, made["id"], False)


async def test_event_users_are_paged_in_ascending_id_order(
    club: FakeDiscord, bot: SampleBot, clock: FakeClock
) -> None:
    # "Get Guild Scheduled Event Users" (developers/resources/guild-scheduled-event.mdx): limit up to 100,
    # ascending by user id, before/after take a user id and before wins when both are given.
    gid, http = club.guild.id, bot.http
    made = await http.create_guild_scheduled_event(gid, **external(clock))
    members = [club.member(f"reader{i:03}") for i in range(130)]
    for m in reversed(members):
        await m.mark_interested(made)
    ids = sorted(m.id for m in members)

    first = await http.get_scheduled_event_users(gid, made["id"], limit=100, with_member=False)
    assert [int(u["user"]["id"]) for u in first] == ids[:100]
    # discord.py's TypedDict follows the docs' object; Discord's OpenAPI spec adds the two required fields.
    raw: list[dict[str, Any]] = [dict(u) for u in first]
    assert all(u["user_id"] == u["user"]["id"] and u["response"] == 1 for u in raw)
    assert "member" not in first[0]
    rest = await http.get_scheduled_event_users(gid, made["id"], limit=100, with_member=False, after=ids[99])
    assert [int(u["user"]["id"]) for u in rest] == ids[100:]
    small = await http.get_scheduled_event_users(gid, made["id"], limit=5, with_member=False, after=ids[9])
    assert [int(u["user"]["id"]) for u in small] == ids[10:15]
    back = await http.get_scheduled_event_users(
        gid, made["id"], limit=3, with_member=False, before=ids[20], after=ids[0]
    )
    assert [int(u["user"]["id"]) for u in back] == ids[17:20]  # only `before` is respected
    with_member = await http.get_scheduled_event_users(gid, made["id"], limit=1, with_member=True)
    assert with_member[0]["member"]["user"]["id"] == str(ids[0])

    await members[0].unmark_interested(made)
    after_all = await http.get_scheduled_event_users(
        gid, made["id"], limit=100, with_member=False, after=ids[-1]
    )
    assert after_all == []
    again = await http.get_scheduled_event_users(gid, made["id"], limit=100, with_member=False)
    assert members[0].id not in {int(u["user"]["id"]) for u in again}
