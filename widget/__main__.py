"""`python -m widget serve|build|gen|receive`: the server, the bundle, codegen, a test receiver."""

from __future__ import annotations

import argparse
import dataclasses
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
    commands.add_parser("build", help="build the browser bundle (see widget.build)", add_help=False)
    commands.add_parser("gen", help="regenerate code derived from widget.events", add_help=False)
    commands.add_parser(
        "receive", help="a local webhook receiver that verifies deliveries", add_help=False
    )

    # build and gen own their options; hand them everything after the subcommand.
    if args and args[0] in ("build", "gen", "receive"):
        return _delegate(args[0], args[1:])
    parsed = parser.parse_args(args)
    return _serve(parsed.host, parsed.port, parsed.log_level)


def _delegate(command: str, rest: list[str]) -> int:
    if command == "build":
        from widget.build import main as build_main

        return int(build_main(rest) or 0)
    if command == "receive":
        from widget.receiver import main as receive_main

        return receive_main(rest)
    from widget.codegen import main as codegen_main

    return int(codegen_main(rest) or 0)


def _serve(host: str, port: int, log_level: str) -> int:
    import uvicorn

    from widget.agent.core import AgentError
    from widget.server.app import create_app
    from widget.server.core.config import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"widget: {exc}", file=sys.stderr)
        return 2
    generated_key = settings.admin_key is None
    if generated_key:
        settings = dataclasses.replace(settings, admin_key=secrets.token_urlsafe(32))
    try:
        app = create_app(settings)
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
    uvicorn.run(app, host=host, port=port, log_level=log_level)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


if __name__ == "__main__":
    sys.exit(main())
