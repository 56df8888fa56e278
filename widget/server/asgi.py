"""`app_from_env()`: the app built from the environment, for each API process of
`python -m widget serve --workers N` (uvicorn imports it in every process it starts)."""

from __future__ import annotations

from fastapi import FastAPI

from widget.server.app import create_app
from widget.server.core.config import Settings


def app_from_env() -> FastAPI:
    return create_app(Settings.from_env())
