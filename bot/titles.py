"""Fuzzy title matching for autocomplete, title options and import matching.

Titles are compared through keys built by `normalize_title`: case, accents, punctuation, a
leading article and "&" vs "and" never matter. A secondary key also drops a subtitle (after ":", ";"
or " - ") and trailing bracketed series notes such as "(Dune Chronicles, #1)".

Scores are in [0, 1] and come in tiers, so that a better kind of evidence always outranks a
worse one:

    1.00        exact key match (also ignoring spaces: "Catch 22" = "Catch-22" = "catch22")
    0.93-0.95   equal once a subtitle is dropped from one side ("Lord of the Rings" for
                "The Lord of the Rings: The Fellowship of the Ring")
    0.80-0.90   the query is a prefix of the title (autocomplete typing: "dun" -> "Dune")
    0.70-0.80   every query word starts a word of the title, in order ("fell ring")
    up to 0.80  word-by-word typo similarity, only to suggest near misses for an unknown title
                ("Dunes of Arrakis" is nearest "Dune")
    up to 0.85  typo similarity (rapidfuzz's normalised Indel similarity x 0.85)
    0.60        the query matches the candidate's extra text (author, original title)

`resolve_title` only commits to one title on an exact match, a subtitle match, or a close typo
(similarity >= 0.9), and then only with a clear margin over the runner-up; a bare prefix such as
"Emma" for "Emmanuel" is offered as a suggestion, never chosen silently.

Every step is linear in the text's length or bounded: a query is cut to `MAX_QUERY` characters and
word-by-word similarity looks at the first `MAX_WORDS` words of each side, so no title a member or an
export can send holds the event loop.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from functools import lru_cache

__all__ = [
    "MAX_QUERY",
    "MIN_SCORE",
    "Candidate",
    "Match",
    "Resolution",
    "ResolutionKind",
    "fold_text",
    "match_titles",
    "normalize_title",
    "resolve_title",
]

# English first; the others are common in titles clubs read in the original or in translation.
_ARTICLES = frozenset({"the", "a", "an", "le", "la", "les", "el", "los", "las", "der", "die", "das"})
# Letters that NFKD does not split into a base letter plus an accent.
_LETTERS = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_APOSTROPHES = re.compile(r"['’‘ʼ`´]")
_ELIDED_ARTICLE = re.compile(r"^l['’ʼ](?=\w)")
_NON_WORD = re.compile(r"[\W_]+")
# No leading `\s*`: with one, a long run of spaces before no separator made the search quadratic.
_SUBTITLE = re.compile(r"[:;]|\s[-–—]\s")
_BRACKETS = frozenset("()[]")

MIN_SCORE = 0.6
"""Matches scoring below this are not offered by `match_titles`."""
ACCEPT_MARGIN = 0.1
"""How far the best match must lead the runner-up for `resolve_title` to choose it."""
TYPO_ACCEPT_RATIO = 0.9
SUGGESTIONS = 5
UNKNOWN_SUGGESTION_SCORE = 0.4
MAX_QUERY = 200
"""Longest query scored (Discord options refuse longer text; autocomplete input is cut to this)."""
MAX_WORDS = 16
"""Words of each side compared one by one; titles rarely have more, and this bounds the work."""


def fold_text(text: str) -> str:
    """Return `text` casefolded, without accents or punctuation, words separated by one space."""
    text = unicodedata.normalize("NFKD", text.casefold()).translate(_LETTERS)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # "Ender's" must meet "Enders", not "Ender s".
    text = _APOSTROPHES.sub("", text.replace("&", " and "))
    return _NON_WORD.sub(" ", text).strip()


def _without_trailing_bracket(text: str) -> str | None:
    """Return `text` without one trailing "(...)" or "[...]" note, or None if it has none.

    Scans back from the end only as far as the note, so stripping many notes stays linear.
    """
    end = len(text.rstrip())
    if end == 0 or text[end - 1] not in ")]":
        return None
    position = end - 2
    while position >= 0 and text[position] not in _BRACKETS:
        position -= 1
    if position < 0 or text[position] not in "([":
        return None
    return text[:position].rstrip()


def _strip_subtitle(title: str) -> str:
    """Return the main title: without trailing bracketed notes and anything after ":" or " - "."""
    main = title
    while True:
        shorter = _without_trailing_bracket(main)
        if shorter is None or not shorter.strip():
            break
        main = shorter
    separator = _SUBTITLE.search(main)
    head = main[: separator.start()] if separator else main
    return head if fold_text(head) else main


def _fold_keeping_article(title: str) -> str:
    """Return the folded title with an elided French/Italian article removed but others kept."""
    return fold_text(_ELIDED_ARTICLE.sub("", title.strip().casefold()))


def _drop_article(folded: str) -> str:
    """Drop one leading article, unless it is the whole title ("A" stays "a")."""
    first, _, rest = folded.partition(" ")
    return rest if rest and first in _ARTICLES else folded


def normalize_title(title: str, *, drop_subtitle: bool = False) -> str:
    """Return the comparison key of a title; with drop_subtitle, the key of its main title."""
    if drop_subtitle:
        title = _strip_subtitle(title)
    return _drop_article(_fold_keeping_article(title))


@dataclass(frozen=True, slots=True)
class _Keys:
    """Every form of one title that scoring compares."""

    plain: str
    raw: str
    full: str
    short: str
    compact: str
    words: tuple[str, ...]

    @classmethod
    def of(cls, title: str) -> _Keys:
        """Build the keys of `title`."""
        raw = _fold_keeping_article(title)
        full = _drop_article(raw)
        return cls(
            plain=fold_text(title),
            raw=raw,
            full=full,
            short=normalize_title(title, drop_subtitle=True),
            compact=full.replace(" ", ""),
            words=tuple(full.split()),
        )


Candidate = tuple[int, str, str | None]
"""(id, title, extra): extra is optional searchable text shown alongside, such as the author."""


@dataclass(frozen=True, slots=True)
class Match:
    """A candidate title with how well it matches the query."""

    id: int
    title: str
    score: float
    extra: str | None = None


class _Basis(Enum):
    """What kind of evidence a score rests on; `resolve_title` trusts only some kinds."""

    EXACT = "exact"
    SUBTITLE = "subtitle"
    PREFIX = "prefix"
    WORDS = "words"
    TYPO = "typo"
    EXTRA = "extra"


def _ratio(a: str, b: str, cutoff: float = 0.0) -> float:
    """Return the similarity of two strings in [0, 1] (0 when below `cutoff`)."""
    # rapidfuzz is imported on the first title a member types, not at start (~3 MB resident); after
    # that the import is a dictionary lookup.
    from rapidfuzz import fuzz

    return float(fuzz.ratio(a, b, score_cutoff=cutoff * 100)) / 100


def _best_pairing(words: tuple[str, ...], others: tuple[str, ...]) -> float:
    """Return the mean, over `words`, of each word's best similarity to one of `others`."""
    from rapidfuzz import fuzz, process  # on first use, as in `_ratio`

    total = 0.0
    for word in words:
        best = process.extractOne(word, others, scorer=fuzz.ratio)
        total += best[1] if best else 0.0
    return total / (100 * len(words))


