"""Repositories return dataclasses and write atomically."""

from datetime import timedelta

import pytest

from bot.store import DatabaseBusy, GuildSettings, IntegrityError

GUILD = 111111111111111111
OTHER_GUILD = 222222222222222222
ALICE = 333333333333333333
BOB = 444444444444444444


async def test_unconfigured_guild_has_defaults(store):
    settings = await store.guilds.get(GUILD)
    assert settings == GuildSettings(guild_id=GUILD)
    assert not await store.guilds.is_configured(GUILD)


async def test_update_creates_then_changes_only_given_fields(store, clock):
    saved = await store.guilds.update(GUILD, timezone="Europe/Paris", spoiler_mode="gated")
    assert saved.timezone == "Europe/Paris" and saved.spoiler_mode == "gated"
    assert await store.guilds.is_configured(GUILD)
    clock.advance(timedelta(hours=1))
    saved = await store.guilds.update(GUILD, announcement_channel_id=42)
    assert (saved.timezone, saved.spoiler_mode, saved.announcement_channel_id) == (
        "Europe/Paris",
        "gated",
        42,
    )
    assert await store.guilds.get(OTHER_GUILD) == GuildSettings(guild_id=OTHER_GUILD)
    row = await store.db.fetch_one("SELECT updated_at FROM guild_settings WHERE guild_id = ?", (GUILD,))
    assert row["updated_at"] == clock.now().isoformat()


async def test_update_rejects_unknown_columns_and_bad_values(store):
    with pytest.raises(ValueError, match="unknown"):
        await store.guilds.update(GUILD, updated_at="yesterday")
    with pytest.raises(IntegrityError, match=r"(?i)check"):
        await store.guilds.update(GUILD, spoiler_mode="loud")
    assert not await store.guilds.is_configured(GUILD)  # the failed update left nothing behind


async def seed_member_data(store, user_id):
    from bot.domain import State, WorkKind
    from bot.store import NewWork, StatusUpdate

    work = await store.catalog.add(
        GUILD, NewWork(WorkKind.BOOK, f"Book {user_id}"), approved=False, suggested_by=user_id
    )
    await store.statuses.set(GUILD, user_id, StatusUpdate(work, State.READ), source="command")
    from bot.store import NewFeatured

    await store.reviews.save_member_review(GUILD, work, user_id, 4, "Good.", False)
    await store.reviews.add_draft(GUILD, user_id, work, 3, "Less good.", False, None)
    await store.reviews.add_featured(
        GUILD, NewFeatured(work, user_id, 4.5, "Featured.", "none", None, None, None)
    )
    return work


async def test_forget_removes_only_that_member(store):
    alice_work = await seed_member_data(store, ALICE)
    await seed_member_data(store, BOB)
    before = await store.privacy.count(ALICE)
    assert (before.statuses, before.status_changes, before.reviews, before.suggestions) == (1, 1, 1, 1)
    assert (before.review_drafts, before.featured_posted) == (1, 1)
    removed = await store.privacy.forget(ALICE)
    assert removed == before
    assert (await store.privacy.count(ALICE)).total == 0
    assert (await store.privacy.count(BOB)).total == 6
    # The featured review Alice posted stays for the club, without her id.
    featured = await store.db.fetch_all(
        "SELECT author_id FROM reviews WHERE kind = 'featured' AND work_id = ?", (alice_work,)
    )
    assert [r["author_id"] for r in featured] == [None]
    # The suggested title stays in the catalog, without Alice's id.
    row = await store.db.fetch_one("SELECT suggested_by FROM works WHERE id = ?", (alice_work,))
    assert row["suggested_by"] is None


