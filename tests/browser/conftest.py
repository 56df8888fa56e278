"""Browser tests: a real widget server, a host page on another site, Debian's Chromium.

The host page is served from `http://localhost:<port>` and the widget from `http://127.0.0.1:<port>`:
two sites, so the frame is cross-site exactly as on a customer's page, with storage partitioned per
host site as real browsers do (Playwright's own defaults turn partitioning off; see LAUNCH_ARGS).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
CHROMIUM = os.environ.get("WIDGET_CHROMIUM", "/usr/bin/chromium")
ADMIN_KEY = "test-admin-key"
# Quiet, offline-friendly Chromium. The closed network here refuses Chromium's background calls.
BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright passes --disable-features=...,ThirdPartyStoragePartitioning,...; the last
# --disable-features wins, so this restores Chromium's default partitioned storage for cross-site
# frames while keeping the rest of Playwright's list.
PLAYWRIGHT_FEATURES_WITHOUT_PARTITIONING = ",".join(
    [
        "AvoidUnnecessaryBeforeUnloadCheckSync",
        "DestroyProfileOnBrowserClose",
        "HttpsUpgrades",
        "HttpsFirstBalancedModeAutoEnable",
        "LensOverlay",
        "MediaRouter",
        "PaintHolding",
        "AvoidCorsURLLoaderRestartOnRedirect",
        "OptimizationHints",
        "NetworkTimeServiceQuerying",
        "AimEnabled",
        "PreconnectToSearch",
    ]
)
LAUNCH_ARGS = [*BASE_ARGS, f"--disable-features={PLAYWRIGHT_FEATURES_WITHOUT_PARTITIONING}"]
BOOT_TIMEOUT_MS = 90_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # The panel's open animation moves the frame; clicks computed mid-animation can miss.
    # English unless a test asks otherwise: the widget follows the browser's languages.
    return {**browser_context_args, "reduced_motion": "reduce", "locale": "en-US"}


@pytest.fixture
def storageless_browser(playwright: Playwright) -> Iterator[Browser]:
    """Chromium under Playwright's defaults: a cross-site frame gets no storage at all."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
    yield browser
    browser.close()


@dataclass
class WidgetServer:
    url: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path

    @property
    def widget_js(self) -> str:
        return f"{self.url}/widget.js"

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=10
        )


def start_widget_server(tmp: Path, port: int | None = None, **env: str) -> WidgetServer:
    port = port or free_port()
    full_env = {
        **os.environ,
        "WIDGET_DATABASE_URL": f"sqlite:///{tmp / 'widget.db'}",
        "WIDGET_ADMIN_KEY": ADMIN_KEY,
        "WIDGET_BUNDLE_DIR": str(BUILD),
        "WIDGET_WEBHOOK_ALLOW_PRIVATE": "1",
        **env,
    }
    log = tmp / f"server-{port}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "widget", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = WidgetServer(f"http://127.0.0.1:{port}", process, full_env, log)
    wait_until_up(server)
    return server


def wait_until_up(server: WidgetServer, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"widget server exited:\n{server.log.read_text()}")
        try:
            if httpx.get(server.widget_js, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"widget server did not come up:\n{server.log.read_text()}")


def stop_widget_server(server: WidgetServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def widget_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WidgetServer]:
    if not (BUILD / "frame.html").is_file():
        pytest.fail("build/ is missing: run `make build` (make test does)")
    server = start_widget_server(tmp_path_factory.mktemp("widget-server"))
    yield server
    stop_widget_server(server)


# Extra response headers per host page path (e.g. a Content-Security-Policy), set by HostSite.page.
PAGE_HEADERS: dict[str, dict[str, str]] = {}


