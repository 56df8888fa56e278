"""Fixtures of the frame's tests: the real server app on a temporary SQLite file, and the
frame's localStorage (see tests/frame/harness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.frame.fakes import MemoryStorage
from widget.server.app import create_app
from widget.server.core.config import Settings


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    bundle = tmp_path / "build"
    bundle.mkdir()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'widget.db'}",
        admin_key="test-admin-key-0123456789",
        bundle_dir=bundle,
    )
    return create_app(settings)


@pytest.fixture
def storage() -> MemoryStorage:
    """The frame's localStorage, shared by every frame a test opens (a reload keeps it)."""
    return MemoryStorage()
