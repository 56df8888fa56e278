"""The CRM integration admin API's request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from widget.server.core.api_models import (
    HTTP_URL,
    NOT_BLANK,
    ApiModel,
    RequestModel,
    Timestamp,
    is_blank,
)
from widget.server.crm.actions import DEFAULT_BASE_URLS
from widget.server.crm.tables import CrmIntegration

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


class IntegrationOut(ApiModel):
    """An integration as shown: its API token masked (it is write-only)."""

    agent_id: str
    provider: str
    api_token: str
    base_url: str
    created_at: Timestamp
    updated_at: Timestamp


def integration_out(integration: CrmIntegration) -> IntegrationOut:
    return IntegrationOut(
        agent_id=integration.agent_id,
        provider=integration.provider,
        api_token=mask_token(integration.api_token),
        base_url=integration.base_url or DEFAULT_BASE_URLS[integration.provider],
        created_at=integration.created_at,
        updated_at=integration.updated_at,
    )


class IntegrationList(ApiModel):
    data: list[IntegrationOut]
