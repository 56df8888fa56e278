"""Request bodies are bounded per route family, and a body over its limit is refused before the
server has read it: from its Content-Length, or while it streams in."""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.server.conftest import ADMIN_KEY, LoopbackServer
from widget.server.app import create_app
from widget.server.core.config import Settings


@pytest.fixture
def limited(settings: Settings) -> Iterator[LoopbackServer]:
    small = dataclasses.replace(
        settings, body_limit_chat=2048, body_limit_training=64 * 1024, body_limit_admin=4096
    )
    with LoopbackServer(create_app(small)) as server:
        yield server


def raw_request(url: str, head: str, body_chunks: list[bytes]) -> tuple[int, dict[str, str], bytes]:
    """Send `head` (request line and headers), then each chunk as is, then read the answer.

    The body is never finished (no terminating chunk): an answer proves the server did not wait
    for the rest."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n")
        for chunk in body_chunks:
            sock.sendall(chunk)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < _expected_length(answer):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    header_block, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = header_block.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def _expected_length(answer: bytes) -> int:
    header_block, _, _ = answer.partition(b"\r\n\r\n")
    for line in header_block.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(header_block) + 4 + int(line.split(b":")[1])
    return len(answer)


def chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


@pytest.mark.parametrize(
    ("path", "auth", "limit"),
    [
        ("/v1/conversations", False, 2048),
        ("/v1/agents/ag_demo/training", True, 64 * 1024),
        ("/v1/webhooks", True, 4096),
        ("/v1/nowhere", False, 4096),
    ],
)
def test_a_declared_length_over_the_limit_is_413_before_any_byte_is_sent(
    limited: LoopbackServer, path: str, auth: bool, limit: int
) -> None:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: 50000000\r\n" + (f"Authorization: Bearer {ADMIN_KEY}\r\n" if auth else "")
    )
    status, headers, body = raw_request(limited.url, head, [])
    assert status == 413
    assert headers["connection"] == "close"
    error = json.loads(body)["error"]
    assert error["code"] == "payload_too_large"
    assert "50,000,000 bytes" in error["message"]
    assert f"({limit:,} bytes)" in error["message"]


def test_a_streamed_body_is_refused_once_it_crosses_the_limit(limited: LoopbackServer) -> None:
    head = (
        "POST /v1/conversations HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n"
    )
    # 3 KiB of a body that would go on for ever; the chat limit is 2 KiB.
    status, headers, body = raw_request(limited.url, head, [chunked(b" " * 1024)] * 3)
    assert status == 413
    assert headers["connection"] == "close"
    error = json.loads(body)["error"]
    assert error == {
        "code": "payload_too_large",
        "message": "The request body is larger than that; chat requests may have at most "
        "2 KiB (2,048 bytes).",
    }


def test_bodies_within_their_limits_are_served(limited: LoopbackServer) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    document = {"name": "big.md", "content": "# Big\n\n" + "Words and more words. " * 2000}
    with httpx.Client(base_url=limited.url, timeout=30) as client:
        # 44 KB: over the admin and chat limits, within the training limit.
        training = client.post(
            "/v1/agents/ag_demo/training",
            headers=admin,
            json={"source": "big", "documents": [document]},
        )
        assert training.status_code == 202, training.text
        created = client.post("/v1/conversations", json={"agentId": "ag_demo"})
        assert created.status_code == 201
        too_big = client.post("/v1/agents", headers=admin, json={"name": "x" * 5000})
        assert too_big.status_code == 413
        assert too_big.json()["error"]["code"] == "payload_too_large"
