"""The real app, served by uvicorn on a free loopback port, on a temporary database and a small
bundle dir built by the fixture. Tests talk to it over HTTP with httpx.

The database is a SQLite file, or a database of its own in a throwaway PostgreSQL cluster that the
session starts once (`tests.server.support.postgres`): `pytest --database=postgresql` runs every
server test there, and a module marked `on_both_databases` runs its tests on each.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]
import httpx
import psycopg
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlalchemy.pool import Pool

from tests.server.support.postgres import Cluster
from widget.server.app import create_app
from widget.server.core.config import Settings
from widget.server.webhooks.outbox import OutboxEvent

ADMIN_KEY = "test-admin-key-0123456789"
APP_DIR = "bundle/app-0123456789ab"
PYODIDE_DIR = "bundle/pyodide@314.0.7"


def make_bundle(root: Path) -> Path:
    """What `make build` lays out, in miniature, with precompressed copies of widget.js."""
    files = {
        "widget.js": "/* the shim */ console.log('widget');\n" * 50,
        "frame.html": (
            "<!doctype html><title>Chat</title>"
            '<script id="agent-config" type="application/json">{{AGENT}}</script>\n'
        ),
        "snippet.html": "<script async src='{{WIDGET_URL}}' data-agent-id='{{AGENT_ID}}'></script>",
        "demo.html": "<!doctype html><title>Demo</title><h1>Demo host page</h1>\n",
        f"{PYODIDE_DIR}/pyodide.asm.wasm": "\0asm fake wasm",
        f"{PYODIDE_DIR}/pyodide.mjs": "export const x = 1;\n",
        f"{APP_DIR}/frame.css": "body { margin: 0 }\n",
        "bundle/wheels/pydantic-2.14.3-py3-none-any.whl": "PK fake wheel",
        "bundle/plain.json": '{"a": 1}',
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    shim = (root / "widget.js").read_bytes()
    (root / "widget.js.br").write_bytes(brotli.compress(shim))
    (root / "widget.js.gz").write_bytes(gzip.compress(shim))
    return root


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    return make_bundle(tmp_path / "build")


DATABASES = ("sqlite", "postgresql")
# A module's `pytestmark = on_both_databases` runs each of its tests on SQLite and on PostgreSQL.
on_both_databases = pytest.mark.parametrize("database_kind", DATABASES)
# Tests of SQLite's own behaviour (its single writer), or too long to run twice (the fuzzer).
sqlite_only = pytest.mark.parametrize("database_kind", ["sqlite"])


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    cluster = Cluster().start()
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(autouse=True)
def close_postgresql_connections() -> Iterator[None]:
    """Close, when a test ends, every PostgreSQL connection it opened.

    Tests build apps they never serve and open sessions after a server stopped; SQLite's files
    close quietly when such an engine is collected, but psycopg warns (a ResourceWarning, an error
    here) about a connection still open. Holding them until the end keeps them from collection.
    """
    opened: list[psycopg.Connection[Any]] = []

    def keep(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, psycopg.Connection):
            opened.append(dbapi_connection)

    event.listen(Pool, "connect", keep)
    try:
        yield
    finally:
        event.remove(Pool, "connect", keep)
        for connection in opened:
            connection.close()


@pytest.fixture
def database_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.config.getoption("--database")
    return kind


@pytest.fixture
def database_url(database_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A new empty database of the kind asked for: its SQLAlchemy URL."""
    if database_kind == "postgresql":
        cluster: Cluster = request.getfixturevalue("postgres_cluster")
        return cluster.create_database()
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    return f"sqlite:///{folder / 'widget.db'}"


@pytest.fixture
def settings(database_url: str, bundle_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        admin_key=ADMIN_KEY,
        bundle_dir=bundle_dir,
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


def wait_until(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        pause.wait(0.02)


class LoopbackServer:
    """uvicorn running `app` in a thread, lifespan included (so background services run)."""

    def __init__(self, app: FastAPI) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        deadline = threading.Event()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the server thread died while starting")
            deadline.wait(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()


@pytest.fixture
def server(app: FastAPI) -> Iterator[LoopbackServer]:
    with LoopbackServer(app) as running:
        yield running


@pytest.fixture
def client(server: LoopbackServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def start(client: httpx.Client) -> Callable[..., tuple[str, dict[str, str]]]:
    """Start one conversation: returns its id and the visitor's Authorization header."""

    def start_one(agent_id: str = "ag_demo") -> tuple[str, dict[str, str]]:
        response = client.post("/v1/conversations", json={"agentId": agent_id})
        assert response.status_code == 201, response.text
        body = response.json()
        return body["conversationId"], {"Authorization": f"Bearer {body['visitorToken']}"}

    return start_one


@pytest.fixture
def outbox(app: FastAPI) -> Callable[[], list[tuple[str, dict[str, Any]]]]:
    """Every event in the outbox, oldest first, as (event name, JSON data)."""

    def events() -> list[tuple[str, dict[str, Any]]]:
        with app.state.sessions() as session:
            rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
            return [(row.event, json.loads(row.data_json)) for row in rows]

    return events