def _word_similarity(query: tuple[str, ...], title: tuple[str, ...]) -> float:
    """Return how well the words of two titles pair up, averaged over both sides."""
    query, title = query[:MAX_WORDS], title[:MAX_WORDS]
    if not query or not title:
        return 0.0
    return (_best_pairing(query, title) + _best_pairing(title, query)) / 2


def _words_prefix(query: tuple[str, ...], title: tuple[str, ...]) -> bool:
    """Return whether each query word starts a distinct title word, in order."""
    position = 0
    for word in query:
        while position < len(title) and not title[position].startswith(word):
            position += 1
        if position == len(title):
            return False
        position += 1
    return True


def _score(query: _Keys, title: _Keys, extra: str | None, *, by_words: bool) -> tuple[float, _Basis, float]:
    """Return (score, basis, typo similarity) of a candidate title against a query."""
    if query.full == title.full or query.compact == title.compact or query.plain == title.plain:
        return 1.0, _Basis.EXACT, 1.0
    if query.full == title.short:
        return 0.95, _Basis.SUBTITLE, 1.0
    if query.short == title.full:
        return 0.93, _Basis.SUBTITLE, 1.0
    best, basis = 0.0, _Basis.TYPO
    if title.full.startswith(query.full) or title.raw.startswith(query.raw):
        longest = max(len(title.full), 1)
        best, basis = 0.8 + 0.1 * min(len(query.full) / longest, 0.99), _Basis.PREFIX
    elif _words_prefix(query.words, title.words):
        covered = sum(len(word) for word in query.words) / max(len(title.full), 1)
        best, basis = 0.7 + 0.1 * min(covered, 0.99), _Basis.WORDS
    similarity = 0.0
    # Typo similarity cannot beat 0.85 * similarity; skip difflib when that is hopeless.
    if best < 0.85:
        pairs = [(query.full, title.full)]
        if title.short != title.full:
            pairs.append((query.full, title.short))
        for a, b in pairs:
            similarity = max(similarity, _ratio(a, b, cutoff=best / 0.85))
        if len(query.full) >= 3 and len(title.full) > len(query.full):
            # A typo while typing: compare with the title's start (weighted down, less evidence).
            similarity_prefix = 0.9 * _ratio(query.full, title.full[: len(query.full)])
            if 0.85 * similarity_prefix > best:
                best, basis = 0.85 * similarity_prefix, _Basis.PREFIX
        if 0.85 * similarity > best:
            best, basis = 0.85 * similarity, _Basis.TYPO
        if by_words and (len(query.words) > 1 or len(title.words) > 1):
            # Word by word, so that "Dunes of Arrakis" is closer to "Dune" than to a long title
            # that merely shares letters; never trusted by resolve_title, only offered.
            words = 0.8 * _word_similarity(query.words, title.words)
            if words > best:
                best, basis = words, _Basis.WORDS
    if extra and best < 0.6 and query.words and _words_prefix(query.words, _extra_words(extra)):
        best, basis = 0.6, _Basis.EXTRA
    return best, basis, similarity


