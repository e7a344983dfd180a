"""`/status import`: preview what an export would record, then record it all at once on confirmation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any

import discord

from bot.domain import STATE_RANK, MemberStatus
from bot.errors import UserError
from bot.replies import edit_reply
from bot.services.statuses import STATE_LABELS
from bot.store import (
    IntegrityError,
    StatusRejected,
    StatusUpdate,
    Store,
    StoredImport,
    Transaction,
    WriteConflict,
)
from bot.ui import Persistent
from cogs.status.importers import ImportPreview, ImportRow

if TYPE_CHECKING:
    from bot.client import BookClubBot

log = logging.getLogger(__name__)

EXPIRED = "This preview has expired (or the bot restarted); run `/status import` again."


class _AlreadyClaimed(Exception):
    """Another press recorded this preview first: roll this one's writes back."""


async def record_import(store: Store, pending: StoredImport) -> tuple[int, int, bool]:
    """Record a preview's statuses and ratings in one transaction, once; return the counts and whether now.

    The preview is claimed in the transaction that records it, so of two presses at once (in one
    process or two) exactly one writes; the other is rolled back and returns the first one's counts.
    A failed write leaves the preview as it was, so the member can press again, unless the
    catalog changed under it.
    """
    if pending.imported is not None:
        return (*pending.imported, False)
    rated = 0

    async def write_ratings_and_claim(tx: Transaction) -> None:
        nonlocal rated
        if pending.ratings:
            # Written reviews are never overwritten; re-importing only refreshes imported ratings.
            rated = await store.reviews.import_ratings(
                pending.guild_id, pending.user_id, pending.ratings, pending.source, tx=tx
            )
        if not await store.imports.claim(tx, pending.token, len(pending.updates), rated):
            raise _AlreadyClaimed

    try:
        # Statuses, ratings and the claim in one transaction: a failed rating write leaves no status
        # written, so pressing again cannot record the statuses twice.
        count = await store.statuses.set_many(
            pending.guild_id,
            pending.user_id,
            pending.updates,
            source="import",
            also=write_ratings_and_claim,
        )
    except _AlreadyClaimed:
        again = await store.imports.get(pending.token, pending.user_id)
        if again is None or again.imported is None:  # expired (or cancelled) meanwhile
            raise UserError(EXPIRED) from None
        return (*again.imported, False)
    except (StatusRejected, IntegrityError) as exc:  # the catalog changed
        await store.imports.drop(pending.token)
        raise UserError(
            "The club's catalog changed since this preview, so nothing was imported; "
            "run `/status import` again."
        ) from exc
    except WriteConflict as exc:  # a busy database (or other processes' writes): nothing was written
        log.warning("Import of %d statuses failed, preview kept: %s", len(pending.updates), exc)
        raise UserError(
            "I could not save the import just now, and nothing was imported. "
            "Press **Import these** again in a moment."
        ) from exc
    log.info("Imported %d statuses and %d ratings in guild %s", count, rated, pending.guild_id)
    return count, rated, True


def plan_import(
    preview: ImportPreview, current: dict[int, MemberStatus]
) -> tuple[list[tuple[ImportRow, StatusUpdate]], list[tuple[ImportRow, str]]]:
    """Turn matched rows into updates; rows that would change nothing or go backwards are kept out."""
    updates: list[tuple[ImportRow, StatusUpdate]] = []
    kept: list[tuple[ImportRow, str]] = []
    for row, work_id in preview.matched:
        state = row.state
        existing = current.get(work_id)
        if existing is not None and existing.state == state:
            kept.append((row, "already recorded"))
            continue
        if existing is not None and STATE_RANK[existing.state] > STATE_RANK[state]:
            kept.append((row, f"you already marked it {STATE_LABELS[existing.state]}"))
            continue
        at = datetime.combine(row.finished_at, time(12), tzinfo=UTC) if row.finished_at else None
        updates.append((row, StatusUpdate(work_id, state, at=at)))
    return updates, kept


class ImportButton(
    Persistent[discord.ui.Button[Any]], custom_id="bookclub:import:{action:confirm|cancel}:{token:hex16}"
):
    """Confirm or cancel an import preview."""

    def __init__(self, action: str, token: str) -> None:
        self.action = action
        self.token = token
        label, style = (
            ("Import these", discord.ButtonStyle.success)
            if action == "confirm"
            else ("Cancel", discord.ButtonStyle.secondary)
        )
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=self.ids.format(action=action, token=token))
        )

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Apply the whole import in one transaction, or drop it."""
        # The previews are in the database: any process (or one restarted) confirms them.
        store = interaction.client.store
        pending = await store.imports.get(self.token, interaction.user.id)
        if self.action == "cancel":
            if pending is not None and pending.imported is not None:
                raise UserError("This import was already recorded; `/status show` lists your statuses.")
            await store.imports.drop(self.token)
            await edit_reply(
                interaction, content="Import cancelled: nothing was changed.", embeds=[], view=None
            )
            return
        if pending is None:
            raise UserError(EXPIRED)
        # A busy database can take seconds; acknowledge the press first so Discord's deadline holds.
        await interaction.response.defer()
        count, rated, now = await record_import(store, pending)
        done = "Imported" if now else "Already imported"
        ratings = f" and {rated} ratings (`/review list` shows them)" if rated else ""
        await edit_reply(
            interaction,
            content=f"{done} {count} statuses{ratings}. `/status show` lists them.",
            embeds=[],
            view=None,
        )
