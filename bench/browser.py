"""Browser measurements on headless Chromium: boot, launcher, host blocking, bytes, events, memory.

Chromium is launched as the browser tests launch it (`tests/browser/conftest.py`: Debian's
Chromium, storage partitioning kept on), plus precise `performance.memory` for the memory rows.
"""

from __future__ import annotations

import shutil
import tempfile
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Frame, Page, Playwright, Request, sync_playwright

from bench.servers import FLOOR_PAGE, BenchError
from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS

__all__ = ["CHROMIUM", "LAUNCH_ARGS"]

BOOT_TIMEOUT_MS = 120_000
BLOCKING_THRESHOLD_MS = 50.0
AFTER_READY_MS = 1000.0


@contextmanager
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@contextmanager
def profile(pw: Playwright, tmp: Path) -> Iterator[Page]:
    """A page in a browser with a new, empty profile: its first load is cold, the next warm.

    A profile on disk, as a visitor's browser has: an in-memory (incognito) cache keeps no entry as
    large as Pyodide's wasm, and V8 caches compiled code only beside a cached response.
    """
    folder = Path(tempfile.mkdtemp(prefix="profile-", dir=tmp))
    context = pw.chromium.launch_persistent_context(
        folder,
        executable_path=CHROMIUM,
        args=[*LAUNCH_ARGS, "--enable-precise-memory-info"],
        headless=True,
    )
    try:
        yield context.pages[0] if context.pages else context.new_page()
    finally:
        context.close()
        shutil.rmtree(folder, ignore_errors=True)


def total_blocking_time(longtasks: list[list[float]], until: float) -> float:
    return sum(
        max(0.0, duration - BLOCKING_THRESHOLD_MS) for start, duration in longtasks if start < until
    )


@dataclass
class WidgetBoot:
    ready_ms: float
    launcher_ms: float
    blocking_ms: float
    window_ms: float


def _wait(page: Page, expression: str) -> Any:
    return page.wait_for_function(expression, timeout=BOOT_TIMEOUT_MS, polling=50).json_value()


def widget_boot(page: Page, url: str) -> WidgetBoot:
    """Navigate to the host page with the widget; wait for `widget.ready` and one second more."""
    page.goto(url)
    ready = float(_wait(page, "() => window.__bench && window.__bench.t.ready"))
    launcher = float(_wait(page, "() => window.__bench.t.launcher"))
    shim = float(page.evaluate("() => window.__bench.t.shim"))
    window = ready + AFTER_READY_MS
    _wait(page, f"() => performance.now() >= {window}")
    longtasks = page.evaluate("() => window.__bench.longtasks")
    return WidgetBoot(ready, launcher - shim, total_blocking_time(longtasks, window), window)


def control_blocking(page: Page, url: str, window_ms: float) -> float:
    """Total blocking time of the page without the widget, over the same window."""
    page.goto(url)
    _wait(page, f"() => performance.now() >= {window_ms}")
    return total_blocking_time(page.evaluate("() => window.__bench.longtasks"), window_ms)


def floor_boot(page: Page, url: str) -> float:
    page.goto(url)
    return float(_wait(page, "() => window.__floorReady"))


# -- bytes -----------------------------------------------------------------------------------


@dataclass
class Transfer:
    url: str
    kind: str
    wire: int
    raw: int
    encoding: str


def kind_of(url: str) -> str:
    name = PurePosixPath(urlsplit(url).path).name
    suffix = PurePosixPath(name).suffix.lower()
    return {
        ".wasm": "wasm",
        ".mjs": "js",
        ".js": "js",
        ".whl": "wheels",
        ".zip": "stdlib zip",
        ".json": "json",
        ".html": "html",
        ".css": "css",
    }.get(suffix, "other")


@contextmanager
def recording(page: Page) -> Iterator[list[Request]]:
    requests: list[Request] = []

    def finished(request: Request) -> None:
        requests.append(request)

    page.on("requestfinished", finished)
    yield requests
    page.remove_listener("requestfinished", finished)


def transfers(requests: list[Request], skip: Callable[[str], bool]) -> list[Transfer]:
    out = []
    for request in requests:
        if skip(request.url):
            continue
        response = request.response()
        if response is None:
            continue
        sizes = request.sizes()
        raw = len(response.body()) if response.status == 200 else 0
        encoding = response.headers.get("content-encoding", "identity")
        out.append(
            Transfer(request.url, kind_of(request.url), sizes["responseBodySize"], raw, encoding)
        )
    return out


