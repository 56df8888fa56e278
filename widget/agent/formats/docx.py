"""Word (.docx): paragraphs, headings, lists and tables, in document order (python-docx)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import docx
from docx.document import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from widget.agent.formats.errors import UnusableDocument


def docx_text(name: str, content: bytes, *, max_unpacked_bytes: int) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if "word/document.xml" not in archive.namelist():
                raise UnusableDocument(f"document {name!r} is a zip file but not a Word document")
    except zipfile.BadZipFile as error:
        raise UnusableDocument(
            f"document {name!r} is not a valid .docx file (not a zip archive): {error}"
        ) from error
    # A small file can unpack to gigabytes: check before python-docx reads it all.
    if unpacked > max_unpacked_bytes:
        raise UnusableDocument(
            f"document {name!r} unpacks to {unpacked} bytes; the limit is "
            f"{max_unpacked_bytes} bytes"
        )
    try:
        document = docx.Document(io.BytesIO(content))
        return "\n\n".join(_blocks(document))
    except (KeyError, ValueError, zipfile.BadZipFile) as error:
        raise UnusableDocument(
            f"document {name!r} is not a readable .docx file: {error}"
        ) from error
    except Exception as error:  # lxml's XMLSyntaxError and python-docx's own errors
        raise UnusableDocument(
            f"document {name!r} is not a readable .docx file: {error}"
        ) from error


def _blocks(document: Document) -> Iterator[str]:
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = _paragraph(item)
            if text:
                yield text
        elif isinstance(item, Table):
            yield from _table(item)


def _paragraph(paragraph: Paragraph) -> str:
    text = " ".join(paragraph.text.split())
    if not text:
        return ""
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = re.fullmatch(r"Heading (\d)", style)
    if style == "Title":
        return f"# {text}"
    if heading:
        return "#" * int(heading.group(1)) + f" {text}"
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    if style.startswith("List") or numbered:
        return f"- {text}"
    return text


def _table(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells = [" ".join(cell.text.split()) for cell in row.cells]
        # Merged cells repeat their text in every grid position they span.
        unique = [cell for i, cell in enumerate(cells) if cell and (i == 0 or cell != cells[i - 1])]
        if unique:
            yield " | ".join(unique)
