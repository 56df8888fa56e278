"""`python -m bench.live_streams`: the visitors' live streams held by one `serve` process.

- Memory: the serve process's RSS before and after 1,000 idle visitor streams are open (each
  has received its first `mode` event), as MB per 1,000 streams.
- Delay: from the owner's reply POST (`/v1/conversations/{id}/replies`) to the visitor's stream
  receiving that message, p50 and p99 over 200 replies, sent one after another while the 1,000
  idle streams stay open. Measured at the stream on loopback (the browser's screen is measured
  by the frame's own bench).

SQLite (the default), one process; prints one row a measure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median, quantiles

import httpx

from bench.servers import free_port, stop_process, temp_dir, wait_http
from tests.server.conftest import ADMIN_KEY, make_bundle

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def start_conversations(api: httpx.AsyncClient, count: int) -> list[tuple[str, str]]:
    gate = asyncio.Semaphore(20)

    async def one() -> tuple[str, str]:
        async with gate:
            body = (await api.post("/v1/conversations", json={"agentId": "ag_demo"})).json()
            return body["conversationId"], body["visitorToken"]

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def hold_stream(
    api: httpx.AsyncClient, cid: str, token: str, ready: asyncio.Event, lines: asyncio.Queue[str]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with api.stream("GET", f"/v1/conversations/{cid}/stream", headers=headers) as response:
        async for line in response.aiter_lines():
            if line.startswith("event: mode"):
                ready.set()
            lines.put_nowait(line)


async def measure(url: str, pid: int, streams: int, replies: int) -> list[str]:
    limits = httpx.Limits(max_connections=streams + 50, max_keepalive_connections=streams + 50)
    timeout = httpx.Timeout(60, read=None)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as api:
        conversations = await start_conversations(api, streams + 1)
        before = rss_mb(pid)
        readies = [asyncio.Event() for _ in range(streams)]
        sink: asyncio.Queue[str] = asyncio.Queue()
        holders = [
            asyncio.create_task(hold_stream(api, cid, token, ready, sink))
            for (cid, token), ready in zip(conversations[:streams], readies, strict=True)
        ]
        opened = time.perf_counter()
        for ready in readies:
            await asyncio.wait_for(ready.wait(), 120)
        open_seconds = time.perf_counter() - opened
        after = rss_mb(pid)

        cid, token = conversations[-1]
        ready = asyncio.Event()
        lines: asyncio.Queue[str] = asyncio.Queue()
        watcher = asyncio.create_task(hold_stream(api, cid, token, ready, lines))
        await asyncio.wait_for(ready.wait(), 30)
        delays = []
        for n in range(replies):
            begun = time.perf_counter()
            sent = await api.post(
                f"/v1/conversations/{cid}/replies", headers=ADMIN, json={"content": f"reply {n}"}
            )
            event_id = f"id: {sent.json()['eventId']}"
            while (await asyncio.wait_for(lines.get(), 30)) != event_id:
                pass
            delays.append((time.perf_counter() - begun) * 1000)
        for task in [*holders, watcher]:
            task.cancel()
        await asyncio.gather(*holders, watcher, return_exceptions=True)
    per_thousand = (after - before) * 1000 / streams
    p99 = quantiles(delays, n=100)[98]
    return [
        f"idle visitor streams, one serve process (SQLite): {streams} open in {open_seconds:.1f} s;"
        f" RSS {before:.0f} MB before, {after:.0f} MB after: {per_thousand:.1f} MB per 1,000",
        f"owner's reply POST -> visitor's stream, {replies} replies beside {streams} idle streams:"
        f" p50 {median(delays):.1f} ms, p99 {p99:.1f} ms (goal p50 < 100 ms)",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--replies", type=int, default=200)
    args = parser.parse_args(argv)
    with temp_dir() as tmp:
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")},
            "WIDGET_DATABASE_URL": f"sqlite:///{tmp / 'live.db'}",
            "WIDGET_ADMIN_KEY": ADMIN_KEY,
            "WIDGET_BUNDLE_DIR": str(make_bundle(tmp / "build")),
            "WIDGET_RATE_CONVERSATIONS_PER_ADDRESS": "0",
            "WIDGET_RATE_CONVERSATIONS_PER_AGENT": "0",
        }
        log = tmp / "serve.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "widget", "serve", "--host", "127.0.0.1",
                 "--port", str(port), "--log-level", "warning"],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{url}/widget.js", process, log)
            rows = asyncio.run(measure(url, process.pid, args.streams, args.replies))
        finally:
            stop_process(process)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
