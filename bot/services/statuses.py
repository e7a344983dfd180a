"""Recording a member's status, shared by `/status`, the one-click buttons and the progress modal."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord

from bot.domain import MemberStatus, State, Work, WorkKind, state_applies
from bot.errors import NotFound, UserError
from bot.lookup import find_work, italic, work_label
from bot.progress import describe_progress, parse_progress
from bot.replies import reply
from bot.store import StatusRejected, StatusRepository, StatusUpdate
from bot.text import LIMITS, shorten
from bot.ui import CustomId, Persistent, submitted_value
from bot.workers import Workers

if TYPE_CHECKING:
    from bot.client import BookClubBot

log = logging.getLogger(__name__)

STATE_LABELS: dict[State, str] = {
    State.WANT_TO_READ: "want to read",
    State.READING: "reading",
    State.READ: "read it",
    State.DNF: "did not finish",
    State.WANT_TO_WATCH: "want to watch",
    State.WATCHING: "watching",
    State.WATCHED: "watched it",
}


def check_state(work: Work, state: State) -> None:
    """Raise a clear message when a state does not fit the work (e.g. "watched" for a book)."""
    if not state_applies(work.kind, state):
        allowed = ", ".join(f"`{STATE_LABELS[s]}`" for s in State if state_applies(work.kind, s))
        raise UserError(f"{italic(work_label(work))} is a {work.kind.value}: its statuses are {allowed}.")


async def pick_for_state(
    works: Mapping[int, Work], query: str, state: State, *, workers: Workers | None = None
) -> Work:
    """Pick the work a member means, preferring the media the state fits ("read" means the book, not its film)."""
    fitting = [kind for kind in WorkKind if state_applies(kind, state)]
    try:
        return await find_work(works, query, fitting, workers=workers)
    except NotFound:
        # Names a work of another kind: explain the mismatch instead.
        work = await find_work(works, query, workers=workers)
        check_state(work, state)
        return work


def build_update(work: Work, state: State, progress: str | None) -> StatusUpdate:
    """Validate a state and optional typed progress for a work."""
    check_state(work, state)
    if progress is None or not progress.strip():
        return StatusUpdate(work.id, state)
    if state not in (State.READING, State.DNF, State.WATCHING):
        raise UserError(
            f"Progress goes with `reading`, `watching` or `did not finish`, not `{STATE_LABELS[state]}`."
        )
    unit, value = parse_progress(progress, work)
    return StatusUpdate(work.id, state, unit, value)


def describe_status(status: MemberStatus, work: Work | None) -> str:
    """Render a status, e.g. "reading (ch. 12/30)"."""
    progress = describe_progress(status.progress_unit, status.progress_value, work)
    return f"{STATE_LABELS[status.state]} ({progress})" if progress else STATE_LABELS[status.state]


def confirmation(work: Work, status: MemberStatus) -> str:
    """Tell the member what was recorded."""
    return f"Recorded: {italic(work_label(work))}: {describe_status(status, work)}."


async def record_status(
    statuses: StatusRepository, guild_id: int, user_id: int, work: Work, update: StatusUpdate, *, source: str
) -> MemberStatus:
    """Record a status; a catalog change that raced the member becomes a message, not an error log."""
    try:
        return await statuses.set(guild_id, user_id, update, source=source)
    except StatusRejected as exc:
        if exc.gone:
            raise NotFound("That title is no longer in the club's catalog.") from exc
        raise UserError(
            f"{italic(work_label(work))} was just shortened in the catalog, so that progress is past its end. "
            "Check the new length and try again."
        ) from exc


async def _load_work(interaction: discord.Interaction[BookClubBot], work_id: int) -> Work:
    if interaction.guild_id is None:
        raise UserError("This button only works inside a server.")
    work = await interaction.client.store.catalog.get(interaction.guild_id, work_id)
    if work is None:
        raise NotFound("That title is no longer in the club's catalog.")
    return work


class StatusButton(
    Persistent[discord.ui.Button[Any]],
    custom_id="bookclub:status:{work_id:int}:{action:read|watched|reading}",
):
    """A one-click status button on the bot's posts; it keeps working after a restart."""

    LABELS = {"read": "📖 I read it", "watched": "🎬 I watched it", "reading": "I'm reading…"}

    def __init__(self, work_id: int, action: str) -> None:
        self.work_id = work_id
        self.action = action
        style = discord.ButtonStyle.secondary if action == "reading" else discord.ButtonStyle.success
        super().__init__(
            discord.ui.Button(
                label=self.LABELS[action],
                style=style,
                custom_id=self.ids.format(work_id=work_id, action=action),
            )
        )

    async def on_press(self, interaction: discord.Interaction[BookClubBot]) -> None:
        """Record the status, or ask for progress."""
        work = await _load_work(interaction, self.work_id)
        if self.action == "reading":
            await interaction.response.send_modal(ProgressModal(work))
            return
        state = State.READ if work.kind is WorkKind.BOOK else State.WATCHED
        check_state(work, state)
        await _record_and_confirm(interaction, work, StatusUpdate(work.id, state))


PROGRESS_MODAL = CustomId("bookclub:status:progress:{work_id:int}")


class ProgressModal(discord.ui.Modal):
    """Asks "how far are you?" after "I'm reading…"; `answer_progress_modal` records the answer."""

    def __init__(self, work: Work) -> None:
        super().__init__(
            title="Where are you?", custom_id=PROGRESS_MODAL.format(work_id=work.id), timeout=900
        )
        unit = "episode" if work.kind is WorkKind.SERIES else "chapter"
        self.add_item(
            discord.ui.TextInput(
                label=shorten(f"How far into {work.title}", LIMITS.text_input_label),
                placeholder=f"e.g. 12 ({unit}), p 140, 45%"[:100],
                max_length=20,
                custom_id="progress",
            )
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Leave the answer to `answer_progress_modal`, which also works after a restart."""


async def answer_progress_modal(interaction: discord.Interaction[BookClubBot], *, work_id: int) -> None:
    """Record a submitted progress modal from its custom id alone (routed by `bot.ui.ModalRouter`)."""
    work = await _load_work(interaction, work_id)
    state = State.WATCHING if work.kind is WorkKind.SERIES else State.READING
    update = build_update(work, state, submitted_value(dict(interaction.data or {}), "progress"))
    await _record_and_confirm(interaction, work, update)


async def _record_and_confirm(
    interaction: discord.Interaction[BookClubBot], work: Work, update: StatusUpdate
) -> None:
    """Record a status pressed on a button (or typed into its progress form) and confirm it."""
    assert interaction.guild_id is not None
    status = await record_status(
        interaction.client.store.statuses,
        interaction.guild_id,
        interaction.user.id,
        work,
        update,
        source="button",
    )
    await reply(interaction, confirmation(work, status))


def status_buttons(book: Work, screen: Work | None = None) -> list[StatusButton]:
    """Return the buttons to put under a post about a book (and its adaptation)."""
    buttons = [StatusButton(book.id, "read"), StatusButton(book.id, "reading")]
    if screen is not None:
        buttons.append(StatusButton(screen.id, "watched"))
    return buttons
