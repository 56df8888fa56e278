"""Admin API for an agent's CRM integrations (Bearer admin key).

`PUT /v1/agents/{agentId}/integrations/{hubspot|pipedrive}` `{"apiToken", "baseUrl"?}` sets one
up (201 when new, 200 when replaced); `GET` lists or shows them with the token masked (it is
write-only); `DELETE` removes one. After each `lead.captured` of the agent, every configured CRM
gets the lead and an `ai-action.completed` or `ai-action.failed` webhook event follows (see
`widget.server.crm.actions`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from widget.server.agents.tables import Agent
from widget.server.core.db import transaction, utcnow
from widget.server.core.deps import SessionsDep, SettingsDep, require_admin
from widget.server.core.errors import ADMIN_ERRORS, ApiError
from widget.server.crm.schemas import (
    IntegrationBody,
    IntegrationList,
    IntegrationOut,
    Provider,
    integration_out,
)
from widget.server.crm.tables import CrmIntegration
from widget.server.webhooks.ssrf import ResolverDep, UnsafeDestinationError, check_destination

router = APIRouter(
    prefix="/v1/agents/{agent_id}/integrations",
    tags=["integrations"],
    dependencies=[Depends(require_admin)],
    responses=ADMIN_ERRORS,
)


def _agent(session: Session, agent_id: str) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise ApiError(404, "not_found", f"No agent has the id {agent_id!r}.")
    return agent


def _find(session: Session, agent_id: str, provider: str) -> CrmIntegration | None:
    return session.scalar(
        select(CrmIntegration).where(
            CrmIntegration.agent_id == agent_id, CrmIntegration.provider == provider
        )
    )


@router.get("", response_model=IntegrationList)
def list_integrations(agent_id: str, sessions: SessionsDep) -> IntegrationList:
    with transaction(sessions) as session:
        _agent(session, agent_id)
        rows = session.scalars(
            select(CrmIntegration)
            .where(CrmIntegration.agent_id == agent_id)
            .order_by(CrmIntegration.provider)
        )
        return IntegrationList(data=[integration_out(i) for i in rows])


@router.put(
    "/{provider}",
    response_model=IntegrationOut,
    responses={
        200: {"description": "The integration was replaced"},
        201: {"model": IntegrationOut, "description": "The integration was created"},
    },
)
def put_integration(
    agent_id: str,
    provider: Provider,
    body: IntegrationBody,
    settings: SettingsDep,
    sessions: SessionsDep,
    resolver: ResolverDep,
    response: Response,
) -> IntegrationOut:
    base_url = None
    if body.base_url is not None:
        try:
            check_destination(
                body.base_url.strip(),
                allow_private=settings.webhook_allow_private,
                resolver=resolver,
            )
        except UnsafeDestinationError as exc:
            raise ApiError(422, "invalid_request", f"baseUrl: {exc}") from exc
        base_url = body.base_url.strip().rstrip("/")
    with transaction(sessions) as session:
        _agent(session, agent_id)
        integration = _find(session, agent_id, provider)
        now = utcnow()
        if integration is None:
            integration = CrmIntegration(agent_id=agent_id, provider=provider, created_at=now)
            session.add(integration)
            response.status_code = 201
        integration.api_token = body.api_token.strip()
        integration.base_url = base_url
        integration.updated_at = now
        session.flush()
        return integration_out(integration)


@router.get("/{provider}", response_model=IntegrationOut)
def show_integration(agent_id: str, provider: Provider, sessions: SessionsDep) -> IntegrationOut:
    with transaction(sessions) as session:
        _agent(session, agent_id)
        integration = _find(session, agent_id, provider)
        if integration is None:
            raise ApiError(404, "not_found", f"Agent {agent_id!r} has no {provider} integration.")
        return integration_out(integration)


@router.delete("/{provider}", status_code=204)
def delete_integration(agent_id: str, provider: Provider, sessions: SessionsDep) -> Response:
    with transaction(sessions) as session:
        _agent(session, agent_id)
        integration = _find(session, agent_id, provider)
        if integration is None:
            raise ApiError(404, "not_found", f"Agent {agent_id!r} has no {provider} integration.")
        session.delete(integration)
    return Response(status_code=204)
