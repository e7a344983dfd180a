"""Who is interested in a discussion (Discord's "Interested" on its event) and who took part in it."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.store.db import Database, Transaction


@dataclass(frozen=True)
class ParticipationCounts:
    """How many members were interested in a discussion, were let into its thread, and took part."""

    interested: int = 0
    let_in: int = 0
    took_part: int = 0  # posted in the thread or let in


@dataclass(frozen=True)
class OwnPart:
    """What one member did for one discussion (shown to that member only)."""

    interested: bool = False
    let_in: bool = False
    took_part: bool = False


def _marks(items: Collection[object]) -> str:
    return ", ".join("?" for _ in items)


class ParticipationRepository:
    """Interest as Discord reports it, and attendance recorded while a discussion runs and at its close."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def _now(self) -> str:
        return self._clock.now().isoformat()

    # -- interest ----------------------------------------------------------------------------------

    async def add_interest(self, discussion_id: int, user_id: int) -> bool:
        """Record that a member marked the discussion's event Interested; False if already recorded."""
        changed = await self._db.execute_atomic(
            "INSERT INTO discussion_interest (discussion_id, user_id, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (discussion_id, user_id, self._now()),
        )
        return changed == 1

    async def remove_interest(self, discussion_id: int, user_id: int) -> bool:
        """Forget a member's interest (they took back Interested); False if none was recorded."""
        changed = await self._db.execute_atomic(
            "DELETE FROM discussion_interest WHERE discussion_id = ? AND user_id = ?",
            (discussion_id, user_id),
        )
        return changed == 1

    async def replace_interest(self, discussion_id: int, user_ids: Iterable[int]) -> tuple[int, int]:
        """Make the stored interest equal Discord's list; return (added, removed)."""
        wanted = set(user_ids)
        now = self._now()

        async def write(tx: Transaction) -> tuple[int, int]:
            rows = await tx.fetch_all(
                "SELECT user_id FROM discussion_interest WHERE discussion_id = ?", (discussion_id,)
            )
            stored = {r["user_id"] for r in rows}
            gone = sorted(stored - wanted)
            new = sorted(wanted - stored)
            await tx.executemany(
                "DELETE FROM discussion_interest WHERE discussion_id = ? AND user_id = ?",
                [(discussion_id, u) for u in gone],
            )
            await tx.executemany(
                "INSERT INTO discussion_interest (discussion_id, user_id, created_at) VALUES (?, ?, ?)",
                [(discussion_id, u, now) for u in new],
            )
            return len(new), len(gone)

        return await self._db.atomic(write)

    async def interested(self, discussion_id: int) -> list[int]:
        """Return the members interested in a discussion, by id."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM discussion_interest WHERE discussion_id = ? ORDER BY user_id",
            (discussion_id,),
        )
        return [r["user_id"] for r in rows]

    async def claim_hint(self, discussion_id: int, user_id: int) -> bool:
        """Claim the one "what to mark first" DM an interested member gets; False if it was sent already."""
        changed = await self._db.execute_atomic(
            "UPDATE discussion_interest SET hinted_at = ? WHERE discussion_id = ? AND user_id = ?"
            " AND hinted_at IS NULL",
            (self._now(), discussion_id, user_id),
        )
        return changed == 1

    # -- attendance --------------------------------------------------------------------------------

    async def record_let_in(self, discussion_id: int, user_id: int) -> None:
        """Record that the bot let a member into the discussion's thread."""
        now = self._now()
        await self._db.execute_atomic(
            "INSERT INTO discussion_attendance (discussion_id, user_id, let_in, created_at, updated_at)"
            " VALUES (?, ?, 1, ?, ?) ON CONFLICT (discussion_id, user_id) DO UPDATE SET let_in = 1, updated_at = excluded.updated_at",
            (discussion_id, user_id, now, now),
        )

    async def record_posters(self, discussion_id: int, user_ids: Iterable[int]) -> None:
        """Record the members who posted in the discussion's thread (read at the close; safe to repeat)."""
        now = self._now()
        rows = [(discussion_id, u, now, now) for u in sorted(set(user_ids))]  # read once: it may run again
        await self._db.atomic(
            lambda tx: tx.executemany(
                "INSERT INTO discussion_attendance (discussion_id, user_id, posted, created_at, updated_at)"
                " VALUES (?, ?, 1, ?, ?) ON CONFLICT (discussion_id, user_id) DO UPDATE SET posted = 1, updated_at = excluded.updated_at",
                rows,
            )
        )

    # -- reading -----------------------------------------------------------------------------------

    async def counts(self, discussion_ids: Sequence[int]) -> dict[int, ParticipationCounts]:
        """Return the counts of each discussion (zeros for one nobody touched)."""
        if not discussion_ids:
            return {}
        ids = tuple(discussion_ids)
        among = f"discussion_id IN ({_marks(ids)})"
        interest = await self._db.fetch_all(
            f"SELECT discussion_id, COUNT(*) AS n FROM discussion_interest WHERE {among} GROUP BY discussion_id",  # noqa: S608 - placeholders only
            ids,
        )
        attendance = await self._db.fetch_all(
            f"SELECT discussion_id, SUM(let_in) AS let_in, COUNT(*) AS took_part FROM discussion_attendance WHERE {among} GROUP BY discussion_id",  # noqa: S608 - placeholders only
            ids,
        )
        interested = {r["discussion_id"]: r["n"] for r in interest}
        attended = {r["discussion_id"]: (r["let_in"], r["took_part"]) for r in attendance}
        return {
            i: ParticipationCounts(interested.get(i, 0), *attended.get(i, (0, 0))) for i in discussion_ids
        }

    async def own_part(self, user_id: int, discussion_ids: Sequence[int]) -> dict[int, OwnPart]:
        """Return what one member did for each of the discussions (nothing: absent)."""
        if not discussion_ids:
            return {}
        ids = tuple(discussion_ids)
        among = f"user_id = ? AND discussion_id IN ({_marks(ids)})"
        interest = await self._db.fetch_all(
            f"SELECT discussion_id FROM discussion_interest WHERE {among}",  # noqa: S608 - placeholders only
            (user_id, *ids),
        )
        attendance = await self._db.fetch_all(
            f"SELECT discussion_id, let_in FROM discussion_attendance WHERE {among}",  # noqa: S608 - placeholders only
            (user_id, *ids),
        )
        interested = {r["discussion_id"] for r in interest}
        attended = {r["discussion_id"]: bool(r["let_in"]) for r in attendance}
        return {
            i: OwnPart(i in interested, attended.get(i, False), i in attended)
            for i in discussion_ids
            if i in interested or i in attended
        }