@lru_cache(maxsize=8192)
def _keys(title: str) -> _Keys:
    """Return the keys of a title; cached because autocomplete scores one catalog per keystroke."""
    return _Keys.of(title)


@lru_cache(maxsize=8192)
def _extra_words(extra: str) -> tuple[str, ...]:
    """Return the folded words of a candidate's extra text (cached like the title keys)."""
    return tuple(fold_text(extra[:MAX_QUERY]).split())


def _rank(
    query: str, candidates: Sequence[Candidate], *, by_words: bool = False
) -> list[tuple[Match, _Basis, float]]:
    """Score every candidate, best first; ties keep the candidates' order."""
    keys = _keys(query[:MAX_QUERY])
    ranked = []
    for work_id, title, extra in candidates:
        score, basis, similarity = _score(keys, _keys(title), extra, by_words=by_words)
        ranked.append((Match(work_id, title, round(score, 4), extra), basis, similarity))
    ranked.sort(key=lambda item: -item[0].score)
    return ranked


def match_titles(query: str, candidates: Sequence[Candidate], limit: int = 25) -> list[Match]:
    """Return up to `limit` candidates matching `query`, best first (ties keep input order).

    An empty query returns the first `limit` candidates with score 0, so that autocomplete can
    show the caller's preferred order (say, the current book first) before anything is typed.
    """
    if not fold_text(query):
        return [Match(work_id, title, 0.0, extra) for work_id, title, extra in candidates[:limit]]
    ranked = _rank(query, candidates)
    return [match for match, _, _ in ranked if match.score >= MIN_SCORE][:limit]


class ResolutionKind(StrEnum):
    """Whether a typed title named one work, several, or none."""

    FOUND = "found"
    AMBIGUOUS = "ambiguous"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving a typed title: the match if found, else options to offer."""

    kind: ResolutionKind
    match: Match | None
    options: list[Match]


def resolve_title(query: str, candidates: Sequence[Candidate]) -> Resolution:
    """Return the one candidate `query` clearly names, else the ambiguous or closest options."""
    if not fold_text(query):
        return Resolution(ResolutionKind.UNKNOWN, None, [])
    ranked = _rank(query, candidates)
    exact = [match for match, basis, _ in ranked if basis is _Basis.EXACT]
    if len(exact) == 1:
        return Resolution(ResolutionKind.FOUND, exact[0], [exact[0]])
    if exact:
        # Two works share the title (a book and its film, two films of one book): ask which.
        return Resolution(ResolutionKind.AMBIGUOUS, None, exact)
    plausible = [item for item in ranked if item[0].score >= MIN_SCORE]
    if plausible:
        best, basis, similarity = plausible[0]
        trusted = basis is _Basis.SUBTITLE or (basis is _Basis.TYPO and similarity >= TYPO_ACCEPT_RATIO)
        clear = len(plausible) == 1 or best.score - plausible[1][0].score >= ACCEPT_MARGIN
        if trusted and clear:
            return Resolution(ResolutionKind.FOUND, best, [best])
        return Resolution(ResolutionKind.AMBIGUOUS, None, [item[0] for item in plausible[:SUGGESTIONS]])
    # Word-by-word similarity costs more, so it is only worth it when looking for a near miss.
    ranked = _rank(query, candidates, by_words=True)
    closest = [match for match, _, _ in ranked if match.score >= UNKNOWN_SUGGESTION_SCORE]
    return Resolution(ResolutionKind.UNKNOWN, None, closest[:SUGGESTIONS])
