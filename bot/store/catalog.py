"""The club catalog: books, their film and series adaptations, and members' suggestions.

Each guild's approved works are kept in memory (status buttons read them on every click), in a
`GuildCache` under the `catalog` topic: every write that changes them announces it in its transaction,
so this process and every other one sharing the database drop the guild's copy once it commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.domain import Work, WorkKind
from bot.errors import UserError
from bot.store.cache import GuildCache
from bot.store.db import Database, Row, Transaction
from bot.store.discussions import GATED_DISCUSSIONS
from bot.text import escape, label_key


class DuplicateWork(UserError):
    """The catalog already has this title."""


class ShorterThanProgress(Exception):
    """An edit would make a work shorter than a member's recorded progress; nothing was changed."""

    def __init__(self, column: str, unit: str, furthest: float, value: int) -> None:
        super().__init__(f"{column} {value} < {unit} {furthest:g}")
        self.column = column
        self.unit = unit
        self.furthest = furthest
        self.value = value


# The change topic of a guild's approved works (what `CatalogRepository` keeps in memory).
CATALOG = "catalog"

# Length columns, and the progress unit each bounds (parts are bounded by how many there are).
_LENGTHS = {"chapters": "chapter", "pages": "page", "episodes": "episode"}


@dataclass(frozen=True)
class Suggestion:
    """A title a member suggested, waiting for an organizer."""

    id: int
    kind: WorkKind
    title: str
    creator: str | None
    year: int | None
    suggested_by: int | None
    adapts_work_id: int | None


@dataclass(frozen=True)
class NewWork:
    """What an organizer or member gives to add a title."""

    kind: WorkKind
    title: str
    creator: str | None = None
    year: int | None = None
    chapters: int | None = None
    pages: int | None = None
    episodes: int | None = None
    adapts_work_id: int | None = None
    parts: tuple[tuple[str, int | None], ...] = ()


_EDITABLE = frozenset({"title", "creator", "year", "chapters", "pages", "episodes"})


def _work(row: Row, parts: Sequence[Row]) -> Work:
    names = tuple(p["name"] for p in parts)
    ends = tuple(p["last_chapter"] for p in parts)
    return Work(
        id=row["id"],
        kind=WorkKind(row["kind"]),
        title=row["title"],
        creator=row["creator"],
        year=row["year"],
        chapters=row["chapters"],
        parts=names,
        part_last_chapters=ends if ends and all(e is not None for e in ends) else (),
        pages=row["pages"],
        episodes=row["episodes"],
        adapts_work_id=row["adapts_work_id"],
    )


