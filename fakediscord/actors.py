"""Members acting the way people do in Discord: slash commands, clicks, selects, modals, votes, messages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import payloads
from . import permissions as perm
from .interactions import CallbackType, InteractionRecord, InteractionType
from .messages import Upload
from .objects import Message, Modal, ModalField, Reply, walk_components
from .world import Channel, ChannelType, Role, StoredMessage

if TYPE_CHECKING:
    from .server import FakeDiscord

OPTION_TYPES = {
    1: "subcommand",
    2: "subcommand group",
    3: "string",
    4: "integer",
    5: "boolean",
    6: "user",
    7: "channel",
    8: "role",
    9: "mentionable",
    10: "number",
    11: "attachment",
}


class Actor:
    """A guild member the test drives; every action goes through the emulator as Discord's client would."""

    def __init__(self, club: FakeDiscord, user_id: int) -> None:
        self.club = club
        self.id = user_id

    # -- identity ---------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Return the username."""
        return self.club.world.users[self.id].name

    @property
    def mention(self) -> str:
        """Return `<@id>`."""
        return f"<@{self.id}>"

    @property
    def roles(self) -> list[Role]:
        """Return the member's roles (without @everyone)."""
        m = self.club.guild.members[self.id]
        return [self.club.guild.roles[r] for r in m.role_ids]

    def permissions_in(self, channel: Channel) -> list[str]:
        """Return the permission names this member has in `channel`."""
        return perm.names(self.club.world.permissions_in(channel, self.id))

    def __repr__(self) -> str:
        return f"<Actor {self.name} ({self.id})>"

    # -- slash commands ---------------------------------------------------------------------------------
    async def slash(
        self,
        command: str,
        *,
        in_channel: Channel | None = None,
        options: Mapping[str, Any] | None = None,
        timeout: float = 3.0,  # noqa: ASYNC109 - a test-facing deadline
        followup_timeout: float = 5.0,
        **kwargs: Any,
    ) -> Reply:
        """Run `/command sub ...` with options; return the bot's answer (waiting through a deferral)."""
        channel = self._channel(in_channel)
        values = {**(options or {}), **kwargs}
        data = self._command_data(command, channel, values, focused=None)
        rec = await self._interact(InteractionType.APPLICATION_COMMAND, channel, data, label=f"/{command}")
        return await self._reply(rec, timeout=timeout, followup_timeout=followup_timeout)

    async def autocomplete(
        self,
        command: str,
        option: str,
        typed: str,
        *,
        in_channel: Channel | None = None,
        timeout: float = 3.0,  # noqa: ASYNC109 - a test-facing deadline
        **others: Any,
    ) -> list[dict[str, Any]]:
        """Type `typed` into `option` of `/command`; return the choices the bot offers ({name, value})."""
        channel = self._channel(in_channel)
        data = self._command_data(command, channel, {**others, option: typed}, focused=option)
        rec = await self._interact(
            InteractionType.AUTOCOMPLETE, channel, data, label=f"/{command} [{option}]"
        )
        reply = await self._reply(rec, timeout=timeout, followup_timeout=0)
        return reply.choices

    async def user_command(
        self,
        name: str,
        target: Any,
        *,
        in_channel: Channel | None = None,
        timeout: float = 3.0,  # noqa: ASYNC109 - a test-facing deadline
        followup_timeout: float = 5.0,
    ) -> Reply:
        """Run the user context-menu command `name` on `target` (an Actor)."""
        channel = self._channel(in_channel)
        cmd = self._context_command(name, 2, channel)
        resolved: dict[str, dict[str, Any]] = {}
        uid = self._option_value(name, {"name": "target", "type": 6}, target, resolved, channel)
        data = {"id": cmd["id"], "name": name, "type": 2, "target_id": uid, "resolved": resolved}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        rec = await self._interact(InteractionType.APPLICATION_COMMAND, channel, data, label=f"Apps > {name}")
        return await self._reply(rec, timeout=timeout, followup_timeout=followup_timeout)

    async def message_command(
        self,
        name: str,
        message: Any,
        *,
        timeout: float = 3.0,  # noqa: ASYNC109 - a test-facing deadline
        followup_timeout: float = 5.0,
    ) -> Reply:
        """Run the message context-menu command `name` on `message`."""
        stored = self._stored(message)
        self._check_can_interact(stored)
        channel = self.club.world.channels[stored.channel_id]
        cmd = self._context_command(name, 3, channel)
        data = {
            "id": cmd["id"],
            "name": name,
            "type": 3,
            "target_id": str(stored.id),
            "resolved": {"messages": {str(stored.id): payloads.nested_message(stored.payload)}},
        }
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        rec = await self._interact(InteractionType.APPLICATION_COMMAND, channel, data, label=f"Apps > {name}")
        return await self._reply(rec, timeout=timeout, followup_timeout=followup_timeout)

    def _context_command(self, name: str, ctype: int, channel: Channel) -> dict[str, Any]:
        cmd = next(
            (c for c in self._commands(channel) if c["name"] == name and c.get("type", 1) == ctype), None
        )
        if cmd is None:
            kind = "user" if ctype == 2 else "message"
            raise AssertionError(f"no {kind} command {name!r} is synced")
        self._check_command_access(cmd, channel, name)
        return cmd

    def _commands(self, channel: Channel) -> list[dict[str, Any]]:
        world = self.club.world
        scoped = list(world.commands.get(channel.guild_id, {}).values()) if channel.guild_id else []
        return scoped + list(world.commands.get(None, {}).values())

    def _command_data(
        self, command: str, channel: Channel, values: dict[str, Any], focused: str | None
    ) -> dict[str, Any]:
        parts = command.strip().lstrip("/").split()
        cmds = [c for c in self._commands(channel) if c.get("type", 1) == 1]
        cmd = next((c for c in cmds if c["name"] == parts[0]), None)
        if cmd is None:
            raise AssertionError(
                f"/{parts[0]} is not a synced command; the bot synced: "
                f"{sorted('/' + c['name'] for c in cmds)}"
            )
        self._check_command_access(cmd, channel, command)
        defs = cmd.get("options") or []
        chain: list[dict[str, Any]] = []
        for part in parts[1:]:
            sub = next((o for o in defs if o["name"] == part and o["type"] in (1, 2)), None)
            if sub is None:
                raise AssertionError(
                    f"/{command}: {part!r} is not a subcommand; have "
                    f"{[o['name'] for o in defs if o['type'] in (1, 2)]}"
                )
            chain.append(sub)
            defs = sub.get("options") or []
        if any(o["type"] in (1, 2) for o in defs):
            raise AssertionError(f"/{command} needs a subcommand: {[o['name'] for o in defs]}")
        resolved: dict[str, dict[str, Any]] = {}
        opts = self._options(command, defs, values, resolved, channel, focused)
        for sub in reversed(chain):
            opts = [{"type": sub["type"], "name": sub["name"], "options": opts}]
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1}
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return data

    def _check_command_access(self, cmd: dict[str, Any], channel: Channel, command: str) -> None:
        world = self.club.world
        if channel.type == ChannelType.DM:
            contexts = cmd.get("contexts")
            if (
                cmd.get("guild_id")
                or (contexts is not None and 1 not in contexts)
                or cmd.get("dm_permission") is False
            ):
                raise AssertionError(f"/{command} is not available in DMs")
            return
        if not world.can(channel, self.id, "use_application_commands"):
            raise AssertionError(f"{self.name} lacks use_application_commands in #{channel.name}")
        needed = cmd.get("default_member_permissions")
        if needed is not None:
            have = world.permissions_in(channel, self.id)
            need = int(needed)
            if need == 0 or ((have & need) != need and not have & perm.FLAGS["administrator"]):
                raise AssertionError(
                    f"Discord hides /{command} from {self.name}: it needs "
                    f"{perm.names(need) or 'administrators'}"
                )

    def _options(
        self,
        command: str,
        defs: list[dict[str, Any]],
        values: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        channel: Channel,
        focused: str | None,
    ) -> list[dict[str, Any]]:
        by_name = {o["name"]: o for o in defs}
        for key in values:
            if key not in by_name:
                raise AssertionError(f"/{command} has no option {key!r}; options: {list(by_name)}")
        out = []
        for d in defs:
            name = d["name"]
            if name not in values:
                if d.get("required") and focused is None:
                    raise AssertionError(f"Discord will not send /{command} without required option {name!r}")
                continue
            if name == focused:
                out.append({"name": name, "type": d["type"], "value": str(values[name]), "focused": True})
                continue
            out.append(
                {
                    "name": name,
                    "type": d["type"],
                    "value": self._option_value(command, d, values[name], resolved, channel),
                }
            )
        return out

    def _option_value(
        self,
        command: str,
        d: dict[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        channel: Channel,
    ) -> Any:
        t = d["type"]
        world = self.club.world
        where = f"/{command} option {d['name']!r} ({OPTION_TYPES.get(t, t)})"
        if t in (3, 4, 10) and d.get("choices"):
            for ch in d["choices"]:
                if value == ch["name"] and value != ch["value"]:
                    value = ch["value"]
            if value not in [c["value"] for c in d["choices"]]:
                raise AssertionError(f"{where}: {value!r} is not one of {[c['name'] for c in d['choices']]}")
        if t == 3:
            value = str(value)
            if "max_length" in d and len(value) > d["max_length"]:
                raise AssertionError(f"{where}: longer than {d['max_length']}")
            return value
        if t in (4, 10):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise AssertionError(f"{where}: {value!r} is not a number")
            if t == 4 and not float(value).is_integer():
                raise AssertionError(f"{where}: {value!r} is not an integer")
            if ("min_value" in d and value < d["min_value"]) or ("max_value" in d and value > d["max_value"]):
                raise AssertionError(f"{where}: {value!r} is out of range")
            return int(value) if t == 4 else float(value)
        if t == 5:
            return bool(value)
        if t in (6, 9) and not isinstance(value, Role):
            uid = int(getattr(value, "id", value))
            if uid not in world.users:
                raise AssertionError(f"{where}: unknown user {value!r}")
            resolved.setdefault("users", {})[str(uid)] = payloads.user(world.users[uid])
            guild = world.guild_of(channel)
            if guild is not None and uid in guild.members:
                member = payloads.member(
                    guild.members[uid], with_user=False, permissions=world.permissions_in(channel, uid)
                )
                member.pop("deaf", None)
                member.pop("mute", None)
                resolved.setdefault("members", {})[str(uid)] = member
            return str(uid)
        if t in (8, 9):
            if not isinstance(value, Role):
                raise AssertionError(f"{where}: pass a Role, got {value!r}")
            resolved.setdefault("roles", {})[str(value.id)] = payloads.role(value)
            return str(value.id)
        if t == 7:
            if not isinstance(value, Channel):
                raise AssertionError(f"{where}: pass a Channel, got {value!r}")
            types = d.get("channel_types")
            if types and value.type not in types:
                raise AssertionError(f"{where}: channel type {value.type} not allowed ({types})")
            data = {
                "id": str(value.id),
                "name": value.name,
                "type": value.type,
                "permissions": str(world.permissions_in(value, self.id)),
            }
            if value.parent_id:
                data["parent_id"] = str(value.parent_id)
            if value.is_thread:
                # The API spec types resolved channels as full objects (ThreadResponse in
                # ResolvedObjectsResponse.channels): a thread carries its owner and counts, which
                # discord.py's AppCommandThread reads.
                full = payloads.channel(world, value)
                for key in (
                    "thread_metadata",
                    "owner_id",
                    "message_count",
                    "member_count",
                    "rate_limit_per_user",
                    "total_message_sent",
                    "applied_tags",
                ):
                    data[key] = full[key]
            resolved.setdefault("channels", {})[str(value.id)] = data
            return str(value.id)
        if t == 11:
            upload = _as_upload(value)
            att = self.club.messages.store_attachment(channel, upload)
            att["ephemeral"] = True
            resolved.setdefault("attachments", {})[att["id"]] = att
            return att["id"]
        return value

    # -- components -------------------------------------------------------------------------------------
    async def click(
        self,
        message: Any,
        button: str,
        *,
        timeout: float = 3.0,  # noqa: ASYNC109 - a test-facing deadline
        followup_timeout: float = 5.0,
    ) -> Reply:
        """Click the button with this label or custom_id; return the bot's answer."""
        stored = self._stored(message)
        self._check_can_interact(stored)
        msg = Message(self.club.world, stored)
        b = msg.button(button)
        if b.disabled:
            raise AssertionError(f"button {button!r} is disabled")
        if b.custom_id is None:
            raise AssertionError(f"button {button!r} is a link button ({b.url}); clicking it opens a browser")
        channel = self.club.world.channels[stored.channel_id]
        data = {"custom_id": b.custom_id, "component_type": 2}
        rec = await self._interact(
            InteractionType.MESSAGE_COMPONENT, channel, data, label=f"click {button!r}", message=stored
        )
        return await self._reply(rec, timeout=timeout, followup_timeout=followup_timeout)

    async def choose(
        self,
        message: Any,
        select: str,
        values: Iterable[Any],
        *,
        timeout: float = 3.0,  # noqa: ASYNC109 - a test-facing deadline
        followup_timeout: float = 5.0,
    ) -> Reply:
        """Pick `values` (option values or labels; actors/roles/channels for entity selects) in a select."""
        stored = self._stored(message)
        self._check_can_interact(stored)
        msg = Message(self.club.world, stored)
        sel = next((s for s in msg.selects if select in (s.custom_id, s.placeholder)), None)
        if sel is None:
            raise AssertionError(f"no select {select!r}; selects: {[s.custom_id for s in msg.selects]}")
        if sel.disabled:
            raise AssertionError(f"select {select!r} is disabled")
        chosen = list(values)
        if not sel.min_values <= len(chosen) <= sel.max_values:
            raise AssertionError(
                f"select {select!r} takes {sel.min_values}..{sel.max_values} values, got {len(chosen)}"
            )
        channel = self.club.world.channels[stored.channel_id]
        data: dict[str, Any] = {"custom_id": sel.custom_id, "component_type": sel.type}
        if sel.type == 3:
            out = []
            for v in chosen:
                opt = next((o for o in sel.options if v in (o.value, o.label)), None)
                if opt is None:
                    raise AssertionError(
                        f"{v!r} is not an option of {select!r}: {[o.label for o in sel.options]}"
                    )
                out.append(opt.value)
            data["values"] = out
        else:
            resolved: dict[str, dict[str, Any]] = {}
            kind = {5: 6, 6: 8, 7: 7, 8: 9}[sel.type]
            data["values"] = [
                self._option_value("select", {"name": sel.custom_id, "type": kind}, v, resolved, channel)
                for v in chosen
            ]
            data["resolved"] = resolved
        rec = await self._interact(
            InteractionType.MESSAGE_COMPONENT,
            channel,
            data,
            label=f"choose {chosen!r} in {select!r}",
            message=stored,
        )
        return await self._reply(rec, timeout=timeout, followup_timeout=followup_timeout)

    async def submit_modal(
        self,
        modal: Modal | Reply,
        values: Mapping[str, Any],
        *,
        timeout: float = 3.0,  # noqa: ASYNC109 - a test-facing deadline
        followup_timeout: float = 5.0,
    ) -> Reply:
        """Fill a modal's fields (by custom_id or label) and submit it; return the bot's answer."""
        if isinstance(modal, Reply):
            if modal.modal is None:
                raise AssertionError(f"{modal.action} did not open a modal")
            modal = modal.modal
        known = {f.custom_id: f for f in modal.fields}
        by_label = {f.label: f for f in modal.fields if f.label}
        filled: dict[str, Any] = {}
        for key, value in values.items():
            f = known.get(key) or by_label.get(key)
            if f is None:
                raise AssertionError(f"modal {modal.title!r} has no field {key!r}: {list(known)}")
            if f.max_length is not None and isinstance(value, str) and len(value) > f.max_length:
                raise AssertionError(f"field {key!r} takes at most {f.max_length} characters")
            filled[f.custom_id] = value
        for f in modal.fields:
            if f.required and f.custom_id not in filled and not f.value:
                raise AssertionError(
                    f"Discord will not submit modal {modal.title!r} without {f.label or f.custom_id!r}"
                )
        components = []
        for row in modal.raw.get("components") or []:
            if row.get("type") == 1:
                inner = [self._modal_value(c, filled) for c in row.get("components") or []]
                components.append({"type": 1, "components": inner})
            elif row.get("type") == 18:
                out = {"type": 18, "component": self._modal_value(row["component"], filled)}
                if "id" in row:
                    out["id"] = row["id"]
                components.append(out)
            elif row.get("type") == 10:
                components.append({"type": 10, "id": row.get("id", 0)})
        channel = self.club.world.channels[modal.channel_id]
        data = {"custom_id": modal.custom_id, "components": components}
        trigger = self.club.interactions.records.get(modal.interaction_id)
        origin = self.club.world.messages.get(trigger.message_id) if trigger and trigger.message_id else None
        rec = await self._interact(
            InteractionType.MODAL_SUBMIT,
            channel,
            data,
            label=f"submit {modal.title!r}",
            message=origin,
            trigger_id=modal.interaction_id,
        )
        return await self._reply(rec, timeout=timeout, followup_timeout=followup_timeout)

    @staticmethod
    def _modal_value(c: dict[str, Any], filled: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": c["type"], "custom_id": c["custom_id"]}
        if "id" in c:
            out["id"] = c["id"]
        if c["type"] == 4:
            out["value"] = str(filled.get(c["custom_id"], c.get("value") or ""))
        else:
            v = filled.get(c["custom_id"], [])
            out["values"] = [str(getattr(x, "value", x)) for x in (v if isinstance(v, list) else [v])]
        return out

    # -- polls ------------------------------------------------------------------------------------------
    async def vote(self, message: Any, answer: str | int) -> None:
        """Vote for a poll answer (by text or answer id)."""
        stored, aid = self._poll_answer(message, answer)
        poll = stored.poll
        assert poll is not None
        if self.id in poll.votes.get(aid, []):
            return
        if not poll.allow_multiselect:
            for other, voters in poll.votes.items():
                if self.id in voters:
                    await self._unvote(stored, other)
        poll.votes.setdefault(aid, []).append(self.id)
        self.club.messages.refresh_poll(stored)
        await self.club.dispatch("MESSAGE_POLL_VOTE_ADD", self._vote_event(stored, aid))

    async def unvote(self, message: Any, answer: str | int) -> None:
        """Remove a vote from a poll answer."""
        stored, aid = self._poll_answer(message, answer)
        await self._unvote(stored, aid)

    async def _unvote(self, stored: StoredMessage, aid: int) -> None:
        poll = stored.poll
        assert poll is not None
        if self.id not in poll.votes.get(aid, []):
            return
        poll.votes[aid].remove(self.id)
        self.club.messages.refresh_poll(stored)
        await self.club.dispatch("MESSAGE_POLL_VOTE_REMOVE", self._vote_event(stored, aid))

    def _vote_event(self, stored: StoredMessage, aid: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user_id": str(self.id),
            "channel_id": str(stored.channel_id),
            "message_id": str(stored.id),
            "answer_id": aid,
        }
        if stored.payload.get("guild_id"):
            data["guild_id"] = stored.payload["guild_id"]
        return data

    def _poll_answer(self, message: Any, answer: str | int) -> tuple[StoredMessage, int]:
        stored = self._stored(message)
        self._check_can_interact(stored)
        if stored.poll is None:
            raise AssertionError("that message has no poll")
        if stored.poll.finalized or stored.poll.expiry <= self.club.clock.now():
            raise AssertionError("the poll has ended; Discord does not accept votes any more")
        for a in stored.payload["poll"]["answers"]:
            if answer in (a["answer_id"], a["poll_media"].get("text")):
                return stored, int(a["answer_id"])
        raise AssertionError(
            f"no poll answer {answer!r}: "
            f"{[a['poll_media'].get('text') for a in stored.payload['poll']['answers']]}"
        )

    # -- messages ---------------------------------------------------------------------------------------
    async def say(
        self,
        channel: Channel,
        content: str = "",
        *,
        reply_to: Any = None,
        files: Iterable[Upload] = (),
        embeds: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Post a message in a channel or thread (as this member) and return it."""
        await asyncio.sleep(0)
        world = self.club.world
        need = "send_messages_in_threads" if channel.is_thread else "send_messages"
        if channel.type != ChannelType.DM and not world.can(channel, self.id, need):
            raise AssertionError(f"{self.name} cannot post in #{channel.name} (no {need})")
        if channel.is_thread and channel.locked:
            raise AssertionError(f"#{channel.name} is locked")
        body: dict[str, Any] = {"content": content}
        if embeds:
            body["embeds"] = embeds
        if reply_to is not None:
            body["message_reference"] = {"message_id": str(self._stored(reply_to).id), "type": 0}
        if channel.is_thread:
            if channel.archived:
                channel.archived = False
            if self.id not in channel.thread_members:
                await self.club.thread_add(channel, self.id)
        stored = self.club.messages.build(channel, self.id, body, files=list(files))
        await self.club.dispatch_message_create(stored)
        return Message(self.club.world, stored)

    async def dm_bot(self, content: str) -> Message:
        """Send the bot a direct message."""
        world = self.club.world
        ch = world.dm_between(self.id, world.bot_user.id)
        if ch is None:
            ch = world.add_channel(None, None, ChannelType.DM, recipient_ids=[self.id])
        return await self.say(ch, content)

    async def edit(self, message: Message, content: str) -> None:
        """Edit one of this member's messages."""
        stored = self._stored(message)
        if int(stored.payload["author"]["id"]) != self.id:
            raise AssertionError("members can only edit their own messages")
        self.club.messages.edit(stored, {"content": content})
        await self.club.events.message_updated(stored)

    async def delete(self, message: Message) -> None:
        """Delete one of this member's messages."""
        stored = self._stored(message)
        if int(stored.payload["author"]["id"]) != self.id:
            raise AssertionError("members can only delete their own messages here")
        await self.club.delete_message(stored)

    async def react(self, message: Any, emoji: str) -> None:
        """Add a reaction."""
        stored = self._stored(message)
        self._check_can_interact(stored)
        await self.club.react(stored, self.id, emoji)

    async def unreact(self, message: Any, emoji: str) -> None:
        """Remove a reaction."""
        await self.club.unreact(self._stored(message), self.id, emoji)

    async def join_thread(self, thread: Channel) -> None:
        """Join a (public) thread."""
        if not self.club.world.can_see(thread, self.id):
            raise AssertionError(f"{self.name} cannot see thread {thread.name!r}")
        await self.club.thread_add(thread, self.id)

    async def leave_thread(self, thread: Channel) -> None:
        """Leave a thread."""
        await self.club.thread_remove(thread, self.id)

    async def mark_interested(self, event: dict[str, Any]) -> None:
        """Click "Interested" on a scheduled event (only one this member can see)."""
        await self._interest(event, add=True)

    async def unmark_interested(self, event: dict[str, Any]) -> None:
        """Take back "Interested" on a scheduled event."""
        await self._interest(event, add=False)

    async def _interest(self, event: dict[str, Any], *, add: bool) -> None:
        eid = int(event["id"])
        if not self.club.scheduled.visible_to(event, self.id):
            raise AssertionError(f"{self.name} cannot see the event {event.get('name')!r}")
        users = self.club.guild.event_users.setdefault(eid, set())
        if (self.id in users) == add:
            return
        if add:
            users.add(self.id)
        else:
            users.discard(self.id)
        await self.club.dispatch(
            "GUILD_SCHEDULED_EVENT_USER_ADD" if add else "GUILD_SCHEDULED_EVENT_USER_REMOVE",
            {
                "guild_scheduled_event_id": str(eid),
                "user_id": str(self.id),
                "guild_id": str(self.club.guild.id),
            },
        )

    def sees(self) -> Any:
        """Return what this member can see (visibility.View)."""
        return self.club.what_member_sees(self)

    # -- plumbing ---------------------------------------------------------------------------------------
    def _channel(self, channel: Channel | None) -> Channel:
        channel = channel or self.club.default_channel
        if channel is None:
            raise AssertionError("pass in_channel=...: the emulator has no default channel")
        if not self.club.world.can_see(channel, self.id):
            raise AssertionError(f"{self.name} cannot see #{channel.name}")
        return channel

    def _stored(self, message: Any) -> StoredMessage:
        if isinstance(message, Reply):
            if message.message is None:
                raise AssertionError(f"{message.action} produced no message")
            message = message.message
        if isinstance(message, Message):
            return message.stored
        if isinstance(message, StoredMessage):
            return message
        mid = int(getattr(message, "id", message))
        stored = self.club.world.messages.get(mid)
        if stored is None:
            raise AssertionError(f"unknown message {message!r}")
        return stored

    def _check_can_interact(self, stored: StoredMessage) -> None:
        if stored.deleted:
            raise AssertionError("that message was deleted")
        if stored.ephemeral_for is not None and stored.ephemeral_for != self.id:
            raise AssertionError(f"{self.name} cannot see that ephemeral message")
        channel = self.club.world.channels[stored.channel_id]
        if stored.ephemeral_for is None and not self.club.world.can_see(channel, self.id):
            raise AssertionError(f"{self.name} cannot see #{channel.name}")

    async def _interact(
        self,
        itype: int,
        channel: Channel,
        data: dict[str, Any],
        *,
        label: str,
        message: StoredMessage | None = None,
        trigger_id: int | None = None,
    ) -> InteractionRecord:
        await asyncio.sleep(0)
        return await self.club.interactions.create(
            itype, self.id, channel, data, label=label, message=message, trigger_id=trigger_id
        )

    async def _reply(self, rec: InteractionRecord, *, timeout: float, followup_timeout: float) -> Reply:  # noqa: ASYNC109 - a test-facing deadline
        club = self.club
        action = f"{rec.label} (by {self.name})"
        try:
            await club.wait_until(
                lambda: rec.responded or rec.late_callbacks,
                timeout=timeout,
                what=f"the bot to answer {rec.label}",
            )
        except AssertionError:
            raise AssertionError(f"the bot did not answer {rec.label} within {timeout:g} s") from None
        if not rec.responded:
            raise AssertionError(
                f"the bot answered {rec.label} after the {club.interactions.deadline:g} s deadline: "
                f"Discord replied 10062 Unknown interaction and {self.name} saw "
                f"'The application did not respond'"
            )
        world = club.world
        reply = Reply(action, response_type=rec.response_type, interaction_id=rec.id)
        rt = rec.response_type
        body = rec.response or {}
        if rt == CallbackType.AUTOCOMPLETE_RESULT:
            reply.choices = list((body.get("data") or {}).get("choices") or [])
            return reply
        if rt == CallbackType.MODAL:
            reply.modal = _modal(body.get("data") or {}, rec)
            return reply
        if (
            rt in (CallbackType.DEFERRED_CHANNEL_MESSAGE, CallbackType.DEFERRED_UPDATE_MESSAGE)
            and followup_timeout
        ):
            try:
                await club.wait_until(
                    lambda: rec.edits or rec.followup_ids,
                    timeout=followup_timeout,
                    what=f"the bot to follow up {rec.label}",
                )
            except AssertionError:
                raise AssertionError(
                    f"the bot deferred {rec.label} but sent nothing within {followup_timeout:g} s"
                ) from None
        if rec.original_id is not None and (rt != CallbackType.DEFERRED_UPDATE_MESSAGE or rec.edits):
            reply.message = Message(club.world, world.messages[rec.original_id])
        reply.followup_source = lambda: [
            Message(club.world, world.messages[m]) for m in rec.followup_ids if m != rec.original_id
        ]
        if reply.message is None and reply.followups:
            reply.message = reply.followups[0]
        return reply


def _modal(data: dict[str, Any], rec: InteractionRecord) -> Modal:
    fields = []
    for c in walk_components(data.get("components") or []):
        if c.get("custom_id") and c.get("type") in (3, 4, 5, 6, 7, 8):
            label = c.get("label")
            fields.append(
                ModalField(
                    c["custom_id"],
                    label,
                    c["type"],
                    c.get("style"),
                    bool(c.get("required", True)) if c.get("type") == 4 else int(c.get("min_values", 1)) > 0,
                    c.get("value"),
                    c.get("max_length"),
                )
            )
    # Labels (type 18) carry the label for their child component.
    labelled: dict[str, str] = {}
    for row in data.get("components") or []:
        if row.get("type") == 18 and isinstance(row.get("component"), dict):
            labelled[row["component"].get("custom_id", "")] = row.get("label", "")
    fields = [
        ModalField(
            f.custom_id,
            f.label or labelled.get(f.custom_id),
            f.type,
            f.style,
            f.required,
            f.value,
            f.max_length,
        )
        for f in fields
    ]
    return Modal(data.get("custom_id", ""), data.get("title", ""), fields, data, rec.id, rec.channel_id)


def _as_upload(value: Any) -> Upload:
    if isinstance(value, Upload):
        return value
    if isinstance(value, bytes):
        return Upload("file.bin", value)
    if isinstance(value, tuple) and len(value) == 2:
        return Upload(str(value[0]), bytes(value[1]))
    raise AssertionError(
        f"attachment options take Upload(filename, data), bytes or (filename, bytes); got {value!r}"
    )
