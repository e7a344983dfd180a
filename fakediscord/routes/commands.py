"""REST routes for application commands, global and per guild."""

from __future__ import annotations

from typing import Any

from ..errors import DiscordHTTPError, bad_request, form_error, unknown
from ..events import Events
from ..routing import RestRequest, RestResponse, Router
from ..world import World
from .base import RouteBase

# Application Commands, "Registering a Command": "An app can have the following number of commands: 100 global
# CHAT_INPUT commands, 15 global USER commands, 15 global MESSAGE commands [...] For all command types except
# PRIMARY_ENTRY_POINT, you can have the same amount of guild-specific commands per guild."
COMMAND_LIMITS = {1: 100, 2: 15, 3: 15}
COMMAND_KINDS = {1: "chat input", 2: "user", 3: "message"}


def check_options(options: Any, path: str) -> None:
    """Refuse an option that has both `autocomplete: true` and choices, at any depth.

    Application Commands, Application Command Option Structure: "`autocomplete` may not be set to true if
    `choices` are present."
    """
    for i, o in enumerate(options or []):
        if not isinstance(o, dict):
            continue
        here = f"{path}.{i}" if path else str(i)
        if o.get("autocomplete") and o.get("choices"):
            # Discord does not document the inner code and message; the 50035 and the path are what bots read.
            raise form_error(
                f"{here}.autocomplete",
                "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_WITH_CHOICES",
                "Autocomplete cannot be set to true when choices are present",
            )
        if o.get("type") in (1, 2):
            check_options(o.get("options"), f"{here}.options")


def check_counts(commands: list[dict[str, Any]]) -> None:
    """Refuse a bulk overwrite holding more commands of one type than Discord allows (COMMAND_LIMITS)."""
    for ctype, limit in COMMAND_LIMITS.items():
        if sum(1 for c in commands if int(c.get("type") or 1) == ctype) > limit:
            kind = COMMAND_KINDS[ctype]
            # The shape of the 8000-character "Request Error" example in Reference, Error Messages.
            raise DiscordHTTPError(
                400,
                50035,
                "Invalid Form Body",
                errors={
                    "_errors": [
                        {
                            "code": "APPLICATION_COMMANDS_MAX_EXCEEDED",
                            "message": f"Maximum number of {kind} application commands reached ({limit})",
                        }
                    ]
                },
            )


class CommandRoutes(RouteBase):
    """Serve /applications/{id}[/guilds/{id}]/commands."""

    def __init__(self, world: World, events: Events) -> None:
        super().__init__(world)
        self.events = events

    def register(self, router: Router) -> None:
        """Add these routes to `router`."""
        r = router.add
        for scope in ("/applications/{application_id}", "/applications/{application_id}/guilds/{guild_id}"):
            r("GET", scope + "/commands", self.list_commands)
            r("PUT", scope + "/commands", self.put_commands)
            r("POST", scope + "/commands", self.create_command)
            r("GET", scope + "/commands/{command_id}", self.get_command)
            r("PATCH", scope + "/commands/{command_id}", self.edit_command)
            r("DELETE", scope + "/commands/{command_id}", self.delete_command)

    def _scope(self, req: RestRequest) -> dict[int, dict[str, Any]]:
        gid = int(req.params["guild_id"]) if "guild_id" in req.params else None
        if gid is not None and gid not in self.world.guilds:
            raise unknown("guild")
        return self.world.commands.setdefault(gid, {})

    def _command_payload(
        self, req: RestRequest, body: dict[str, Any], existing: dict[str, Any] | None
    ) -> dict:
        gid = req.params.get("guild_id")
        cmd = {
            "id": existing["id"] if existing else str(self.world.new_id()),
            "application_id": str(self.me),
            "version": str(self.world.new_id()),
            "type": 1,
            "default_member_permissions": None,
            "nsfw": False,
            "description": "",
            "integration_types": [0],
            "contexts": None,
            "dm_permission": True,
            **body,
        }
        if cmd.get("default_member_permissions") is not None:
            cmd["default_member_permissions"] = str(int(cmd["default_member_permissions"]))
        if cmd.get("integration_types") is None:
            cmd["integration_types"] = [0]
        if gid:
            cmd["guild_id"] = gid
            cmd.pop("dm_permission", None)
        return cmd

    async def list_commands(self, req: RestRequest) -> Any:
        """GET commands."""
        return list(self._scope(req).values())

    async def put_commands(self, req: RestRequest) -> Any:
        """PUT commands (bulk overwrite)."""
        scope = self._scope(req)
        body = [c for c in req.body or [] if isinstance(c, dict)]
        for i, c in enumerate(body):
            check_options(c.get("options"), f"{i}.options")
        check_counts(body)
        old = {(c["name"], c.get("type", 1)): c for c in scope.values()}
        new = [self._command_payload(req, c, old.get((c["name"], c.get("type", 1)))) for c in body]
        scope.clear()
        for c in new:
            scope[int(c["id"])] = c
        self.events.notify()
        return new

    async def create_command(self, req: RestRequest) -> Any:
        """POST a single command (upsert by name)."""
        scope = self._scope(req)
        body = req.json()
        existing = next(
            (
                c
                for c in scope.values()
                if c["name"] == body.get("name") and c.get("type", 1) == body.get("type", 1)
            ),
            None,
        )
        check_options(body.get("options"), "options")
        ctype = int(body.get("type") or 1)
        same_type = sum(1 for c in scope.values() if int(c.get("type") or 1) == ctype)
        if existing is None and same_type >= COMMAND_LIMITS.get(ctype, same_type + 1):
            # Opcodes and Status Codes, JSON error codes: 30032 "Maximum number of application commands reached".
            raise bad_request(30032, "Maximum number of application commands reached")
        cmd = self._command_payload(req, body, existing)
        scope[int(cmd["id"])] = cmd
        self.events.notify()
        return RestResponse(200 if existing else 201, cmd)

    async def get_command(self, req: RestRequest) -> Any:
        """GET one command."""
        cmd = self._scope(req).get(req.int_param("command_id"))
        if cmd is None:
            raise unknown("application command")
        return cmd

    async def edit_command(self, req: RestRequest) -> Any:
        """PATCH one command."""
        cmd = await self.get_command(req)
        check_options(req.json().get("options"), "options")
        cmd.update(req.json())
        return cmd

    async def delete_command(self, req: RestRequest) -> Any:
        """DELETE one command."""
        if self._scope(req).pop(req.int_param("command_id"), None) is None:
            raise unknown("application command")
        return None
