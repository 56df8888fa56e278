"""Server rows: chat round trips under load, signed webhook deliveries per second, server RSS."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.servers import BenchError, free_port, stop_process, wait_http
from widget.events import MessageSentData
from widget.server.core.db import make_engine, make_sessionmaker, transaction
from widget.server.core.ids import new_id
from widget.server.delivery import create_tables
from widget.server.webhooks.outbox import enqueue
from widget.server.webhooks.signing import new_secret
from widget.server.webhooks.tables import WebhookEndpoint

QUESTIONS = (
    "What does Parley do?",
    "How do I install the widget on my site?",
    "Which CRMs do you integrate with?",
    "Is my visitors' data stored on your servers?",
    "How do I train the agent on my documents?",
    "Can I change the widget's colours?",
)
DELIVERY_TIMEOUT = 120.0


# -- chat ------------------------------------------------------------------------------------


async def _conversation(client: httpx.AsyncClient, messages: int, offset: int) -> list[float]:
    created = await client.post("/v1/conversations", json={"agentId": "ag_demo"})
    created.raise_for_status()
    conversation = created.json()
    headers = {"Authorization": f"Bearer {conversation['visitorToken']}"}
    path = f"/v1/conversations/{conversation['conversationId']}/messages"
    latencies = []
    for i in range(messages):
        body = {"content": QUESTIONS[(offset + i) % len(QUESTIONS)]}
        started = time.perf_counter()
        response = await client.post(path, json=body, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise BenchError(f"chat message answered {response.status_code}: {response.text}")
    return latencies


async def _chat(url: str, concurrency: int, conversations: int, messages: int) -> list[float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        await _conversation(client, 3, 0)  # warm-up: caches, connections, first imports
        latencies: list[float] = []
        for start in range(0, conversations, concurrency):
            batch = range(start, min(start + concurrency, conversations))
            results = await asyncio.gather(*(_conversation(client, messages, i) for i in batch))
            for result in results:
                latencies.extend(result)
        return latencies


def chat_round_trips(url: str, concurrency: int, conversations: int, messages: int) -> list[float]:
    """Latencies (ms) of `POST .../messages`: `concurrency` conversations at a time, each sending
    `messages` messages one after another (the rate limit allows 20 a minute per conversation)."""
    return asyncio.run(_chat(url, concurrency, conversations, messages))


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise BenchError(f"no VmRSS for process {pid}")


@contextmanager
def peak_rss(pid: int, interval: float = 0.05) -> Iterator[list[int]]:
    """Samples the process's RSS while the block runs; the list holds the peak afterwards."""
    peak = [rss_bytes(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval):
            peak[0] = max(peak[0], rss_bytes(pid))

    thread = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join(5)


# -- webhook deliveries ----------------------------------------------------------------------


@dataclass
class Receiver:
    url: str
    process: subprocess.Popen[bytes]

    def stats(self) -> dict[str, float]:
        stats: dict[str, float] = httpx.get(f"{self.url}/stats", timeout=5).json()
        return stats


@contextmanager
def receiver(tmp: Path, secret: str) -> Iterator[Receiver]:
    port = free_port()
    log = tmp / f"receiver-{port}.log"
    secret_arg = ["--secret", secret]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "widget",
                "receive",
                "--silent",
                "--port",
                str(port),
                *secret_arg,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/stats", process, log)
        yield Receiver(url, process)
    finally:
        stop_process(process)


@contextmanager
def delivery_workers(tmp: Path, database_url: str, count: int) -> Iterator[None]:
    env = {**os.environ, "WIDGET_WEBHOOK_ALLOW_PRIVATE": "1", "WIDGET_DATABASE_URL": database_url}
    processes = []
    try:
        for i in range(count):
            log = tmp / f"worker-{count}-{i}.log"
            with log.open("ab") as out:
                processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "widget",
                            "worker",
                            "--database-url",
                            database_url,
                            "--worker-id",
                            f"bench-{i}",
                        ],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            _wait_for_line(log, "running", processes[-1])
        yield
    finally:
        for process in processes:
            stop_process(process)


def _wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise BenchError(f"delivery worker exited:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)
    raise BenchError(f"delivery worker did not start:\n{log.read_text(errors='replace')}")


def deliveries_per_second(
    tmp: Path, workers: int, events: int, database_url: str | None = None
) -> float:
    """Signed deliveries a second, end to end: `events` outbox rows committed at once, until the
    receiver has verified every one. Each run has its own database (a new SQLite file unless
    `database_url` names an empty one) and receiver."""
    if database_url is None:
        database_url = f"sqlite:///{tmp / f'deliveries-{workers}-{time.monotonic_ns()}.db'}"
    engine = make_engine(database_url)
    create_tables(engine)
    sessions = make_sessionmaker(engine)
    secret = new_secret()
    try:
        with receiver(tmp, secret) as rx:
            with transaction(sessions) as session:
                session.add(
                    WebhookEndpoint(
                        id=new_id("wh"),
                        url=f"{rx.url}/hook",
                        events=["message.sent"],
                        secret=secret,
                        enabled=True,
                    )
                )
            with delivery_workers(tmp, database_url, workers):
                now = datetime.now(UTC)
                with transaction(sessions) as session:
                    for i in range(events):
                        enqueue(
                            session,
                            "message.sent",
                            MessageSentData(
                                message_id=f"msg_{i}",
                                conversation_id="conv_bench",
                                agent_id="ag_demo",
                                role="user",
                                content=QUESTIONS[i % len(QUESTIONS)],
                                created_at=now,
                            ),
                        )
                started = time.monotonic()
                deadline = started + DELIVERY_TIMEOUT
                stats = rx.stats()
                while stats["verified"] < events:
                    if time.monotonic() > deadline:
                        raise BenchError(
                            f"{workers} worker(s): {stats['verified']} of {events} deliveries "
                            f"verified after {DELIVERY_TIMEOUT:.0f} s: {json.dumps(stats)}"
                        )
                    time.sleep(0.1)
                    stats = rx.stats()
                if stats["rejected"]:
                    raise BenchError(f"the receiver rejected {stats['rejected']} signatures")
                # CLOCK_MONOTONIC is one clock for every process of the machine.
                return events / (float(stats["last"]) - started)
    finally:
        engine.dispose()
