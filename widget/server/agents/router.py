"""Admin API for agents: read, create, change (`agent.updated` names what changed) and delete them
(with everything that hangs on them: `widget.server.agents.deletion`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field, field_validator
from sqlalchemy import select

from widget.agent.leads import PHONE_REGION_CODES, is_phone_region
from widget.contracts.locales import Locale
from widget.events import AgentUpdatedData
from widget.server.agents.deletion import AgentDeleted, delete_agent
from widget.server.agents.knowledge_cache import KnowledgeCache
from widget.server.agents.tables import Agent
from widget.server.agents.theme import HEX_COLOR, LAUNCHER_LABEL_MAX, Scheme, Side, merged_theme
from widget.server.chat.identity import identity_secret, new_identity_secret
from widget.server.chat.modes import handoff_timeout
from widget.server.core.api_models import (
    NOT_BLANK,
    ApiModel,
    RequestModel,
    Timestamp,
    is_blank,
    not_null,
)
from widget.server.core.db import transaction, utcnow, writer_turn
from widget.server.core.deps import SessionsDep, SettingsDep, require_admin
from widget.server.core.errors import ADMIN_ERRORS, ApiError
from widget.server.core.ids import new_id
from widget.server.core.origins import ORIGIN_PATTERN, normalize_origins
from widget.server.webhooks.outbox import enqueue

router = APIRouter(
    prefix="/v1/agents",
    tags=["agents"],
    dependencies=[Depends(require_admin)],
    responses=ADMIN_ERRORS,
)

DEFAULT_PROMPT = (
    "You are a helpful assistant on this website. Answer from the training documents; when a "
    "visitor wants to be contacted, ask for their email address."
)
DEFAULT_WELCOME = "Hi! How can I help you today?"

Name = Annotated[str, Field(min_length=1, max_length=200, json_schema_extra={"pattern": NOT_BLANK})]
Prompt = Annotated[str, Field(max_length=20_000)]
Welcome = Annotated[str, Field(max_length=2_000)]
# The welcome per supported locale ({"de": "Hallo!"}): each one a visible text.
WelcomeText = Annotated[
    str, Field(min_length=1, max_length=2_000, json_schema_extra={"pattern": NOT_BLANK})
]
WelcomeMessages = Annotated[
    dict[Locale, WelcomeText],
    Field(description='The welcome per locale, e.g. {"de": "Hallo!"}; welcomeMessage for others'),
]
# Days a conversation (and its lead) is kept after its last activity; null: kept until deleted.
RetentionDays = Annotated[int, Field(ge=1, le=36_500)] | None
# Every country phone numbers are known for, as the schema's enum (either case).
PHONE_REGIONS = sorted(PHONE_REGION_CODES | {code.lower() for code in PHONE_REGION_CODES})
PhoneRegion = (
    Annotated[str, Field(json_schema_extra={"enum": PHONE_REGIONS}, description='"DE", "US"')]
    | None
)
# Seconds a visitor waits for a person before the nobody-there notice.
HandoffTimeout = Annotated[int, Field(ge=10, le=86_400)]
Origins = Annotated[
    list[Annotated[str, Field(json_schema_extra={"pattern": ORIGIN_PATTERN})]],
    Field(max_length=100),
]


def _check_name(value: str) -> str:
    if is_blank(value):
        raise ValueError("must not be blank")
    return value.strip()


def _check_region(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str) or not is_phone_region(value):
        raise ValueError(
            "must be a two-letter country code phone numbers are known for (DE, US, FR), "
            "or null for the server's default"
        )
    return value.upper()


def _check_welcomes(value: dict[str, str]) -> dict[str, str]:
    blank = sorted(locale for locale, text in value.items() if is_blank(text))
    if blank:
        raise ValueError(f"the welcome for {', '.join(blank)} must not be blank")
    return value


def _check_days(value: Any) -> Any:
    # A JSON number (2.0 is the integer 2, as JSON Schema has it), never a string of digits.
    if isinstance(value, str | bool):
        raise ValueError("must be a whole number of days (1 or more), or null for no retention")
    return value


def _check_seconds(value: Any) -> Any:
    if isinstance(value, str | bool):
        raise ValueError("must be a whole number of seconds, from 10 to 86400")
    return value


class ThemeOut(ApiModel):
    """The widget's look; the tag's data-color, data-side, data-launcher-label, data-scheme win."""

    color: str
    side: Side
    launcher_label: str
    scheme: Scheme


class ThemeIn(RequestModel):
    """Any of the theme's fields; those left out keep their value."""

    color: str | None = Field(
        default=None, pattern=HEX_COLOR, json_schema_extra=not_null, description="#rrggbb"
    )
    side: Side | None = Field(default=None, json_schema_extra=not_null)
    launcher_label: str | None = Field(
        default=None, max_length=LAUNCHER_LABEL_MAX, json_schema_extra=not_null
    )
    scheme: Scheme | None = Field(default=None, json_schema_extra=not_null)

    @field_validator("color", "side", "launcher_label", "scheme", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null; leave the field out to keep its value")
        return value


class AgentOut(ApiModel):
    agent_id: str
    name: str
    prompt: str
    welcome_message: str
    welcome_messages: dict[Locale, str]
    allowed_origins: list[str]
    allow_unverified_identity: bool
    retention_days: int | None
    phone_region: str | None
    theme: ThemeOut
    # Seconds a visitor waits for a person before "Nobody is available right now" (10-86400).
    handoff_timeout_seconds: int
    created_at: Timestamp
    updated_at: Timestamp


class IdentitySecretOut(ApiModel):
    """What the host page's backend signs userIds with: hex HMAC-SHA256(identitySecret, userId)."""

    agent_id: str
    identity_secret: str


class AgentList(ApiModel):
    data: list[AgentOut]


class AgentCreateIn(RequestModel):
    name: Name
    prompt: Prompt = DEFAULT_PROMPT
    welcome_message: Welcome = DEFAULT_WELCOME
    welcome_messages: WelcomeMessages = Field(default_factory=dict)
    allowed_origins: Origins = Field(default_factory=list)
    retention_days: RetentionDays = None
    phone_region: PhoneRegion = None

    _name = field_validator("name")(_check_name)
    _welcomes = field_validator("welcome_messages")(_check_welcomes)
    _days = field_validator("retention_days", mode="before")(_check_days)
    _region = field_validator("phone_region", mode="before")(_check_region)

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return normalize_origins(value)


class AgentPatchIn(RequestModel):
    """Every field is optional; a field given as null is refused (there is nothing to unset),
    except `retentionDays`, where null turns retention off, and `phoneRegion`, where null means
    the server's default."""

    name: Name | None = Field(default=None, json_schema_extra=not_null)
    prompt: Prompt | None = Field(default=None, json_schema_extra=not_null)
    welcome_message: Welcome | None = Field(default=None, json_schema_extra=not_null)
    # The whole map: locales left out have no welcome of their own; {} removes them all.
    welcome_messages: WelcomeMessages | None = Field(default=None, json_schema_extra=not_null)
    allowed_origins: Origins | None = Field(default=None, json_schema_extra=not_null)
    allow_unverified_identity: bool | None = Field(default=None, json_schema_extra=not_null)
    retention_days: RetentionDays = None
    phone_region: PhoneRegion = None
    handoff_timeout_seconds: HandoffTimeout | None = Field(default=None, json_schema_extra=not_null)

    _timeout = field_validator("handoff_timeout_seconds", mode="before")(_check_seconds)
    _days = field_validator("retention_days", mode="before")(_check_days)
    _region = field_validator("phone_region", mode="before")(_check_region)
    theme: ThemeIn | None = Field(default=None, json_schema_extra=not_null)

    @field_validator(
        "name",
        "prompt",
        "welcome_message",
        "welcome_messages",
        "allowed_origins",
        "allow_unverified_identity",
        "theme",
        "handoff_timeout_seconds",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null; leave the field out to keep its value")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else _check_name(value)

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else normalize_origins(value)

    @field_validator("welcome_messages")
    @classmethod
    def _welcomes(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else _check_welcomes(value)


# The API's names for the model's columns, in the order `changes` lists them.
PATCHABLE = (
    ("name", "name"),
    ("prompt", "prompt"),
    ("welcome_message", "welcomeMessage"),
    ("welcome_messages", "welcomeMessages"),
    ("allowed_origins", "allowedOrigins"),
    ("allow_unverified_identity", "allowUnverifiedIdentity"),
    ("retention_days", "retentionDays"),
    ("phone_region", "phoneRegion"),
    ("theme", "theme"),
    ("handoff_timeout_seconds", "handoffTimeoutSeconds"),
)
# Fields where null is a value (off), not "leave it as it is".
NULLABLE = {"retention_days", "phone_region"}


def _stored_theme(agent: Agent) -> dict[str, str]:
    theme = merged_theme(agent.theme, {})
    return {key: str(value) for key, value in theme.items()}


def agent_out(agent: Agent) -> AgentOut:
    return AgentOut(
        agent_id=agent.id,
        name=agent.name,
        prompt=agent.prompt,
        welcome_message=agent.welcome_message,
        welcome_messages=dict(agent.welcome_messages or {}),
        allowed_origins=list(agent.allowed_origins),
        allow_unverified_identity=bool(agent.allow_unverified_identity),
        retention_days=agent.retention_days,
        phone_region=agent.phone_region,
        theme=ThemeOut.model_validate(_stored_theme(agent)),
        handoff_timeout_seconds=handoff_timeout(agent),
        created_at=agent.created_at,
        updated_at=agent.updated_at,
    )


AgentId = Annotated[str, Path(max_length=64)]


@router.get("", response_model=AgentList)
def list_agents(sessions: SessionsDep) -> AgentList:
    with sessions() as session:
        agents = session.scalars(select(Agent).order_by(Agent.created_at)).all()
        return AgentList(data=[agent_out(a) for a in agents])


@router.post("", status_code=201, response_model=AgentOut)
def create_agent(body: AgentCreateIn, sessions: SessionsDep) -> AgentOut:
    now = utcnow()
    with transaction(sessions) as session:
        agent = Agent(
            id=new_id("ag"),
            name=body.name,
            prompt=body.prompt,
            welcome_message=body.welcome_message,
            welcome_messages=dict(body.welcome_messages),
            allowed_origins=body.allowed_origins,
            retention_days=body.retention_days,
            phone_region=body.phone_region,
            created_at=now,
            updated_at=now,
        )
        session.add(agent)
        return agent_out(agent)


@router.get("/{agent_id}", response_model=AgentOut)
def get_agent(agent_id: AgentId, sessions: SessionsDep) -> AgentOut:
    with sessions() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise ApiError(404, "not_found", f"No agent {agent_id!r}.")
        return agent_out(agent)


@router.patch("/{agent_id}", response_model=AgentOut)
def patch_agent(agent_id: AgentId, body: AgentPatchIn, sessions: SessionsDep) -> AgentOut:
    with transaction(sessions) as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise ApiError(404, "not_found", f"No agent {agent_id!r}.")
        changes = []
        for attribute, api_name in PATCHABLE:
            value = getattr(body, attribute)
            given = attribute in body.model_fields_set
            if attribute in NULLABLE and not given:
                continue
            current = getattr(agent, attribute)
            if attribute == "allow_unverified_identity":
                current = bool(current)
            elif attribute == "handoff_timeout_seconds":
                current = handoff_timeout(agent)
            elif attribute == "welcome_messages":
                current = dict(current or {})
                value = None if value is None else dict(value)
            elif attribute == "theme":
                current = _stored_theme(agent)
                if value is not None:  # a partial theme: the fields given over the current ones
                    value = {**current, **value.model_dump(by_alias=True, exclude_none=True)}
            if (value is not None or attribute in NULLABLE) and value != current:
                setattr(agent, attribute, value)
                changes.append(api_name)
        if changes:
            agent.updated_at = utcnow()
            enqueue(
                session,
                "agent.updated",
                AgentUpdatedData(agent_id=agent.id, updated_at=agent.updated_at, changes=changes),
            )
        return agent_out(agent)


@router.get("/{agent_id}/identity-secret", response_model=IdentitySecretOut)
def get_identity_secret(agent_id: AgentId, sessions: SessionsDep) -> IdentitySecretOut:
    """The agent's identity secret for widget.identify(), made on first use."""
    with transaction(sessions) as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise ApiError(404, "not_found", f"No agent {agent_id!r}.")
        return IdentitySecretOut(agent_id=agent.id, identity_secret=identity_secret(agent))


@router.post("/{agent_id}/identity-secret", response_model=IdentitySecretOut)
def rotate_identity_secret(agent_id: AgentId, sessions: SessionsDep) -> IdentitySecretOut:
    """A new identity secret; userHashes made with the old one are refused from now on."""
    with transaction(sessions) as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise ApiError(404, "not_found", f"No agent {agent_id!r}.")
        agent.identity_secret = new_identity_secret()
        return IdentitySecretOut(agent_id=agent.id, identity_secret=agent.identity_secret)


@router.delete("/{agent_id}", response_model=AgentDeleted)
def remove_agent(
    agent_id: AgentId, request: Request, sessions: SessionsDep, settings: SettingsDep
) -> AgentDeleted:
    """Delete the agent and everything that hangs on it: conversations, messages, leads,
    knowledge, trainings, CRM integrations; its unsent webhook deliveries are cancelled. A second
    delete is a 404."""
    with (
        writer_turn(settings.database_busy_timeout, sessions=sessions),
        transaction(sessions) as session,
    ):
        deleted = delete_agent(session, agent_id)
    if deleted is None:
        raise ApiError(404, "not_found", f"No agent {agent_id!r}: it never existed or is deleted.")
    knowledge: KnowledgeCache = request.app.state.knowledge
    knowledge.forget(agent_id)
    return deleted
