"""Deleting an agent and everything that hangs on it.

One transaction removes its conversations with their messages and leads (as an erasure does:
`widget.server.leads.erasure`), its CRM actions and integrations, its knowledge chunks and
trainings, and the agent; every webhook delivery about it not yet sent is cancelled. The demo
agent may be deleted too: it is seeded only on a database's first start (`seed`).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from widget.server.agents.tables import Agent, KnowledgeChunk, Training
from widget.server.chat.tables import Conversation
from widget.server.core.api_models import ApiModel
from widget.server.crm.tables import CrmAction, CrmIntegration
from widget.server.leads.erasure import erase_conversations
from widget.server.leads.tables import Lead
from widget.server.webhooks.cancellation import cancel_events
from widget.server.webhooks.outbox import OutboxEvent


class AgentDeleted(ApiModel):
    """What deleting the agent removed (deliveries: cancelled)."""

    agent_id: str
    conversations: int
    messages: int
    leads: int
    chunks: int
    trainings: int
    integrations: int
    crm_actions: int
    deliveries_cancelled: int


def _count(result: object) -> int:
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_agent(session: Session, agent_id: str) -> AgentDeleted | None:
    """Delete the agent in the caller's transaction; None when there is no such agent."""
    if session.get(Agent, agent_id) is None:
        return None
    reason = f"erased: the owner deleted agent {agent_id}"
    conversation_ids = list(
        session.scalars(select(Conversation.id).where(Conversation.agent_id == agent_id))
    )
    erased = erase_conversations(session, conversation_ids, reason)
    # Events about the agent itself (agent.updated, training.*): not sent once it is gone.
    cancelled = cancel_events(session, OutboxEvent.agent_id == agent_id, reason, erase_bodies=False)
    crm_actions = _count(session.execute(delete(CrmAction).where(CrmAction.agent_id == agent_id)))
    leads = _count(session.execute(delete(Lead).where(Lead.agent_id == agent_id)))
    integrations = _count(
        session.execute(delete(CrmIntegration).where(CrmIntegration.agent_id == agent_id))
    )
    chunks = _count(
        session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.agent_id == agent_id))
    )
    trainings = _count(session.execute(delete(Training).where(Training.agent_id == agent_id)))
    session.execute(delete(Agent).where(Agent.id == agent_id))
    return AgentDeleted(
        agent_id=agent_id,
        conversations=erased.conversations,
        messages=erased.messages,
        leads=erased.leads + leads,
        chunks=chunks,
        trainings=trainings,
        integrations=integrations,
        crm_actions=erased.crm_actions + crm_actions,
        deliveries_cancelled=erased.deliveries_cancelled + cancelled,
    )
