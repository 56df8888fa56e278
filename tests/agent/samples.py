"""Real files for the format tests, made here: PDFs with and without a text layer, encrypted
PDFs, Word documents."""

from __future__ import annotations

import io

import docx
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)


def _pdf_string(text: str) -> str:
    # The standard fonts' WinAnsi encoding holds Latin-1: enough for German and French.
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return "".join(c if ord(c) < 128 else f"\\{ord(c):03o}" for c in escaped)


def pdf_with_text(pages: list[list[str]]) -> bytes:
    """A PDF whose pages hold these lines as real text (Helvetica)."""
    writer = PdfWriter()
    for lines in pages:
        page = writer.add_blank_page(width=595, height=842)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        commands = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
        for line in lines:
            commands += [f"({_pdf_string(line)}) Tj", "T*"]
        commands.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(commands).encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_scanned(pages: int = 2) -> bytes:
    """A PDF of pages that are only an image: what a scanner makes, no text layer."""
    writer = PdfWriter()
    for _ in range(pages):
        page = writer.add_blank_page(width=595, height=842)
        image = DecodedStreamObject()
        image.set_data(bytes([0x80]) * 16)
        image.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Image"),
                NameObject("/Width"): NumberObject(4),
                NameObject("/Height"): NumberObject(4),
                NameObject("/ColorSpace"): NameObject("/DeviceGray"),
                NameObject("/BitsPerComponent"): NumberObject(8),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {
                NameObject("/XObject"): DictionaryObject(
                    {NameObject("/Im1"): writer._add_object(image)}
                )
            }
        )
        content = DecodedStreamObject()
        content.set_data(b"q 595 0 0 842 0 0 cm /Im1 Do Q")
        page[NameObject("/Contents")] = writer._add_object(content)
        page[NameObject("/MediaBox")] = ArrayObject([NumberObject(n) for n in (0, 0, 595, 842)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_encrypted(lines: list[str], user_password: str) -> bytes:
    """A text PDF encrypted with RC4 (needs no crypto library to read); an empty user password
    opens for anyone, as many "protected" PDFs do."""
    from pypdf import PdfReader

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text([lines]))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def word_document() -> bytes:
    document = docx.Document()
    document.add_heading("Versand und Lieferung", level=1)
    document.add_paragraph("Wir versenden alle Bestellungen innerhalb von zwei Werktagen.")
    document.add_heading("Zahlungsarten", level=2)
    document.add_paragraph("PayPal", style="List Bullet")
    document.add_paragraph("Kreditkarte", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Land"
    table.cell(0, 1).text = "Versandkosten"
    table.cell(1, 0).text = "Österreich"
    table.cell(1, 1).text = "9,90 Euro"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
