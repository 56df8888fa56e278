"""Training documents into text and chunks, and BM25 ranking over them."""

from __future__ import annotations

import pytest

from widget.agent.demo import DEMO_DOCUMENTS, demo_chunks, demo_index
from widget.agent.knowledge import (
    MAX_DOCUMENT_BYTES,
    Chunk,
    KnowledgeIndex,
    UnusableDocument,
    chunk_document,
    extract_text,
    split_document,
    tokenize,
)

PAGE = """<!doctype html>
<html><head><title>Acme</title><style>body { color: red }</style>
<script>var hidden = "<p>not text</p>";</script></head>
<body><nav><a href="/">Home</a> <a href="/pricing">Pricing</a></nav>
<h1>Acme docs</h1><p>Welcome to <b>Acme</b>&nbsp;docs &amp; guides.</p>
<h2>Setup</h2><ul><li>Install it</li><li>Run it</li></ul>
<pre><code>&lt;script async
    src="widget.js"&gt;</code></pre>
<script>alert("no")</script><noscript>Enable JavaScript</noscript><p>Done.</p></body></html>"""


def test_html_keeps_headings_paragraphs_and_lists_and_drops_scripts_styles_and_navigation() -> None:
    assert extract_text("guide.html", PAGE) == (
        "# Acme docs\n\nWelcome to Acme docs & guides.\n\n## Setup\n\n- Install it\n- Run it\n\n"
        '```\n<script async\n    src="widget.js">\n```\n\nDone.'
    )


def test_markdown_and_plain_text_are_kept_as_written() -> None:
    markdown = "---\ntitle: x\n---\n# Title\r\n\r\nSome *text*.\n"
    assert extract_text("notes.md", markdown) == "# Title\n\nSome *text*."
    assert extract_text("notes.markdown", "# Title") == "# Title"
    assert extract_text("notes.txt", "  plain\n\n\n\ntext  ") == "plain\n\ntext"
    assert extract_text("product-docs", "no extension means text") == "no extension means text"
    assert extract_text("release v1.2", "a dotted name is text") == "a dotted name is text"
    assert extract_text("page.HTM", b"<p>bytes work</p>") == "bytes work"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("sheet.xlsx", b"PK", "unsupported format '.xlsx'; spreadsheets are not supported"),
        ("notes.odp", "x", "use one of .txt, .md, .markdown, .html, .htm, .pdf, .docx"),
        ("letter.doc", b"\xd0\xcf", "the old binary Word format is not supported"),
        ("manual.pdf", "%PDF-1.7", "a PDF file sent as text: send its bytes"),
        ("empty.md", "  \n\n\t", "has no usable text"),
        ("tags.html", "<script>let a = 1</script><p> </p>", "has no usable text"),
        ("punctuation.txt", "... --- !!!", "has no usable text"),
        ("huge.txt", "a" * (MAX_DOCUMENT_BYTES + 1), f"the limit is {MAX_DOCUMENT_BYTES} bytes"),
        ("latin1.txt", "caf\xe9".encode("latin-1"), "is not UTF-8 text"),
    ],
)
def test_unusable_documents_are_refused_with_a_reason_naming_them(
    name: str, content: str | bytes, reason: str
) -> None:
    with pytest.raises(UnusableDocument) as refused:
        extract_text(name, content)
    assert reason in refused.value.reason
    assert repr(name) in str(refused.value)


