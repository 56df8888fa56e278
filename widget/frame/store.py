"""Where the frame keeps the visitor's conversation across reloads.

The frame's localStorage is partitioned per host site by the browser. Where the browser denies the
frame storage altogether, a dict stands in: the widget works, only persistence lapses.
"""

from __future__ import annotations

import json
from typing import Any

import js  # type: ignore[import-not-found]


class ConversationStore:
    def __init__(self, agent_id: str, persistent: bool) -> None:
        self.key = f"widget:{agent_id}:conversation"
        self.persistent = persistent
        self._memory: dict[str, str] = {}

    def load(self) -> dict[str, Any] | None:
        raw = self._get()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        if not (value.get("conversationId") and value.get("visitorToken")):
            value["conversationId"] = value["visitorToken"] = None
        return value

    def save(self, state: dict[str, Any]) -> None:
        self._set(json.dumps(state))

    def clear(self) -> None:
        if self.persistent:
            try:
                js.localStorage.removeItem(self.key)
                return
            except Exception:
                self.persistent = False
        self._memory.pop(self.key, None)

    def _get(self) -> str | None:
        if self.persistent:
            try:
                value = js.localStorage.getItem(self.key)
                return None if value is None else str(value)
            except Exception:
                self.persistent = False
        return self._memory.get(self.key)

    def _set(self, value: str) -> None:
        if self.persistent:
            try:
                js.localStorage.setItem(self.key, value)
                return
            except Exception:  # quota or a policy change: keep working without persistence
                self.persistent = False
        self._memory[self.key] = value
