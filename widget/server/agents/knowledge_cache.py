"""One in-memory `KnowledgeIndex` per agent, rebuilt when that agent's stored chunks change.

The check is one cheap query (chunk count and highest chunk id): a training replaces chunks by
deleting and inserting, which always changes one of the two, even when done by another process.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from widget.agent.knowledge import Chunk, KnowledgeIndex
from widget.server.agents.tables import KnowledgeChunk

_Version = tuple[int, int | None]


class KnowledgeCache:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()
        self._indexes: dict[str, tuple[_Version, KnowledgeIndex]] = {}

    def get(self, agent_id: str) -> KnowledgeIndex:
        """The agent's index (blocking: call it from a worker thread in async code)."""
        with self._sessions() as session:
            count, max_id = session.execute(
                select(func.count(KnowledgeChunk.id), func.max(KnowledgeChunk.id)).where(
                    KnowledgeChunk.agent_id == agent_id
                )
            ).one()
            version: _Version = (int(count), max_id)
            with self._lock:
                cached = self._indexes.get(agent_id)
            if cached is not None and cached[0] == version:
                return cached[1]
            rows = session.execute(
                select(KnowledgeChunk.document, KnowledgeChunk.text)
                .where(KnowledgeChunk.agent_id == agent_id)
                .order_by(KnowledgeChunk.id)
            ).all()
        index = KnowledgeIndex([Chunk(document=doc, text=text) for doc, text in rows])
        with self._lock:
            self._indexes[agent_id] = (version, index)
        return index
