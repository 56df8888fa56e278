"""`create_app(settings)`: the widget server as one FastAPI app.

It opens the database, brings its schema to the newest migration (`widget.server.core.migrate`, one
process at a time), seeds the demo agent, bounds request bodies, mounts the chat, admin and static
routers, and runs the background services for as long as the app lives.

The map: `core/` (what every part shares), `chat/`, `agents/`, `leads/`, `webhooks/`, `crm/` and
`dashboard/`, each with its tables, services and router; this module includes every router and
starts every background service (`widget.server.workers`). Adding a service: append an object with
`start()`/`stop()` (sync or async, see `widget.server.core.services`) to `app.state.services` before
the app starts. Adding a table: put it in its package's `tables.py` and import it in
`widget.server.tables`. `app.state` holds `settings`, `engine`, `sessions` (the sessionmaker),
`agent`, `knowledge`, `workers` (None when `settings.background_workers` is off) and `services`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from widget.server import tables as _tables  # noqa: F401  (registers every table)
from widget.server.agents import router as agents_router
from widget.server.agents import sources_router, training_router
from widget.server.agents.knowledge_cache import KnowledgeCache
from widget.server.agents.language_preload import LanguagePreload
from widget.server.agents.seed import seed_demo
from widget.server.chat import router as chat_router
from widget.server.chat.idle import IdleSweeper
from widget.server.chat.live import ChangePoller, broadcaster_for
from widget.server.core import frame_locale, static
from widget.server.core.body_limits import BodyLimitMiddleware, BodyLimits
from widget.server.core.config import Settings
from widget.server.core.db import make_engine, make_sessionmaker
from widget.server.core.errors import install_error_handlers
from widget.server.core.migrate import upgrade_schema
from widget.server.core.notify import CHAT_CHANNEL, NotificationListener
from widget.server.core.services import Service, call_maybe_async
from widget.server.crm import router as crm_router
from widget.server.dashboard import pages as dashboard_pages
from widget.server.inbox import router as inbox_router
from widget.server.leads import router as leads_router
from widget.server.webhooks import router as webhooks_router
from widget.server.workers import make_workers

if TYPE_CHECKING:
    from widget.agent.core import Agent


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
    # The idle sweeper's conditional updates are safe in every API process at once.
    services: list[Service] = [
        IdleSweeper(sessions, idle_minutes=settings.conversation_idle_minutes),
        # The language model loads at start, so the first question does not wait for it.
        LanguagePreload(),
    ]
    # Live delivery to the streams of this process: its broadcaster, fed by this process's
    # commits, by every process's NOTIFY on PostgreSQL, or by a slow poll of a shared SQLite file.
    # It runs in every API process, --api-only too.
    broadcaster = broadcaster_for(engine)
    services.append(broadcaster)
    if engine.dialect.name == "postgresql":
        services.append(
            NotificationListener(
                engine, {}, {CHAT_CHANNEL: broadcaster.publish}, name="chat-listener"
            )
        )
    else:
        services.append(ChangePoller(sessions, broadcaster, settings.live_poll_seconds))
    # Deliveries, CRM actions and trainings run here (unless they run in `python -m widget worker`
    # processes only) and in any worker process on the same database.
    app.state.workers = None
    if settings.background_workers:
        app.state.workers = make_workers(settings, engine, sessions)
        services.extend(app.state.workers.services())
    app.state.services = services

    app.include_router(chat_router.router)
    app.include_router(agents_router.router)
    app.include_router(training_router.router)
    app.include_router(sources_router.router)
    app.include_router(leads_router.router)
    app.include_router(inbox_router.router)
    app.include_router(webhooks_router.router)
    app.include_router(webhooks_router.events_router)
    app.include_router(crm_router.router)
    app.include_router(dashboard_pages.router)
    app.include_router(frame_locale.router)
    # Last: the static router ends in a catch-all path.
    app.include_router(static.router)

    upgrade_schema(engine)
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
