"""Polls (native, ranked-choice, dates), their votes and ballots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import groupby

from bot.clock import Clock
from bot.errors import UserError
from bot.store.db import Database, Row, Transaction
from bot.store.timers import ShardFilter


class PollKind(StrEnum):
    """How members vote."""

    NATIVE = "native"  # a Discord poll; votes arrive as gateway events
    RANKED = "ranked"  # the bot's own ballots, counted by instant runoff
    DATES = "dates"  # a Discord poll over candidate meeting times


@dataclass(frozen=True)
class NewOption:
    """An answer of a poll being created."""

    label: str
    answer: str
    work_id: int | None = None
    starts_at: datetime | None = None


@dataclass(frozen=True)
class PollOption:
    """One answer of a poll; `position` is Discord's answer id for native polls."""

    position: int
    label: str
    answer: str
    work_id: int | None
    starts_at: datetime | None
    final_votes: int | None


@dataclass(frozen=True)
class Poll:
    """A poll and its answers."""

    id: int
    guild_id: int
    kind: PollKind
    channel_id: int
    message_id: int | None
    info_message_id: int | None
    question: str
    allow_multiple: bool
    is_open: bool
    closes_at: datetime
    closed_at: datetime | None
    round_id: int | None
    winner_position: int | None
    result: str | None
    created_by: int | None
    options: tuple[PollOption, ...]

    def option(self, position: int) -> PollOption | None:
        """Return the answer at `position`, if any."""
        return next((o for o in self.options if o.position == position), None)


@dataclass(frozen=True, slots=True)
class VoteOp:
    """A vote added to or removed from a Discord poll, as the gateway reported it."""

    added: bool
    message_id: int
    answer_id: int
    user_id: int
    at: datetime


_ADD_VOTE = (
    "INSERT INTO poll_votes (poll_id, position, user_id, voted_at)"
    " SELECT id, ?, ?, ? FROM polls WHERE message_id = ? AND state = 'open' AND kind != 'ranked'"
    " ON CONFLICT DO NOTHING"
)
_REMOVE_VOTE = (
    "DELETE FROM poll_votes WHERE position = ? AND user_id = ? AND poll_id ="
    " (SELECT id FROM polls WHERE message_id = ? AND state = 'open' AND kind != 'ranked')"
)


