"""`python -m widget serve` as a real process on a free loopback port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import make_bundle, wait_until

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Served:
    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def join(self) -> None:
        self._reader.join(timeout=30)

    def printed(self) -> str:
        return "".join(self.output)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    env.update(
        WIDGET_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        WIDGET_BUNDLE_DIR=str(make_bundle(tmp_path / "build")),
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "widget", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = Served(process, f"http://127.0.0.1:{port}")
    try:
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        running.join()
        assert process.stdout is not None
        process.stdout.close()


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/widget.js", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def test_serve_prints_an_admin_key_and_answers(served: Served) -> None:
    wait_until(lambda: _up(served.url) or served.process.poll() is not None, what="the server")
    assert served.process.poll() is None, served.printed()

    match = re.search(r"admin API key for this run is:\s+(\S+)", served.printed())
    assert match, served.printed()
    admin = {"Authorization": f"Bearer {match.group(1)}"}

    with httpx.Client(base_url=served.url, timeout=30) as client:
        assert client.get("/").status_code == 200
        assert client.get("/v1/agents/ag_demo", headers=admin).json()["agentId"] == "ag_demo"
        assert client.get("/v1/agents/ag_demo").status_code == 401
        started = client.post("/v1/conversations", json={"agentId": "ag_demo"}).json()
        reply = client.post(
            f"/v1/conversations/{started['conversationId']}/messages",
            headers={"Authorization": f"Bearer {started['visitorToken']}"},
            json={"content": "How do I install Parley?"},
        )
        assert reply.status_code == 200
        assert reply.json()["reply"]["content"]

    # SIGTERM shuts down gracefully: the lifespan stops the background services.
    served.process.terminate()
    served.process.wait(timeout=30)
    served.join()
    assert "Application shutdown complete" in served.printed()
