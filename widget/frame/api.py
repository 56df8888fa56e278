"""The public chat API, as the frame calls it (same origin as the frame: no CORS, no cookies).

Pure Python: the HTTP request itself is a `Transport`, the browser's `fetch` in the frame
(`widget.frame.browser`), anything async in tests. Bodies are built and read through the wire
shapes of `widget.contracts.chat`, which a test holds to the server's models.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, cast

from widget.contracts.chat import (
    Ended,
    ErrorBody,
    Handoff,
    Identity,
    SendMessageRequest,
    SendMessageResponse,
    StartConversationRequest,
    StartConversationResponse,
    Transcript,
)

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

    async def create_conversation(
        self, agent_id: str, identity: Identity | None = None
    ) -> StartConversationResponse:
        """A new conversation; with an identity, the user's open one when there is one."""
        body = StartConversationRequest(agentId=agent_id)
        if identity is not None:
            body["identity"] = identity
        data = await self._call("POST", "/conversations", body=body)
        return cast(StartConversationResponse, data)

    async def send_message(
        self, conversation_id: str, token: str, content: str, client_message_id: str
    ) -> SendMessageResponse:
        body = SendMessageRequest(content=content, clientMessageId=client_message_id)
        path = f"/conversations/{conversation_id}/messages"
        return cast(SendMessageResponse, await self._call("POST", path, token=token, body=body))

    async def history(self, conversation_id: str, token: str) -> Transcript:
        path = f"/conversations/{conversation_id}/messages"
        return cast(Transcript, await self._call("GET", path, token=token))

    async def handoff(self, conversation_id: str, token: str) -> Handoff:
        """Ask for a person; the AI is silent until they hand the conversation back."""
        path = f"/conversations/{conversation_id}/handoff"
        return cast(Handoff, await self._call("POST", path, token=token, body={}))

    async def end(self, conversation_id: str, token: str) -> Ended:
        path = f"/conversations/{conversation_id}/end"
        return cast(Ended, await self._call("POST", path, token=token))

    async def _call(
        self, method: str, path: str, *, token: str | None = None, body: object = None
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
            raise ApiError(status, _error_message(data) or f"request failed ({status})")
        return data if isinstance(data, dict) else {}


def _error_message(data: object) -> str | None:
    """The sentence of an `ErrorBody`, when `data` is one."""
    if not isinstance(data, dict):
        return None
    error = cast(ErrorBody, data).get("error")
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) else None
