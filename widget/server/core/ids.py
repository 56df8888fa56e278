"""Public identifiers: a readable prefix and enough randomness that nobody can guess one."""

from __future__ import annotations

import hashlib
import secrets


def new_id(prefix: str) -> str:
    """`new_id("conv")` -> "conv_<22 url-safe characters>" (128 bits from `secrets`)."""
    return f"{prefix}_{secrets.token_urlsafe(16)}"


def new_token() -> str:
    """A bearer token handed out once; only its hash is stored."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
