"""HTML reduced to its main content, as Markdown-flavoured text (selectolax's Lexbor parser).

The main content is the page's `<main>` (or `role="main"`, or its one `<article>`); without one, the
body less the site's own header, footer and navigation. Headings become `#` lines and `<pre>`
blocks become fenced code, so that chunking keeps both as context.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

_SKIPPED_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "svg", "head", "nav", "iframe", "object",
        "canvas", "button", "select", "dialog",
    }
)  # fmt: skip
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "form", "header", "hr", "main", "ol", "p", "section",
        "summary", "table", "tbody", "thead", "tr", "ul",
    }
)  # fmt: skip
_HEADING_TAGS = {f"h{level}": level for level in range(1, 7)}
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary"})
_CHROME_NAMES = re.compile(r"(?:^|[\s_-])(?:cookie|consent|breadcrumbs?|skip-link)(?:$|[\s_-])")
_PRE_FENCE = "\x00pre\x00"  # marks <pre> bounds until they become ``` fences


@dataclass(frozen=True, slots=True)
class HtmlPage:
    text: str
    title: str | None
    language: str | None  # as the page declares it (`<html lang>`), not detected
    links: tuple[str, ...]  # absolute, in page order, without fragments


def parse_page(html: str, base_url: str | None = None) -> HtmlPage:
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = _clean(title_node.text()) if title_node is not None else None
    root_node = tree.root
    language = root_node.attributes.get("lang") if root_node is not None else None
    links = tuple(_links(tree, base_url)) if base_url is not None else ()
    text = html_to_text(tree)
    if not title:
        heading = re.search(r"^# (.+)$", text, re.MULTILINE)
        title = heading.group(1).strip() if heading else None
    return HtmlPage(text=text, title=title or None, language=language or None, links=links)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _links(tree: LexborHTMLParser, base_url: str) -> Iterator[str]:
    base = tree.css_first("base[href]")
    if base is not None:
        base_url = urljoin(base_url, base.attributes.get("href") or "")
    seen: set[str] = set()
    for anchor in tree.css("a[href]"):
        rel = (anchor.attributes.get("rel") or "").lower().split()
        if "nofollow" in rel:
            continue
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        url = urljoin(base_url, href).split("#", 1)[0]
        if url not in seen:
            seen.add(url)
            yield url


def _main_content(tree: LexborHTMLParser) -> tuple[LexborNode | None, bool]:
    """The node holding the page's own content, and whether it is the whole body."""
    for selector in ("main", "[role=main]"):
        node = tree.css_first(selector)
        if node is not None:
            return node, False
    articles = tree.css("article")
    if len(articles) == 1:
        return articles[0], False
    return tree.body, True


def _is_chrome(node: LexborNode, whole_body: bool) -> bool:
    attributes = node.attributes
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    if (attributes.get("role") or "") in _CHROME_ROLES:
        return True
    names = f"{attributes.get('id') or ''} {attributes.get('class') or ''}".lower()
    if _CHROME_NAMES.search(names):
        return True
    # The site's own header and footer, around every page; an article's header is content.
    if whole_body and node.tag in ("header", "footer", "aside"):
        parent = node.parent
        return parent is not None and parent.tag == "body"
    return False


def html_to_text(tree: LexborHTMLParser) -> str:
    root, whole_body = _main_content(tree)
    if root is None:
        return ""
    pieces: list[str] = []
    pre_depth = 0
    # An explicit stack: hostile pages nest elements deeper than Python's recursion limit.
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag or ""
        if leaving:
            if tag in _HEADING_TAGS or tag in _BLOCK_TAGS:
                pieces.append("\n\n")
            elif tag == "pre":
                pre_depth -= 1
                if pre_depth == 0:
                    pieces.append(f"\n{_PRE_FENCE}\n\n")
            continue
        if node.is_text_node:
            data = node.text_content or ""
            pieces.append(data if pre_depth else re.sub(r"\s+", " ", data))
            continue
        if not node.is_element_node or tag in _SKIPPED_TAGS or _is_chrome(node, whole_body):
            continue
        if tag in _HEADING_TAGS:
            pieces.append("\n\n" + "#" * _HEADING_TAGS[tag] + " ")
        elif tag == "li":
            pieces.append("\n- ")
        elif tag == "br":
            pieces.append("\n")
        elif tag == "pre":
            # As a fenced code block: chunking keeps it whole, indentation and all.
            pre_depth += 1
            if pre_depth == 1:
                pieces.append(f"\n\n{_PRE_FENCE}\n")
        elif tag in ("td", "th"):
            pieces.append(" ")
        elif tag in _BLOCK_TAGS:
            pieces.append("\n\n")
        stack.append((node, True))
        children = list(node.iter(include_text=True))
        stack.extend((child, False) for child in reversed(children))
    return _fences("".join(pieces))


def _fences(raw: str) -> str:
    lines: list[str] = []
    in_pre = False
    for line in raw.split("\n"):
        if line == _PRE_FENCE:
            in_pre = not in_pre
            lines.append("```")
        elif in_pre:
            lines.append(line.rstrip())
        # A heading or list item whose text was all skipped leaves a bare marker behind.
        elif not re.fullmatch(r"#+|-", line.strip()):
            lines.append(line.strip())
    if in_pre:
        lines.append("```")
    return "\n".join(lines)
