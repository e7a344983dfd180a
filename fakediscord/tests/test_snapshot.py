"""A world saved to JSON and restored into a new emulator: same ids, same messages and votes, new ids after."""

from __future__ import annotations

import json

from fakediscord import FakeClock, FakeDiscord
from fakediscord.snapshot import restore, saved_instant, snapshot
from fakediscord.tests.rest import call


async def test_a_restored_world_is_the_saved_one_and_new_ids_come_after(club: FakeDiscord) -> None:
    role = club.role("Organizers", ["manage_guild"])
    alice = club.member("alice", roles=[role])
    channel = club.default_channel
    assert channel is not None
    await alice.say(channel, "hello ||hidden||")
    status, dm = await call(club, "POST", "/users/@me/channels", {"recipient_id": str(alice.id)})
    assert status == 200
    assert (await call(club, "POST", f"/channels/{dm['id']}/messages", {"content": "a DM"}))[0] == 200
    await club.clock.advance(3600)
    saved = json.loads(json.dumps(snapshot(club)))  # as written to a file

    again = FakeDiscord(clock=FakeClock(start=saved_instant(saved)))
    await again.listen()
    try:
        restore(again, saved)
        assert again.clock.now() == club.clock.now()
        assert (again.guild.id, again.world.bot_user.id) == (club.guild.id, club.world.bot_user.id)
        restored = again.member("alice")
        assert restored.id == alice.id
        assert [r.name for r in restored.roles] == ["Organizers"]
        assert again.text_member_sees(restored) == club.text_member_sees(alice)
        assert "a DM" in again.text_member_sees(restored)
        newest = max([*again.world.messages, *again.world.users, *again.world.channels])
        assert again.member("zoe").id > newest
    finally:
        await again.stop()
