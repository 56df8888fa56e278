"""Split agent replies into text and safe links, so the frame never renders server HTML.

Pure Python (runs in the browser and under CPython tests). Only http(s) URLs and email addresses
become links; everything else stays text, whatever characters it holds.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_LINK = re.compile(
    r"(?P<url>https?://[^\s<>\"'`]+)|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"
)
# Punctuation that ends a sentence rather than the URL: "see https://x.io/docs." -> no final dot.
_TRAILING = ".,;:!?)]}'\""


class Segment(NamedTuple):
    text: str
    href: str | None = None


def segments(text: str) -> list[Segment]:
    out: list[Segment] = []
    pos = 0
    for match in _LINK.finditer(text):
        start, end = match.span()
        value = match.group()
        if match.group("url"):
            while value and value[-1] in _TRAILING and not _balanced(value):
                value = value[:-1]
            end = start + len(value)
            href = value
        else:
            href = f"mailto:{value}"
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(value, href))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return _merge_text(out)


def _balanced(url: str) -> bool:
    """A closing bracket that matches one inside the URL belongs to it (Wikipedia-style links)."""
    closing = url[-1]
    pairs = {")": "(", "]": "[", "}": "{"}
    if closing not in pairs:
        return False
    return url.count(pairs[closing]) >= url.count(closing)


def _merge_text(parts: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for part in parts:
        if merged and part.href is None and merged[-1].href is None:
            merged[-1] = Segment(merged[-1].text + part.text)
        else:
            merged.append(part)
    return merged
