"""Article extraction: the review's own text, never comments, share buttons or related posts."""

import pytest

from bot.settings import SettingsError, load_settings
from cogs.reviews._extract import NoArticle, extract_article

BODY = "".join(
    f"<p>Paragraph {i} weighs the novel against the film, scene by scene. It ends with a full stop.</p>"
    for i in range(10)
)
PAGE = f"""<html><head><title>On the creature | Lamp</title><meta name="author" content="Jo Lamp"></head><body>
<nav>Home About</nav><article><h1>On the creature</h1>{BODY}<div class="share">Share on Facebook</div></article>
<aside class="related"><h3>Related posts</h3><a href="/x">Another post</a></aside>
<div id="comments"><p class="comment">A COMMENT repeated</p><p class="comment">A COMMENT repeated</p>
<div id="respond"><h3>Leave a Reply</h3><form><textarea></textarea></form></div></div></body></html>"""


def test_article_text_and_metadata_without_clutter():
    for _ in range(2):  # the same page twice: nothing is remembered between extractions
        article = extract_article(PAGE, "https://lamp.example/creature")
        assert article.title == "On the creature" and article.author == "Jo Lamp"
        assert article.site == "lamp.example"
        assert article.text.startswith("Paragraph 0 weighs") and "Paragraph 9" in article.text
        assert article.text.count("\n\n") == 9
        for clutter in ("COMMENT", "Share on", "Related posts", "Leave a Reply", "Home About"):
            assert clutter not in article.text


def test_pages_without_an_article_are_refused():
    with pytest.raises(NoArticle, match="no article"):
        extract_article("<html><body><nav>Home</nav><form>Log in</form></body></html>", "https://x.example/")
    with pytest.raises(NoArticle, match="too little text"):
        extract_article("short note", "https://x.example/a.txt", plain_text=True)


def test_plain_text_pages_keep_their_paragraphs():
    text = "\n\n".join(f"Line {i} of a plain text review, long enough to count as prose." for i in range(6))
    article = extract_article(text, "https://x.example/review.txt", plain_text=True)
    assert article.text == text and article.site == "x.example"


def test_allow_private_setting():
    base = {"DISCORD_TOKEN": "a.b.c"}
    assert load_settings(base).review_fetch_allow_private is False
    assert load_settings({**base, "REVIEW_FETCH_ALLOW_PRIVATE": "true"}).review_fetch_allow_private is True
    with pytest.raises(SettingsError, match="REVIEW_FETCH_ALLOW_PRIVATE must be true or false"):
        load_settings({**base, "REVIEW_FETCH_ALLOW_PRIVATE": "maybe"})
