"""PostgreSQL with many processes: several API processes on one port and worker processes of their
own share the work, a commit in one process wakes the workers of another at once (NOTIFY), an API
process killed mid-burst loses no accepted message and no delivery, and a database restart
mid-burst gives 503s, then recovery without restarting the server."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.server.conftest import (
    ADMIN_KEY,
    LoopbackServer,
    make_bundle,
    on_both_databases,
    wait_until,
)
from tests.server.support.postgres import Cluster
from tests.server.support.webhooks import receiver, verify
from tests.server.webhooks.test_delivery_processes import (
    Processes,
    add_endpoint,
    delivery_states,
    free_port,
    message,
    processes,
    start_worker,
)
from widget.server.app import create_app
from widget.server.chat.tables import Conversation
from widget.server.core.config import Settings
from widget.server.core.db import make_engine, make_sessionmaker, transaction
from widget.server.delivery import create_tables
from widget.server.webhooks.outbox import enqueue

__all__ = ["processes"]  # the fixture, shared with the delivery process tests
on_postgresql = pytest.mark.parametrize("database_kind", ["postgresql"])
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def database(database_url: str) -> Iterator[tuple[str, sessionmaker[Session]]]:
    engine = make_engine(database_url)
    create_tables(engine)
    yield database_url, make_sessionmaker(engine)
    engine.dispose()


@on_postgresql
def test_a_commit_in_one_process_wakes_a_worker_in_another_at_once(
    processes: Processes, database: tuple[str, sessionmaker[Session]]
) -> None:
    url, sessions = database
    with receiver() as hook:
        add_endpoint(sessions, hook.url, ["message.sent"])
        # A poll every 5 minutes: only the notification can make it deliver within the test.
        start_worker(processes, url, "sleepy", "--poll-interval", "300")
        for i in range(3):
            begun = time.monotonic()
            with transaction(sessions) as session:
                enqueue(session, "message.sent", message(i))
            hook.wait_for(i + 1, timeout=10)
            assert time.monotonic() - begun < 5


def served_up(url: str) -> Callable[[], bool]:
    def answers() -> bool:
        try:
            return httpx.get(f"{url}/v1/webhooks", headers=ADMIN, timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    return answers


@on_postgresql
def test_two_api_processes_on_one_port_and_two_worker_processes(
    processes: Processes, database: tuple[str, sessionmaker[Session]], tmp_path: Path
) -> None:
    url, sessions = database
    port = free_port()
    env = {
        "WIDGET_DATABASE_URL": url,
        "WIDGET_ADMIN_KEY": ADMIN_KEY,
        "WIDGET_BUNDLE_DIR": str(make_bundle(tmp_path / "build")),
        "WIDGET_WEBHOOK_ALLOW_PRIVATE": "1",
    }
    args = ["widget", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    processes.start("serve", [*args, "--api-only", "--log-level", "warning"], env)
    base = f"http://127.0.0.1:{port}"
    wait_until(served_up(base), timeout=60, what="two API processes")
    start_worker(processes, url, "worker-a")
    start_worker(processes, url, "worker-b")
    with receiver() as hook, httpx.Client(base_url=base, timeout=30) as api:
        created = api.post(
            "/v1/webhooks", headers=ADMIN, json={"url": hook.url, "events": ["message.sent"]}
        ).json()
        for _ in range(10):
            started = api.post("/v1/conversations", json={"agentId": "ag_demo"}).json()
            auth = {"Authorization": f"Bearer {started['visitorToken']}"}
            sent = api.post(
                f"/v1/conversations/{started['conversationId']}/messages",
                json={"content": "What does this product do?"},
                headers=auth,
            )
            assert sent.status_code == 200, sent.text
        # Ten visitor messages and ten replies, each delivered once.
        requests = hook.wait_for(20, timeout=60)
        wait_until(lambda: delivery_states(sessions)["succeeded"] == 20, what="20 deliveries")
        assert len(hook.received()) == 20
        assert len({r.headers["webhook-id"] for r in requests}) == 20
        roles = Counter(verify(created["secret"], r)["data"]["role"] for r in requests)
        assert roles == Counter({"user": 10, "assistant": 10})


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A cluster of this test's own: it is restarted mid-test."""
    cluster = Cluster().start()
    try:
        yield cluster
    finally:
        cluster.remove()


