"""PDF, Word, HTML main content: the text a site owner's files hold, or the precise reason not."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.agent.samples import pdf_encrypted, pdf_scanned, pdf_with_text, word_document
from widget.agent.formats import Limits, UnusableDocument, extract, extract_text
from widget.agent.ingest import Document, UnusableDocuments, chunk_documents
from widget.agent.knowledge import KnowledgeIndex, chunk_document


def refusal(name: str, content: str | bytes, **kwargs: object) -> str:
    with pytest.raises(UnusableDocument) as refused:
        extract_text(name, content, **kwargs)  # type: ignore[arg-type]
    assert repr(name) in refused.value.reason
    return refused.value.reason


def test_a_pdf_gives_its_text_layer_page_by_page_with_lines_joined() -> None:
    pdf = pdf_with_text(
        [
            ["Versand", "Wir versenden alle Bestellungen innerhalb", "von zwei Werktagen."],
            ["Größe und Gewicht: 1,2 kg."],
        ]
    )
    text = extract_text("handbuch.pdf", pdf)
    assert "Wir versenden alle Bestellungen innerhalb von zwei Werktagen." in text
    assert "Größe und Gewicht: 1,2 kg." in text
    [chunk] = chunk_document("handbuch.pdf", pdf)
    assert chunk.language == "de"


def test_an_encrypted_pdf_is_refused_unless_anyone_may_open_it() -> None:
    reason = refusal("vertrag.pdf", pdf_encrypted(["Geheim."], user_password="s3cret"))
    assert "encrypted PDF that needs a password" in reason
    # "Protected" with an empty user password: anyone's reader opens it, and so do we.
    assert extract_text("open.pdf", pdf_encrypted(["Readable text."], user_password="")) == (
        "Readable text."
    )


def test_a_scanned_pdf_without_a_text_layer_is_refused_with_what_to_do() -> None:
    reason = refusal("scan.pdf", pdf_scanned(pages=3))
    assert "scanned PDF with no text layer (3 pages" in reason
    assert "OCR" in reason


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4\nnot really", "is not a readable PDF"),
        ("broken.docx", b"PK\x03\x04 not a zip", "is not a valid .docx file"),
        ("manual.pdf", "%PDF-1.7 as text", "a PDF file sent as text"),
        ("slides.pptx", b"PK\x03\x04", "slides are not supported: export them as PDF"),
        ("data.csv", "a,b", "spreadsheets are not supported"),
        ("letter.doc", b"\xd0\xcf\x11\xe0", "the old binary Word format is not supported"),
    ],
)
def test_unreadable_and_unknown_files_say_which_and_why(
    name: str, content: str | bytes, reason: str
) -> None:
    assert reason in refusal(name, content)


def test_per_file_limits_hold_for_bytes_pages_and_unpacked_size() -> None:
    pdf = pdf_with_text([["One."], ["Two."], ["Three."]])
    assert "the limit is 2 pages a PDF" in refusal("long.pdf", pdf, limits=Limits(max_pages=2))
    assert "the limit is 100 bytes" in refusal("big.pdf", pdf, limits=Limits(max_binary_bytes=100))
    # A small .docx that unpacks to a lot is refused before it is read.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>" + " " * 2_000_000)
    reason = refusal("bomb.docx", bomb.getvalue(), limits=Limits(max_unpacked_bytes=1_000_000))
    assert "unpacks to" in reason


def test_a_word_document_keeps_headings_lists_and_tables() -> None:
    assert extract_text("shop.docx", word_document()) == (
        "# Versand und Lieferung\n\n"
        "Wir versenden alle Bestellungen innerhalb von zwei Werktagen.\n\n"
        "## Zahlungsarten\n\n- PayPal\n\n- Kreditkarte\n\n"
        "Land | Versandkosten\n\nÖsterreich | 9,90 Euro"
    )


def test_a_zip_that_is_no_word_document_is_named_so() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("hello.txt", "hi")
    assert "a zip file but not a Word document" in refusal("notes.docx", archive.getvalue())


SITE_PAGE = """<!doctype html><html lang="fr"><head><title>Tarifs | Vélo Rhône</title></head>
<body>
<header><a href="/">Vélo Rhône</a><nav><a href="/tarifs">Tarifs</a></nav></header>
<div class="cookie-banner">Nous utilisons des cookies. <button>OK</button></div>
<main>
  <h1>Tarifs</h1>
  <p>Un vélo de ville coûte 15 euros la journée.</p>
  <aside>Astuce : réservez tôt.</aside>
