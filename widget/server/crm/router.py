"""Admin API for an agent's CRM integrations (Bearer admin key).

`PUT /v1/agents/{agentId}/integrations/{hubspot|pipedrive}` `{"apiToken", "baseUrl"?}` sets one
up (201 when new, 200 when replaced); `GET` lists or shows them with the token masked (it is
write-only); `DELETE` removes one. After each `lead.captured` of the agent, every configured CRM
gets the lead and an `ai-action.completed` or `ai-action.failed` webhook event follows (see
`widget.server.crm.actions`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from widget.server.agents.tables import Agent
from widget.server.core.api_models import HTTP_URL, NOT_BLANK, RequestModel, is_blank
from widget.server.core.db import transaction, utcnow
from widget.server.core.deps import SessionsDep, SettingsDep, require_admin
from widget.server.core.errors import ADMIN_ERRORS, ApiError
from widget.server.crm.actions import DEFAULT_BASE_URLS
from widget.server.crm.tables import CrmIntegration
from widget.server.webhooks.router import iso
from widget.server.webhooks.ssrf import ResolverDep, UnsafeDestinationError, check_destination

router = APIRouter(
    prefix="/v1/agents/{agent_id}/integrations",
    tags=["integrations"],
    dependencies=[Depends(require_admin)],
    responses=ADMIN_ERRORS,
)

Provider = Literal["hubspot", "pipedrive"]


class IntegrationBody(RequestModel):
    api_token: Annotated[
        str, Field(min_length=1, max_length=1000, json_schema_extra={"pattern": NOT_BLANK})
    ]
    base_url: (
        Annotated[
            str,
            Field(
                min_length=1,
                max_length=2048,
                json_schema_extra={"pattern": HTTP_URL},
            ),
        ]
        | None
    ) = None

    @field_validator("api_token")
    @classmethod
    def _token_not_blank(cls, value: str) -> str:
        if is_blank(value):
            raise ValueError("must not be blank")
        return value


def mask_token(token: str) -> str:
    return "••••" + (token[-4:] if len(token) >= 12 else "")


def integration_json(integration: CrmIntegration) -> dict[str, Any]:
    return {
        "agentId": integration.agent_id,
        "provider": integration.provider,
        "apiToken": mask_token(integration.api_token),
        "baseUrl": integration.base_url or DEFAULT_BASE_URLS[integration.provider],
        "createdAt": iso(integration.created_at),
        "updatedAt": iso(integration.updated_at),
    }


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


@router.get("")
def list_integrations(agent_id: str, sessions: SessionsDep) -> dict[str, Any]:
    with transaction(sessions) as session:
        _agent(session, agent_id)
        rows = session.scalars(
            select(CrmIntegration)
            .where(CrmIntegration.agent_id == agent_id)
            .order_by(CrmIntegration.provider)
        )
        return {"data": [integration_json(i) for i in rows]}


@router.put(
    "/{provider}",
    responses={
        201: {"description": "The integration was created (200: replaced)"},
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
) -> dict[str, Any]:
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
        return integration_json(integration)


@router.get("/{provider}")
def show_integration(agent_id: str, provider: Provider, sessions: SessionsDep) -> dict[str, Any]:
    with transaction(sessions) as session:
        _agent(session, agent_id)
        integration = _find(session, agent_id, provider)
        if integration is None:
            raise ApiError(404, "not_found", f"Agent {agent_id!r} has no {provider} integration.")
        return integration_json(integration)


@router.delete("/{provider}", status_code=204)
def delete_integration(agent_id: str, provider: Provider, sessions: SessionsDep) -> Response:
    with transaction(sessions) as session:
        _agent(session, agent_id)
        integration = _find(session, agent_id, provider)
        if integration is None:
            raise ApiError(404, "not_found", f"Agent {agent_id!r} has no {provider} integration.")
        session.delete(integration)
    return Response(status_code=204)
