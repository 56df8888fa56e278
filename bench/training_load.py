"""Chat latency while a large training runs, beside chat latency with no training, in one run.

The bench's plain `serve` process (with its in-process worker) gets a training of 20 documents
of about 1 MB each (two requests of 10, within the 16 MiB training body limit), written as plain
text with no headings, the slowest kind to chunk. One conversation chats, a message at a time,
before the training, while it runs (only round trips that started and ended while the training
was unfinished count), and after it. The agent trained is not the one chatting, so the ratio
measures the training's cost to other requests, not the rebuild of the chatting agent's index.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import httpx

from bench.report import Row
from bench.server_load import QUESTIONS
from bench.servers import ADMIN_KEY, BenchError
from bench.stats import median, ratio

DOCUMENTS = 20
DOCUMENT_BYTES = 990_000
IDLE_MESSAGES = 60
TRAINING_TIMEOUT = 300.0
_WORDS = [
    "widget",
    "launcher",
    "visitor",
    "answer",
    "pricing",
    "install",
    "snippet",
    "webhook",
    "lead",
    "agent",
    "training",
    "knowledge",
    "document",
    "conversation",
    "message",
    "browser",
    "frame",
    "server",
    "secure",
    "quick",
    "team",
    "plan",
]


@dataclass
class TrainingSamples:
    idle: list[float]
    during: list[float]
    training_seconds: float


def _document(rng: random.Random, n: int) -> dict[str, str]:
    words: list[str] = []
    size = 0
    while size < DOCUMENT_BYTES:
        word = rng.choice(_WORDS)
        words.append(word)
        size += len(word) + 1
    return {"name": f"bulk-{n}.txt", "content": " ".join(words)}


class _Chat:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.sent = 0
        self._start()

    def _start(self) -> None:
        created = self.client.post("/v1/conversations", json={"agentId": "ag_demo"})
        created.raise_for_status()
        body = created.json()
        self.path = f"/v1/conversations/{body['conversationId']}/messages"
        self.headers = {"Authorization": f"Bearer {body['visitorToken']}"}

    def round_trip(self) -> float:
        # A fresh conversation every 15 messages keeps clear of the per-conversation rate limit.
        if self.sent and self.sent % 15 == 0:
            self._start()
        started = time.perf_counter()
        response = self.client.post(
            self.path, json={"content": QUESTIONS[self.sent % len(QUESTIONS)]}, headers=self.headers
        )
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise BenchError(f"chat message answered {response.status_code}: {response.text}")
        self.sent += 1
        return elapsed


def measure(url: str) -> TrainingSamples:
    rng = random.Random(7)
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(base_url=url, timeout=120) as client:
        agent = client.post("/v1/agents", headers=admin, json={"name": "Bench library"})
        agent.raise_for_status()
        agent_id = agent.json()["agentId"]
        chat = _Chat(client)
        for _ in range(5):
            chat.round_trip()  # warm-up
        idle = [chat.round_trip() for _ in range(IDLE_MESSAGES // 2)]

        documents = [_document(rng, n) for n in range(DOCUMENTS)]
        submitted = time.monotonic()
        ids: list[int] = []
        for half in (documents[: DOCUMENTS // 2], documents[DOCUMENTS // 2 :]):
            accepted = client.post(
                f"/v1/agents/{agent_id}/training",
                headers=admin,
                json={"source": f"bulk-{len(ids)}", "documents": half},
            )
            if accepted.status_code != 202:
                raise BenchError(f"training answered {accepted.status_code}: {accepted.text}")
            ids.append(accepted.json()["trainingId"])

        def unfinished() -> bool:
            for training_id in ids:
                status = client.get(f"/v1/agents/{agent_id}/training/{training_id}", headers=admin)
                state = status.json()["status"]
                if state == "failed":
                    raise BenchError(f"the bench training failed: {status.text}")
                if state != "completed":
                    return True
            return False

        during: list[float] = []
        while unfinished():
            if time.monotonic() - submitted > TRAINING_TIMEOUT:
                raise BenchError(f"the training did not finish in {TRAINING_TIMEOUT:.0f} s")
            latency = chat.round_trip()
            if unfinished():
                during.append(latency)
        training_seconds = time.monotonic() - submitted
        idle += [chat.round_trip() for _ in range(IDLE_MESSAGES // 2)]
    if len(during) < 10:
        raise BenchError(f"only {len(during)} round trips fell inside the training")
    return TrainingSamples(idle, during, training_seconds)


def row(samples: TrainingSamples) -> Row:
    during, idle = median(samples.during), median(samples.idle)
    measured = ratio(during, idle)
    return Row(
        "server",
        "chat p50 during a large training (ms)",
        during,
        idle,
        measured,
        "≤ 1.2x",
        measured <= 1.2,
        note=f"20 docs of 1 MB trained in {samples.training_seconds:.1f} s; "
        f"{len(samples.during)} round trips",
    )
