"""Rendering reviews: excerpts cut at sentences, packing within Discord's limits, spoilers kept closed."""

import re

from bot.domain import Work, WorkKind
from cogs.reviews._document import ReviewDocument, Section
from cogs.reviews._render import MESSAGE_BUDGET, excerpt, featured_messages, pack_text, section_markdown

BOOK = Work(1, WorkKind.BOOK, "Emma", "Jane Austen", 1815)


def test_excerpt_takes_opening_paragraphs_and_cuts_at_a_sentence():
    first = "First paragraph is short. It has two sentences."
    second = " ".join(f"Sentence number {i} of the long second paragraph." for i in range(60))
    text = excerpt(f"{first}\n\n{second}\n\nThird paragraph never shows.")
    assert text.startswith(first + "\n\n")
    assert text.endswith(".") and len(text) <= 1000
    assert "Third paragraph" not in text


def test_excerpt_of_one_huge_sentence_cuts_at_a_word():
    text = excerpt("word " * 500)
    assert len(text) <= 1000 and text.endswith("…")


def test_spoiler_sections_are_wrapped_paragraph_by_paragraph_and_mentions_removed():
    assert section_markdown("One.\n\nTwo @everyone", hidden=True) == "||One.||\n\n||Two everyone||"
    assert section_markdown("Ends in || an unpaired marker", hidden=False).count("\\|\\|") == 1


def test_packing_respects_every_limit_and_keeps_spoilers_closed():
    paragraphs = [
        ("||" + "secret words here. " * 300 + "||") if i % 3 == 0 else "open words here. " * 200
        for i in range(12)
    ]
    messages = pack_text("\n\n".join(paragraphs), 5000)
    assert len(messages) > 1
    for number, descriptions in enumerate(messages):
        assert len(descriptions) <= 10
        assert all(len(d) <= 4096 for d in descriptions)
        assert sum(len(d) for d in descriptions) <= (5000 if number == 0 else MESSAGE_BUDGET)
        for d in descriptions:
            assert len(re.findall(r"(?<!\\)\|\|", d)) % 2 == 0


def test_featured_messages_total_under_6000():
    doc = ReviewDocument(
        "Emma",
        sections=(Section("Open. " * 2000), Section("Hidden. " * 2000, spoiler=True)),
        rating=4,
        author="A. Reviewer",
        headline="On Emma",
    )
    for embeds in featured_messages(doc, BOOK, None, "Emma (whole book)"):
        assert sum(len(e) for e in embeds) <= 6000
        assert len(embeds) <= 10


def test_plain_web_text_shows_its_markdown_characters_as_written():
    text = section_markdown("# Not a heading\n\n*Not bold* and ||not a spoiler||", hidden=False, plain=True)
    assert text == "\\# Not a heading\n\n\\*Not bold\\* and \\|\\|not a spoiler\\|\\|"
