"""Featured review documents: Markdown or plain text with a small front matter and spoiler blocks.

The format (documented in README, "Featured reviews")::

    ---
    title: Frankenstein            # the catalog title reviewed (required)
    medium: book                   # book, film or series (default: book)
    adaptation: Frankenstein 1931  # optional: a film or series the review also covers
    rating: 4.5                    # optional: 0.5-5 in halves
    author: Jo Reviewer            # optional: who wrote the review
    source: https://example.org/x  # optional: where it was first published
    headline: A creature of words  # optional: the review's own title
    ---
    Text that anyone may read.

    :::spoiler
    Text that gives the plot away; posted behind spoiler markup, never split out of it.
    :::

A `:::spoiler` block left open runs to the end of the document (hiding too much is the safe mistake).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from bot.domain import WorkKind
from bot.ratings import MAX_RATING, MIN_RATING
from bot.text import code_span

MAX_REVIEW_BYTES = 256 * 1024
"""Largest review file accepted; checked before decoding."""
MAX_REVIEW_CHARS = 60_000
"""Longest review text accepted (about 15 Discord messages)."""

_FIELDS = frozenset({"title", "medium", "adaptation", "rating", "author", "source", "headline"})
_SPOILER_OPEN = re.compile(r"^\s*:::\s*spoilers?\s*$", re.IGNORECASE)
_SPOILER_CLOSE = re.compile(r"^\s*:::\s*$")


class ReviewFormatError(Exception):
    """A review document that cannot be posted; `message` says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Section:
    """A run of the review's text, spoiler or not."""

    text: str
    spoiler: bool = False
    # Plain text from a web page: posted with its markdown characters escaped, so it reads as written.
    plain: bool = False


@dataclass(frozen=True, slots=True)
class ReviewDocument:
    """A featured review, as read from a file or extracted from a web page."""

    title: str
    medium: WorkKind = WorkKind.BOOK
    sections: tuple[Section, ...] = ()
    adaptation: str | None = None
    rating: float | None = None
    author: str | None = None
    source: str | None = None
    headline: str | None = None
    site: str | None = None
    published: str | None = None
    # Set for web pages: only an excerpt of someone else's text is posted unless asked for all of it.
    excerpt_only: bool = False

    @property
    def has_spoilers(self) -> bool:
        """Say whether any section is marked as a spoiler."""
        return any(s.spoiler for s in self.sections)

    @property
    def text_length(self) -> int:
        """Return the number of characters of review text."""
        return sum(len(s.text) for s in self.sections)


def decode_review(name: str, data: bytes) -> str:
    """Return an uploaded review as text, or explain why it cannot be one."""
    if not data.strip():
        raise ReviewFormatError(f"{_shown(name)} is empty: attach a Markdown or text file with the review.")
    if len(data) > MAX_REVIEW_BYTES:
        raise ReviewFormatError(
            f"{_shown(name)} is {len(data) / 1024:.0f} KB; a review file can be at most "
            f"{MAX_REVIEW_BYTES // 1024} KB."
        )
    if b"\x00" in data:
        raise ReviewFormatError(f"{_shown(name)} is not a text file: attach the review as .md or .txt.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReviewFormatError(
            f"{_shown(name)} is not UTF-8 text: save it as UTF-8 and attach it again."
        ) from None


def _shown(name: str) -> str:
    """Return a file name (its last path part) as a code span that stays closed whatever it holds."""
    base = re.sub(r"[\x00-\x1f\x7f]", "", re.split(r"[\\/]", name)[-1])
    return code_span(base or "the file", 60)


def _front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split `---` front matter from the body; return (fields, body lines)."""
    if not lines or lines[0].strip() != "---":
        raise ReviewFormatError(
            "A review file starts with front matter between two `---` lines, with at least "
            "`title: <the title reviewed>` (see the README's Featured reviews section)."
        )
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            return fields, lines[number:]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip().casefold()
        if not sep or not key:
            raise ReviewFormatError(f"Front matter line {number} should be `name: value`, not `{line[:60]}`.")
        if key not in _FIELDS:
            known = ", ".join(sorted(_FIELDS))
            raise ReviewFormatError(
                f"Front matter line {number}: unknown field `{key[:30]}` (known: {known})."
            )
        fields[key] = value.split(" #", 1)[0].strip().strip("\"'")
    raise ReviewFormatError("The front matter is never closed: add a `---` line after its last field.")


def parse_rating_field(text: str) -> float:
    """Return a featured review's rating (0.5-5 in halves), or explain the scale."""
    try:
        rating = float(text.replace(",", "."))
    except ValueError:
        rating = -1.0
    if not MIN_RATING <= rating <= MAX_RATING or (rating * 2) % 1:
        raise ReviewFormatError(
            f"`rating: {text[:20]}` is not on the scale: use 0.5 to 5 in halves, e.g. 4.5."
        )
    return rating


