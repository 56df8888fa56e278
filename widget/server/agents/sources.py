"""An agent's knowledge by source and document: list it, delete a source or one document.

A source is the `source` of the trainings that fed it; a document, a `name` trained in it.
Training a document again under the same name in the same source replaces that document
(`widget.server.agents.training.store_chunks`). Every change raises the agent's
`knowledge_generation` in its transaction (`bump_generation`), so every server process stops
answering from deleted knowledge at its next answer (`widget.server.agents.knowledge_cache`).
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from widget.server.agents.tables import Agent, KnowledgeChunk, Training
from widget.server.core.api_models import ApiModel, Timestamp


class DocumentOut(ApiModel):
    name: str
    chunk_count: int
    # The training that stored it, and when that training finished.
    training_id: int
    trained_at: Timestamp | None


class SourceOut(ApiModel):
    source: str
    chunk_count: int
    documents: list[DocumentOut]


class SourceList(ApiModel):
    data: list[SourceOut]


class KnowledgeDeleted(ApiModel):
    """What a delete removed."""

    documents: int
    chunks: int


def bump_generation(session: Session, agent_id: str) -> None:
    """Mark the agent's knowledge changed, in the caller's transaction."""
    session.execute(
        update(Agent)
        .where(Agent.id == agent_id)
        .values(knowledge_generation=func.coalesce(Agent.knowledge_generation, 0) + 1)
        .execution_options(synchronize_session=False)
    )


def list_sources(session: Session, agent_id: str) -> SourceList:
    rows = session.execute(
        select(
            KnowledgeChunk.source,
            KnowledgeChunk.document,
            func.count(KnowledgeChunk.id),
            func.max(KnowledgeChunk.training_id),
        )
        .where(KnowledgeChunk.agent_id == agent_id)
        .group_by(KnowledgeChunk.source, KnowledgeChunk.document)
        .order_by(KnowledgeChunk.source, KnowledgeChunk.document)
    ).all()
    training_ids = {training_id for *_, training_id in rows}
    finished = {
        training_id: finished_at
        for training_id, finished_at in session.execute(
            select(Training.id, Training.finished_at).where(Training.id.in_(training_ids))
        )
    }
    sources: dict[str, SourceOut] = {}
    for source, document, count, training_id in rows:
        entry = sources.setdefault(source, SourceOut(source=source, chunk_count=0, documents=[]))
        entry.chunk_count += count
        entry.documents.append(
            DocumentOut(
                name=document,
                chunk_count=count,
                training_id=training_id,
                trained_at=finished.get(training_id),
            )
        )
    return SourceList(data=list(sources.values()))


def delete_knowledge(
    session: Session, agent_id: str, source: str, document: str | None = None
) -> KnowledgeDeleted:
    """Delete a source (or one document of it); zero counts when there was none."""
    conditions = [KnowledgeChunk.agent_id == agent_id, KnowledgeChunk.source == source]
    if document is not None:
        conditions.append(KnowledgeChunk.document == document)
    documents = session.scalar(
        select(func.count(func.distinct(KnowledgeChunk.document))).where(*conditions)
    )
    chunks = session.execute(delete(KnowledgeChunk).where(*conditions))
    removed = KnowledgeDeleted(documents=documents or 0, chunks=int(chunks.rowcount))  # type: ignore[attr-defined]
    if removed.chunks:
        bump_generation(session, agent_id)
    return removed
