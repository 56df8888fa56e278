"""Training documents of every accepted format turned into Markdown-flavoured text.

The format follows the name's extension, else the media type a web server gave, else the content's
first bytes: PDF (pypdf), Word .docx (python-docx), HTML reduced to its main content (selectolax),
Markdown and plain text. Every refusal is an `UnusableDocument` whose reason names the document and
says what to do: an unknown format, an encrypted PDF, a scanned PDF with no text layer, a file over
its limit, text that is not UTF-8, or no usable text at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from widget.agent.formats.errors import UnusableDocument
from widget.agent.formats.text import decode, markdown_text, tidy

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_DOCUMENT_BYTES",
    "SUPPORTED_EXTENSIONS",
    "Extracted",
    "Limits",
    "UnusableDocument",
    "extract",
    "extract_text",
    "format_of",
]

MAX_DOCUMENT_BYTES = 1_000_000  # text, Markdown and HTML
SUPPORTED_EXTENSIONS = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-file limits. Binary formats get more bytes than text: their text is a fraction."""

    max_text_bytes: int = MAX_DOCUMENT_BYTES
    max_binary_bytes: int = 20_000_000  # PDF, .docx
    max_pages: int = 1000  # a PDF
    max_unpacked_bytes: int = 100_000_000  # a .docx, once unzipped
    max_text_chars: int = 2_000_000  # what a PDF or .docx may yield


DEFAULT_LIMITS = Limits()

_BY_EXTENSION = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
_BY_MEDIA_TYPE = {
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
_ADVICE = {
    ".doc": "the old binary Word format is not supported: save it as .docx",
    ".rtf": "save it as .docx or plain text",
    ".odt": "save it as .docx",
    ".pages": "export it as .docx or PDF",
    ".xlsx": "spreadsheets are not supported: export the text as .txt or .md",
    ".xls": "spreadsheets are not supported: export the text as .txt or .md",
    ".csv": "spreadsheets are not supported: export the text as .txt or .md",
    ".pptx": "slides are not supported: export them as PDF",
    ".ppt": "slides are not supported: export them as PDF",
}


@dataclass(frozen=True, slots=True)
class Extracted:
    text: str
    title: str | None = None
    language: str | None = None  # as the document declares it (an HTML page's lang)
    links: tuple[str, ...] = ()  # an HTML page's links, absolute (when a URL was given)


def _extension(name: str) -> str:
    path = name.split("?", 1)[0].split("#", 1)[0] if "://" in name else name
    suffix = PurePosixPath(path.replace("\\", "/")).suffix.lower()
    # "v1.2" or "notes. final" have no real extension: treat them as plain text.
    return suffix if re.fullmatch(r"\.[a-z][a-z0-9]{0,9}", suffix) else ""


def _sniff(content: str | bytes) -> str:
    head = content[:1024]
    if isinstance(head, bytes):
        if head.startswith(b"%PDF-"):
            return "pdf"
        if head.startswith(b"PK\x03\x04"):
            return "docx"
        head_text = head.decode("utf-8", "replace")
    else:
        head_text = head
    if re.match(r"\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", head_text, re.I):
        return "html"
    return "text"


def format_of(name: str, content: str | bytes, media_type: str | None = None) -> str:
    """ "pdf", "docx", "html", "markdown" or "text"; raises `UnusableDocument` for anything else."""
    extension = _extension(name)
    if extension in _BY_EXTENSION:
        return _BY_EXTENSION[extension]
    if media_type:
        kind = _BY_MEDIA_TYPE.get(media_type.split(";", 1)[0].strip().lower())
        if kind is not None:
            return kind
    if extension and "://" not in name:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        advice = _ADVICE.get(extension, f"use one of {supported}")
        raise UnusableDocument(
            f"document {name!r}: unsupported format {extension!r}; {advice} "
            f"(supported: {supported})"
        )
    return _sniff(content)


def extract(
    name: str,
    content: str | bytes,
    *,
    media_type: str | None = None,
    url: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Extracted:
    """The document's usable text (Markdown-flavoured), title and declared language."""
    kind = format_of(name, content, media_type)
    size = len(content) if isinstance(content, bytes) else len(content.encode("utf-8"))
    limit = limits.max_binary_bytes if kind in ("pdf", "docx") else limits.max_text_bytes
    if size > limit:
        raise UnusableDocument(f"document {name!r} is {size} bytes; the limit is {limit} bytes")
    result: Extracted
    if kind in ("pdf", "docx"):
        if isinstance(content, str):
            raise UnusableDocument(
                f"document {name!r} is a {kind.upper()} file sent as text: send its bytes "
                "(base64-encoded in JSON)"
            )
        if kind == "pdf":
            from widget.agent.formats.pdf import pdf_text

            text = pdf_text(
                name, content, max_pages=limits.max_pages, max_chars=limits.max_text_chars
            )
        else:
            from widget.agent.formats.docx import docx_text

            text = docx_text(name, content, max_unpacked_bytes=limits.max_unpacked_bytes)
        result = Extracted(text)
    elif kind == "html":
        from widget.agent.formats.html import parse_page

        page = parse_page(decode(name, content), url)
        result = Extracted(page.text, page.title, page.language, page.links)
    elif kind == "markdown":
        result = Extracted(markdown_text(decode(name, content)))
    else:
        result = Extracted(decode(name, content))
    text = tidy(result.text)
    if not re.search(r"[^\W_]", text):
        raise UnusableDocument(f"document {name!r} has no usable text")
    return Extracted(text, result.title, result.language, result.links)


def extract_text(
    name: str,
    content: str | bytes,
    *,
    media_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> str:
    """`extract(...).text`: the usable text of a training document."""
    return extract(name, content, media_type=media_type, limits=limits).text
