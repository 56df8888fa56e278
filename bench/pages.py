"""The bench's host pages: the same page with the widget's snippet and without it.

Both carry the same instrumentation in `<head>`, so the only difference is the snippet:
- long tasks of the host's main thread (PerformanceObserver, buffered, from navigation on);
- `__bench.t.shim`: when widget.js starts running (its first statements read
  `document.currentScript`, which the page observes);
- `__bench.t.launcher`: after the first paint that shows the launcher button (a task posted from
  the `requestAnimationFrame` of the frame that first holds a visible button runs after that
  frame's paint);
- `__bench.t.ready`: when `widget.ready` resolved.
"""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

INSTRUMENT = """<script>
window.__bench = { longtasks: [], t: {}, received: [] };
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) { __bench.longtasks.push([e.startTime, e.duration]); });
  }).observe({ type: "longtask", buffered: true });
} catch (e) {}
(function () {
  var get = Object.getOwnPropertyDescriptor(Document.prototype, "currentScript").get;
  function watchLauncher() {
    requestAnimationFrame(function check() {
      var host = document.querySelector("parley-widget");
      var button = host && host.shadowRoot && host.shadowRoot.querySelector("button");
      if (!button || !button.checkVisibility() || !button.getBoundingClientRect().width) {
        requestAnimationFrame(check);
        return;
      }
      var channel = new MessageChannel();
      channel.port1.onmessage = function () { __bench.t.launcher = performance.now(); };
      channel.port2.postMessage(0);
    });
  }
  Object.defineProperty(document, "currentScript", {
    configurable: true,
    get: function () {
      var script = get.call(document);
      if (script && /widget\\.js/.test(script.src) && __bench.t.shim === undefined) {
        __bench.t.shim = performance.now();
        watchLauncher();
      }
      return script;
    },
  });
})();
</script>"""

READY = """<script>
widget.ready.then(function () { __bench.t.ready = performance.now(); });
// Host listeners for the event rows: the receive time on the shared (epoch) clock.
widget.on("message_received", function () {
  __bench.received.push(performance.timeOrigin + performance.now());
});
</script>"""

# A plain listener for the floor of the event rows: a bare postMessage from the frame.
BARE_LISTENER = """<script>
addEventListener("message", function (e) {
  if (e.data && e.data.bench === 1) {
    __bench.received.push(performance.timeOrigin + performance.now());
  }
});
</script>"""

CONTENT = """<header><h1>Acme Analytics</h1><nav><a href="#">Product</a> <a href="#">Pricing</a>
<a href="#">Docs</a></nav></header>
<main>
<h2>Understand your customers</h2>
<p>Acme turns raw events into answers. Dashboards, funnels and retention in one place.</p>
<ul><li>Realtime dashboards</li><li>Funnels and cohorts</li><li>Warehouse sync</li></ul>
<p>Start free, upgrade when you grow. No credit card needed.</p>
</main>"""


def page(head: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Host page</title>{INSTRUMENT}{head}</head><body>{body}</body></html>"
    )


def snippet(
    build: Path, widget_js: str, agent_id: str = "ag_demo", policy: str | None = None
) -> str:
    text = (build / "snippet.html").read_text()
    if policy is not None:
        text = text.replace("<script async src=", f'<script data-load="{policy}" async src=', 1)
    return text.replace("{{WIDGET_URL}}", widget_js).replace("{{AGENT_ID}}", agent_id)


def with_widget(build: Path, widget_js: str, policy: str = "eager") -> str:
    """The boot rows' page: `eager` starts the widget at navigation, as every page did before
    the loading policy existed, so boot is measured from the same moment as the floor's."""
    return page("", CONTENT + snippet(build, widget_js, policy=policy) + READY + BARE_LISTENER)


# -- the page-cost rows: a stranger's page with a large hero image ----------------------------

HERO_NAME = "hero.png"
HERO_BYTES = 800_000

# Largest Contentful Paint of the page, and the click on the launcher, on the epoch clock.
LCP = """<script>
window.__cost = { lcp: 0, click: 0, received: 0 };
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) {
    __cost.lcp = e.renderTime || e.loadTime || e.startTime;
  });
}).observe({ type: "largest-contentful-paint", buffered: true });
document.addEventListener("click", function () {
  if (!__cost.click) __cost.click = performance.timeOrigin + performance.now();
}, true);
</script>"""

RECEIVED = """<script>
widget.on("message_received", function () {
  if (!__cost.received) __cost.received = performance.timeOrigin + performance.now();
});
</script>"""

HERO = f"""<header><h1>Acme Outdoor</h1>
<nav><a href="#">Tents</a> <a href="#">Packs</a></nav></header>
<main><img src="{HERO_NAME}" alt="A mountain at dawn" width="1200" height="600"
style="display:block;width:100%;height:auto">
<p>Gear for every trail. Free returns within 30 days.</p></main>"""


def hero_png(size: int = HERO_BYTES) -> bytes:
    """A noise PNG of about `size` bytes: it does not compress, like a photo."""
    width = 1200
    height = max(1, size // (width * 3))
    rng = random.Random(1)
    raw = b"".join(b"\0" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )


def hero_page(build: Path, widget_js: str | None, policy: str | None = None) -> str:
    """The hero page; with `widget_js`, the owner's snippet under `policy` (None: the default)."""
    widget = "" if widget_js is None else snippet(build, widget_js, policy=policy) + RECEIVED
    return page(LCP, HERO + widget)


def without_widget() -> str:
    return page("", CONTENT)
