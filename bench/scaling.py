"""`python -m bench.scaling`: the server on PostgreSQL beside SQLite, and how it scales with
processes. Chat round trip p50/p99 at 50 concurrent visitors with 1 and 2 API processes, and signed
deliveries a second with 1, 2 and 4 worker processes, on a throwaway PostgreSQL cluster (started
here, as the tests start theirs) and on SQLite files."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median, quantiles

from bench import server_load
from bench.servers import free_port, stop_process, temp_dir, wait_http
from tests.server.conftest import ADMIN_KEY, make_bundle
from tests.server.support.postgres import Cluster

CONCURRENT = 50
MESSAGES = 10
WORKER_COUNTS = (1, 2, 4)
DELIVERIES = 3000


@contextmanager
def api_processes(tmp: Path, database_url: str, count: int) -> Iterator[str]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")},
        "WIDGET_DATABASE_URL": database_url,
        "WIDGET_ADMIN_KEY": ADMIN_KEY,
        "WIDGET_BUNDLE_DIR": str(make_bundle(tmp / f"build-{port}")),
        "WIDGET_RATE_CONVERSATIONS_PER_ADDRESS": "0",
        "WIDGET_RATE_CONVERSATIONS_PER_AGENT": "0",
    }
    log = tmp / f"serve-{port}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "widget", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(count), "--log-level", "warning"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/widget.js", process, log)
        yield url
    finally:
        stop_process(process)


def chat_row(tmp: Path, database_url: str, count: int) -> tuple[float, float]:
    with api_processes(tmp, database_url, count) as url:
        server_load.chat_round_trips(url, CONCURRENT, CONCURRENT, 2)  # warm up every process
        times = server_load.chat_round_trips(url, CONCURRENT, CONCURRENT, MESSAGES)
    return median(times), quantiles(times, n=100)[98]


def main() -> int:
    rows: list[str] = []
    with temp_dir() as tmp:
        cluster = Cluster().start()
        try:
            for count in (1, 2):
                for name in ("sqlite", "postgresql"):
                    url = (
                        cluster.create_database()
                        if name == "postgresql"
                        else f"sqlite:///{tmp / f'chat-{count}.db'}"
                    )
                    p50, p99 = chat_row(tmp, url, count)
                    rows.append(
                        f"chat at {CONCURRENT} concurrent, {count} API process(es), {name}: "
                        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
                    )
                    print(rows[-1], flush=True)
            curves: dict[str, list[float]] = {}
            for name in ("sqlite", "postgresql"):
                for workers in WORKER_COUNTS:
                    target = cluster.create_database() if name == "postgresql" else None
                    rate = server_load.deliveries_per_second(tmp, workers, DELIVERIES, target)
                    curves.setdefault(name, []).append(rate)
                    print(f"deliveries, {workers} worker(s), {name}: {rate:.0f}/s", flush=True)
        finally:
            cluster.remove()
    print("\nscaling curve (signed deliveries a second; x: over one worker)")
    for name, rates in curves.items():
        points = ", ".join(
            f"{w}: {r:.0f}/s ({r / rates[0]:.2f}x)"
            for w, r in zip(WORKER_COUNTS, rates, strict=True)
        )
        print(f"  {name:<10} {points}")
    print("\n".join(["", *rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
