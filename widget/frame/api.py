"""The public chat API, as the frame calls it (same origin as the frame: no CORS, no cookies)."""

from __future__ import annotations

import json
from typing import Any

from pyodide.http import pyfetch  # type: ignore[import-not-found]


class ServerUnreachable(Exception):
    """The request may not have reached the server, or the server failed: safe to retry."""


class ApiError(Exception):
    """The server refused the request; retrying the same request will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ChatApi:
    def __init__(self, base: str = "./v1") -> None:
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
        options: dict[str, Any] = {"method": method, "headers": headers}
        if body is not None:
            headers["Content-Type"] = "application/json"
            options["body"] = json.dumps(body)
        try:
            response = await pyfetch(self.base + path, **options)
            text = await response.text()
        except Exception as exc:  # fetch rejects with a TypeError on any network failure
            raise ServerUnreachable(str(exc)) from exc
        if response.status >= 500 or response.status == 429:
            raise ServerUnreachable(f"server answered {response.status}")
        try:
            data = json.loads(text) if text else {}
        except ValueError as exc:
            raise ServerUnreachable(f"unreadable answer ({response.status})") from exc
        if not response.ok:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            message = error.get("message") if isinstance(error, dict) else None
            raise ApiError(response.status, message or f"request failed ({response.status})")
        return data if isinstance(data, dict) else {}