</main>
<footer>© 2026 Vélo Rhône · <a href="/mentions">Mentions légales</a></footer>
</body></html>"""


def test_html_is_reduced_to_its_main_content_with_title_language_and_links() -> None:
    page = extract(
        "https://velo.test/tarifs",
        SITE_PAGE,
        media_type="text/html",
        url="https://velo.test/tarifs",
    )
    assert page.text == (
        "# Tarifs\n\nUn vélo de ville coûte 15 euros la journée.\n\nAstuce : réservez tôt."
    )
    assert page.title == "Tarifs | Vélo Rhône"
    assert page.language == "fr"
    assert page.links == (
        "https://velo.test/",
        "https://velo.test/tarifs",
        "https://velo.test/mentions",
    )


def test_without_a_main_element_the_site_header_and_footer_are_left_out() -> None:
    html = (
        "<body><header>Site name</header><h1>Guide</h1><p>The guide's text.</p>"
        "<footer>Imprint</footer></body>"
    )
    assert extract_text("guide.html", html) == "# Guide\n\nThe guide's text."


def test_deeply_nested_html_does_not_exhaust_the_stack() -> None:
    html = "<div>" * 20_000 + "deep text" + "</div>" * 20_000
    assert extract_text("deep.html", html) == "deep text"


def test_a_name_without_extension_is_recognised_by_its_content() -> None:
    assert extract_text("upload", pdf_with_text([["Sniffed."]])) == "Sniffed."
    assert extract_text("upload", b"<!DOCTYPE html><p>Sniffed too.</p>") == "Sniffed too."


def test_a_training_names_every_bad_document_and_why() -> None:
    documents = [
        Document("good.md", "# Fine\n\nA usable document."),
        Document("scan.pdf", pdf_scanned()),
        Document("locked.pdf", pdf_encrypted(["x"], user_password="pw")),
        Document("table.xlsx", b"PK\x03\x04"),
    ]
    with pytest.raises(UnusableDocuments) as refused:
        chunk_documents(documents)
    failures = dict(refused.value.failures)
    assert set(failures) == {"scan.pdf", "locked.pdf", "table.xlsx"}
    assert "scanned PDF with no text layer" in failures["scan.pdf"]
    assert "encrypted PDF" in failures["locked.pdf"]
    assert "unsupported format '.xlsx'" in failures["table.xlsx"]
    assert refused.value.reason.startswith("3 documents cannot be used: ")


def test_a_training_reports_progress_and_keeps_declared_languages() -> None:
    seen: list[tuple[int, int]] = []
    chunks = chunk_documents(
        [
            Document("a.md", "Kurz."),  # too short to detect: the declared language holds
            Document(
                "b.pdf",
                pdf_with_text(
                    [
                        [
                            "La location d'un vélo de ville coûte quinze euros la journée,"
                            "et soixante euros pour toute la semaine."
                        ]
                    ]
                ),
            ),
        ],
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 2), (2, 2)]
    assert [c.language for c in chunks] == [None, "fr"]
    declared = chunk_documents([Document("a.md", "Kurz.", language="de-AT")])
    assert declared[0].language == "de"
    assert KnowledgeIndex(declared).languages == ("de",)


def test_training_limits_count_documents_and_names() -> None:
    from widget.agent.ingest import TrainingLimits

    with pytest.raises(UnusableDocument, match="at most 1 documents"):
        chunk_documents(
            [Document("a", "x"), Document("b", "y")], limits=TrainingLimits(max_documents=1)
        )
    with pytest.raises(UnusableDocument, match="repeated: a"):
        chunk_documents([Document("a", "x"), Document("a", "y")])
