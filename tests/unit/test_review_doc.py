"""Review documents (front matter, spoiler blocks, refusals) and the rating scale."""

from pathlib import Path

import pytest

from bot.domain import WorkKind
from bot.errors import UserError
from bot.ratings import describe_average, parse_member_rating, round_to_half, stars
from cogs.reviews import _document as review_doc
from cogs.reviews._document import (
    MAX_REVIEW_BYTES,
    MAX_REVIEW_CHARS,
    BundledReviewsMissing,
    ReviewFormatError,
    Section,
    bundled_reviews,
    decode_review,
    parse_review,
    read_bundled,
)

DOC = """---
title: Frankenstein
medium: book
adaptation: Frankenstein (1931)
rating: 4.5
author: Jo Reviewer  # a comment
source: https://example.org/frank
headline: "A creature of words"
---
Open text.

Second paragraph.

:::spoiler
The ending, hidden.

More hidden.
:::

Closing words.
"""


def test_front_matter_and_sections():
    doc = parse_review(DOC)
    assert doc.title == "Frankenstein" and doc.medium is WorkKind.BOOK
    assert doc.adaptation == "Frankenstein (1931)"
    assert doc.rating == 4.5 and doc.author == "Jo Reviewer" and doc.source == "https://example.org/frank"
    assert doc.headline == "A creature of words"
    assert doc.sections == (
        Section("Open text.\n\nSecond paragraph."),
        Section("The ending, hidden.\n\nMore hidden.", spoiler=True),
        Section("Closing words."),
    )
    assert doc.has_spoilers


def test_unclosed_spoiler_block_hides_to_the_end():
    doc = parse_review("---\ntitle: Dune\n---\nFine.\n:::spoiler\nSecret.\n\nAlso secret.\n")
    assert doc.sections[-1] == Section("Secret.\n\nAlso secret.", spoiler=True)


def test_crlf_and_bom_are_accepted():
    text = decode_review("r.md", "\ufeff---\r\ntitle: Dune\r\nmedium: film\r\n---\r\nHi.\r\n".encode())
    doc = parse_review(text)
    assert doc.medium is WorkKind.FILM and doc.sections == (Section("Hi."),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no front matter", "starts with front matter"),
        ("---\ntitle: X\n", "never closed"),
        ("---\nmedium: book\n---\ntext", "needs `title:`"),
        ("---\ntitle: X\ncolour: red\n---\ntext", "unknown field `colour`"),
        ("---\ntitle: X\nrating: 7\n---\ntext", "0.5 to 5 in halves"),
        ("---\ntitle: X\nrating: 3.3\n---\ntext", "0.5 to 5 in halves"),
        ("---\ntitle: X\nmedium: podcast\n---\ntext", "book, film or series"),
        ("---\ntitle: X\nsource: ftp://x/y\n---\ntext", "http(s) link"),
        ("---\ntitle: X\n---\n\n  \n", "no review text"),
        ("---\ntitle: X\njust words\n---\ntext", "`name: value`"),
    ],
)
def test_bad_documents_say_what_to_fix(text, expected):
    with pytest.raises(ReviewFormatError) as caught:
        parse_review(text)
    assert expected in caught.value.message


def test_empty_oversized_and_binary_files_are_refused():
    with pytest.raises(ReviewFormatError, match="is empty"):
        decode_review("r.md", b"  \n")
    with pytest.raises(ReviewFormatError, match="at most 256 KB"):
        decode_review("r.md", b"x" * (MAX_REVIEW_BYTES + 1))
    with pytest.raises(ReviewFormatError, match="not a text file"):
        decode_review("r.pdf", b"%PDF-1.7\x00\x01")
    with pytest.raises(ReviewFormatError, match="not UTF-8"):
        decode_review("r.md", b"caf\xe9")
    with pytest.raises(ReviewFormatError, match="characters of text"):
        parse_review("---\ntitle: X\n---\n" + "word " * (MAX_REVIEW_CHARS // 5 + 10))


def test_bundled_sample_parses_and_names_are_checked():
    assert "frankenstein-1818-and-1931.md" in bundled_reviews()
    doc = read_bundled("frankenstein-1818-and-1931.md")
    assert doc.title == "Frankenstein" and doc.adaptation == "Frankenstein (1931)" and doc.has_spoilers
    with pytest.raises(ReviewFormatError, match="No bundled review"):
        read_bundled("../../pyproject.toml")


def test_bundled_folder_found_from_the_working_directory_first(tmp_path: Path, monkeypatch):
    (tmp_path / "data" / "reviews").mkdir(parents=True)
    (tmp_path / "data" / "reviews" / "mine.md").write_text("---\ntitle: Mine\n---\nGood.")
    monkeypatch.chdir(tmp_path)
    assert bundled_reviews() == ["mine.md"]
    assert read_bundled("mine.md").title == "Mine"


def test_bundled_folder_falls_back_to_the_repository_root(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no data/ here: the checkout beside the package is used
    assert "frankenstein-1818-and-1931.md" in bundled_reviews()


def test_missing_bundled_folder_names_where_it_looked(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(review_doc, "REPOSITORY_ROOT", tmp_path / "site-packages")
    assert bundled_reviews() == []
    with pytest.raises(BundledReviewsMissing) as caught:
        read_bundled("frankenstein-1818-and-1931.md")
    message = caught.value.message
    assert "data/reviews" in message
    assert str(tmp_path / "data" / "reviews") in message
    assert str(tmp_path / "site-packages" / "data" / "reviews") in message


def test_bundled_folder_lists_only_text_files(tmp_path: Path):
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\nx")
    (tmp_path / "b.png").write_bytes(b"\x89PNG")
    assert bundled_reviews(tmp_path) == ["a.md"]


@pytest.mark.parametrize("value", ["0.5", 1, "4.5", "5", "3,5"])
def test_member_ratings_in_halves(value):
    assert parse_member_rating(value) * 2 % 1 == 0


@pytest.mark.parametrize("value", ["0", "5.5", "3.3", "-1", "nan", "inf", "lots"])
def test_member_ratings_out_of_scale_are_explained(value):
    with pytest.raises(UserError, match=r"0\.5 to 5 stars in halves"):
        parse_member_rating(value)


def test_stars_round_imported_quarters_to_halves():
    assert round_to_half(3.75) == 4.0 and round_to_half(3.25) == 3.5 and round_to_half(4.24) == 4.0
    assert stars(3.75) == "★★★★☆ 4/5"
    assert stars(3.5) == "★★★½☆ 3.5/5"
    assert stars(0.5) == "½☆☆☆☆ 0.5/5"
    assert describe_average([4, 3.5, 3.75]) == "★★★★☆ 4/5 (average 3.75 from 3 ratings)"
    assert describe_average([]) == "no ratings yet"
