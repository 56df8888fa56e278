"""widget.frame.sse: the WHATWG event-stream rules, table by table, and any split into chunks."""

from __future__ import annotations

import pytest

from widget.frame.sse import SseEvent, SseParser


def parse(*chunks: bytes) -> tuple[list[SseEvent], SseParser]:
    parser = SseParser()
    events = [event for chunk in chunks for event in parser.feed(chunk)]
    return events, parser


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"data: hello\n\n", [SseEvent("message", "hello", "")]),
        (b"event: mode\ndata: {}\n\n", [SseEvent("mode", "{}", "")]),
        (b"id: 7\nevent: message\ndata: a\ndata: b\n\n", [SseEvent("message", "a\nb", "7")]),
        # One space after the colon is dropped, no more; no colon: the whole line names the field.
        (b"data:  two\n\n", [SseEvent("message", " two", "")]),
        (b"data\n\n", [SseEvent("message", "", "")]),
        (b"data\ndata\n\n", [SseEvent("message", "\n", "")]),
        # Comments (heartbeats) and unknown fields are ignored; an event without data is not sent.
        (b": keep-alive\n\n", []),
        (b"foo: bar\ndata: x\n\n", [SseEvent("message", "x", "")]),
        (b"event: mode\n\n", []),
        # CRLF and CR end lines as LF does.
        (b"data: a\r\n\r\ndata: b\r\rdata: c\n\n", [SseEvent("message", x, "") for x in "abc"]),
        # An unfinished event at the end of the stream is dropped.
        (b"data: done\n\ndata: half", [SseEvent("message", "done", "")]),
        # A leading BOM is skipped.
        (b"\xef\xbb\xbfdata: x\n\n", [SseEvent("message", "x", "")]),
        # The last event id carries over to later events; an id holding NUL is ignored.
        (
            b"id: 3\ndata: a\n\ndata: b\n\nid: 4\x00\ndata: c\n\n",
            [
                SseEvent("message", "a", "3"),
                SseEvent("message", "b", "3"),
                SseEvent("message", "c", "3"),
            ],
        ),
        # The event type resets after each dispatch.
        (
            b"event: mode\ndata: 1\n\ndata: 2\n\n",
            [
                SseEvent("mode", "1", ""),
                SseEvent("message", "2", ""),
            ],
        ),
    ],
)
def test_the_standard_rules(stream: bytes, expected: list[SseEvent]) -> None:
    assert parse(stream)[0] == expected


STREAM = 'retry: 3000\n: hi\r\nid: 1\r\nevent: message\r\ndata: {"content": "Grüße 👋"}\r\n\r\n'


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_any_split_into_chunks_gives_the_same_events(size: int) -> None:
    raw = STREAM.encode()
    events, parser = parse(*(raw[i : i + size] for i in range(0, len(raw), size)))
    assert events == [SseEvent("message", '{"content": "Grüße 👋"}', "1")]
    assert parser.retry_ms == 3000
    assert parser.last_event_id == "1"


def test_retry_takes_digits_only() -> None:
    _, parser = parse(b"retry: 2s\n\nretry: 1500\n\nretry: -1\n\n")
    assert parser.retry_ms == 1500


def test_an_empty_id_clears_the_last_event_id() -> None:
    events, parser = parse(b"id: 9\ndata: a\n\nid\ndata: b\n\n")
    assert [e.last_event_id for e in events] == ["9", ""]
    assert parser.last_event_id == ""
