"""PDF: the text layer of each page (pypdf).

An encrypted PDF that needs a password, and a scanned PDF whose pages are only images, are refused
with that reason: the owner can fix either (remove the password, run OCR) once told.
"""

from __future__ import annotations

import io
import logging
import re
import warnings

from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from widget.agent.formats.errors import UnusableDocument

# pypdf logs every oddity of a malformed file; a training reports its own errors.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def pdf_text(name: str, content: bytes, *, max_pages: int, max_chars: int) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # malformed files warn about what pypdf repaired
        try:
            reader = PdfReader(io.BytesIO(content))
            if reader.is_encrypted:
                _decrypt(name, reader)
            pages = reader.pages
            count = len(pages)
            if count > max_pages:
                raise UnusableDocument(
                    f"document {name!r} has {count} pages; the limit is {max_pages} pages a PDF"
                )
            texts: list[str] = []
            total = 0
            for page in pages:
                text = page.extract_text() or ""
                total += len(text)
                if total > max_chars:
                    raise UnusableDocument(
                        f"document {name!r} holds more than {max_chars} characters of text; "
                        "split it into smaller files"
                    )
                texts.append(text)
        except UnusableDocument:
            raise
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise UnusableDocument(
                f"document {name!r} is not a readable PDF ({type(error).__name__}: {error})"
            ) from error
    if not any(re.search(r"[^\W_]", text) for text in texts):
        raise UnusableDocument(
            f"document {name!r} is a scanned PDF with no text layer ({count} "
            f"page{'s' if count != 1 else ''}, no extractable text): run it through OCR, or "
            "upload the text itself"
        )
    return "\n\n".join(_paragraphs(text) for text in texts if text.strip())


def _decrypt(name: str, reader: PdfReader) -> None:
    refusal = (
        f"document {name!r} is an encrypted PDF that needs a password: save a copy without "
        "the password and upload that"
    )
    try:
        # Many PDFs are "encrypted" with an empty user password: readable by anyone.
        if not reader.decrypt(""):
            raise UnusableDocument(refusal)
    except DependencyError as error:
        raise UnusableDocument(f"{refusal} ({error})") from error


def _paragraphs(page_text: str) -> str:
    # pypdf ends every line of a paragraph with a newline; a blank line or a short line ending a
    # sentence ends a paragraph. Hyphenated line breaks join their word again.
    lines = [line.strip() for line in page_text.replace("\r", "\n").split("\n")]
    out: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                out.append(current)
                current = ""
            continue
        if current.endswith("-") and line[:1].islower():
            current = current[:-1] + line
        elif current:
            current = f"{current} {line}"
        else:
            current = line
        if re.search(r"[.!?:]$", line) and len(line) < 60:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return "\n\n".join(out)