def test_a_database_restart_mid_burst_is_503_then_recovers_by_itself(
    own_cluster: Cluster, bundle_dir: Path
) -> None:
    url = own_cluster.create_database()
    settings = Settings(
        database_url=url,
        admin_key=ADMIN_KEY,
        bundle_dir=bundle_dir,
        database_busy_timeout=1.0,
        conversations_per_address=0,
    )
    app = create_app(settings)
    statuses: Counter[int] = Counter()
    accepted: list[str] = []
    stop = threading.Event()

    def visitors(base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as api:
            while not stop.is_set():
                response = api.post("/v1/conversations", json={"agentId": "ag_demo"})
                statuses[response.status_code] += 1
                if response.status_code == 201:
                    accepted.append(response.json()["conversationId"])
                else:
                    assert response.status_code == 503, response.text
                    assert response.headers["retry-after"]
                    stop.wait(0.05)

    with LoopbackServer(app) as server:
        burst = threading.Thread(target=visitors, args=(server.url,), daemon=True)
        burst.start()
        wait_until(lambda: statuses[201] >= 20, what="a burst under way")
        own_cluster.stop()
        wait_until(lambda: statuses[503] >= 3, what="503s while the database is down")
        own_cluster.start()
        ok_before = statuses[201]
        wait_until(lambda: statuses[201] >= ok_before + 20, what="recovery without a restart")
        stop.set()
        burst.join(timeout=30)
        # Every conversation the server accepted is there.
        with app.state.sessions() as session:
            stored = set(session.scalars(select(Conversation.id)))
        assert set(accepted) <= stored
    assert set(statuses) == {201, 503}


@on_both_databases
def test_an_api_process_killed_mid_burst_loses_no_accepted_message_and_no_delivery(
    processes: Processes, database: tuple[str, sessionmaker[Session]], tmp_path: Path
) -> None:
    url, _ = database
    env = {
        "WIDGET_DATABASE_URL": url,
        "WIDGET_ADMIN_KEY": ADMIN_KEY,
        "WIDGET_BUNDLE_DIR": str(make_bundle(tmp_path / "build")),
        "WIDGET_WEBHOOK_ALLOW_PRIVATE": "1",
        "WIDGET_RATE_CONVERSATIONS_PER_ADDRESS": "0",
    }
    bases: list[str] = []
    servers = []
    for name in ("api-a", "api-b"):
        port = free_port()
        args = ["widget", "serve", "--host", "127.0.0.1", "--port", str(port), "--api-only"]
        servers.append(processes.start(name, [*args, "--log-level", "warning"], env))
        bases.append(f"http://127.0.0.1:{port}")
    for base in bases:
        wait_until(served_up(base), timeout=60, what=f"the API process at {base}")
    start_worker(processes, url, "worker")
    accepted: list[tuple[str, str]] = []  # (conversationId, content) of each 200
    stop = threading.Event()

    def visitor(number: int) -> None:
        with httpx.Client(timeout=30) as api:
            turn = 0
            while not stop.is_set():
                base = bases[(number + turn) % 2]
                turn += 1
                try:
                    started = api.post(f"{base}/v1/conversations", json={"agentId": "ag_demo"})
                    if started.status_code != 201:
                        continue
                    body = started.json()
                    content = f"visitor {number}, message {turn}"
                    sent = api.post(
                        f"{base}/v1/conversations/{body['conversationId']}/messages",
                        json={"content": content},
                        headers={"Authorization": f"Bearer {body['visitorToken']}"},
                    )
                except httpx.TransportError:
                    continue  # the killed process: nothing it did not answer was accepted
                if sent.status_code == 200:
                    accepted.append((body["conversationId"], content))

    with receiver() as hook, httpx.Client(base_url=bases[1], timeout=30) as admin:
        created = admin.post(
            "/v1/webhooks", headers=ADMIN, json={"url": hook.url, "events": ["message.sent"]}
        ).json()
        burst = [threading.Thread(target=visitor, args=(n,), daemon=True) for n in range(4)]
        for thread in burst:
            thread.start()
        wait_until(lambda: len(accepted) >= 10, timeout=60, what="a burst under way")
        servers[0].send_signal(signal.SIGKILL)
        servers[0].wait()
        at_kill = len(accepted)
        wait_until(lambda: len(accepted) >= at_kill + 10, timeout=60, what="the other process")
        stop.set()
        for thread in burst:
            thread.join(timeout=30)

        # Each accepted message and its reply is delivered, verified, under one webhook-id each.
        wanted = {conversation for conversation, _ in accepted}

        def delivered() -> Counter[str]:
            found: Counter[str] = Counter()
            for request in hook.received():
                data = verify(created["secret"], request)["data"]
                if data["conversationId"] in wanted:
                    found[data["role"]] += 1
            return found

        wait_until(
            lambda: delivered() == Counter({"user": len(wanted), "assistant": len(wanted)}),
            timeout=90,
            what=f"{2 * len(wanted)} deliveries",
        )
        user_contents = {
            (data["conversationId"], data["content"])
            for data in (verify(created["secret"], r)["data"] for r in hook.received())
            if data["role"] == "user"
        }
        assert set(accepted) <= user_contents
        ids = Counter(r.headers["webhook-id"] for r in hook.received())
        # A retry carries the webhook-id of its first attempt: as many ids as events.
        events = {
            (d["conversationId"], d["role"], d["content"])
            for d in (verify(created["secret"], r)["data"] for r in hook.received())
        }
        assert len(ids) == len(events)
