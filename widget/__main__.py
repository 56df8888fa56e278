"""`python -m widget serve|worker|migrate|build|gen|receive`: the server, its worker processes, the
schema's migrations, the bundle, codegen, a test receiver."""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m widget", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the widget, its bundle, the demo and the API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.add_argument("--log-level", default="info", help="uvicorn log level (info)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes on the one port (1); each runs the background workers too, unless "
        "--api-only",
    )
    serve.add_argument(
        "--api-only",
        action="store_true",
        help="run no delivery, CRM or training workers here: `python -m widget worker` runs them",
    )
    commands.add_parser(
        "worker",
        help="a worker process: webhook deliveries, CRM actions, trainings",
        add_help=False,
    )
    commands.add_parser("migrate", help="bring the database to the newest schema revision")
    commands.add_parser("build", help="build the browser bundle (see widget.build)", add_help=False)
    commands.add_parser("gen", help="regenerate code derived from widget.events", add_help=False)
    commands.add_parser(
        "receive", help="a local webhook receiver that verifies deliveries", add_help=False
    )

    # build and gen own their options; hand them everything after the subcommand.
    if args and args[0] in ("build", "gen", "receive", "worker"):
        return _delegate(args[0], args[1:])
    parsed = parser.parse_args(args)
    if parsed.command == "migrate":
        return _migrate()
    if parsed.workers < 1:
        parser.error(f"--workers must be at least 1, got {parsed.workers}")
    return _serve(parsed.host, parsed.port, parsed.log_level, parsed.workers, parsed.api_only)


def _delegate(command: str, rest: list[str]) -> int:
    if command == "build":
        from widget.build import main as build_main

        return int(build_main(rest) or 0)
    if command == "worker":
        from widget.server.delivery import main as worker_main

        return worker_main(rest)
    if command == "receive":
        from widget.receiver import main as receive_main

        return receive_main(rest)
    from widget.codegen import main as codegen_main

    return int(codegen_main(rest) or 0)


def _migrate() -> int:
    from widget.server.core.config import Settings, SettingsError
    from widget.server.core.db import make_engine
    from widget.server.core.migrate import head_revision, upgrade_schema

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"widget: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url, busy_timeout=settings.database_busy_timeout)
    try:
        before, after = upgrade_schema(engine)
    finally:
        engine.dispose()
    head = head_revision()
    print(f"database at revision {after} (newest: {head}; was {before or 'unversioned'})")
    return 0


# Visitors' live streams never end by themselves, and uvicorn would wait for them for ever on
# shutdown: after this many seconds it cuts every connection still open (the frames resume with
# Last-Event-ID; a request cut mid-way is retried with its clientMessageId and answered once).
GRACEFUL_SHUTDOWN_SECONDS = 10


def _serve(host: str, port: int, log_level: str, workers: int, api_only: bool) -> int:
    import uvicorn

    from widget.agent.core import AgentError
    from widget.server.app import create_app
    from widget.server.core.config import Settings, SettingsError

    if api_only:
        os.environ["WIDGET_BACKGROUND_WORKERS"] = "0"
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"widget: {exc}", file=sys.stderr)
        return 2
    generated_key = settings.admin_key is None
    if generated_key:
        settings = dataclasses.replace(settings, admin_key=secrets.token_urlsafe(32))
        # Every API process (--workers) reads its settings from the environment: one key.
        os.environ["WIDGET_ADMIN_KEY"] = settings.admin_key or ""
    try:
        # With --workers, this process only migrates and checks the settings; each API process
        # builds its own app (`widget.server.asgi`), and finds the schema up to date.
        app = create_app(
            dataclasses.replace(settings, background_workers=False) if workers > 1 else settings
        )
    except AgentError as exc:  # e.g. only one of WIDGET_LLM_BASE_URL / WIDGET_LLM_MODEL set
        print(f"widget: {exc}", file=sys.stderr)
        return 2
    if not (settings.bundle_dir / "widget.js").is_file():
        print(
            f"widget: warning: {settings.bundle_dir} has no widget.js; run `make build` first.",
            file=sys.stderr,
            flush=True,
        )
    if generated_key:
        print(
            "\n  WIDGET_ADMIN_KEY was not set; the admin API key for this run is:\n\n"
            f"    {settings.admin_key}\n\n"
            "  Set WIDGET_ADMIN_KEY to keep one key across restarts.\n",
            flush=True,
        )
    base = f"http://{_url_host(host)}:{port}"
    print(f"  Demo page:  {base}/\n  Dashboard:  {base}/dashboard\n", flush=True)
    if workers > 1:
        app.state.engine.dispose()
        uvicorn.run(
            "widget.server.asgi:app_from_env",
            factory=True,
            host=host,
            port=port,
            log_level=log_level,
            workers=workers,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    else:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=log_level,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


if __name__ == "__main__":
    sys.exit(main())