def by_kind(items: list[Transfer]) -> dict[str, tuple[int, int]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        totals[item.kind][0] += item.wire
        totals[item.kind][1] += item.raw
    return {k: (v[0], v[1]) for k, v in totals.items()}


# -- events ----------------------------------------------------------------------------------

# Runs in the frame's interpreter (PyScript shares one interpreter between a document's main-thread
# scripts): exposes emit bursts to the bench, timed on the epoch clock the host page also reads.
FRAME_PROBE = textwrap.dedent(
    """
    import js
    from pyodide.ffi import create_proxy
    import pyodide_js
    from widget.frame import app as frame_app
    from widget.events import client_event_payload

    _bus = frame_app._app.bus
    _payload = client_event_payload("message_received", message="ping", conversationId="conv_x")
    _perf = js.performance
    _origin = _perf.timeOrigin

    def _emit_one():
        t = _origin + _perf.now()
        _bus.emit("message_received", _payload)
        return t

    def _emit_burst(n):
        t = _origin + _perf.now()
        for _ in range(int(n)):
            _bus.emit("message_received", _payload)
        return t

    def _wasm_bytes():
        return pyodide_js._module.HEAPU8.length

    js.window.__probe = js.Object.new()
    js.window.__probe.emitOne = create_proxy(_emit_one)
    js.window.__probe.emitBurst = create_proxy(_emit_burst)
    js.window.__probe.wasmBytes = create_proxy(_wasm_bytes)
    """
)

BARE_PROBE = """() => {
  const data = { message: "ping", conversationId: "conv_x" };
  window.__bare = {
    one() {
      const t = performance.timeOrigin + performance.now();
      parent.postMessage({ bench: 1, type: "event", name: "message_received", data }, "*");
      return t;
    },
    burst(n) {
      const t = performance.timeOrigin + performance.now();
      for (let i = 0; i < n; i++) {
        parent.postMessage({ bench: 1, type: "event", name: "message_received", data }, "*");
      }
      return t;
    },
  };
}"""


def widget_frame(page: Page) -> Frame:
    for frame in page.frames:
        if "/frame.html" in frame.url:
            return frame
    raise BenchError("the widget's frame is not on the page")


def install_probes(frame: Frame) -> None:
    frame.evaluate(
        """(code) => {
          const script = document.createElement("script");
          script.type = "py";
          script.textContent = code;
          document.body.append(script);
        }""",
        FRAME_PROBE,
    )
    frame.wait_for_function("() => window.__probe", timeout=30_000, polling=50)
    frame.evaluate(BARE_PROBE)


def _received(page: Page, count: int) -> list[float]:
    page.wait_for_function(
        f"() => window.__bench.received.length >= {count}", timeout=60_000, polling=20
    )
    received: list[float] = page.evaluate("() => window.__bench.received.splice(0)")
    return received


def event_latencies(page: Page, frame: Frame, send: str, count: int) -> list[float]:
    """Send `count` events one at a time (each after the last arrived); latency of each."""
    page.evaluate("() => { window.__bench.received.length = 0; }")
    out = []
    for _ in range(count):
        sent = float(frame.evaluate(send))
        (arrived,) = _received(page, 1)
        out.append(arrived - sent)
    return out


def event_throughput(page: Page, frame: Frame, burst: str, count: int) -> float:
    page.evaluate("() => { window.__bench.received.length = 0; }")
    sent = float(frame.evaluate(burst, count))
    arrived = _received(page, count)
    return count / ((arrived[-1] - sent) / 1000.0)


def frame_memory(frame: Frame) -> tuple[int, int]:
    heap = int(frame.evaluate("() => performance.memory.usedJSHeapSize"))
    wasm = int(frame.evaluate("() => window.__probe.wasmBytes()"))
    return heap, wasm


def floor_memory(page: Page) -> tuple[int, int]:
    heap = int(page.evaluate("() => performance.memory.usedJSHeapSize"))
    wasm = int(page.evaluate("() => window.__pyodide._module.HEAPU8.length"))
    return heap, wasm


def floor_url(server_url: str) -> str:
    return f"{server_url}/{FLOOR_PAGE}"


# -- the page's cost: LCP, bytes before intent, click to composer and to the first reply ------

# In the frame: the composer takes text once its document has run frame-boot.js (which sends
# what is typed before Python runs) and frame.css styles it. Returns when, on the epoch clock.
COMPOSER_READY = """() => {
  const box = document.getElementById("message");
  const ok = box && document.readyState !== "loading" && window.widgetBridge && !box.disabled
    && box.checkVisibility() && getComputedStyle(box).resize === "none";
  return ok ? performance.timeOrigin + performance.now() : 0;
}"""


def settle(page: Page) -> None:
    """Wait for the load event, then two idle periods: what a page does before any intent."""
    page.wait_for_function("document.readyState === 'complete'", timeout=BOOT_TIMEOUT_MS)
    page.evaluate(
        "() => new Promise(r => requestIdleCallback(() => requestIdleCallback(() => r())))"
    )


def hero_lcp(page: Page, url: str) -> float:
    """The hero page's Largest Contentful Paint (ms from navigation)."""
    page.goto(url, timeout=BOOT_TIMEOUT_MS)
    settle(page)
    return float(_wait(page, "() => window.__cost.lcp"))


def before_intent(page: Page, url: str, quiet_ms: float = 3000) -> list[Request]:
    """Every request of a page loaded and left alone for `quiet_ms` after its load event."""
    with recording(page) as requests:
        page.goto(url, timeout=BOOT_TIMEOUT_MS)
        settle(page)
        page.wait_for_timeout(quiet_ms)
    return requests


def _chat_frame(page: Page) -> Frame:
    for _ in range(BOOT_TIMEOUT_MS // 5):
        for frame in page.frames:
            if "/frame.html" in frame.url:
                return frame
        page.wait_for_timeout(5)
    raise BenchError("the widget's frame never appeared")


@dataclass
class FirstChat:
    composer_ms: float  # click -> the composer takes text
    reply_ms: float  # click -> the agent's reply to a message typed at once is shown


def first_chat(page: Page, url: str, message: str = "What does this product do?") -> FirstChat:
    """Open the chat on a page at rest, type at once, wait for the reply; times from the click."""
    page.goto(url, timeout=BOOT_TIMEOUT_MS)
    settle(page)
    page.get_by_role("button", name="Open chat", exact=True).click()
    frame = _chat_frame(page)
    composer = float(
        frame.wait_for_function(COMPOSER_READY, polling="raf", timeout=BOOT_TIMEOUT_MS).json_value()
    )
    box = frame.locator("#message")
    box.fill(message)
    box.press("Enter")
    received = float(_wait(page, "() => window.__cost.received"))
    click = float(page.evaluate("() => window.__cost.click"))
    return FirstChat(composer - click, received - click)
