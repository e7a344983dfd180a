"""Reduce a fetched web page to a review: its title, author, site, date and main text, without clutter.

trafilatura finds the article's main text and leaves out navigation, share buttons, related posts,
comment sections and "leave a reply" forms; it is CPU-bound, so callers run it in the worker pool
(`bot.workers`), where it also does not hold the GIL against members' clicks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MIN_ARTICLE_CHARS = 200
"""Less main text than this is not an article (a login wall, an index page, an error page)."""


class NoArticle(Exception):
    """The page has no article to post; `message` says so."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Article:
    """The parts of a web page a featured review posts."""

    title: str | None
    author: str | None
    site: str | None
    date: str | None
    text: str
    url: str


def _paragraphs(text: str) -> str:
    """Join trafilatura's one-line paragraphs with blank lines, as Markdown paragraphs."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n\n".join(line for line in lines if line)


def extract_article(html: str, url: str, *, plain_text: bool = False) -> Article:
    """Return the article in a page, or raise NoArticle; comments and boilerplate are left out."""
    site = urlsplit(url).hostname
    if plain_text:
        # Blank lines separate paragraphs; a hard-wrapped paragraph's lines are joined.
        blocks = re.split(r"\n\s*\n", re.sub(r"\r\n?", "\n", html))
        text = "\n\n".join(" ".join(b.split()) for b in blocks if b.strip())
        if len(text) < MIN_ARTICLE_CHARS:
            raise NoArticle("That page has too little text to be a review.")
        return Article(None, None, site, None, text, url)
    # Imported here, in the worker process that runs this: trafilatura and lxml add ~14 MB and 0.1 s,
    # which a bot process that only answers clicks should not carry.
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        url=url,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        with_metadata=True,
        favor_precision=True,
    )
    text = _paragraphs(getattr(document, "text", None) or "") if document is not None else ""
    if len(text) < MIN_ARTICLE_CHARS:
        raise NoArticle(
            "I found no article on that page (no main text, only navigation or a form). "
            "Check the link, or attach the review as a file instead."
        )
    title = getattr(document, "title", None)
    if title and text.startswith(title):
        text = text[len(title) :].lstrip()  # trafilatura may repeat the heading as the first line
    return Article(
        title=title or None,
        author=getattr(document, "author", None) or None,
        site=getattr(document, "sitename", None) or site,
        date=getattr(document, "date", None) or None,
        text=text,
        url=url,
    )
