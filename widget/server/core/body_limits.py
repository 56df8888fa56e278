"""Request bodies are bounded per route family, while they stream in.

- chat (`/v1/conversations...`, what visitors send): `WIDGET_BODY_LIMIT_CHAT`, 64 KiB;
- training (`POST /v1/agents/{id}/training`): `WIDGET_BODY_LIMIT_TRAINING`, 16 MiB;
- everything else (the admin API): `WIDGET_BODY_LIMIT_ADMIN`, 1 MiB.

A request whose Content-Length is over its limit is answered 413 `payload_too_large` at once, before
routing, authentication or reading a byte of the body. A body without a Content-Length (chunked) is
counted as its `http.request` messages arrive; the message that crosses the limit fails the read
with the same 413, so the server never holds more than the limit of any one body. The answer closes
the connection: the rest of a refused body is never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from widget.server.core.errors import error_response

_TRAINING = re.compile(r"^/v1/agents/[^/]+/training/?$")
_CHAT = re.compile(r"^/v1/conversations(?:/|$)")


@dataclass(frozen=True)
class BodyLimits:
    chat: int
    training: int
    admin: int

    def for_path(self, path: str) -> tuple[str, int]:
        """The route family of `path` and its limit in bytes."""
        if _TRAINING.match(path):
            return "training", self.training
        if _CHAT.match(path):
            return "chat", self.chat
        return "admin", self.admin


def _size(count: int) -> str:
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count:,} bytes"


def _message(family: str, limit: int, declared: int | None) -> str:
    size = f"is {declared:,} bytes" if declared is not None else "is larger than that"
    return (
        f"The request body {size}; {family} requests may have at most {_size(limit)} "
        f"({limit:,} bytes)."
    )


class PayloadTooLarge(HTTPException):
    code = "payload_too_large"

    def __init__(self, family: str, limit: int) -> None:
        super().__init__(413, _message(family, limit, None), {"Connection": "close"})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        family, limit = self.limits.for_path(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            response = error_response(
                413,
                "payload_too_large",
                _message(family, limit, declared),
                {"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException, so that FastAPI's body reader passes it on unchanged
                    # and the app's handler answers it in the usual error shape.
                    raise PayloadTooLarge(family, limit)
            return message

        await self.app(scope, counted, send)
