"""Training: an agent's documents become knowledge chunks, in the background.

`POST /v1/agents/{agentId}/training` stores the documents with a pending Training row and answers
202 at once; `TrainingRunner`, a worker thread, then turns them into chunks. On success one
transaction replaces the chunks this agent got earlier from the same `source`, marks the training
completed and raises `training.completed` (dataCount = the number of chunks). If any document is
unusable, nothing is stored and `training.failed` says which document and why. Pending trainings
are picked up again after a restart, because the documents wait in the database, not in memory.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from widget.agent.knowledge import Chunk, UnusableDocument, chunk_document
from widget.events import Timestamp, TrainingCompletedData, TrainingFailedData
from widget.server.db import transaction
from widget.server.deps import SessionsDep, require_admin
from widget.server.errors import ApiError
from widget.server.models import Agent, KnowledgeChunk, Training, utcnow
from widget.server.outbox import enqueue

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/agents", tags=["training"], dependencies=[Depends(require_admin)])

MAX_DOCUMENTS = 500


class _CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class DocumentIn(_CamelModel):
    name: str = Field(min_length=1, max_length=300)
    content: str

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class TrainingIn(_CamelModel):
    source: str = Field(min_length=1, max_length=200)
    documents: list[DocumentIn] = Field(min_length=1, max_length=MAX_DOCUMENTS)

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class TrainingAccepted(_CamelModel):
    training_id: int


class TrainingOut(_CamelModel):
    training_id: int
    agent_id: str
    source: str
    status: str
    data_count: int | None
    error: str | None
    created_at: Timestamp
    finished_at: Timestamp | None


def training_out(training: Training) -> TrainingOut:
    return TrainingOut(
        training_id=training.id,
        agent_id=training.agent_id,
        source=training.source,
        status=training.status,
        data_count=training.data_count,
        error=training.error,
        created_at=training.created_at,
        finished_at=training.finished_at,
    )


def chunk_documents(documents: list[dict[str, str]]) -> list[Chunk]:
    """Every document's chunks; raises UnusableDocument for the first one that cannot be used."""
    chunks: list[Chunk] = []
    names = [d["name"] for d in documents]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UnusableDocument(f"document names must be unique; repeated: {', '.join(duplicates)}")
    for document in documents:
        found = chunk_document(document["name"], document["content"])
        if not found:
            raise UnusableDocument(f"document {document['name']!r} has no usable text")
        chunks.extend(found)
    return chunks


def store_chunks(
    session: Session, training: Training, chunks: list[Chunk], *, raise_event: bool = True
) -> None:
    """Replace the agent's chunks from `training.source` and mark the training completed."""
    now = utcnow()
    session.execute(
        delete(KnowledgeChunk).where(
            KnowledgeChunk.agent_id == training.agent_id,
            KnowledgeChunk.source == training.source,
        )
    )
    session.add_all(
        KnowledgeChunk(
            agent_id=training.agent_id,
            training_id=training.id,
            source=training.source,
            document=chunk.document,
            text=chunk.text,
        )
        for chunk in chunks
    )
    training.status = "completed"
    training.data_count = len(chunks)
    training.finished_at = now
    training.documents = None
    if raise_event:
        enqueue(
            session,
            "training.completed",
            TrainingCompletedData(
                training_id=training.id,
                agent_id=training.agent_id,
                source=training.source,
                data_count=len(chunks),
                completed_at=now,
            ),
        )


def fail_training(session: Session, training: Training, error: str) -> None:
    now = utcnow()
    training.status = "failed"
    training.error = error
    training.finished_at = now
    training.documents = None
    enqueue(
        session,
        "training.failed",
        TrainingFailedData(
            training_id=training.id,
            agent_id=training.agent_id,
            source=training.source,
            error=error,
            failed_at=now,
        ),
    )


class TrainingRunner:
    """A worker thread that processes trainings one at a time, in the order they arrived."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def submit(self, training_id: int) -> None:
        self._queue.put(training_id)

    def start(self) -> None:
        with self._sessions() as session:
            pending = session.scalars(
                select(Training.id)
                .where(Training.status.in_(("pending", "running")))
                .order_by(Training.id)
            ).all()
        for training_id in pending:
            self._queue.put(training_id)
        self._thread = threading.Thread(target=self._work, name="training", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _work(self) -> None:
        while (training_id := self._queue.get()) is not None:
            try:
                self.process(training_id)
            except Exception:
                log.exception("training %s crashed", training_id)

    def process(self, training_id: int) -> None:
        # Claim it: a training submitted twice (resumed after a restart, say) runs once.
        with transaction(self._sessions) as session:
            claimed = session.execute(
                update(Training)
                .where(Training.id == training_id, Training.status.in_(("pending", "running")))
                .values(status="running")
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return
            training = session.get_one(Training, training_id)
            documents = list(training.documents or [])
        try:
            chunks = chunk_documents(documents)
            error = None
        except UnusableDocument as exc:
            chunks, error = [], exc.reason
        except Exception as exc:
            log.exception("training %s could not be processed", training_id)
            chunks, error = [], f"internal error while processing the documents: {exc}"
        with transaction(self._sessions) as session:
            training = session.get_one(Training, training_id)
            if error is None:
                store_chunks(session, training, chunks)
            else:
                fail_training(session, training, error)


def get_trainer(request: Request) -> TrainingRunner:
    runner: TrainingRunner = request.app.state.trainer
    return runner


TrainingRunnerDep = Annotated[TrainingRunner, Depends(get_trainer)]
AgentId = Annotated[str, Path(max_length=64)]


class TrainingList(_CamelModel):
    trainings: list[TrainingOut]


@router.post("/{agent_id}/training", status_code=202, response_model=TrainingAccepted)
def start_training(
    agent_id: AgentId, body: TrainingIn, sessions: SessionsDep, runner: TrainingRunnerDep
) -> TrainingAccepted:
    with transaction(sessions) as session:
        if session.get(Agent, agent_id) is None:
            raise ApiError(404, "not_found", f"No agent {agent_id!r}.")
        training = Training(
            agent_id=agent_id,
            source=body.source,
            status="pending",
            documents=[d.model_dump() for d in body.documents],
        )
        session.add(training)
        session.flush()
        training_id = training.id
    runner.submit(training_id)
    return TrainingAccepted(training_id=training_id)


@router.get("/{agent_id}/training/{training_id}", response_model=TrainingOut)
def get_training(agent_id: AgentId, training_id: int, sessions: SessionsDep) -> TrainingOut:
    with sessions() as session:
        training = session.get(Training, training_id)
        if training is None or training.agent_id != agent_id:
            raise ApiError(404, "not_found", f"No training {training_id} for agent {agent_id!r}.")
        return training_out(training)


@router.get("/{agent_id}/training", response_model=TrainingList)
def list_trainings(agent_id: AgentId, sessions: SessionsDep) -> TrainingList:
    with sessions() as session:
        if session.get(Agent, agent_id) is None:
            raise ApiError(404, "not_found", f"No agent {agent_id!r}.")
        trainings = session.scalars(
            select(Training).where(Training.agent_id == agent_id).order_by(Training.id.desc())
        ).all()
        return TrainingList(trainings=[training_out(t) for t in trainings])