async def test_catalog_reads_follow_every_write(store):
    from bot.domain import WorkKind
    from bot.store import NewWork

    assert await store.catalog.works(GUILD) == {}
    book = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma", "Jane Austen", 1815, chapters=55))
    assert (await store.catalog.get(GUILD, book)).title == "Emma"
    pending = await store.catalog.add(
        GUILD, NewWork(WorkKind.FILM, "Emma", year=2020), approved=False, suggested_by=ALICE
    )
    assert await store.catalog.get(GUILD, pending) is None
    assert await store.catalog.approve(GUILD, pending)
    assert (await store.catalog.get(GUILD, pending)).year == 2020
    assert set(await store.catalog.works(GUILD, [WorkKind.FILM])) == {pending}
    assert await store.catalog.remove(GUILD, book)
    assert await store.catalog.get(GUILD, book) is None
    assert await store.catalog.works(OTHER_GUILD) == {}


async def test_set_many_is_all_or_nothing(store):
    from bot.domain import State, WorkKind
    from bot.store import NewWork, StatusRejected, StatusUpdate

    book = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma"))
    updates = [
        StatusUpdate(book, State.READ),
        StatusUpdate(999_999, State.READ),
    ]  # the second work does not exist
    with pytest.raises(StatusRejected) as rejected:
        await store.statuses.set_many(GUILD, ALICE, updates, source="import")
    assert rejected.value.gone and rejected.value.work_id == 999_999
    assert await store.statuses.for_member(GUILD, ALICE) == {}
    assert await store.statuses.history(GUILD, ALICE) == []


async def test_every_status_change_is_kept_with_its_time_and_source(store, clock):
    from datetime import UTC, datetime

    from bot.domain import ProgressUnit, State, WorkKind
    from bot.store import NewWork, StatusUpdate

    book = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma", chapters=55))
    await store.statuses.set(
        GUILD, ALICE, StatusUpdate(book, State.READING, ProgressUnit.CHAPTER, 3), source="command"
    )
    clock.advance(timedelta(days=2))
    await store.statuses.set(
        GUILD, ALICE, StatusUpdate(book, State.READING, ProgressUnit.CHAPTER, 9), source="button"
    )
    read_on = datetime(2026, 10, 1, 12, tzinfo=UTC)
    await store.statuses.set_many(GUILD, ALICE, [StatusUpdate(book, State.READ, at=read_on)], source="import")
    history = await store.statuses.history(GUILD, ALICE)
    assert [(c.state, c.progress_value, c.source) for c in history] == [
        (State.READ, None, "import"),  # happened first (the date read), recorded last
        (State.READING, 3, "command"),
        (State.READING, 9, "button"),
    ]
    assert history[0].changed_at == read_on
    assert history[2].changed_at == clock.now()
    assert (await store.statuses.for_member(GUILD, ALICE))[book].state is State.READ


async def test_reviews_one_per_member_imports_never_overwrite_written_reviews(store):
    from bot.domain import WorkKind
    from bot.store import NewWork

    book = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma", "Jane Austen", 1815))
    other = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Persuasion", "Jane Austen", 1817))
    # StoryGraph's quarter stars are kept as given.
    assert await store.reviews.import_ratings(GUILD, ALICE, [(book, 3.75), (other, 2.25)], "storygraph") == 2
    assert sorted(await store.reviews.ratings(GUILD, book)) == [3.75]
    written = await store.reviews.save_member_review(GUILD, book, ALICE, 4.5, "Lovely.", False)
    assert written.kind.value == "member" and written.rating == 4.5 and written.rating_source is None
    # A later import does not overwrite the written review, but updates the imported one.
    await store.reviews.import_ratings(GUILD, ALICE, [(book, 1.0), (other, 3.0)], "goodreads")
    assert await store.reviews.ratings(GUILD, book) == [4.5]
    assert await store.reviews.ratings(GUILD, other) == [3.0]
    await store.reviews.import_ratings(GUILD, BOB, [(book, 3.5)], "goodreads")
    summaries = await store.reviews.summaries(GUILD, [book, other])
    assert summaries[book].count == 2 and summaries[book].average == 4.0
    assert await store.reviews.count_member_reviews(GUILD, book) == 1
    assert await store.reviews.is_same_submission(written, "  Lovely. ", 4.5, False)
    assert not await store.reviews.is_same_submission(written, "Lovely.", 4.5, True)


