"""Allowed embedding origins: `*`, or `scheme://host[:port]` as a browser names an origin."""

from __future__ import annotations

from urllib.parse import urlsplit


def normalize_origin(value: str) -> str:
    """The origin in canonical form (lowercase, no default port); ValueError says what's wrong."""
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
