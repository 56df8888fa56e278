"""Allowed embedding origins: `*`, or `scheme://host[:port]` as a browser names an origin."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
# Of IPv6 literals only the loopback one: no site is served from another, and a pattern cannot
# tell a valid IPv6 address from an invalid one.
_ORIGIN = rf"\*|https?://(?:{_LABEL}(?:\.{_LABEL})*|\[::1\])(?::{_PORT})?"
# What the API documents for one allowed origin (ASCII only, so JSON Schema's ECMAScript patterns
# and Python's `re` read it alike); `normalize_origin` holds values to it before anything else.
ORIGIN_PATTERN = rf"^[ \t]*(?:{_ORIGIN})[ \t]*$"
_ORIGIN_RE = re.compile(ORIGIN_PATTERN)


def normalize_origin(value: str) -> str:
    """The origin in canonical form (lowercase, no default port); ValueError says what's wrong."""
    if not _ORIGIN_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an origin: give '*' or scheme://host[:port] with http or https, "
            "without a path"
        )
    value = value.strip()
    if value == "*":
        return value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an origin: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{value!r} is not an origin: use http:// or https:// (or '*' for any)")
    if not parts.hostname:
        raise ValueError(f"{value!r} is not an origin: it has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{value!r} is not an origin: remove the user name")
    if parts.path not in ("", "/") or parts.query or parts.fragment or value.endswith("/"):
        raise ValueError(
            f"{value!r} is not an origin: give only scheme://host[:port], without a path"
        )
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def normalize_origins(values: list[str]) -> list[str]:
    """Each origin normalised, duplicates dropped, order kept."""
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(normalize_origin(value), None)
    return list(seen)