async def test_club_history_keeps_the_latest_finish(store):
    from datetime import UTC, datetime

    from bot.domain import WorkKind
    from bot.store import NewWork

    book = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma", "Jane Austen", 1815))
    await store.reviews.mark_finished(GUILD, book, datetime(2026, 1, 5, tzinfo=UTC))
    await store.reviews.mark_finished(GUILD, book, datetime(2026, 3, 1, tzinfo=UTC))
    [finished] = await store.reviews.finished(GUILD)
    assert finished.work_id == book and finished.finished_at == datetime(2026, 3, 1, tzinfo=UTC)


async def test_import_confirm_writes_statuses_and_ratings_in_one_transaction(store, clock, monkeypatch):

    from bot.domain import State, WorkKind
    from bot.errors import UserError
    from bot.store import NewWork, StatusUpdate
    from cogs.status._imports import record_import

    book = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma"))
    other = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Persuasion"))
    heard: list[tuple[int, ...]] = []
    store.statuses.listeners.append(lambda guild, user, works: heard.append(works))
    token = await store.imports.add(
        GUILD,
        ALICE,
        [StatusUpdate(book, State.READ), StatusUpdate(other, State.READING)],
        [(book, 4.0)],
        "goodreads",
    )
    real = store.reviews.import_ratings
    calls = 0

    async def busy_after_writing(*args, **kwargs):
        # The ratings are written, then the database gives up: the statuses must roll back with them.
        nonlocal calls
        calls += 1
        written = await real(*args, **kwargs)
        if calls == 1:
            raise DatabaseBusy("database is locked")
        return written

    monkeypatch.setattr(store.reviews, "import_ratings", busy_after_writing)
    pending = await store.imports.get(token, ALICE)
    assert pending is not None
    with pytest.raises(UserError, match="nothing was imported"):
        await record_import(store, pending)
    assert await store.statuses.for_member(GUILD, ALICE) == {}
    assert await store.statuses.history(GUILD, ALICE) == []
    assert await store.reviews.ratings(GUILD, book) == []
    assert heard == []  # nobody is told of a change that was rolled back

    # The preview is still there; pressing again records everything exactly once.
    pending = await store.imports.get(token, ALICE)
    assert pending is not None and pending.imported is None
    assert await record_import(store, pending) == (2, 1, True)
    # A press holding the same (now stale) preview writes again, finds it claimed and rolls back.
    assert await record_import(store, pending) == (2, 1, False)
    assert calls == 3
    again = await store.imports.get(token, ALICE)
    assert again is not None and again.imported == (2, 1)
    assert await record_import(store, again) == (2, 1, False)
    assert calls == 3
    statuses = await store.statuses.for_member(GUILD, ALICE)
    assert {w: s.state for w, s in statuses.items()} == {book: State.READ, other: State.READING}
    assert len(await store.statuses.history(GUILD, ALICE)) == 2
    assert await store.reviews.ratings(GUILD, book) == [4.0]
    assert heard == [(book, other)]


async def test_import_confirm_with_only_ratings_records_them(store, clock):
    from bot.domain import WorkKind
    from bot.store import NewWork
    from cogs.status._imports import record_import

    book = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma"))
    heard: list[tuple[int, ...]] = []
    store.statuses.listeners.append(lambda guild, user, works: heard.append(works))
    # Every status was already recorded (a re-import): only the ratings are new.
    token = await store.imports.add(GUILD, ALICE, [], [(book, 3.5)], "goodreads")
    pending = await store.imports.get(token, ALICE)
    assert pending is not None
    assert await record_import(store, pending) == (0, 1, True)
    assert await store.reviews.ratings(GUILD, book) == [3.5]
    assert heard == []  # no status changed, so no listener runs


