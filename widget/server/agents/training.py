"""Training's service functions: store a training's chunks, or record why it failed.

Both run in the caller's transaction and raise the matching webhook event through the outbox. The
training worker (`widget.server.agents.training_jobs`) and the demo seed call them.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from widget.agent.knowledge import Chunk
from widget.events import TrainingCompletedData, TrainingFailedData
from widget.server.agents.sources import bump_generation
from widget.server.agents.tables import KnowledgeChunk, Training
from widget.server.core.db import utcnow
from widget.server.webhooks.outbox import enqueue


def store_chunks(
    session: Session,
    training: Training,
    chunks: list[Chunk],
    *,
    raise_event: bool = True,
    data_count: int | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> None:
    """Store the training's chunks and mark the training completed. They replace the documents of
    the same names in `training.source` (the source's other documents stay); a website's training
    (`training.url`) replaces the whole source, so pages gone from the site go from the agent too.
    `data_count` defaults to the number of chunks (a website's training counts pages)."""
    count = len(chunks) if data_count is None else data_count
    now = utcnow()
    # Stored names are cut to the column's 300 characters (a page's URL may be longer).
    names = sorted({chunk.document[:300] for chunk in chunks})
    if training.url is not None:
        session.execute(
            delete(KnowledgeChunk).where(
                KnowledgeChunk.agent_id == training.agent_id,
                KnowledgeChunk.source == training.source,
            )
        )
        names = []
    for start in range(0, len(names), 500):
        session.execute(
            delete(KnowledgeChunk).where(
                KnowledgeChunk.agent_id == training.agent_id,
                KnowledgeChunk.source == training.source,
                KnowledgeChunk.document.in_(names[start : start + 500]),
            )
        )
    bump_generation(session, training.agent_id)
    session.add_all(
        KnowledgeChunk(
            agent_id=training.agent_id,
            training_id=training.id,
            source=training.source,
            document=chunk.document[:300],  # `url` keeps a long page URL whole
            text=chunk.text,
            language=chunk.language,
            url=chunk.url,
            title=chunk.title[:300] if chunk.title else None,
        )
        for chunk in chunks
    )
    training.status = "completed"
    training.data_count = count
    training.skipped = [[url, why] for url, why in skipped] if skipped else None
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
                data_count=count,
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
