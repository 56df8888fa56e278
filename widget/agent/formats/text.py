"""Plain text and Markdown: decoded, tidied, front matter dropped."""

from __future__ import annotations

import re

from widget.agent.formats.errors import UnusableDocument

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode(name: str, content: str | bytes) -> str:
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnusableDocument(f"document {name!r} is not UTF-8 text: {error}") from error


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def tidy(text: str) -> str:
    """No control characters, no trailing spaces, at most one blank line in a row."""
    text = _CONTROL.sub("", normalize_newlines(text)).replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def markdown_text(text: str) -> str:
    return _FRONT_MATTER.sub("", normalize_newlines(text), count=1)
