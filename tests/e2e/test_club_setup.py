"""`/club setup`, `/club settings` and the error path, as members see them."""

from __future__ import annotations

from bot.store import GuildSettings


async def test_bot_connects_and_syncs_to_the_dev_guild(club, harness):
    assert club.requests_to("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
    assert not club.requests_to("PUT", "/applications/{application_id}/commands")  # never global on boot
    names = {c["name"] for c in club.commands()}
    assert {"club", "privacy", "status", "book"} <= names


async def test_admin_sets_up_the_club(club, harness, store, admin, organizers):
    announcements = club.text_channel("announcements")
    discussions = club.text_channel("book-talk")
    reply = await admin.slash(
        "club setup",
        organizer_role=organizers,
        timezone="europe/paris",
        announcements=announcements,
        discussions=discussions,
        spoiler_mode="gated",
    )
    assert reply.ephemeral
    assert reply.content.startswith("Saved.")
    fields = {f["name"]: f["value"] for f in reply.embed["fields"]}
    assert fields["Time zone"] == "Europe/Paris"
    assert fields["Announcements"] == f"<#{announcements.id}>"
    assert fields["Spoiler mode"].startswith("gated")
    assert await store.guilds.get(club.guild.id) == GuildSettings(
        guild_id=club.guild.id,
        organizer_role_id=organizers.id,
        timezone="Europe/Paris",
        announcement_channel_id=announcements.id,
        discussion_channel_id=discussions.id,
        spoiler_mode="gated",
    )
    # Nobody else saw the reply, and nobody was pinged.
    alice = club.member("alice")
    assert "Saved." not in club.text_member_sees(alice)
    assert not reply.message.pinged


async def test_organizer_role_grants_setup(club, harness, store, admin, organizers):
    await admin.slash("club setup", organizer_role=organizers)
    olga = club.member("olga", roles=[organizers])
    reply = await olga.slash("club setup", timezone="America/New_York")
    assert reply.ephemeral and reply.content.startswith("Saved.")
    assert (await store.guilds.get(club.guild.id)).timezone == "America/New_York"


async def test_non_organizer_is_refused_and_nothing_changes(club, harness, store, admin, organizers):
    await admin.slash("club setup", organizer_role=organizers, timezone="Europe/Paris")
    olga = club.member("olga", roles=[organizers])
    alice = club.member("alice")
    reply = await alice.slash("club setup", timezone="Asia/Tokyo")
    assert reply.ephemeral
    assert "Only organizers" in reply.content and f"<@&{organizers.id}>" in reply.content
    # Naming the (mentionable) role does not ping it or its members.
    assert not reply.message.pinged and not reply.message.payload["mention_roles"]
    assert club.pings_of(olga) == []
    assert (await store.guilds.get(club.guild.id)).timezone == "Europe/Paris"


async def test_bad_timezone_gets_a_hint_and_nothing_is_saved(club, harness, store, admin):
    reply = await admin.slash("club setup", timezone="Paris", announcements=club.text_channel("news"))
    assert reply.ephemeral
    assert "not a time zone" in reply.content and "Europe/Paris" in reply.content
    assert not await store.guilds.is_configured(club.guild.id)


async def test_timezone_autocomplete(club, harness, admin):
    choices = await admin.autocomplete("club setup", "timezone", "new_y")
    assert "America/New_York" in [c["value"] for c in choices]
    assert len(choices) <= 25


async def test_missing_channel_permission_is_explained(club, harness, store, admin):
    locked = club.text_channel("locked")
    await club.set_permissions(locked, "bot", deny=["send_messages"])
    reply = await admin.slash("club setup", announcements=locked)
    assert reply.ephemeral
    assert "Send Messages" in reply.content and f"<#{locked.id}>" in reply.content
    assert not await store.guilds.is_configured(club.guild.id)


async def test_gated_mode_needs_private_thread_permission(club, harness, store, admin):
    talk = club.text_channel("talk")
    await club.set_permissions(talk, "bot", deny=["create_private_threads"])
    reply = await admin.slash("club setup", discussions=talk, spoiler_mode="gated")
    assert "Create Private Threads" in reply.content
    assert not await store.guilds.is_configured(club.guild.id)
    ok = await admin.slash("club setup", discussions=talk, spoiler_mode="tagged")
    assert ok.content.startswith("Saved.")


async def test_anyone_can_see_settings(club, harness, admin):
    alice = club.member("alice")
    before = await alice.slash("club settings")
    assert before.ephemeral and "Not set up yet" in before.content
    await admin.slash("club setup", timezone="Europe/Berlin")
    after = await alice.slash("club settings")
    assert any(f["value"] == "Europe/Berlin" for f in after.embed["fields"])


async def test_unexpected_failure_is_an_ephemeral_apology_and_is_logged(
    club, harness, store, admin, error_log
):
    await store.db.close()  # the database going away mid-run: a bug, not the member's fault
    reply = await admin.slash("club settings")
    assert reply.ephemeral
    assert "Something went wrong on my side" in reply.content and "ref" in reply.content
    # The bot cannot know whether a write was committed before the failure, so it claims neither way.
    assert "check whether it was saved" in reply.content
    assert "nothing was changed" not in reply.content
    assert any("Interaction failed" in r.getMessage() for r in error_log.records)
