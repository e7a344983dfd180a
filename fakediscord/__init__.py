"""fakediscord: a local Discord (REST + gateway) for end-to-end tests of discord.py bots."""

from .actors import Actor
from .clock import FakeClock
from .errors import DiscordHTTPError
from .fidelity import RecordedViolation
from .messages import Upload
from .objects import Button, Message, Modal, ModalField, Reply, Select, SelectOption
from .server import FakeDiscord, RequestRecord, point_discord_py_at
from .visibility import View
from .world import Channel, ChannelType, Role

__all__ = [
    "Actor",
    "Button",
    "Channel",
    "ChannelType",
    "DiscordHTTPError",
    "FakeClock",
    "FakeDiscord",
    "Message",
    "Modal",
    "ModalField",
    "RecordedViolation",
    "Reply",
    "RequestRecord",
    "Role",
    "Select",
    "SelectOption",
    "Upload",
    "View",
    "point_discord_py_at",
]
