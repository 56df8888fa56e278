"""What the widget costs a stranger's page, and what a visitor who opens it waits for.

- Hero LCP: a page with an 800 KB hero image, reached with its widget server through ONE shared
  10 Mbit/s link (`bench.link`), without the snippet and with it under each loading policy.
- Bytes from the widget server before intent: the page loaded and left alone (loopback).
- Click -> the composer takes text, and click -> the reply to a message typed at once, cold (a new
  profile each run), on loopback and through the shared link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import browser, link, pages, servers
from bench.report import Row
from bench.stats import median, ratio

POLICIES = ("intent", "idle", "eager")
LINK_MBIT = 10.0
LINK_RUNS = 2  # a cold boot through the link moves ~7 MB: a few runs are enough


@dataclass
class PageCost:
    lcp_without: list[float] = field(default_factory=list)
    lcp_with: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in POLICIES})
    before_intent: list[browser.Transfer] = field(default_factory=list)
    composer: list[float] = field(default_factory=list)
    reply_loopback: list[float] = field(default_factory=list)
    reply_link: list[float] = field(default_factory=list)
    composer_link: list[float] = field(default_factory=list)


def _port(url: str) -> int:
    port = urlsplit(url).port
    if port is None:
        raise servers.BenchError(f"{url} names no port")
    return port


def measure(
    pw: Any, tmp: Path, server_url: str, host: servers.HostSite, runs: int, log: Any
) -> PageCost:
    cost = PageCost()
    (host.root / pages.HERO_NAME).write_bytes(pages.hero_png())
    build = servers.BUILD

    def write(name: str, origin: str, widget_origin: str | None, policy: str | None) -> str:
        widget_js = None if widget_origin is None else f"{widget_origin}/widget.js"
        host.write(name, pages.hero_page(build, widget_js, policy))
        return f"{origin}/{name}"

    with link.shared_link(LINK_MBIT) as line:
        host_origin = f"http://localhost:{line.relay(host.port)}"
        widget_origin = f"http://127.0.0.1:{line.relay(_port(server_url))}"
        without = write("hero-none.html", host_origin, None, None)
        with_policy = {p: write(f"hero-{p}.html", host_origin, widget_origin, p) for p in POLICIES}
        variants = [("none", without), *with_policy.items()]
        for run in range(runs):
            # Rotate the order, so that no variant always meets a warmer machine.
            for name, url in variants[run % len(variants) :] + variants[: run % len(variants)]:
                with browser.profile(pw, tmp) as page:
                    lcp = browser.hero_lcp(page, url)
                (cost.lcp_without if name == "none" else cost.lcp_with[name]).append(lcp)
            log(
                f"hero LCP run {run + 1}/{runs}: none {cost.lcp_without[-1]:.0f} ms, "
                + ", ".join(f"{p} {cost.lcp_with[p][-1]:.0f}" for p in POLICIES)
            )
        for _ in range(LINK_RUNS):
            with browser.profile(pw, tmp) as page:
                first = browser.first_chat(page, with_policy["intent"])
            cost.composer_link.append(first.composer_ms)
            cost.reply_link.append(first.reply_ms)
        log(f"first reply through the link: {median(cost.reply_link):.0f} ms after the click")

    loopback = write("hero-loopback.html", host.origin, server_url, "intent")
    with browser.profile(pw, tmp) as page:
        requests = browser.before_intent(page, loopback)
        cost.before_intent = browser.transfers(requests, lambda u: not u.startswith(server_url))
    for _ in range(runs):
        with browser.profile(pw, tmp) as page:
            first = browser.first_chat(page, loopback)
        cost.composer.append(first.composer_ms)
        cost.reply_loopback.append(first.reply_ms)
    log(
        f"click -> composer {median(cost.composer):.0f} ms, -> reply "
        f"{median(cost.reply_loopback):.0f} ms (loopback, cold)"
    )
    return cost


def rows(cost: PageCost, floor_cold_ms: float) -> list[Row]:
    out: list[Row] = []
    none = median(cost.lcp_without)
    for policy in POLICIES:
        value = median(cost.lcp_with[policy])
        goal = policy != "eager"
        out.append(
            Row(
                "page",
                f"hero LCP, shared {LINK_MBIT:.0f} Mbit/s link, data-load={policy} (ms)",
                value,
                none,
                ratio(value, none),
                "≤ 1.05x" if goal else "",
                ratio(value, none) <= 1.05 if goal else None,
                note="floor: the page without the snippet",
            )
        )
    wire = sum(t.wire for t in cost.before_intent)
    names = [urlsplit(t.url).path.rsplit("/", 1)[-1] for t in cost.before_intent]
    only_shim = names == ["widget.js"]
    out.append(
        Row(
            "page",
            "bytes from the widget server before intent (wire)",
            wire,
            None,
            None,
            "widget.js alone, ≤ 4096",
            only_shim and wire <= 4096,
            note=", ".join(names) or "nothing",
        )
    )
    composer = median(cost.composer)
    out.append(
        Row(
            "page",
            "click → composer takes text, cold, loopback (ms)",
            composer,
            None,
            None,
            "≤ 150 ms",
            composer <= 150,
            note=f"max {max(cost.composer):.0f}; link {median(cost.composer_link):.0f} ms",
        )
    )
    reply = median(cost.reply_loopback)
    out.append(
        Row(
            "page",
            "click → first reply, typed at once, cold, loopback (ms)",
            reply,
            floor_cold_ms,
            ratio(reply, floor_cold_ms),
            "≤ floor + 300 ms",
            reply <= floor_cold_ms + 300,
            note="floor: bare Pyodide + wheels, cold",
        )
    )
    out.append(
        Row(
            "page",
            f"click → first reply, typed at once, cold, {LINK_MBIT:.0f} Mbit/s link (ms)",
            median(cost.reply_link),
            None,
            None,
            "",
            None,
            note=f"{len(cost.reply_link)} runs",
        )
    )
    return out