class QuietStaticHandler(SimpleHTTPRequestHandler):
    """Static host pages (tests and `make bench`), never cached, so every load sees them alike."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        for name, value in PAGE_HEADERS.get(self.path.split("?")[0], {}).items():
            self.send_header(name, value)
        super().end_headers()


@dataclass
class HostSite:
    """A customer's site on another origin: pages written by the tests, served as static files."""

    root: Path
    port: int
    widget: WidgetServer
    counter: list[int] = field(default_factory=lambda: [0])

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def snippet(self, agent_id: str = "ag_demo", widget_js: str | None = None) -> str:
        text = (BUILD / "snippet.html").read_text()
        return text.replace("{{WIDGET_URL}}", widget_js or self.widget.widget_js).replace(
            "{{AGENT_ID}}", agent_id
        )

    def stub_only(self) -> str:
        """The snippet's inline stub without the script tag that loads widget.js."""
        snippet = self.snippet()
        return snippet[: snippet.index("<script async")]

    def page(
        self,
        body: str,
        head: str = "",
        name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> str:
        self.counter[0] += 1
        name = name or f"page{self.counter[0]}.html"
        if headers:
            PAGE_HEADERS[f"/{name}"] = headers
        html = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Host page</title>{head}</head><body>{body}</body></html>"
        )
        (self.root / name).write_text(html)
        return f"{self.origin}/{name}"


@pytest.fixture(scope="session")
def host_site(
    tmp_path_factory: pytest.TempPathFactory, widget_server: WidgetServer
) -> Iterator[HostSite]:
    root = tmp_path_factory.mktemp("host-site")
    port = free_port()

    def handler(*args: Any, **kwargs: Any) -> QuietStaticHandler:
        return QuietStaticHandler(*args, directory=str(root), **kwargs)

    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield HostSite(root, port, widget_server)
    httpd.shutdown()
    httpd.server_close()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def events_page(page: Page, host_site: HostSite) -> Callable[..., Page]:
    """Open a host page with the snippet and a recorder of every widget event in `window.seen`."""

    def open_page(extra_body: str = "", wait_ready: bool = True) -> Page:
        recorder = (
            "<script>window.seen=[];"
            "['widget_opened','widget_closed','conversation_started','message_sent',"
            "'message_received','lead_captured'].forEach(function(n){"
            "widget.on(n,function(d){window.seen.push({name:n,data:d,"
            "plain:Object.getPrototypeOf(d)===Object.prototype})})});</script>"
        )
        url = host_site.page(host_site.snippet() + recorder + extra_body)
        page.goto(url)
        if wait_ready:
            wait_ready_(page)
        return page

    return open_page


def wait_ready_(page: Page, *, load: bool = True) -> None:
    """Wait for `widget.ready`; with `load`, start the boot first (the `intent` policy waits)."""
    start = "window.widget.load()" if load else "window.widget.ready"
    page.wait_for_function(
        "() => window.__widgetReady === true || (window.widget && window.widget.ready"
        f" && !window.__widgetWaiting && (window.__widgetWaiting = true, {start}"
        ".then(() => { window.__widgetReady = true })), false)",
        timeout=BOOT_TIMEOUT_MS,
        polling=100,
    )


def seen(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate("window.seen")
    return result


def seen_names(page: Page) -> list[str]:
    return [e["name"] for e in seen(page)]


@contextmanager
def holding(context: BrowserContext, pattern: str) -> Iterator[list[Route]]:
    """Hold every request matching `pattern` until the block ends, then let them through."""
    held: list[Route] = []
    context.route(pattern, lambda route: held.append(route))
    try:
        yield held
    finally:
        context.unroute(pattern)
        for route in held:
            with suppress(PlaywrightError):  # a request the browser gave up on meanwhile
                route.continue_()


def wait_held(page: Page, held: list[Route], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not held:
        if time.monotonic() > deadline:
            raise AssertionError(f"no request was held within {timeout} s")
        page.wait_for_timeout(50)


def within(promise: str, ms: int = 10_000) -> str:
    """JS for `promise`, rejected after `ms` if it has not settled: `page.evaluate` of a promise
    that never settles would wait for ever."""
    return (
        f"Promise.race([({promise}), new Promise((_, fail) => setTimeout("
        f"() => fail(new Error('no answer within {ms} ms')), {ms}))])"
    )
