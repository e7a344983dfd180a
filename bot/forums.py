"""Forum tags: which tag the club's forum posts carry, and Discord's refusal of a post without one."""

from __future__ import annotations

import discord

from bot.errors import NotConfigured, UserError
from bot.text import code_span, escape, label_key

# Opcodes and Status Codes, JSON error codes: "A tag is required to create a forum post in this channel".
TAG_REQUIRED = 40067
INVALID_FORM_BODY = 50035
# Longest `tag:` an organizer may type: a tag name is at most 20 characters, a snowflake at most 20 digits.
MAX_TAG_OPTION = 100


def requires_tag(channel: discord.abc.GuildChannel) -> bool:
    """Say whether `channel` is a forum whose posts must carry a tag (its REQUIRE_TAG flag)."""
    return isinstance(channel, discord.ForumChannel) and channel.flags.require_tag


def tag_names(forum: discord.ForumChannel) -> str:
    """List a forum's tag names for a message (escaped, comma-separated)."""
    return ", ".join(f"**{escape(t.name)}**" for t in forum.available_tags) or "none"


def find_tag(forum: discord.ForumChannel, named: str) -> discord.ForumTag | None:
    """Return the forum's tag with this name (ignoring case) or id, if any."""
    wanted = named.strip()
    if wanted.isdigit() and (by_id := forum.get_tag(int(wanted))) is not None:
        return by_id
    key = label_key(wanted)
    return next((t for t in forum.available_tags if label_key(t.name) == key), None)


def choose_setup_tag(
    forum: discord.ForumChannel, named: str | None, current_id: int | None
) -> discord.ForumTag | None:
    """Pick the tag `/club setup` stores for a forum, or explain why it cannot.

    A named tag is used whether or not the forum requires one; otherwise a forum that requires tags
    keeps the club's current tag if it is still there, or gets its only tag.
    """
    if named is not None:
        tag = find_tag(forum, named)
        if tag is None:
            raise UserError(
                f"{forum.mention} has no tag called {code_span(named, 40)}. Its tags: {tag_names(forum)}. "
                "Run `/club setup` again with `tag:` set to one of them."
            )
        return tag
    kept = forum.get_tag(current_id) if current_id else None
    if kept is not None or not requires_tag(forum):
        return kept
    tags = forum.available_tags
    if not tags:
        raise UserError(
            f"{forum.mention} requires a tag on every post but has no tags: add one in the forum's "
            "settings (Edit Channel → Tags), then run `/club setup` again."
        )
    if len(tags) == 1:
        return tags[0]
    raise UserError(
        f"{forum.mention} requires a tag on every post. Its tags: {tag_names(forum)}. "
        "Run `/club setup` again with `tag:` set to the one discussion posts should carry."
    )


def post_tags(forum: discord.ForumChannel, tag_id: int | None) -> list[discord.ForumTag]:
    """Return the tags a new post in `forum` carries: the club's tag while the forum still has it."""
    tag = forum.get_tag(tag_id) if tag_id else None
    if tag is not None:
        return [tag]
    if requires_tag(forum):
        raise NotConfigured(missing_tag_message(forum, tag_id))
    return []


def missing_tag_message(forum: discord.ForumChannel, tag_id: int | None) -> str:
    """Explain that a post in `forum` needs a tag the club does not have (any more)."""
    why = (
        "and the tag chosen with `/club setup` is no longer one of its tags"
        if tag_id
        else "and no tag was chosen with `/club setup`"
    )
    return (
        f"{forum.mention} requires a tag on every post {why}. An organizer can pick one with "
        f"`/club setup tag:` (its tags: {tag_names(forum)})."
    )


def is_tag_refusal(exc: discord.HTTPException) -> bool:
    """Say whether Discord refused a forum post because of its tags (none where required, or unknown ones)."""
    return exc.code == TAG_REQUIRED or (exc.code == INVALID_FORM_BODY and "applied_tags" in exc.text)
