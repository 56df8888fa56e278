"""First start: the demo agent `ag_demo`, embeddable from any origin, with its product documents."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from widget.agent.demo import DEMO_AGENT, DEMO_DOCUMENTS
from widget.server.agents.tables import Agent, Training
from widget.server.agents.training import store_chunks
from widget.server.agents.training_chunks import chunk_documents
from widget.server.core.db import transaction

DEMO_SOURCE = "demo"


def seed_demo(sessions: sessionmaker[Session]) -> bool:
    """Create the demo agent unless it exists; True if it was created now.

    No webhook events: nobody can have subscribed before the server's first start.
    """
    with sessions() as session:
        if session.get(Agent, DEMO_AGENT.agent_id) is not None:
            return False
    chunks = chunk_documents([{"name": n, "content": c} for n, c in DEMO_DOCUMENTS])
    try:
        with transaction(sessions) as session:
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
