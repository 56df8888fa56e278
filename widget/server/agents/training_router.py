"""Training: an agent's documents become knowledge chunks, in the background.

`POST /v1/agents/{agentId}/training` stores the documents with a pending Training row and answers
202 at once (text that is not valid Unicode is refused with 422 before that). A training worker
(`widget.server.agents.training_jobs`, beside the delivery worker) then claims it and turns it into
chunks (`widget.server.agents.training`).
On success one transaction replaces the documents of the same names this agent got earlier in the
same `source` (its other documents stay), marks the training completed and raises
`training.completed` (dataCount = the number of chunks). If any
document is unusable, nothing is stored and `training.failed` says which document and why. Pending
trainings are picked up again after a restart, because the documents wait in the database.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import Field, field_validator
from sqlalchemy import select

from widget.server.agents.tables import Agent, Training
from widget.server.agents.training_wakeups import wake_training_workers
from widget.server.core.api_models import NOT_BLANK, ApiModel, RequestModel, Timestamp, is_blank
from widget.server.core.db import transaction, writer_turn
from widget.server.core.deps import SessionsDep, SettingsDep, require_admin
from widget.server.core.errors import ADMIN_ERRORS, ApiError
from widget.server.core.notify import TRAINING_CHANNEL, notify
from widget.server.core.params import TrainingIdPath

router = APIRouter(
    prefix="/v1/agents",
    tags=["training"],
    dependencies=[Depends(require_admin)],
    responses=ADMIN_ERRORS,
)

MAX_DOCUMENTS = 500


class DocumentIn(RequestModel):
    name: str = Field(min_length=1, max_length=300, json_schema_extra={"pattern": NOT_BLANK})
    content: str

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if is_blank(value):
            raise ValueError("must not be blank")
        return value


class TrainingIn(RequestModel):
    source: str = Field(min_length=1, max_length=200, json_schema_extra={"pattern": NOT_BLANK})
    documents: list[DocumentIn] = Field(min_length=1, max_length=MAX_DOCUMENTS)

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, value: str) -> str:
        if is_blank(value):
            raise ValueError("must not be blank")
        return value


class TrainingAccepted(ApiModel):
    training_id: int


class TrainingOut(ApiModel):
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


AgentId = Annotated[str, Path(max_length=64)]


class TrainingList(ApiModel):
    data: list[TrainingOut]


@router.post("/{agent_id}/training", status_code=202, response_model=TrainingAccepted)
def start_training(
    agent_id: AgentId, body: TrainingIn, sessions: SessionsDep, settings: SettingsDep
) -> TrainingAccepted:
    with (
        writer_turn(settings.database_busy_timeout, sessions=sessions),
        transaction(sessions) as session,
    ):
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
        notify(session, TRAINING_CHANNEL)  # the training workers of every process
    wake_training_workers()
    return TrainingAccepted(training_id=training_id)


@router.get("/{agent_id}/training/{training_id}", response_model=TrainingOut)
def get_training(
    agent_id: AgentId, training_id: TrainingIdPath, sessions: SessionsDep
) -> TrainingOut:
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
        return TrainingList(data=[training_out(t) for t in trainings])
