"""Slash commands: subcommands, groups, typed options, autocomplete, default permissions."""

from __future__ import annotations

import pytest

from fakediscord import FakeDiscord, Upload
from fakediscord.tests.sample_bot import SampleBot


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