async def test_two_confirms_at_once_record_an_import_once(store, clock):
    import asyncio

    from bot.domain import State, WorkKind
    from bot.store import NewWork, StatusUpdate
    from cogs.status._imports import record_import

    book = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma"))
    other = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Persuasion"))
    token = await store.imports.add(
        GUILD,
        ALICE,
        [StatusUpdate(book, State.READ), StatusUpdate(other, State.READING)],
        [(book, 4.0)],
        "goodreads",
    )
    a = await store.imports.get(token, ALICE)
    b = await store.imports.get(token, ALICE)
    assert a is not None and b is not None
    outcomes = await asyncio.gather(record_import(store, a), record_import(store, b))
    assert sorted(outcomes) == [(2, 1, False), (2, 1, True)]
    assert len(await store.statuses.history(GUILD, ALICE)) == 2
    assert await store.reviews.ratings(GUILD, book) == [4.0]


async def test_an_expired_import_preview_is_refused_and_purged(store, clock):
    from datetime import timedelta

    from bot.domain import State, WorkKind
    from bot.store import IMPORT_PREVIEW_TTL, NewWork, StatusUpdate
    from cogs.status._imports import record_import

    book = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma"))
    token = await store.imports.add(GUILD, ALICE, [StatusUpdate(book, State.READ)], [], "goodreads")
    live = await store.imports.get(token, ALICE)
    assert live is not None and live.updates == [StatusUpdate(book, State.READ)]
    clock.advance(IMPORT_PREVIEW_TTL + timedelta(seconds=1))
    assert await store.imports.get(token, ALICE) is None
    assert await store.db.fetch_one("SELECT token FROM import_previews WHERE token = ?", (token,)) is None
    # A press holding the preview from before it expired cannot record it either.
    from bot.errors import UserError

    with pytest.raises(UserError, match="expired"):
        await record_import(store, live)
    assert await store.statuses.for_member(GUILD, ALICE) == {}


async def test_an_import_preview_is_its_members_alone(store, clock):
    from bot.domain import State, WorkKind
    from bot.errors import NotAllowed
    from bot.store import NewWork, StatusUpdate

    book = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma"))
    token = await store.imports.add(GUILD, ALICE, [StatusUpdate(book, State.READ)], [], "goodreads")
    with pytest.raises(NotAllowed, match="belongs to someone else"):
        await store.imports.get(token, BOB)
    mine = await store.imports.get(token, ALICE)  # refusing Bob changed nothing
    assert mine is not None and mine.user_id == ALICE and mine.imported is None


async def test_concurrent_status_writes_share_a_commit_and_each_gets_its_own_answer(sqlite_store):
    store = sqlite_store  # the group commit is SQLite's; PostgreSQL commits each write on its own
    import asyncio
    import sqlite3

    from bot.domain import State, WorkKind
    from bot.store import NewWork, StatusRejected, StatusUpdate

    book = await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma", chapters=55))
    members = [ALICE + i for i in range(20)]
    writes = [store.statuses.set(GUILD, m, StatusUpdate(book, State.READ), source="button") for m in members]
    writes.append(store.statuses.set(GUILD, ALICE, StatusUpdate(999_999, State.READ), source="button"))
    writes.append(
        store.statuses.set(GUILD, ALICE + 1, StatusUpdate(book, State.READING, None, None), source="button")
    )
    outcomes = await asyncio.gather(*writes, return_exceptions=True)
    assert all(o.state is State.READ for o in outcomes[:20])
    assert isinstance(outcomes[20], StatusRejected) and outcomes[20].gone
    # Answered means committed: another connection sees every write, in the order they were sent.
    with sqlite3.connect(store.db.path) as other:
        rows = dict(
            other.execute("SELECT user_id, state FROM statuses WHERE work_id = ?", (book,)).fetchall()
        )
    assert rows == {m: "read" for m in members} | {ALICE + 1: "reading"}
    assert len(await store.statuses.history(GUILD, ALICE + 1)) == 2
