"""First start: the demo agent `ag_demo`, embeddable from any origin, with its product documents.

It is seeded once per database: a `SeedRecord` remembers it, so a demo agent the owner deleted
stays deleted across restarts (a database from before the record existed gets it at start).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from widget.agent.demo import DEMO_AGENT, DEMO_DOCUMENTS
from widget.agent.ingest import Document, chunk_documents
from widget.server.agents.tables import Agent, SeedRecord, Training
from widget.server.agents.training import store_chunks
from widget.server.core.db import transaction

DEMO_SOURCE = "demo"


def seed_demo(sessions: sessionmaker[Session]) -> bool:
    """Create the demo agent unless this database had it once; True if it was created now.

    No webhook events: nobody can have subscribed before the server's first start.
    """
    with sessions() as session:
        if session.get(SeedRecord, DEMO_AGENT.agent_id) is not None:
            return False
        exists = session.get(Agent, DEMO_AGENT.agent_id) is not None
    if exists:
        try:
            with transaction(sessions) as session:
                session.add(SeedRecord(name=DEMO_AGENT.agent_id))
        except IntegrityError:
            pass  # another process recorded it first
        return False
    chunks = chunk_documents([Document(name, content) for name, content in DEMO_DOCUMENTS])
    try:
        with transaction(sessions) as session:
            session.add(SeedRecord(name=DEMO_AGENT.agent_id))
            session.add(
                Agent(
                    id=DEMO_AGENT.agent_id,
                    name=DEMO_AGENT.name,
                    prompt=DEMO_AGENT.prompt,
                    welcome_message=DEMO_AGENT.welcome_message,
                    allowed_origins=["*"],
                )
            )
            session.flush()
            training = Training(agent_id=DEMO_AGENT.agent_id, source=DEMO_SOURCE, status="running")
            session.add(training)
            session.flush()
            store_chunks(session, training, chunks, raise_event=False)
    except IntegrityError:
        # Another process seeded it first.
        return False
    return True