class PollClosed(UserError):
    """The poll no longer takes ballots."""


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _poll(row: Row, options: Sequence[Row]) -> Poll:
    return Poll(
        id=row["id"],
        guild_id=row["guild_id"],
        kind=PollKind(row["kind"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        info_message_id=row["info_message_id"],
        question=row["question"],
        allow_multiple=bool(row["allow_multiple"]),
        is_open=row["state"] == "open",
        closes_at=datetime.fromisoformat(row["closes_at"]),
        closed_at=_dt(row["closed_at"]),
        round_id=row["round_id"],
        winner_position=row["winner_position"],
        result=row["result"],
        created_by=row["created_by"],
        options=tuple(
            PollOption(
                position=o["position"],
                label=o["label"],
                answer=o["answer"],
                work_id=o["work_id"],
                starts_at=_dt(o["starts_at"]),
                final_votes=o["final_votes"],
            )
            for o in options
        ),
    )


class PollRepository:
    """Read and write polls, votes and ballots."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # -- polls ------------------------------------------------------------------------------------
    async def create(
        self,
        guild_id: int,
        kind: PollKind,
        *,
        channel_id: int,
        question: str,
        options: Sequence[NewOption],
        closes_at: datetime,
        allow_multiple: bool = False,
        created_by: int | None = None,
        round_id: int | None = None,
    ) -> int:
        """Insert a poll with its answers (before it is posted); return its id."""
        now = self._clock.now().isoformat()

        async def write(tx: Transaction) -> int:
            poll_id = await tx.insert(
                "INSERT INTO polls (guild_id, kind, channel_id, question, allow_multiple, closes_at, round_id,"
                " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    kind.value,
                    channel_id,
                    question,
                    int(allow_multiple),
                    closes_at.isoformat(),
                    round_id,
                    created_by,
                    now,
                ),
            )
            await tx.executemany(
                "INSERT INTO poll_options (poll_id, position, label, answer, work_id, starts_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        poll_id,
                        i,
                        o.label,
                        o.answer,
                        o.work_id,
                        o.starts_at.isoformat() if o.starts_at else None,
                    )
                    for i, o in enumerate(options, start=1)
                ],
            )
            return poll_id

        return await self._db.atomic(write)

    async def set_messages(
        self, poll_id: int, *, message_id: int | None = None, info_message_id: int | None = None
    ) -> None:
        """Record the Discord messages that show the poll."""
        await self._db.execute_atomic(
            "UPDATE polls SET message_id = COALESCE(?, message_id),"
            " info_message_id = COALESCE(?, info_message_id) WHERE id = ?",
            (message_id, info_message_id, poll_id),
        )

    async def delete(self, poll_id: int) -> None:
        """Delete a poll that could not be posted."""
        await self._db.execute_atomic("DELETE FROM polls WHERE id = ?", (poll_id,))

    async def _load(self, where: str, params: Iterable[object]) -> list[Poll]:
        # `where` is always a literal of this module; values are bound parameters.
        rows = await self._db.fetch_all(f"SELECT * FROM polls WHERE {where}", tuple(params))  # noqa: S608
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ",".join("?" * len(ids))
        options = await self._db.fetch_all(
            f"SELECT * FROM poll_options WHERE poll_id IN ({marks}) ORDER BY poll_id, position",  # noqa: S608
            ids,
        )
        by_poll: dict[int, list[Row]] = {}
        for o in options:
            by_poll.setdefault(o["poll_id"], []).append(o)
        return [_poll(r, by_poll.get(r["id"], [])) for r in rows]

    async def get(self, poll_id: int) -> Poll | None:
        """Return a poll by id."""
        found = await self._load("id = ?", (poll_id,))
        return found[0] if found else None

    async def in_guild(self, guild_id: int, poll_id: int) -> Poll | None:
        """Return a poll of the guild by id."""
        found = await self._load("id = ? AND guild_id = ?", (poll_id, guild_id))
        return found[0] if found else None

    async def open_polls(
        self, kinds: Sequence[PollKind] = tuple(PollKind), shards: ShardFilter | None = None
    ) -> list[Poll]:
        """Return every open poll of the given kinds, in every guild or only in `shards`' guilds."""
        marks = ",".join("?" * len(kinds))
        in_shards, shard_params = shards.clause() if shards is not None else ("", [])
        return await self._load(
            f"state = 'open' AND message_id IS NOT NULL AND kind IN ({marks}){in_shards} ORDER BY id",
            [*(k.value for k in kinds), *shard_params],
        )

    async def recent(self, guild_id: int, limit: int = 25) -> list[Poll]:
        """Return the guild's polls, newest first."""
        return await self._load("guild_id = ? ORDER BY id DESC LIMIT ?", (guild_id, limit))

    # -- native votes ----------------------------------------------------------------------------
    async def apply_votes(self, ops: Sequence[VoteOp]) -> None:
        """Apply vote events from the gateway in order, in one transaction.

        Votes count only on open Discord polls of ours (any other message id changes nothing).
        Consecutive events of one kind go to SQLite as one batch.
        """

        async def write(tx: Transaction) -> None:
            for added, run in groupby(ops, key=lambda op: op.added):
                if added:
                    await tx.executemany(
                        _ADD_VOTE,
                        [(op.answer_id, op.user_id, op.at.isoformat(), op.message_id) for op in run],
                    )
                else:
                    await tx.executemany(
                        _REMOVE_VOTE, [(op.answer_id, op.user_id, op.message_id) for op in run]
                    )

        await self._db.atomic(write)

    async def add_vote(self, message_id: int, answer_id: int, user_id: int) -> bool:
        """Record one vote on an open Discord poll, in one statement; return whether it was new."""
        params = (answer_id, user_id, self._clock.now().isoformat(), message_id)
        return await self._db.execute_atomic(_ADD_VOTE, params) > 0

    async def remove_vote(self, message_id: int, answer_id: int, user_id: int) -> bool:
        """Remove one vote from an open Discord poll; return whether there was one."""
        return await self._db.execute_atomic(_REMOVE_VOTE, (answer_id, user_id, message_id)) > 0

    async def votes(self, poll_id: int) -> dict[int, set[int]]:
        """Return who voted for each answer."""
        rows = await self._db.fetch_all(
            "SELECT position, user_id FROM poll_votes WHERE poll_id = ?", (poll_id,)
        )
        found: dict[int, set[int]] = {}
        for r in rows:
            found.setdefault(r["position"], set()).add(r["user_id"])
        return found

    async def vote_counts(self, poll_id: int) -> dict[int, int]:
        """Return the number of votes for each answer that has any."""
        rows = await self._db.fetch_all(
            "SELECT position, COUNT(*) AS n FROM poll_votes WHERE poll_id = ? GROUP BY position", (poll_id,)
        )
        return {r["position"]: r["n"] for r in rows}

    async def voters(self, poll_id: int) -> int:
        """Return how many members voted (ballots for ranked polls)."""
        row = await self._db.fetch_one(
            "SELECT CASE WHEN p.kind = 'ranked'"
            " THEN (SELECT COUNT(DISTINCT user_id) FROM poll_ballots WHERE poll_id = p.id)"
            " ELSE (SELECT COUNT(DISTINCT user_id) FROM poll_votes WHERE poll_id = p.id) END"
            " FROM polls p WHERE p.id = ?",
            (poll_id,),
        )
        return int(row[0]) if row else 0

    async def replace_votes(self, poll_id: int, truth: Mapping[int, set[int]]) -> tuple[int, int]:
        """Make the stored votes equal Discord's (answer -> voters); return (added, removed)."""
        now = self._clock.now().isoformat()

        async def write(tx: Transaction) -> tuple[int, int]:
            removed = 0  # counted afresh on each run
            rows = await tx.fetch_all(
                "SELECT position, user_id FROM poll_votes WHERE poll_id = ?", (poll_id,)
            )
            stored = {(r["position"], r["user_id"]) for r in rows}
            wanted = {(pos, uid) for pos, users in truth.items() for uid in users}
            for pos, uid in stored - wanted:
                removed += await tx.execute(
                    "DELETE FROM poll_votes WHERE poll_id = ? AND position = ? AND user_id = ?",
                    (poll_id, pos, uid),
                )
            missing = sorted(wanted - stored)
            await tx.executemany(
                "INSERT INTO poll_votes (poll_id, position, user_id, voted_at) VALUES (?, ?, ?, ?)",
                [(poll_id, pos, uid, now) for pos, uid in missing],
            )
            return len(missing), removed

        return await self._db.atomic(write)

    async def close(
        self,
        poll_id: int,
        final_votes: Mapping[int, int],
        *,
        winner_position: int | None,
        result: str | None = None,
    ) -> bool:
        """Mark an open poll closed with its final counts; return False if it was already closed."""
        now = self._clock.now().isoformat()

        async def write(tx: Transaction) -> bool:
            changed = await tx.execute(
                "UPDATE polls SET state = 'closed', closed_at = ?, winner_position = ?, result = ?"
                " WHERE id = ? AND state = 'open'",
                (now, winner_position, result, poll_id),
            )
            if not changed:
                return False
            await tx.execute("UPDATE poll_options SET final_votes = 0 WHERE poll_id = ?", (poll_id,))
            await tx.executemany(
                "UPDATE poll_options SET final_votes = ? WHERE poll_id = ? AND position = ?",
                [(n, poll_id, pos) for pos, n in final_votes.items()],
            )
            return True

        return await self._db.atomic(write)

    # -- ranked ballots ---------------------------------------------------------------------------
    async def set_ballot(self, poll_id: int, user_id: int, positions: Sequence[int]) -> None:
        """Replace a member's ranked ballot (empty: withdraw it), only while the poll is open."""
        if len(set(positions)) != len(positions):
            raise UserError("A ballot can rank each title only once.")
        now = self._clock.now().isoformat()

        async def write(tx: Transaction) -> None:
            poll = await tx.fetch_one("SELECT state, kind FROM polls WHERE id = ?", (poll_id,))
            if poll is None or poll["kind"] != PollKind.RANKED.value:
                raise UserError("That ballot belongs to a poll that no longer exists.")
            if poll["state"] != "open":
                raise PollClosed("This poll has closed; ballots can no longer be cast or changed.")
            count = await tx.fetch_one("SELECT COUNT(*) FROM poll_options WHERE poll_id = ?", (poll_id,))
            if any(p < 1 or p > int(count[0] if count else 0) for p in positions):
                raise UserError("That ballot names a choice this poll does not have.")
            await tx.execute("DELETE FROM poll_ballots WHERE poll_id = ? AND user_id = ?", (poll_id, user_id))
            await tx.executemany(
                "INSERT INTO poll_ballots (poll_id, user_id, rank, position, cast_at) VALUES (?, ?, ?, ?, ?)",
                [(poll_id, user_id, rank, pos, now) for rank, pos in enumerate(positions, start=1)],
            )

        await self._db.atomic(write)

    async def ballot(self, poll_id: int, user_id: int) -> list[int]:
        """Return a member's ranked choices, first choice first."""
        rows = await self._db.fetch_all(
            "SELECT position FROM poll_ballots WHERE poll_id = ? AND user_id = ? ORDER BY rank",
            (poll_id, user_id),
        )
        return [r["position"] for r in rows]

    async def ballots(self, poll_id: int) -> list[list[int]]:
        """Return every ballot of a ranked poll (anonymous, in no meaningful order)."""
        rows = await self._db.fetch_all(
            "SELECT user_id, position FROM poll_ballots WHERE poll_id = ? ORDER BY user_id, rank",
            (poll_id,),
        )
        by_user: dict[int, list[int]] = {}
        for r in rows:
            by_user.setdefault(r["user_id"], []).append(r["position"])
        return list(by_user.values())
