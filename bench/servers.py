"""The servers a bench run needs, each on a free loopback port, each stopped at the end.

- the widget server (`python -m widget serve`) on `127.0.0.1`, with its own database and a bundle
  dir that is the build plus the floor page (`bench-floor.html`), so the floor is served by the
  same server, with the same caching and compression, as the widget;
- the host site on `localhost` (another site, so the frame is cross-site as on a customer's page):
  a static server for the bench's host pages;
- a webhook receiver process that verifies every signature (`python -m widget receive --silent`).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.browser.conftest import QuietStaticHandler

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
ADMIN_KEY = "bench-admin-key"
FLOOR_PAGE = "bench-floor.html"
# The same floor on Pyodide's own standard library (sources), to show what the bundle's gains.
STOCK_FLOOR_PAGE = "bench-floor-stock-stdlib.html"
STOCK_STDLIB = "bench-stock/python_stdlib.zip"
START_TIMEOUT = 60.0


class BenchError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http(url: str, process: subprocess.Popen[bytes] | None, log: Path | None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BenchError(f"{url}: the process exited:\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise BenchError(f"{url} did not come up within {START_TIMEOUT:.0f} s:\n{_tail(log)}")


def _tail(log: Path | None) -> str:
    if log is None or not log.is_file():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:])


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def frame_config(build: Path = BUILD) -> dict[str, Any]:
    """The PyScript config the build inlined into frame.html: interpreter and wheel URLs."""
    frame = (build / "frame.html").read_text()
    found = re.search(r"config='([^']*)'", frame)
    if found is None:
        raise BenchError(f"{build / 'frame.html'} has no inlined config: rebuild with `make build`")
    config: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return config


def floor_page(build: Path = BUILD, stdlib: str | None = None) -> str:
    """A bare page: the same Pyodide and the same wheels as the frame, then `import pydantic`;
    with `stdlib`, that standard library archive in place of the bundle's."""
    config = frame_config(build)
    interpreter = str(config["interpreter"])
    # Our own app wheel is the widget's; the floor loads only the third-party wheels.
    packages = [p for p in config.get("packages", []) if "/app-" not in p]
    template = (Path(__file__).parent / "floor.html").read_text()
    options = {"stdLibURL": stdlib} if stdlib else {}
    return (
        template.replace("{{INTERPRETER}}", interpreter)
        .replace("{{PACKAGES}}", json.dumps(packages))
        .replace("{{OPTIONS}}", json.dumps(options))
    )


def bench_bundle(tmp: Path, build: Path = BUILD) -> Path:
    """The build's files (linked, not copied) plus the floor page."""
    if not (build / "frame.html").is_file():
        raise BenchError(f"{build} has no frame.html: run `make build` first")
    bundle = tmp / "bundle"
    bundle.mkdir()
    for entry in build.iterdir():
        (bundle / entry.name).symlink_to(entry.resolve())
    (bundle / FLOOR_PAGE).write_text(floor_page(build))
    stock = bundle / STOCK_STDLIB
    stock.parent.mkdir()
    stock.symlink_to(ROOT / "node_modules" / "pyodide" / "python_stdlib.zip")
    (bundle / STOCK_FLOOR_PAGE).write_text(floor_page(build, f"./{STOCK_STDLIB}"))
    return bundle


@dataclass
class WidgetServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    database: Path

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30
        )


@contextmanager
def widget_server(tmp: Path, bundle: Path, **env: str) -> Iterator[WidgetServer]:
    port = free_port()
    database = tmp / f"widget-{port}.db"
    full_env = {
        **os.environ,
        "WIDGET_DATABASE_URL": f"sqlite:///{database}",
        "WIDGET_ADMIN_KEY": ADMIN_KEY,
        "WIDGET_BUNDLE_DIR": str(bundle),
        "WIDGET_WEBHOOK_ALLOW_PRIVATE": "1",
        **env,
    }
    log = tmp / f"server-{port}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "widget", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning"],
            cwd=tmp, env=full_env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = WidgetServer(f"http://127.0.0.1:{port}", process, log, database)
    try:
        wait_http(f"{server.url}/widget.js", process, log)
        yield server
    finally:
        stop_process(process)


@dataclass
class HostSite:
    root: Path
    port: int

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def write(self, name: str, text: str) -> str:
        (self.root / name).write_text(text)
        return f"{self.origin}/{name}"


@contextmanager
def host_site(tmp: Path) -> Iterator[HostSite]:
    root = tmp / "host"
    root.mkdir()
    port = free_port()

    def handler(*args: Any, **kwargs: Any) -> QuietStaticHandler:
        return QuietStaticHandler(*args, directory=str(root), **kwargs)

    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, name="host-site", daemon=True)
    thread.start()
    try:
        yield HostSite(root, port)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@contextmanager
def temp_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="widget-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
