"""Durability across processes: worker processes share the work without sending anything twice, a
dead worker's claim is taken over, and a server killed with SIGKILL delivers after a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.server.conftest import on_both_databases
from tests.server.crm.test_crm import HUBSPOT_TOKEN, CrmStandIn
from tests.server.support.webhooks import ADMIN, ADMIN_KEY, Reply, receiver, verify, wait_until
from widget.events import LeadCapturedData, MessageSentData
from widget.server.agents.tables import Agent
from widget.server.chat.tables import Conversation
from widget.server.core.db import make_engine, make_sessionmaker, transaction
from widget.server.core.ids import new_id
from widget.server.crm.tables import CrmAction, CrmIntegration
from widget.server.delivery import create_tables
from widget.server.leads.tables import Lead
from widget.server.webhooks.outbox import enqueue
from widget.server.webhooks.signing import new_secret
from widget.server.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = on_both_databases
REPO = Path(__file__).resolve().parents[3]
FAST = "0,0.2,0.2"


class Processes:
    """Child processes of one test, each logging to a file; all ended when the test ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=REPO,
            env=base | env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.running.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop_all(self) -> None:
        for process in self.running:
            self.stop(process)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    running = Processes(tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


@pytest.fixture
def database(database_url: str) -> tuple[str, sessionmaker[Session]]:
    engine = make_engine(database_url)
    create_tables(engine)
    return database_url, make_sessionmaker(engine)


def start_worker(processes: Processes, url: str, name: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {"WIDGET_WEBHOOK_ALLOW_PRIVATE": "1", "WIDGET_WEBHOOK_RETRY_DELAYS": FAST}
    args = ["widget.server.delivery", "--database-url", url, "--worker-id", name, *extra]
    process = processes.start(name, args, env)
    wait_until(lambda: "running" in processes.log(name), what=f"worker {name} to start")
    return process


def add_endpoint(sessions: sessionmaker[Session], url: str, events: list[str]) -> WebhookEndpoint:
    with transaction(sessions) as session:
        endpoint = WebhookEndpoint(id=new_id("wh"), url=url, events=events, secret=new_secret())
        session.add(endpoint)
    return endpoint


def message(i: int) -> MessageSentData:
    return MessageSentData(
        message_id=f"msg_{i}",
        conversation_id="conv_1",
        agent_id="ag_1",
        role="user",
        content=f"message number {i}",
        created_at=datetime.now(UTC),
    )


def delivery_states(sessions: sessionmaker[Session]) -> Counter[str]:
    with sessions() as session:
        rows = session.execute(
            select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        )
        return Counter({status: count for status, count in rows})


def test_two_worker_processes_deliver_1000_events_exactly_once(
    processes: Processes, database: tuple[str, sessionmaker[Session]]
) -> None:
    url, sessions = database
    with receiver() as hook:
        endpoint = add_endpoint(sessions, hook.url, ["message.sent"])
        start_worker(processes, url, "worker-a")
        start_worker(processes, url, "worker-b")
        for batch in range(10):
            with transaction(sessions) as session:
                for i in range(batch * 100, batch * 100 + 100):
                    enqueue(session, "message.sent", message(i))

        wait_until(
            lambda: delivery_states(sessions)["succeeded"] == 1000,
            timeout=300,
            what="1000 successful deliveries",
        )
        requests = hook.received()
        assert len(requests) == 1000
        ids = Counter(r.headers["webhook-id"] for r in requests)
        assert len(ids) == 1000
        seen = Counter(verify(endpoint.secret, r)["data"]["messageId"] for r in requests)
        assert seen == Counter(f"msg_{i}" for i in range(1000))
        with sessions() as session:
            attempts = session.scalars(select(WebhookAttempt)).all()
        assert [a.error for a in attempts if a.error] == []
        assert len(attempts) == 1000
        # Both processes took part, so the test did exercise competing claims.
        assert {a.worker for a in attempts} == {"worker-a", "worker-b"}


def test_a_killed_workers_claim_is_taken_over(
    processes: Processes, database: tuple[str, sessionmaker[Session]]
) -> None:
    url, sessions = database
    with receiver() as hook:
        hook.hold = threading.Event()  # the first attempt never gets its answer
        endpoint = add_endpoint(sessions, hook.url, ["message.sent"])
        doomed = start_worker(processes, url, "doomed", "--lease-seconds", "1")
        with transaction(sessions) as session:
            enqueue(session, "message.sent", message(1))
        (first,) = hook.wait_for(1)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        hook.hold.set()

        start_worker(processes, url, "heir")
        wait_until(lambda: delivery_states(sessions)["succeeded"] == 1, what="the retaken delivery")
        second = hook.received()[1]
        assert second.headers["webhook-id"] == first.headers["webhook-id"]
        assert second.body == first.body
        verify(endpoint.secret, second)
        with sessions() as session:
            workers = session.scalars(select(WebhookAttempt.worker)).all()
        assert workers == ["heir"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_server_killed_after_commit_still_delivers_after_restart(
    processes: Processes, tmp_path: Path, database_url: str
) -> None:
    port, hook_port = free_port(), free_port()
    env = {
        "WIDGET_DATABASE_URL": database_url,
        "WIDGET_ADMIN_KEY": ADMIN_KEY,
        "WIDGET_WEBHOOK_ALLOW_PRIVATE": "1",
        "WIDGET_WEBHOOK_RETRY_DELAYS": ",".join(["0"] + ["0.5"] * 40),
        "WIDGET_BUNDLE_DIR": str(tmp_path / "no-bundle"),
    }
    serve = [
        "widget",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/v1/webhooks", headers=ADMIN).status_code == 200
        except httpx.HTTPError:
            return False

    server = processes.start("serve-1", serve, env)
    wait_until(up, timeout=60, what="the server to start")
    with httpx.Client(base_url=base, headers=ADMIN, timeout=30) as api:
        # Nothing listens at the receiver's address yet: no delivery can succeed before the kill.
        created = api.post(
            "/v1/webhooks",
            json={
                "url": f"http://127.0.0.1:{hook_port}/hook",
                "events": ["conversation.started", "message.sent"],
            },
        ).json()
        conversation = api.post("/v1/conversations", json={"agentId": "ag_demo"}).json()
        sent = api.post(
            f"/v1/conversations/{conversation['conversationId']}/messages",
            json={"content": "Hello, is anyone there?"},
            headers={"Authorization": f"Bearer {conversation['visitorToken']}"},
        )
        assert sent.status_code == 200, sent.text
    # The events are committed; kill the server before it can deliver them.
    server.send_signal(signal.SIGKILL)
    server.wait()

    with receiver(hook_port) as hook:
        processes.start("serve-2", serve, env)
        wait_until(up, timeout=60, what="the server to restart")
        requests = hook.wait_for(3, timeout=60)
        payloads = [verify(created["secret"], r) for r in requests]
        assert sorted(p["event"] for p in payloads) == [
            "conversation.started",
            "message.sent",
            "message.sent",
        ]
        assert all(p["data"]["conversationId"] == conversation["conversationId"] for p in payloads)
        log = httpx.get(f"{base}/v1/webhooks/{created['id']}/deliveries", headers=ADMIN).json()[
            "data"
        ]
        assert {d["webhookId"] for d in log} == {r.headers["webhook-id"] for r in requests}


def add_lead(session: Session, i: int) -> LeadCapturedData:
    conversation = Conversation(id=f"conv_{i}", agent_id="ag_crm", visitor_token_hash="0" * 64)
    lead = Lead(
        id=f"lead_{i}",
        agent_id="ag_crm",
        conversation_id=conversation.id,
        name=f"Visitor {i}",
        email=f"visitor{i}@example.com",
        created_at=datetime.now(UTC),
    )
    session.add(conversation)
    session.flush()  # no ORM relationship orders these inserts; the foreign key needs it first
    session.add(lead)
    return LeadCapturedData(
        lead_id=lead.id,
        agent_id="ag_crm",
        name=lead.name,
        email=lead.email or "",
        created_at=lead.created_at,
    )


def test_leads_raised_while_no_worker_runs_reach_the_crm_once_each(
    processes: Processes, database: tuple[str, sessionmaker[Session]]
) -> None:
    url, sessions = database
    crm = CrmStandIn()
    try:
        with receiver() as hook:
            endpoint = add_endpoint(sessions, hook.url, ["ai-action.completed"])
            with transaction(sessions) as session:
                session.add(Agent(id="ag_crm", name="CRM", prompt="", welcome_message=""))
                session.flush()
                session.add(
                    CrmIntegration(
                        agent_id="ag_crm",
                        provider="hubspot",
                        api_token=HUBSPOT_TOKEN,
                        base_url=crm.url,
                    )
                )
            with transaction(sessions) as session:
                for i in range(20):
                    enqueue(session, "lead.captured", add_lead(session, i))
            crm.http.replies = [Reply(503)]  # one retry along the way

            start_worker(processes, url, "worker-a")
            start_worker(processes, url, "worker-b")
            requests = hook.wait_for(20, timeout=120)
            wait_until(
                lambda: delivery_states(sessions)["succeeded"] == 20, what="20 completion events"
            )
            assert len(hook.received()) == 20
            completed = [verify(endpoint.secret, r)["data"] for r in requests]
            assert sorted(d["conversationId"] for d in completed) == sorted(
                f"conv_{i}" for i in range(20)
            )
            assert len(crm.contacts) == 20
            assert len(crm.creates()) == 21
            with sessions() as session:
                states = Counter(session.scalars(select(CrmAction.status)))
            assert states == Counter({"completed": 20})
    finally:
        crm.http.close()
