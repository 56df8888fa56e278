"""Training: an agent's documents become knowledge chunks, in the background.

`POST /v1/agents/{agentId}/training` stores the documents (text, or a PDF's or .docx's bytes in
base64), or a website's URL, with a pending Training row and answers 202 at once (a malformed body,
too many documents or a website on a refused address gets a 422 before that; see
`widget.server.agents.training_schemas`). A training worker
(`widget.server.agents.training_jobs`, beside the delivery worker) then claims it and turns it into
chunks (`widget.server.agents.training`).
On success one transaction replaces the documents of the same names this agent got earlier in the
same `source` (its other documents stay; a website's training replaces its whole source), marks
the training completed and raises `training.completed` (dataCount = the number of chunks, or of
pages for a website). If any document is unusable, nothing is stored and `training.failed` names
each one and why. While it runs, `GET` shows its progress (files or pages done of total). Pending
trainings are picked up again after a restart, because the documents wait in the database.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy import select

from widget.server.agents.tables import Agent, Training
from widget.server.agents.training_schemas import (
    SkippedPage,
    TrainingAccepted,
    TrainingIn,
    TrainingOut,
    TrainingProgress,
)
from widget.server.agents.training_wakeups import wake_training_workers
from widget.server.core.api_models import ApiModel
from widget.server.core.db import transaction, writer_turn
from widget.server.core.deps import SessionsDep, SettingsDep, require_admin
from widget.server.core.errors import ADMIN_ERRORS, ApiError
from widget.server.core.notify import TRAINING_CHANNEL, notify
from widget.server.core.params import TrainingIdPath
from widget.server.webhooks.ssrf import (
    CRAWL_SWITCH,
    ResolverDep,
    UnsafeDestinationError,
    check_destination,
)

router = APIRouter(
    prefix="/v1/agents",
    tags=["training"],
    dependencies=[Depends(require_admin)],
    responses=ADMIN_ERRORS,
)


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
        url=training.url,
        progress=(
            TrainingProgress(done=training.progress_done or 0, total=training.progress_total)
            if training.progress_total is not None
            else None
        ),
        skipped=[SkippedPage(url=url, reason=why) for url, why in training.skipped or []],
    )


AgentId = Annotated[str, Path(max_length=64)]


class TrainingList(ApiModel):
    data: list[TrainingOut]


@router.post("/{agent_id}/training", status_code=202, response_model=TrainingAccepted)
def start_training(
    agent_id: AgentId,
    body: TrainingIn,
    sessions: SessionsDep,
    settings: SettingsDep,
    resolver: ResolverDep,
) -> TrainingAccepted:
    documents = body.documents or []
    if len(documents) > settings.training_max_documents:
        raise ApiError(
            422,
            "invalid_request",
            f"documents: a training holds at most {settings.training_max_documents} documents "
            f"(WIDGET_TRAINING_MAX_DOCUMENTS); this one has {len(documents)}",
        )
    url = body.url.strip() if body.url is not None else None
    if url is not None:
        try:
            # Checked again on every request of the crawl: this is for a clear answer now.
            check_destination(
                url,
                allow_private=settings.crawl_allow_private,
                resolver=resolver,
                switch=CRAWL_SWITCH,
            )
        except UnsafeDestinationError as exc:
            raise ApiError(422, "invalid_request", f"url: {exc}") from exc
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
            documents=[d.stored() for d in documents] if url is None else None,
            url=url,
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
