"""Lookups and permission checks every REST route module shares (all read the world, nothing else)."""

from __future__ import annotations

from ..errors import missing_access, missing_permissions, unknown
from ..routing import RestRequest
from ..world import Channel, ChannelType, Guild, StoredMessage, World


class RouteBase:
    """Resolve path parameters to world objects as Discord does, with its 404/403 answers."""

    def __init__(self, world: World) -> None:
        self.world = world

    @property
    def me(self) -> int:
        """Return the bot's user id."""
        return self.world.bot_user.id

    def channel(self, req: RestRequest, *, view: bool = True) -> Channel:
        """Return the path's channel, 404 if unknown, 403 50001 if the bot cannot see it."""
        ch = self.world.channels.get(req.int_param("channel_id"))
        if ch is None:
            raise unknown("channel")
        if view and not self.world.can_see(ch, self.me):
            raise missing_access()
        return ch

    def guild(self, req: RestRequest) -> Guild:
        """Return the path's guild."""
        g = self.world.guilds.get(req.int_param("guild_id"))
        if g is None:
            raise unknown("guild")
        return g

    def message(self, req: RestRequest, ch: Channel) -> StoredMessage:
        """Return the path's message in `ch`."""
        m = self.world.messages.get(req.int_param("message_id"))
        if m is None or m.deleted or m.channel_id != ch.id or m.ephemeral_for is not None:
            raise unknown("message")
        return m

    def need(self, ch: Channel, *names: str) -> None:
        """Raise 50013 unless the bot has every permission in `ch`."""
        if not self.world.can(ch, self.me, *names) and ch.type != ChannelType.DM:
            raise missing_permissions()

    def send_permission(self, ch: Channel) -> str:
        """Return the permission needed to post in `ch`."""
        return "send_messages_in_threads" if ch.is_thread else "send_messages"
