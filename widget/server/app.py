"""`create_app(settings)`: the widget server as one FastAPI app.

It opens the database, creates missing tables (and adds newer columns to old ones), seeds the demo
agent, bounds request bodies, mounts the chat, admin and static routers, and runs the background
services for as long as the app lives.

Adding a background service: append an object with `start()`/`stop()` (sync or async, see
`widget.server.services`) to `app.state.services` before the app starts, e.g. in an extension's
`install(app)`. Adding routes or tables from another module: give that module
`install(app: FastAPI) -> None` and list it in `EXTENSIONS`; it runs before tables are created, so
models it imports get their tables too. `app.state` holds `settings`, `engine`, `sessions` (the
sessionmaker), `agent`, `knowledge` and `services`.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from widget.server import models as _models  # noqa: F401  (registers the tables)
from widget.server import outbox as _outbox  # noqa: F401  (registers the outbox table)
from widget.server import rate_limits as _rate_limits  # noqa: F401  (registers its table)
from widget.server.body_limits import BodyLimitMiddleware, BodyLimits
from widget.server.config import Settings
from widget.server.db import make_engine, make_sessionmaker
from widget.server.errors import install_error_handlers
from widget.server.idle import IdleSweeper
from widget.server.knowledge_cache import KnowledgeCache
from widget.server.schema_upgrade import create_schema
from widget.server.seed import seed_demo
from widget.server.services import Service, call_maybe_async

if TYPE_CHECKING:
    from widget.agent.core import Agent

# Modules owned by other parts of the server, wired in when present: each has `install(app)`.
EXTENSIONS: tuple[str, ...] = (
    "widget.server.webhooks_api",
    "widget.server.delivery",
    "widget.server.crm_api",
    "widget.server.dashboard",
)


def create_app(settings: Settings, *, agent: Agent | None = None) -> FastAPI:
    """Build the app. `agent` defaults to `agent_from_env(settings.llm_env)`."""
    if agent is None:
        from widget.agent.core import agent_from_env

        agent = agent_from_env(settings.llm_env)

    db_file = settings.sqlite_path()
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url, busy_timeout=settings.database_busy_timeout)
    sessions = make_sessionmaker(engine)

    app = FastAPI(
        title="Chat widget server",
        lifespan=_lifespan,
        docs_url="/v1/docs",
        redoc_url=None,
        openapi_url="/v1/openapi.json",
    )
    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        limits=BodyLimits(
            chat=settings.body_limit_chat,
            training=settings.body_limit_training,
            admin=settings.body_limit_admin,
        ),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.agent = agent
    app.state.knowledge = KnowledgeCache(sessions)
    services: list[Service] = [
        IdleSweeper(sessions, idle_minutes=settings.conversation_idle_minutes),
    ]
    app.state.services = services

    from widget.server import agents_api, chat_api, leads_api, static, training

    app.include_router(chat_api.router)
    app.include_router(agents_api.router)
    app.include_router(training.router)
    app.include_router(leads_api.router)
    for name in EXTENSIONS:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).install(app)
    # Last: the static router ends in a catch-all path.
    app.include_router(static.router)

    create_schema(engine)
    seed_demo(sessions)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    started: list[Service] = []
    try:
        for service in app.state.services:
            await call_maybe_async(service.start)
            started.append(service)
        yield
    finally:
        for service in reversed(started):
            await call_maybe_async(service.stop)
        app.state.engine.dispose()
