"""`python -m bench` (`make bench`): boot, bytes, host impact, events, server and memory, each
measured side by side with its floor in the same run, printed as one table.

Starts its own widget server, host site and webhook receiver on free loopback ports and stops them
at the end. Needs `make build` and Debian's Chromium (`make bench` sees to both).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import (
    answer_quality,
    browser,
    live_reply,
    page_cost,
    pages,
    retrieval,
    server_load,
    servers,
    training_load,
)
from bench.report import Row, machine, render_markdown, render_table
from bench.stats import median, percentile, ratio


@dataclass(frozen=True)
class Plan:
    runs: int
    event_samples: int
    event_burst: int
    chat_single: int  # conversations sent one at a time, 10 messages each
    chat_concurrent: int  # conversations at once, 10 messages each
    deliveries: int
    several_workers: int
    live_replies: int  # owner replies to the visitor's screen, one at a time


FULL = Plan(
    runs=5,
    event_samples=200,
    event_burst=2000,
    chat_single=20,
    chat_concurrent=50,
    deliveries=3000,
    several_workers=2,
    live_replies=30,
)
QUICK = Plan(
    runs=2,
    event_samples=60,
    event_burst=500,
    chat_single=6,
    chat_concurrent=50,
    deliveries=1000,
    several_workers=2,
    live_replies=10,
)


@dataclass
class BootSamples:
    widget_cold: list[float] = field(default_factory=list)
    widget_warm: list[float] = field(default_factory=list)
    floor_cold: list[float] = field(default_factory=list)
    floor_warm: list[float] = field(default_factory=list)
    stock_cold: list[float] = field(default_factory=list)  # the floor on Pyodide's own stdlib
    stock_warm: list[float] = field(default_factory=list)
    launcher: list[float] = field(default_factory=list)
    blocking_with: list[float] = field(default_factory=list)
    blocking_without: list[float] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure_boot(
    pw: Any, tmp: Path, with_url: str, without_url: str, floor_url: str, plan: Plan
) -> tuple[BootSamples, list[browser.Transfer], list[browser.Transfer]]:
    samples = BootSamples()
    widget_bytes: list[browser.Transfer] = []
    floor_bytes: list[browser.Transfer] = []
    with_origin = with_url.rsplit("/", 1)[0]
    for run in range(plan.runs):
        # Alternate which goes first, so that neither always meets a warmer machine.
        order = ("widget", "floor", "stock") if run % 2 == 0 else ("stock", "floor", "widget")
        for which in order:
            with browser.profile(pw, tmp) as page:
                if which == "widget":
                    with browser.recording(page) as requests:
                        cold = browser.widget_boot(page, with_url)
                    if not widget_bytes:
                        widget_bytes = browser.transfers(
                            requests, lambda url: url.startswith(with_origin)
                        )
                    warm = browser.widget_boot(page, with_url)
                    samples.widget_cold.append(cold.ready_ms)
                    samples.widget_warm.append(warm.ready_ms)
                    samples.launcher += [cold.launcher_ms, warm.launcher_ms]
                    samples.blocking_with.append(cold.blocking_ms)
                    window = cold.window_ms
                elif which == "stock":
                    stock = floor_url.replace(servers.FLOOR_PAGE, servers.STOCK_FLOOR_PAGE)
                    samples.stock_cold.append(browser.floor_boot(page, stock))
                    samples.stock_warm.append(browser.floor_boot(page, stock))
                else:
                    with browser.recording(page) as requests:
                        samples.floor_cold.append(browser.floor_boot(page, floor_url))
                    if not floor_bytes:
                        floor_bytes = browser.transfers(requests, lambda url: False)
                    samples.floor_warm.append(browser.floor_boot(page, floor_url))
        with browser.profile(pw, tmp) as page:
            samples.blocking_without.append(browser.control_blocking(page, without_url, window))
        log(
            f"run {run + 1}/{plan.runs}: widget {samples.widget_cold[-1]:.0f}/"
            f"{samples.widget_warm[-1]:.0f} ms, floor {samples.floor_cold[-1]:.0f}/"
            f"{samples.floor_warm[-1]:.0f} ms (cold/warm)"
        )
    return samples, widget_bytes, floor_bytes


@dataclass
class EventSamples:
    emit: list[float]
    bare: list[float]
    emit_rate: float
    bare_rate: float
    frame_heap: int
    frame_wasm: int
    floor_heap: int
    floor_wasm: int


def measure_events(pw: Any, tmp: Path, with_url: str, floor_url: str, plan: Plan) -> EventSamples:
    with browser.profile(pw, tmp) as page:
        browser.widget_boot(page, with_url)
        frame = browser.widget_frame(page)
        browser.install_probes(frame)
        heap, wasm = browser.frame_memory(frame)
        emit: list[float] = []
        bare: list[float] = []
        # Interleaved blocks, so that both see the same state of the machine.
        block = max(10, plan.event_samples // 10)
        for _ in range(max(1, plan.event_samples // block)):
            emit += browser.event_latencies(page, frame, "() => window.__probe.emitOne()", block)
            bare += browser.event_latencies(page, frame, "() => window.__bare.one()", block)
        emit_rates, bare_rates = [], []
        for _ in range(3):
            emit_rates.append(
                browser.event_throughput(
                    page, frame, "(n) => window.__probe.emitBurst(n)", plan.event_burst
                )
            )
            bare_rates.append(
                browser.event_throughput(
                    page, frame, "(n) => window.__bare.burst(n)", plan.event_burst
                )
            )
    with browser.profile(pw, tmp) as page:
        browser.floor_boot(page, floor_url)
        floor_heap, floor_wasm = browser.floor_memory(page)
    return EventSamples(
        emit, bare, median(emit_rates), median(bare_rates), heap, wasm, floor_heap, floor_wasm
    )


@dataclass
class ServerSamples:
    single: list[float]
    concurrent: list[float]
    rss_idle: int
    rss_peak: int
    one_worker: float
    several: float


def measure_server(tmp: Path, server: servers.WidgetServer, plan: Plan) -> ServerSamples:
    single = server_load.chat_round_trips(server.url, 1, plan.chat_single, 10)
    rss_idle = server_load.rss_bytes(server.process.pid)
    with server_load.peak_rss(server.process.pid) as peak:
        concurrent = server_load.chat_round_trips(
            server.url, plan.chat_concurrent, plan.chat_concurrent, 10
        )
    log(f"chat: p50 {median(single):.1f} ms alone, {median(concurrent):.1f} ms at 50")
    ones, severals = [], []
    for _ in range(2):
        ones.append(server_load.deliveries_per_second(tmp, 1, plan.deliveries))
        severals.append(
            server_load.deliveries_per_second(tmp, plan.several_workers, plan.deliveries)
        )
    log(f"deliveries: {max(ones):.0f}/s with 1 worker, {max(severals):.0f}/s with several")
    return ServerSamples(single, concurrent, rss_idle, peak[0], median(ones), median(severals))


def widget_js_brotli(build: Path) -> int:
    compressed = build / "widget.js.br"
    if compressed.is_file():
        return compressed.stat().st_size
    import brotli  # type: ignore[import-untyped]

    return len(brotli.compress((build / "widget.js").read_bytes(), quality=11))


def chromium_version() -> str:
    try:
        out = subprocess.run(
            [browser.CHROMIUM, "--version"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.strip()


def build_rows(
    boot: BootSamples,
    widget_bytes: list[browser.Transfer],
    floor_bytes: list[browser.Transfer],
    events: EventSamples,
    server: ServerSamples,
    widget_js_br: int,
    several: int,
) -> list[Row]:
    rows: list[Row] = []
    wc, fc = median(boot.widget_cold), median(boot.floor_cold)
    ww, fw = median(boot.widget_warm), median(boot.floor_warm)
    rows.append(
        Row(
            "boot",
            "widget.ready, cold cache (ms)",
            wc,
            fc,
            ratio(wc, fc),
            "≤ 1.10x",
            ratio(wc, fc) <= 1.10,
        )
    )
    rows.append(
        Row(
            "boot",
            "widget.ready, warm cache (ms)",
            ww,
            fw,
            ratio(ww, fw),
            "≤ 1.05x",
            ratio(ww, fw) <= 1.05,
        )
    )
    for label, stock, floor in (
        ("cold", boot.stock_cold, boot.floor_cold),
        ("warm", boot.stock_warm, boot.floor_warm),
    ):
        rows.append(
            Row(
                "boot",
                f"  floor on Pyodide's own stdlib (sources), {label} (ms)",
                median(stock),
                median(floor),
                ratio(median(stock), median(floor)),
                "",
                None,
                note="floor: the bundle's stdlib (bytecode)",
            )
        )
    launcher = median(boot.launcher)
    rows.append(
        Row(
            "boot",
            "launcher visible after the shim runs (ms)",
            launcher,
            None,
            None,
            "≤ 100 ms",
            launcher <= 100,
            note=f"max {max(boot.launcher):.0f}",
        )
    )
    tbt_with, tbt_without = median(boot.blocking_with), median(boot.blocking_without)
    extra = tbt_with - tbt_without
    rows.append(
        Row(
            "host",
            "total blocking time, ready + 1 s (ms)",
            tbt_with,
            tbt_without,
            None,
            "≤ +50 ms",
            extra <= 50,
            note=f"extra {extra:+.0f} ms",
        )
    )

    rows.append(
        Row(
            "bytes",
            "widget.js, brotli (bytes)",
            widget_js_br,
            None,
            None,
            "≤ 4096",
            widget_js_br <= 4096,
        )
    )
    w_wire = sum(t.wire for t in widget_bytes)
    f_wire = sum(t.wire for t in floor_bytes)
    rows.append(
        Row(
            "bytes",
            "cold, on the wire, all (KB)",
            w_wire / 1024,
            f_wire / 1024,
            ratio(w_wire, f_wire),
            "≤ 1.05x",
            ratio(w_wire, f_wire) <= 1.05,
            note=f"raw {sum(t.raw for t in widget_bytes) / 1024:.0f} KB "
            f"vs {sum(t.raw for t in floor_bytes) / 1024:.0f} KB",
        )
    )
    widget_kinds, floor_kinds = browser.by_kind(widget_bytes), browser.by_kind(floor_bytes)
    for kind in sorted(set(widget_kinds) | set(floor_kinds)):
        wire, raw = widget_kinds.get(kind, (0, 0))
        floor_wire = floor_kinds.get(kind, (0, 0))[0]
        rows.append(
            Row(
                "bytes",
                f"  {kind}: wire (KB), raw {raw / 1024:.0f} KB",
                wire / 1024,
                floor_wire / 1024 if kind in floor_kinds else None,
                ratio(wire, raw),
                "",
                None,
                note="ratio: wire/raw",
            )
        )

    e50, b50 = median(events.emit), median(events.bare)
    rows.append(
        Row(
            "events",
            "emit → host listener p50 (ms)",
            e50,
            b50,
            ratio(e50, b50),
            "≤ 1.5x",
            ratio(e50, b50) <= 1.5,
        )
    )
    e99, b99 = percentile(events.emit, 99), percentile(events.bare, 99)
    rows.append(Row("events", "emit → host listener p99 (ms)", e99, b99, ratio(e99, b99), "", None))
    rows.append(
        Row(
            "events",
            "throughput (events/s)",
            events.emit_rate,
            events.bare_rate,
            ratio(events.emit_rate, events.bare_rate),
            "",
            None,
        )
    )

    s50, s99 = median(server.single), percentile(server.single, 99)
    c50, c99 = median(server.concurrent), percentile(server.concurrent, 99)
    rows.append(
        Row(
            "server",
            "chat round trip, 1 conversation: p50 (ms)",
            s50,
            None,
            None,
            "< 15 ms",
            s50 < 15,
            note=f"p99 {s99:.1f} ms",
        )
    )
    rows.append(
        Row(
            "server",
            "chat round trip, 50 concurrent: p50 (ms)",
            c50,
            None,
            None,
            "",
            None,
            note=f"p99 {c99:.0f} ms",
        )
    )
    rows.append(
        Row(
            "server",
            "signed deliveries/s, 1 worker",
            server.one_worker,
            None,
            None,
            "≥ 500",
            server.one_worker >= 500,
        )
    )
    rows.append(
        Row(
            "server",
            f"signed deliveries/s, {several} workers",
            server.several,
            None,
            None,
            "≥ 500",
            server.several >= 500,
        )
    )

    mb = 1024 * 1024
    rows.append(
        Row(
            "memory",
            "frame JS heap once ready (MB)",
            events.frame_heap / mb,
            events.floor_heap / mb,
            ratio(events.frame_heap, events.floor_heap),
            "",
            None,
        )
    )
    rows.append(
        Row(
            "memory",
            "frame wasm memory once ready (MB)",
            events.frame_wasm / mb,
            events.floor_wasm / mb,
            ratio(events.frame_wasm, events.floor_wasm),
            "",
            None,
        )
    )
    rows.append(
        Row(
            "memory",
            "server RSS: idle / peak at 50 concurrent (MB)",
            server.rss_peak / mb,
            None,
            None,
            "",
            None,
            note=f"idle {server.rss_idle / mb:.0f} MB",
        )
    )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, help="boot runs, each cold and warm (5; quick: 2)")
    parser.add_argument("--quick", action="store_true", help="fewer runs and samples")
    parser.add_argument(
        "--markdown", type=Path, help="also write the table and the machine to this file"
    )
    parser.add_argument(
        "--knowledge-only",
        action="store_true",
        help="only retrieval speed and answer quality (no browser, no server; ~20 s)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.runs is not None:
        if args.runs < 1:
            parser.error("--runs must be at least 1")
        plan = Plan(**{**plan.__dict__, "runs": args.runs})

    started = time.monotonic()
    load_before = platform_load()
    try:
        rows = [] if args.knowledge_only else run(plan)
    except servers.BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    rows += knowledge_rows()
    load_after = platform_load()
    about = machine(chromium_version(), load_before, load_after, plan.runs)
    print(render_table(rows))
    print(f"\n{about}\n(took {time.monotonic() - started:.0f} s)")
    if args.markdown:
        args.markdown.write_text(render_markdown(rows, about))
        log(f"wrote {args.markdown}")
    return 0


def knowledge_rows() -> list[Row]:
    log("knowledge: retrieval at 10,000 chunks, then the answer-quality question set")
    rows = retrieval.rows(*retrieval.measure())
    outcomes = answer_quality.run()
    for miss in answer_quality.misses(outcomes):
        log(f"answer miss: {miss}")
    return rows + answer_quality.rows(outcomes)


def platform_load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def run(plan: Plan) -> list[Row]:
    with servers.temp_dir() as tmp:
        bundle = servers.bench_bundle(tmp)
        # The bench opens many conversations from one address: lift that rate limit.
        unlimited = {"WIDGET_RATE_CONVERSATIONS_PER_ADDRESS": "0"}
        with (
            servers.widget_server(tmp, bundle, **unlimited) as server,
            servers.host_site(tmp) as host,
        ):
            widget_js = f"{server.url}/widget.js"
            with_url = host.write("with-widget.html", pages.with_widget(servers.BUILD, widget_js))
            without_url = host.write("without-widget.html", pages.without_widget())
            floor_url = browser.floor_url(server.url)
            with browser.playwright() as pw:
                log(f"boot: {plan.runs} runs of widget and floor, cold then warm")
                boot, widget_bytes, floor_bytes = measure_boot(
                    pw, tmp, with_url, without_url, floor_url, plan
                )
                log("events and memory")
                events = measure_events(pw, tmp, with_url, floor_url, plan)
                log("page cost: hero LCP through a shared link, first chat")
                cost = page_cost.measure(pw, tmp, server.url, host, plan.runs, log)
                log(f"live: {plan.live_replies} owner replies to the visitor's screen")
                live = live_reply.measure(pw, tmp, server.url, with_url, plan.live_replies)
            log("server: chat round trips, then webhook deliveries")
            load = measure_server(tmp, server, plan)
            log("server: chat while a large training runs")
            training = training_load.measure(server.url)
    rows = build_rows(
        boot,
        widget_bytes,
        floor_bytes,
        events,
        load,
        widget_js_brotli(servers.BUILD),
        plan.several_workers,
    )
    rows.append(training_load.row(training))
    rows += page_cost.rows(cost, median(boot.floor_cold))
    rows += live_reply.rows(live)
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
