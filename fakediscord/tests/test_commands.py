"""Slash commands: subcommands, groups, typed options, autocomplete, default permissions."""

from __future__ import annotations

from typing import Any

import pytest

from fakediscord import FakeDiscord, Upload
from fakediscord.tests.rest import call
from fakediscord.tests.sample_bot import SampleBot


def guild_commands(club: FakeDiscord) -> str:
    return f"/applications/{club.world.bot_user.id}/guilds/{club.guild.id}/commands"


async def test_group_subcommand_with_channel_option(club: FakeDiscord, bot: SampleBot) -> None:
    olga = club.member("olga", roles=[club.role("Organizers", permissions=["manage_guild"])])
    general = club.text_channel("general")
    reply = await olga.slash("club setup", timezone="Europe/Paris", announcements=general)
    assert reply.content == "tz=Europe/Paris channel=general"


async def test_default_member_permissions_hide_command(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    with pytest.raises(AssertionError, match="hides /club setup from alice"):
        await alice.slash("club setup", timezone="Europe/Paris", announcements=club.text_channel("general"))


async def test_nested_group(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("olga", roles=[club.role("Organizers", permissions=["manage_guild"])])
    reply = await alice.slash("club book add", title="Dune")
    assert reply.content == "added Dune (100 pages)"
    reply = await alice.slash("club book add", title="Emma", pages=474)
    assert reply.content == "added Emma (474 pages)"


async def test_all_option_types_and_attachment_download(club: FakeDiscord, bot: SampleBot) -> None:
    olga = club.member("olga", roles=[club.role("Organizers", permissions=["manage_guild"])])
    alice = club.member("alice")
    reply = await alice.slash(
        "types",
        s="x",
        i=3,
        n=1.5,
        b=True,
        u=olga,
        c=club.text_channel("general"),
        r=club.role("Organizers"),
        a=Upload("notes.txt", b"chapter one"),
    )
    assert reply.content == (
        "s=x i=3 n=1.5 b=True u=olga c=general r=Organizers a=notes.txt:chapter one u_manage=True"
    )


async def test_autocomplete(club: FakeDiscord, bot: SampleBot) -> None:
    olga = club.member("olga", roles=[club.role("Organizers", permissions=["manage_guild"])])
    choices = await olga.autocomplete("club setup", "timezone", "europe")
    assert [c["value"] for c in choices] == ["Europe/Paris", "Europe/Berlin"]


async def test_misuse_is_reported_clearly(club: FakeDiscord, bot: SampleBot) -> None:
    alice = club.member("alice")
    with pytest.raises(AssertionError, match="hides /club book add from alice"):
        await alice.slash("club book add", title="Dune")
    with pytest.raises(AssertionError, match="no option 'txt'"):
        await alice.slash("echo", txt="hi")
    with pytest.raises(AssertionError, match="required option 'text'"):
        await alice.slash("echo")
    with pytest.raises(AssertionError, match="not a synced command"):
        await alice.slash("nope")


async def test_an_option_with_autocomplete_and_choices_is_refused_at_sync(club: FakeDiscord) -> None:
    # Application Commands, option structure: "autocomplete may not be set to true if choices are present".
    title: dict[str, Any] = {"name": "title", "description": "Which book", "type": 3, "autocomplete": True}
    choices = [{"name": "Dune", "value": "dune"}]
    add: dict[str, Any] = {"name": "add", "description": "Add one", "type": 1}
    nested = {
        "name": "book",
        "description": "Books",
        "options": [{**add, "options": [{**title, "choices": choices}]}],
    }
    status, refused = await call(club, "PUT", guild_commands(club), [nested])
    assert (status, refused["code"]) == (400, 50035)
    assert "autocomplete" in refused["errors"]["0"]["options"]["0"]["options"]["0"]
    assert club.commands() == []
    fixed = {**nested, "options": [{**add, "options": [title]}]}
    status, synced = await call(club, "PUT", guild_commands(club), [fixed])
    assert status == 200 and [c["name"] for c in synced] == ["book"]
    status, refused = await call(
        club,
        "POST",
        guild_commands(club),
        {"name": "pick", "description": "Pick", "options": [{**title, "choices": choices}]},
    )
    assert (status, refused["code"]) == (400, 50035) and "autocomplete" in refused["errors"]["options"]["0"]


async def test_a_sixteenth_message_command_in_a_guild_is_refused(club: FakeDiscord) -> None:
    # Application Commands: "15 global MESSAGE commands", and as many per guild.
    menus = [{"name": f"Quote {i}", "type": 3} for i in range(16)]
    status, refused = await call(club, "PUT", guild_commands(club), menus)
    assert (status, refused["code"]) == (400, 50035)
    assert refused["errors"]["_errors"][0]["code"] == "APPLICATION_COMMANDS_MAX_EXCEEDED"
    assert club.commands() == []
    users = [{"name": f"Greet {i}", "type": 2} for i in range(15)]
    status, synced = await call(club, "PUT", guild_commands(club), menus[:15] + users)
    assert status == 200 and len(synced) == 30  # the limit counts each type on its own
    status, refused = await call(club, "POST", guild_commands(club), menus[15])
    assert (status, refused["code"]) == (400, 30032)
    status, _ = await call(club, "POST", guild_commands(club), menus[14])  # same name: an update
    assert status == 200