def test_chunks_stay_within_the_word_limits_and_carry_their_headings() -> None:
    intro = "An introduction with a few words in it."
    part_a = " ".join(f"Sentence {i} about the first part of the guide." for i in range(60))
    text = f"# Guide\n\n{intro}\n\n## Part A\n\n{part_a}\n\n## Part B\n\nThe second part."
    chunks = split_document("guide.md", text, min_words=20, max_words=120)

    assert all(chunk.document == "guide.md" for chunk in chunks)
    bodies = [chunk.text.split("\n\n", 2)[-1] for chunk in chunks]
    assert all(len(body.split()) <= 120 for body in bodies)
    assert chunks[0].text.startswith("# Guide\n\nAn introduction")
    part_a_chunks = [chunk for chunk in chunks if "about the first part" in chunk.text]
    assert len(part_a_chunks) > 1
    assert all(chunk.text.startswith("# Guide\n\n## Part A\n\n") for chunk in part_a_chunks)
    assert not any(chunk.text.endswith("## Part A") for chunk in chunks)
    assert chunks[-1].text.endswith("## Part B\n\nThe second part.")
    # Nothing is lost or repeated: every sentence is in exactly one chunk.
    for i in range(60):
        assert sum(f"Sentence {i} about" in chunk.text for chunk in chunks) == 1


def test_small_sections_share_a_chunk_and_code_blocks_are_not_cut() -> None:
    text = (
        "# FAQ\n\n## One?\n\nYes.\n\n## Two?\n\nNo.\n\n```html\n<p>\n\n# not a heading\n</p>\n```\n"
    )
    [chunk] = split_document("faq.md", text)
    assert chunk.text == (
        "# FAQ\n\n## One?\n\nYes.\n\n## Two?\n\nNo.\n\n```html\n<p>\n\n# not a heading\n</p>\n```"
    )


def test_split_document_refuses_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="min_words"):
        split_document("a.txt", "text", min_words=300, max_words=200)


def test_tokenize_lowercases_drops_stopwords_and_meets_word_forms() -> None:
    assert tokenize("How do I install the Widgets?") == ["instal", "widget"]
    assert len(set(tokenize("integrations integrated integrate"))) == 1
    assert len(set(tokenize("Pricing prices priced"))) == 1
    assert tokenize("Wie lange dauert der Versand?", "de") == ["versand"]
    assert tokenize("délai", "fr") == tokenize("delai", "fr")


def test_the_right_demo_document_wins() -> None:
    index = demo_index()
    expectations = {
        "What does this product do?": "overview.md",
        "How much does it cost?": "pricing.md",
        "Do you integrate with HubSpot?": "crm-integrations.md",
        "How do I install it?": "installation.md",
        "How are webhook deliveries retried?": "webhooks.md",
        "Which browser events can my page listen to?": "browser-events.md",
        "Can I host it on my own server?": "privacy-and-self-hosting.md",
    }
    for question, document in expectations.items():
        [(best, score), *_] = index.search(question)
        assert best.document == document, question
        assert score > 0


def test_search_ranks_by_bm25_and_returns_only_matches() -> None:
    index = KnowledgeIndex(
        [
            Chunk("a.txt", "Webhooks are signed. Webhooks are retried. Webhooks webhooks."),
            Chunk("b.txt", "The widget has a launcher button and a chat panel for visitors."),
            Chunk("c.txt", "Webhooks are mentioned once in a much longer text about other things"),
        ]
    )
    results = index.search("webhooks", k=5)
    assert [chunk.document for chunk, _ in results] == ["a.txt", "c.txt"]
    assert results[0][1] > results[1][1] > 0
    assert index.search("pizza") == []
    assert index.search("the and of") == []
    assert KnowledgeIndex([]).search("anything") == []


def test_coverage_tells_a_passage_about_the_question_from_one_sharing_a_word() -> None:
    index = demo_index()
    pricing = next(chunk for chunk in index.chunks if chunk.document == "pricing.md")
    assert index.coverage("How much does the Team plan cost?", pricing.text) == 1.0
    assert index.coverage("Can I pay with bitcoin?", pricing.text) < 0.5
    assert index.coverage("?", pricing.text) == 0.0


def test_demo_documents_chunk_cleanly() -> None:
    chunks = demo_chunks()
    assert {chunk.document for chunk in chunks} == {name for name, _ in DEMO_DOCUMENTS}
    for name, content in DEMO_DOCUMENTS:
        assert chunk_document(name, content), name
