"""Server-Sent Events, parsed as the WHATWG HTML standard says (9.2.6, "Interpreting an event
stream"), from the bytes of a `fetch()` body: the frame reads its stream with `fetch`, not
`EventSource`, so that the visitor token goes in a header rather than the URL.

Pure Python (runs under CPython in tests/frame). Lines end in CRLF, LF or CR, and a chunk may end
between the CR and the LF of one line; a UTF-8 character may be split between chunks too.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True)
class SseEvent:
    """One dispatched event: its type ("message" unless named), data, and the last event id."""

    event: str
    data: str
    last_event_id: str


class SseParser:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line = ""
        self._after_cr = False
        self._first = True
        self._data: list[str] = []
        self._event = ""
        self.last_event_id = ""
        # The stream's `retry:` field, in milliseconds, once the server sent one.
        self.retry_ms: int | None = None

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """The events `chunk` completes, in order (an unfinished one waits for the next chunk)."""
        text = self._decoder.decode(chunk)
        if self._first and text:
            self._first = False
            text = text.removeprefix("\ufeff")  # one leading BOM is not part of the stream
        events: list[SseEvent] = []
        start = 0
        for i, char in enumerate(text):
            if char == "\n" and self._after_cr:
                # The LF of a CRLF whose CR ended the previous piece: that line is done already.
                self._after_cr = False
                start = i + 1
                continue
            self._after_cr = False
            if char in "\r\n":
                self._line += text[start:i]
                start = i + 1
                self._after_cr = char == "\r"
                event = self._process(self._line)
                self._line = ""
                if event is not None:
                    events.append(event)
        self._line += text[start:]
        return events

    def _process(self, line: str) -> SseEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment (the server's heartbeat)
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> SseEvent | None:
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None
        return SseEvent(event or "message", "\n".join(data), self.last_event_id)