class CatalogRepository:
    """Read and change one guild's catalog."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        # Every catalog write goes through this repository and announces itself, so the per-guild
        # cache of approved works stays exact in every process; status buttons read it on every click.
        self._works: GuildCache[dict[int, Work]] = GuildCache(db, CATALOG)

    async def add(
        self, guild_id: int, new: NewWork, *, approved: bool = True, suggested_by: int | None = None
    ) -> int:
        """Insert a work (and its parts) atomically; return its id."""
        now = self._clock.now().isoformat()

        async def write(tx: Transaction) -> int:
            # Titles that only look different (case, width, accents typed apart, invisible characters,
            # markdown) are one title; SQLite cannot compare that way, so the candidates are read here.
            same_kind = await tx.fetch_all(
                "SELECT title, approved FROM works WHERE guild_id = ? AND kind = ?"
                " AND COALESCE(year, 0) = COALESCE(?, 0)",
                (guild_id, new.kind.value, new.year),
            )
            key = label_key(new.title)
            clash = next((row for row in same_kind if label_key(row["title"]) == key), None)
            if clash is not None:
                where = (
                    "in the catalog"
                    if clash["approved"]
                    else "already suggested and waiting for an organizer"
                )
                year = f" ({new.year})" if new.year else ""
                raise DuplicateWork(f"*{escape(clash['title'])}*{year} is {where}.")
            work_id = await tx.insert(
                "INSERT INTO works (guild_id, kind, title, creator, year, chapters, pages, episodes,"
                " adapts_work_id, approved, suggested_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    new.kind.value,
                    new.title,
                    new.creator,
                    new.year,
                    new.chapters,
                    new.pages,
                    new.episodes,
                    new.adapts_work_id,
                    int(approved),
                    suggested_by,
                    now,
                ),
            )
            await tx.executemany(
                "INSERT INTO work_parts (work_id, position, name, last_chapter) VALUES (?, ?, ?, ?)",
                [(work_id, i, name, last) for i, (name, last) in enumerate(new.parts, start=1)],
            )
            if approved:
                await tx.changed(CATALOG, guild_id)
            return work_id

        return await self._db.atomic(write)

    async def works(self, guild_id: int, kinds: Sequence[WorkKind] | None = None) -> dict[int, Work]:
        """Return every approved work of the guild, by id, in catalog order."""
        cached = await self._cached(guild_id)
        if kinds is None:
            return dict(cached)
        return {i: w for i, w in cached.items() if w.kind in kinds}

    async def _cached(self, guild_id: int) -> dict[int, Work]:
        return await self._works.get(guild_id, lambda: self._load(guild_id))

    async def _load(self, guild_id: int) -> dict[int, Work]:
        rows = await self._db.fetch_all(
            "SELECT * FROM works WHERE guild_id = ? AND approved = 1 ORDER BY lower(title), year",
            (guild_id,),
        )
        parts = await self._db.fetch_all(
            "SELECT p.* FROM work_parts p JOIN works w ON w.id = p.work_id WHERE w.guild_id = ? ORDER BY p.work_id, p.position",
            (guild_id,),
        )
        by_work: dict[int, list[Row]] = {}
        for part in parts:
            by_work.setdefault(part["work_id"], []).append(part)
        return {r["id"]: _work(r, by_work.get(r["id"], [])) for r in rows}

    async def get(self, guild_id: int, work_id: int) -> Work | None:
        """Return one approved work of the guild, or None."""
        # Every click asks for its work: read the kept catalog without copying it, and when it is in
        # memory without a load closure or another coroutine either.
        works = self._works.peek(guild_id)
        if works is None:
            works = await self._cached(guild_id)
        return works.get(work_id)

    async def suggestions(self, guild_id: int) -> list[Suggestion]:
        """Return the titles waiting for approval, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM works WHERE guild_id = ? AND approved = 0 ORDER BY created_at, id", (guild_id,)
        )
        return [
            Suggestion(
                id=r["id"],
                kind=WorkKind(r["kind"]),
                title=r["title"],
                creator=r["creator"],
                year=r["year"],
                suggested_by=r["suggested_by"],
                adapts_work_id=r["adapts_work_id"],
            )
            for r in rows
        ]

    async def approve(self, guild_id: int, work_id: int) -> bool:
        """Move a suggestion into the catalog; return False if there was no such suggestion."""

        async def write(tx: Transaction) -> int:
            changed = await tx.execute(
                "UPDATE works SET approved = 1 WHERE guild_id = ? AND id = ? AND approved = 0",
                (guild_id, work_id),
            )
            if changed:
                await tx.changed(CATALOG, guild_id)
            return changed

        return await self._db.atomic(write) == 1

    async def reject(self, guild_id: int, work_id: int) -> bool:
        """Delete a suggestion; return False if there was no such suggestion."""
        changed = await self._db.atomic(
            lambda tx: tx.execute(
                "DELETE FROM works WHERE guild_id = ? AND id = ? AND approved = 0", (guild_id, work_id)
            )
        )
        return changed == 1  # a suggestion is not in the cached catalog

    async def update(
        self,
        guild_id: int,
        work_id: int,
        changes: dict[str, object],
        parts: tuple[tuple[str, int | None], ...] | None = None,
    ) -> Work:
        """Change a work's details (and replace its parts when given) atomically; return the new work."""
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")

        async def write(tx: Transaction) -> None:
            # Checked inside the write transaction: a status written meanwhile cannot slip past it.
            lengths = {c: int(v) for c, v in changes.items() if c in _LENGTHS and isinstance(v, int)}
            if parts is not None:
                lengths["parts"] = len(parts)
            for column, value in lengths.items():
                unit = _LENGTHS.get(column, "part")
                row = await tx.fetch_one(
                    "SELECT MAX(progress_value) FROM statuses WHERE guild_id = ? AND work_id = ? AND progress_unit = ?",
                    (guild_id, work_id, unit),
                )
                if row is not None and row[0] is not None and row[0] > value:
                    raise ShorterThanProgress(column, unit, float(row[0]), value)
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                await tx.execute(
                    f"UPDATE works SET {assignments} WHERE guild_id = ? AND id = ?",  # noqa: S608 - whitelisted
                    (*changes.values(), guild_id, work_id),
                )
            if parts is not None:
                await tx.execute("DELETE FROM work_parts WHERE work_id = ?", (work_id,))
                await tx.executemany(
                    "INSERT INTO work_parts (work_id, position, name, last_chapter) VALUES (?, ?, ?, ?)",
                    [(work_id, i, name, last) for i, (name, last) in enumerate(parts, start=1)],
                )
            await tx.changed(CATALOG, guild_id)

        await self._db.atomic(write)
        work = await self.get(guild_id, work_id)
        assert work is not None
        return work

    async def remove(self, guild_id: int, work_id: int) -> bool:
        """Delete a work and everything recorded about it; return False if it did not exist."""

        async def write(tx: Transaction) -> int:
            changed = await tx.execute("DELETE FROM works WHERE guild_id = ? AND id = ?", (guild_id, work_id))
            if changed:
                await tx.changed(CATALOG, guild_id)
                # Its discussions went with it (ON DELETE CASCADE), gated ones included.
                await tx.changed(GATED_DISCUSSIONS, guild_id)
            return changed

        return await self._db.atomic(write) == 1
