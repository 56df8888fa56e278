"""One in-memory `KnowledgeIndex` per agent, rebuilt when that agent's stored chunks change.

The check on every use is one cheap query: the agent's `knowledge_generation`, which every change
to its chunks raises in the same transaction (training, deleting a source or a document), so a
change made by any process is seen by every process at its next answer. The chunk count and
highest chunk id are compared too, for chunks written by code that predates the stamp.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from widget.agent.knowledge import Chunk, KnowledgeIndex
from widget.server.agents.tables import Agent, KnowledgeChunk

_Version = tuple[int, int, int | None]


class KnowledgeCache:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()
        self._indexes: dict[str, tuple[_Version, KnowledgeIndex]] = {}

    def get(self, agent_id: str) -> KnowledgeIndex:
        """The agent's index (blocking: call it from a worker thread in async code)."""
        with self._sessions() as session:
            generation = session.scalar(
                select(Agent.knowledge_generation).where(Agent.id == agent_id)
            )
            count, max_id = session.execute(
                select(func.count(KnowledgeChunk.id), func.max(KnowledgeChunk.id)).where(
                    KnowledgeChunk.agent_id == agent_id
                )
            ).one()
            version: _Version = (generation or 0, int(count), max_id)
            with self._lock:
                cached = self._indexes.get(agent_id)
            if cached is not None and cached[0] == version:
                return cached[1]
            rows = session.execute(
                select(
                    KnowledgeChunk.document,
                    KnowledgeChunk.text,
                    KnowledgeChunk.language,
                    KnowledgeChunk.url,
                    KnowledgeChunk.title,
                )
                .where(KnowledgeChunk.agent_id == agent_id)
                .order_by(KnowledgeChunk.id)
            ).all()
        index = KnowledgeIndex(
            [
                Chunk(document=doc, text=text, language=language, url=url, title=title)
                for doc, text, language, url, title in rows
            ]
        )
        with self._lock:
            self._indexes[agent_id] = (version, index)
        return index

    def forget(self, agent_id: str) -> None:
        """Drop a deleted agent's index from this process's memory."""
        with self._lock:
            self._indexes.pop(agent_id, None)
