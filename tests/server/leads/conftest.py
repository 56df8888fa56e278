"""Fixtures of the erasure and export tests: the app without background workers, served on
loopback, and a client with the admin key."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from tests.server.support import visitors
from tests.server.support.webhooks import served
from widget.server.core.config import Settings


@pytest.fixture
def quiet_app(settings: Settings) -> FastAPI:
    return visitors.quiet_app(settings)


@pytest.fixture
def api(quiet_app: FastAPI) -> Iterator[httpx.Client]:
    """A client with the admin key."""
    with served(quiet_app) as client:
        yield client
