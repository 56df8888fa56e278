"""The language detection model is loaded when the server starts, not on the first question."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.server.conftest import LoopbackServer, wait_until
from widget.agent import language


def test_the_server_loads_the_language_model_at_start(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: list[bool] = []
    monkeypatch.setattr(language, "preload", lambda: loaded.append(True))
    with LoopbackServer(app):
        wait_until(lambda: loaded, what="the model loaded at start")
    assert loaded == [True]


def test_a_failed_preload_does_not_stop_the_server(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried: list[bool] = []

    def broken() -> None:
        tried.append(True)
        raise OSError("model file missing")

    monkeypatch.setattr(language, "preload", broken)
    with LoopbackServer(app) as server:
        wait_until(lambda: tried, what="the preload tried")
        assert httpx.get(f"{server.url}/v1/agents/ag_demo/public").status_code == 200
