"""The public chat API, as the frame calls it (same origin as the frame: no CORS, no cookies).

Pure Python: the HTTP request itself is a `Transport`, the browser's `fetch` in the frame
(`widget.frame.transport`), anything async in tests.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

# (method, url, headers, body) -> (status, response text); raises when nothing came back.
Transport = Callable[[str, str, dict[str, str], str | None], Awaitable[tuple[int, str]]]


class ServerUnreachable(Exception):
    """The request may not have reached the server, or the server failed: safe to retry."""


class ApiError(Exception):
    """The server refused the request; retrying the same request will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ChatApi:
    def __init__(self, transport: Transport, base: str = "./v1") -> None:
        self.transport = transport
        self.base = base

    async def create_conversation(self, agent_id: str) -> dict[str, Any]:
        return await self._call("POST", "/conversations", body={"agentId": agent_id})

    async def send_message(
        self, conversation_id: str, token: str, content: str, client_message_id: str
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            f"/conversations/{conversation_id}/messages",
            token=token,
            body={"content": content, "clientMessageId": client_message_id},
        )

    async def history(self, conversation_id: str, token: str) -> dict[str, Any]:
        return await self._call("GET", f"/conversations/{conversation_id}/messages", token=token)

    async def end(self, conversation_id: str, token: str) -> dict[str, Any]:
        return await self._call("POST", f"/conversations/{conversation_id}/end", token=token)

    async def _call(
        self, method: str, path: str, *, token: str | None = None, body: Any = None
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body)
        try:
            status, text = await self.transport(method, self.base + path, headers, payload)
        except Exception as exc:  # fetch rejects with a TypeError on any network failure
            raise ServerUnreachable(str(exc)) from exc
        if status >= 500 or status == 429:
            raise ServerUnreachable(f"server answered {status}")
        try:
            data = json.loads(text) if text else {}
        except ValueError as exc:
            raise ServerUnreachable(f"unreadable answer ({status})") from exc
        if not 200 <= status < 300:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            message = error.get("message") if isinstance(error, dict) else None
            raise ApiError(status, message or f"request failed ({status})")
        return data if isinstance(data, dict) else {}
