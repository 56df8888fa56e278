"""Admin API for an agent's knowledge by source and document (`widget.server.agents.sources`).

`GET /v1/agents/{agentId}/sources` lists them; `DELETE .../sources/{source}` and
`DELETE .../sources/{source}/documents/{name}` take knowledge out, and the agent stops answering
from it at once, in every server process. A delete of what is not there (any more) is a 404.
A document name may hold slashes ("docs/faq.md"): it is the rest of the path.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from widget.server.agents.sources import (
    KnowledgeDeleted,
    SourceList,
    delete_knowledge,
    list_sources,
)
from widget.server.agents.tables import Agent
from widget.server.core.db import transaction, writer_turn
from widget.server.core.deps import SessionsDep, SettingsDep, require_admin
from widget.server.core.errors import ADMIN_ERRORS, ApiError

router = APIRouter(
    prefix="/v1/agents",
    tags=["knowledge"],
    dependencies=[Depends(require_admin)],
    responses=ADMIN_ERRORS,
)

AgentId = Annotated[str, Path(max_length=64)]
Source = Annotated[str, Path(min_length=1, max_length=200)]
DocumentName = Annotated[str, Path(min_length=1, max_length=300)]


def _no_agent(agent_id: str) -> ApiError:
    return ApiError(404, "not_found", f"No agent {agent_id!r}.")


@router.get("/{agent_id}/sources", response_model=SourceList)
def get_sources(agent_id: AgentId, sessions: SessionsDep) -> SourceList:
    """Every source, and each of its documents with its chunk count and when it was trained."""
    with sessions() as session:
        if session.get(Agent, agent_id) is None:
            raise _no_agent(agent_id)
        return list_sources(session, agent_id)


# Declared before the source's own route, which would otherwise take ".../documents/..." as part
# of a source name.
@router.delete(
    "/{agent_id}/sources/{source}/documents/{name:path}", response_model=KnowledgeDeleted
)
def delete_document(
    agent_id: AgentId,
    source: Source,
    name: DocumentName,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> KnowledgeDeleted:
    """Take one document out of the agent's knowledge."""
    with (
        writer_turn(settings.database_busy_timeout, sessions=sessions),
        transaction(sessions) as session,
    ):
        if session.get(Agent, agent_id) is None:
            raise _no_agent(agent_id)
        removed = delete_knowledge(session, agent_id, source, name)
    if not removed.chunks:
        raise ApiError(
            404, "not_found", f"Agent {agent_id!r} has no document {name!r} in source {source!r}."
        )
    return removed


@router.delete("/{agent_id}/sources/{source}", response_model=KnowledgeDeleted)
def delete_source(
    agent_id: AgentId, source: Source, sessions: SessionsDep, settings: SettingsDep
) -> KnowledgeDeleted:
    """Take a whole source, every document of it, out of the agent's knowledge."""
    with (
        writer_turn(settings.database_busy_timeout, sessions=sessions),
        transaction(sessions) as session,
    ):
        if session.get(Agent, agent_id) is None:
            raise _no_agent(agent_id)
        removed = delete_knowledge(session, agent_id, source)
    if not removed.chunks:
        raise ApiError(404, "not_found", f"Agent {agent_id!r} has no source {source!r}.")
    return removed
