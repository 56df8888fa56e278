"""Training with the files site owners have: PDFs and Word files (base64), declared languages,
limits per file and per training, progress, and `training.failed` naming every bad file."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.agent.samples import pdf_encrypted, pdf_scanned, pdf_with_text, word_document
from tests.server.conftest import wait_until
from widget.server.agents.tables import KnowledgeChunk
from widget.server.core.config import Settings

Outbox = Callable[[], list[tuple[str, dict[str, Any]]]]
Start = Callable[..., tuple[str, dict[str, str]]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, training_max_documents=4, training_max_text_file_bytes=2000
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def new_agent(client: httpx.Client, admin: dict[str, str]) -> str:
    agent_id: str = client.post("/v1/agents", headers=admin, json={"name": "Shop"}).json()[
        "agentId"
    ]
    return agent_id


def train(
    client: httpx.Client, admin: dict[str, str], agent_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    accepted = client.post(f"/v1/agents/{agent_id}/training", headers=admin, json=body)
    assert accepted.status_code == 202, accepted.text
    training_id = accepted.json()["trainingId"]

    def finished() -> dict[str, Any] | None:
        status = client.get(f"/v1/agents/{agent_id}/training/{training_id}", headers=admin).json()
        return status if status["status"] in ("completed", "failed") else None

    result: dict[str, Any] = wait_until(finished, what=f"training {training_id}")
    return result


def ask(client: httpx.Client, start: Start, agent_id: str, question: str) -> dict[str, Any]:
    conversation_id, auth = start(agent_id)
    response = client.post(
        f"/v1/conversations/{conversation_id}/messages", headers=auth, json={"content": question}
    )
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()["reply"]
    return reply


PRICES = [
    "Hedge trimming costs 40 euros an hour.",
    "Our gardeners bring their own tools and take the green waste away.",
]


def test_pdf_and_word_files_train_the_agent_with_progress(
    client: httpx.Client, admin: dict[str, str], start: Start, app: Any
) -> None:
    agent_id = new_agent(client, admin)
    result = train(
        client,
        admin,
        agent_id,
        {
            "source": "files",
            "documents": [
                {"name": "prices.pdf", "contentBase64": b64(pdf_with_text([PRICES]))},
                {"name": "versand.docx", "contentBase64": b64(word_document()), "language": "de"},
            ],
        },
    )
    assert result["status"] == "completed", result
    assert result["dataCount"] >= 2
    assert result["progress"] == {"done": 2, "total": 2}
    assert result["url"] is None

    assert "40 euros" in ask(client, start, agent_id, "How much is hedge trimming?")["content"]
    german = ask(client, start, agent_id, "Wie schnell versenden Sie Bestellungen?")
    assert "zwei Werktagen" in german["content"]

    with app.state.sessions() as session:
        languages = dict(
            session.execute(
                select(KnowledgeChunk.document, KnowledgeChunk.language).where(
                    KnowledgeChunk.agent_id == agent_id
                )
            ).all()
        )
    assert languages == {"prices.pdf": "en", "versand.docx": "de"}


def test_training_failed_names_each_bad_file_and_why(
    client: httpx.Client, admin: dict[str, str], outbox: Outbox
) -> None:
    agent_id = new_agent(client, admin)
    result = train(
        client,
        admin,
        agent_id,
        {
            "source": "files",
            "documents": [
                {"name": "fine.md", "content": "# Fine\n\nThis one is fine to read."},
                {"name": "scan.pdf", "contentBase64": b64(pdf_scanned())},
                {"name": "locked.pdf", "contentBase64": b64(pdf_encrypted(PRICES, "secret"))},
                {"name": "old.doc", "contentBase64": b64(b"\xd0\xcf\x11\xe0 old word")},
            ],
        },
    )
    assert result["status"] == "failed"
    error = result["error"]
    assert error.startswith("3 documents cannot be used: ")
    assert "'scan.pdf' is a scanned PDF with no text layer" in error
    assert "'locked.pdf' is an encrypted PDF" in error
    assert "'old.doc'" in error and "save it as .docx" in error
    assert "fine.md" not in error
    name, data = outbox()[-1]
    assert name == "training.failed"
    assert set(data) == {"trainingId", "agentId", "source", "error", "failedAt"}
    assert data["error"] == error


def test_limits_per_file_and_per_training(client: httpx.Client, admin: dict[str, str]) -> None:
    agent_id = new_agent(client, admin)
    big = {"name": "big.txt", "content": "word " * 500}  # 2,500 bytes; the limit is 2,000
    result = train(client, admin, agent_id, {"source": "files", "documents": [big]})
    assert result["status"] == "failed"
    assert "'big.txt' is 2500 bytes; the limit is 2000 bytes" in result["error"]

    many = [{"name": f"{n}.md", "content": "Some text."} for n in range(5)]
    refused = client.post(
        f"/v1/agents/{agent_id}/training", headers=admin, json={"source": "s", "documents": many}
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == (
        "documents: a training holds at most 4 documents (WIDGET_TRAINING_MAX_DOCUMENTS); "
        "this one has 5"
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"name": "a.pdf"},
            "documents.0: document 'a.pdf' must have exactly one of content (text) and "
            "contentBase64",
        ),
        (
            {"name": "a.pdf", "content": "x", "contentBase64": "eA=="},
            "documents.0: document 'a.pdf' must have exactly one of content",
        ),
        ({"name": "a.pdf", "contentBase64": "not base64!"}, "documents.0.contentBase64: is not"),
        ({"name": "a.pdf", "contentBase64": "eA="}, "documents.0.contentBase64: is not valid"),
        (
            {"name": "a.pdf", "contentBase64": "eHh4\neHh4"},
            "documents.0.contentBase64: is not valid base64",
        ),
        (
            {"name": "a.md", "content": "x", "language": "klingon"},
            "documents.0.language: 'klingon' is not a supported language",
        ),
    ],
)
def test_bad_documents_are_refused_with_what_is_wrong(
    client: httpx.Client, admin: dict[str, str], document: dict[str, str], message: str
) -> None:
    response = client.post(
        "/v1/agents/ag_demo/training",
        headers=admin,
        json={"source": "docs", "documents": [document]},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith(message), response.json()


def test_documents_and_a_website_are_exclusive(client: httpx.Client, admin: dict[str, str]) -> None:
    for body in [
        {"source": "s"},
        {
            "source": "s",
            "url": "https://example.com/",
            "documents": [{"name": "a", "content": "x"}],
        },
    ]:
        response = client.post("/v1/agents/ag_demo/training", headers=admin, json=body)
        assert response.status_code == 422
        assert "exactly one of documents (files) and url" in response.json()["error"]["message"]
