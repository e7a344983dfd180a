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


def tag_id(forum, name: str) -> int:
    """Return the id of the forum's tag called `name` (as the emulator stores it)."""
    return int(next(t["id"] for t in forum.available_tags if t["name"] == name))


async def test_forum_that_requires_tags_needs_one_named_when_it_has_several(club, harness, store, admin):
    forum = club.forum_channel("book-forum", tags=["Fiction", "Film"], require_tag=True)
    refused = await admin.slash("club setup", discussions=forum, spoiler_mode="tagged")
    assert refused.ephemeral
    assert f"<#{forum.id}> requires a tag on every post" in refused.content
    assert "**Fiction**, **Film**" in refused.content and "`tag:`" in refused.content
    assert not await store.guilds.is_configured(club.guild.id)

    choices = await admin.autocomplete("club setup", "tag", "fi", discussions=forum)
    assert choices == [
        {"name": "Fiction", "value": str(tag_id(forum, "Fiction"))},
        {"name": "Film", "value": str(tag_id(forum, "Film"))},
    ]
    saved = await admin.slash("club setup", discussions=forum, spoiler_mode="tagged", tag="film")
    assert saved.ephemeral and saved.content.startswith("Saved."), saved.content
    assert f"Discussion posts in <#{forum.id}> will carry the tag **Film**" in saved.content
    assert {f["name"]: f["value"] for f in saved.embed["fields"]}["Forum tag"] == "Film"
    settings = await store.guilds.get(club.guild.id)
    assert (settings.discussion_channel_id, settings.discussion_tag_id) == (forum.id, tag_id(forum, "Film"))

    # Picked from autocomplete (the tag's id); a later setup that names nothing keeps it.
    by_id = await admin.slash("club setup", tag=str(tag_id(forum, "Fiction")))
    assert "will carry the tag **Fiction**" in by_id.content
    kept = await admin.slash("club setup", discussions=forum)
    assert "will carry the tag **Fiction**" in kept.content
    assert (await store.guilds.get(club.guild.id)).discussion_tag_id == tag_id(forum, "Fiction")


async def test_a_tag_the_forum_does_not_have_is_refused_with_its_tags(club, harness, store, admin):
    forum = club.forum_channel("book-forum", tags=["Fiction", "Film"], require_tag=True)
    refused = await admin.slash("club setup", discussions=forum, tag="Poetry")
    assert refused.ephemeral
    assert f"<#{forum.id}> has no tag called `Poetry`" in refused.content
    assert "Its tags: **Fiction**, **Film**" in refused.content and "`tag:`" in refused.content
    assert not await store.guilds.is_configured(club.guild.id)


async def test_a_forum_with_one_tag_gets_it_and_one_with_none_is_explained(club, harness, store, admin):
    empty = club.forum_channel("empty-forum", require_tag=True)
    refused = await admin.slash("club setup", discussions=empty)
    assert refused.ephemeral
    assert "has no tags: add one in the forum's settings" in refused.content
    assert not await store.guilds.is_configured(club.guild.id)

    single = club.forum_channel("single-forum", tags=["Book club"], require_tag=True)
    saved = await admin.slash("club setup", discussions=single)
    assert saved.content.startswith("Saved.") and "will carry the tag **Book club**" in saved.content
    assert (await store.guilds.get(club.guild.id)).discussion_tag_id == tag_id(single, "Book club")


async def test_a_tag_is_used_where_optional_and_refused_for_a_text_channel(club, harness, store, admin):
    talk = club.text_channel("book-talk")
    refused = await admin.slash("club setup", discussions=talk, tag="Fiction")
    assert refused.ephemeral and "tags are for forum channels" in refused.content
    alone = await admin.slash("club setup", tag="Fiction")
    assert "pick one with `discussions:` too" in alone.content
    assert not await store.guilds.is_configured(club.guild.id)

    forum = club.forum_channel("open-forum", tags=["Fiction", "Film"])
    untagged = await admin.slash("club setup", discussions=forum)
    assert untagged.content == "Saved. The club is set up like this:"
    assert (await store.guilds.get(club.guild.id)).discussion_tag_id is None
    tagged = await admin.slash("club setup", discussions=forum, tag="FICTION")
    assert "will carry the tag **Fiction**" in tagged.content
    assert (await store.guilds.get(club.guild.id)).discussion_tag_id == tag_id(forum, "Fiction")
    # Moving discussions to a text channel drops the forum's tag.
    moved = await admin.slash("club setup", discussions=talk)
    assert moved.content == "Saved. The club is set up like this:"
    assert (await store.guilds.get(club.guild.id)).discussion_tag_id is None
