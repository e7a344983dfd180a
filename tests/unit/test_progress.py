"""Progress as members type it, checked against the work."""

import pytest

from bot.domain import ProgressUnit, Work, WorkKind
from bot.errors import UserError
from bot.progress import describe_progress, parse_progress

BOOK = Work(1, WorkKind.BOOK, "The Lantern Keeper", chapters=30, pages=300, parts=("One", "Two"))
BARE_BOOK = Work(2, WorkKind.BOOK, "Unmeasured")
SERIES = Work(3, WorkKind.SERIES, "Harbour Lights", episodes=8)
FILM = Work(4, WorkKind.FILM, "Lanterns")


@pytest.mark.parametrize(
    ("text", "work", "expected"),
    [
        ("12", BOOK, (ProgressUnit.CHAPTER, 12)),
        ("ch 12", BOOK, (ProgressUnit.CHAPTER, 12)),
        ("Chapter12", BOOK, (ProgressUnit.CHAPTER, 12)),
        ("ch. 30", BOOK, (ProgressUnit.CHAPTER, 30)),
        ("p 140", BOOK, (ProgressUnit.PAGE, 140)),
        ("page 300", BOOK, (ProgressUnit.PAGE, 300)),
        ("45%", BOOK, (ProgressUnit.PERCENT, 45)),
        ("37,5 %", BOOK, (ProgressUnit.PERCENT, 37.5)),
        ("part 2", BOOK, (ProgressUnit.PART, 2)),
        ("3", SERIES, (ProgressUnit.EPISODE, 3)),
        ("ep 8", SERIES, (ProgressUnit.EPISODE, 8)),
        ("400", BARE_BOOK, (ProgressUnit.CHAPTER, 400)),
    ],
)
def test_accepted(text, work, expected):
    assert parse_progress(text, work) == expected


@pytest.mark.parametrize(
    ("text", "work", "message"),
    [
        ("halfway", BOOK, "could not read"),
        ("ch 31", BOOK, "has 30 chapters"),
        ("p 301", BOOK, "has 300 pages"),
        ("101%", BOOK, "has 100%"),
        ("part 3", BOOK, "has 2 parts"),
        ("part 1", BARE_BOOK, "no parts"),
        ("ep 2", BOOK, "is a book"),
        ("ch 2", SERIES, "is a series"),
        ("ep 9", SERIES, "has 8 episodes"),
        ("3", FILM, "is a film"),
        ("-3", BOOK, "could not read"),
    ],
)
def test_refused_with_a_reason(text, work, message):
    with pytest.raises(UserError, match=message):
        parse_progress(text, work)


def test_describe():
    assert describe_progress(ProgressUnit.CHAPTER, 12, BOOK) == "ch. 12/30"
    assert describe_progress(ProgressUnit.PERCENT, 37.5, BOOK) == "37.5%"
    assert describe_progress(ProgressUnit.EPISODE, 3, SERIES) == "ep. 3/8"
    assert describe_progress(ProgressUnit.PAGE, 10, BARE_BOOK) == "p. 10"
    assert describe_progress(None, None) == ""