def _medium(text: str) -> WorkKind:
    try:
        return WorkKind(text.casefold())
    except ValueError:
        raise ReviewFormatError(f"`medium: {text[:20]}` should be book, film or series.") from None


def check_source(url: str) -> str:
    """Return an http(s) source link, or explain the problem."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or any(c.isspace() for c in url):
        raise ReviewFormatError(f"`source:` must be an http(s) link, not `{url[:80]}`.")
    return url


def split_sections(body: str) -> tuple[Section, ...]:
    """Split the body into plain and spoiler sections at `:::spoiler` / `:::` lines."""
    sections: list[Section] = []
    current: list[str] = []
    in_spoiler = False

    def flush() -> None:
        text = "\n".join(current).strip("\n")
        if text.strip():
            sections.append(Section(text.strip(), in_spoiler))
        current.clear()

    for line in body.splitlines():
        if not in_spoiler and _SPOILER_OPEN.match(line):
            flush()
            in_spoiler = True
        elif in_spoiler and _SPOILER_CLOSE.match(line):
            flush()
            in_spoiler = False
        else:
            current.append(line.rstrip())
    flush()
    return tuple(sections)


def parse_review(text: str, *, name: str = "review") -> ReviewDocument:
    """Parse a review document, or raise ReviewFormatError saying what to fix."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    fields, body = _front_matter(text.split("\n"))
    title = " ".join(fields.get("title", "").split())
    if not title:
        raise ReviewFormatError("The front matter needs `title:`, the catalog title the review is about.")
    sections = split_sections("\n".join(body))
    if not sections:
        raise ReviewFormatError(f"{_shown(name)} has front matter but no review text after it.")
    length = sum(len(s.text) for s in sections)
    if length > MAX_REVIEW_CHARS:
        raise ReviewFormatError(
            f"{_shown(name)} has {length:,} characters of text; a review can have at most {MAX_REVIEW_CHARS:,}."
        )
    return ReviewDocument(
        title=title,
        medium=_medium(fields["medium"]) if fields.get("medium") else WorkKind.BOOK,
        sections=sections,
        adaptation=fields.get("adaptation") or None,
        rating=parse_rating_field(fields["rating"]) if fields.get("rating") else None,
        author=fields.get("author") or None,
        source=check_source(fields["source"]) if fields.get("source") else None,
        headline=fields.get("headline") or None,
    )


BUNDLED_SUBDIR = Path("data") / "reviews"
"""Where reviews shipped with the bot live, offered by `/review feature bundled:`, relative to a checkout."""
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
"""The folder holding the `cogs` package: the repository root when the bot runs from a checkout."""


def bundled_dir_candidates() -> list[Path]:
    """Return the folders searched for bundled reviews, in order: the working directory, then the repository.

    The repository root beside the `cogs` package holds `data/` only in a checkout (an editable install);
    a regular install copies the package alone, so the folder the bot is started in comes first.
    """
    found: list[Path] = []
    for base in (Path.cwd(), REPOSITORY_ROOT):
        folder = (base / BUNDLED_SUBDIR).resolve()
        if folder not in found:
            found.append(folder)
    return found


class BundledReviewsMissing(ReviewFormatError):
    """The bundled reviews folder is not where the bot looks for it."""


def find_bundled_dir() -> Path:
    """Return the bundled reviews folder; raise `BundledReviewsMissing` naming the places searched."""
    candidates = bundled_dir_candidates()
    for folder in candidates:
        if folder.is_dir():
            return folder
    looked = " or ".join(f"`{c}`" for c in candidates)
    raise BundledReviewsMissing(
        f"The bundled reviews folder `{BUNDLED_SUBDIR.as_posix()}` is missing: I looked in {looked}. "
        "Start the bot from the repository folder (where `data/reviews/` is), or attach the review as `file:`."
    )


def bundled_reviews(folder: Path | None = None) -> list[str]:
    """Return the names of the bundled review files (none when the folder is missing)."""
    if folder is None:
        try:
            folder = find_bundled_dir()
        except BundledReviewsMissing:
            return []
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".md", ".txt") and p.is_file())


def read_bundled(name: str, folder: Path | None = None) -> ReviewDocument:
    """Parse a bundled review by file name (no paths: only the folder's own files)."""
    if folder is None:
        folder = find_bundled_dir()
    names = bundled_reviews(folder)
    if name not in names:
        known = ", ".join(f"`{n}`" for n in names) or "none"
        raise ReviewFormatError(f"No bundled review called {_shown(name)}; the bundled ones are: {known}.")
    data = (folder / name).read_bytes()
    return parse_review(decode_review(name, data), name=name)
