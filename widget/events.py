"""Every event the widget emits, as pydantic models: the one source of truth for names and fields.

Two families, each from its specification:
- client events (`widget.on(...)` on the host page): `CLIENT_EVENTS`, payloads built by
  `client_event_payload`;
- webhook events (signed POSTs to the owner's endpoints): `WEBHOOK_EVENTS`, bodies built by
  `webhook_body` and read back by `parse_webhook`.

Python names are snake_case; on the wire every field is camelCase, and timestamps are UTC with
milliseconds: "2026-02-24T12:00:00.000Z". Pure Python, so the browser (Pyodide) and the server
validate with the same models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_serializer,
)
from pydantic.alias_generators import to_camel

__all__ = [
    "ADDED_CLIENT_EVENT_DECLARATIONS",
    "CLIENT_EVENTS",
    "CLIENT_EVENT_DECLARATIONS",
    "CLIENT_EVENT_DESCRIPTIONS",
    "SPECIFIED_CLIENT_EVENT_DECLARATIONS",
    "WEBHOOK_EVENTS",
    "WEBHOOK_EVENT_DECLARATIONS",
    "WEBHOOK_EVENT_DESCRIPTIONS",
    "AgentUpdatedData",
    "AiActionCompletedData",
    "AiActionFailedData",
    "ClientEventName",
    "ConversationEndedData",
    "ConversationStarted",
    "ConversationStartedData",
    "EventDeclaration",
    "EventModel",
    "LeadCaptured",
    "LeadCapturedData",
    "MessageReceived",
    "MessageSent",
    "MessageSentData",
    "Timestamp",
    "TrainingCompletedData",
    "TrainingFailedData",
    "UnreadCountChanged",
    "WebhookData",
    "WebhookEnvelope",
    "WebhookEventName",
    "WidgetClosed",
    "WidgetOpened",
    "client_event_payload",
    "format_timestamp",
    "parse_webhook",
    "sample_data",
    "webhook_body",
]


def _as_utc(value: datetime) -> datetime:
    # A naive datetime means UTC: the server stores UTC throughout.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_timestamp(
    value: datetime, timespec: Literal["milliseconds", "seconds"] = "milliseconds"
) -> str:
    """The one way times are written: UTC, "Z", milliseconds as the specification writes them
    ("2026-02-24T12:00:00.000Z"); `timespec="seconds"` for text a person reads (a CSV cell)."""
    # isoformat ends in "+00:00" for UTC; the specification writes "Z".
    return _as_utc(value).isoformat(timespec=timespec)[:-6] + "Z"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or blank")
    return value


Timestamp = Annotated[
    datetime,
    AfterValidator(_as_utc),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]
"""A UTC datetime; JSON "2026-02-24T12:00:00.000Z". Validates ISO 8601 strings and datetimes."""

Identifier = Annotated[str, StringConstraints(min_length=1)]
NonBlankText = Annotated[str, AfterValidator(_not_blank)]


class EventModel(BaseModel):
    """Base of every event model: camelCase on the wire, snake_case in Python, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        # Catches typos in field names at the source instead of shipping a silently empty field.
        extra="forbid",
        frozen=True,
        # These modules load in the browser too, where building every schema at import is slow.
        defer_build=True,
    )


# --- Client events: the host page's `widget.on(name, callback)` ----------------------------------


class WidgetOpened(EventModel):
    pass


class WidgetClosed(EventModel):
    pass


# Field descriptions become the doc comments of site/widget.d.ts.


class ConversationStarted(EventModel):
    conversation_id: Annotated[Identifier, Field(description="The new conversation's id.")]


class MessageSent(EventModel):
    message: Annotated[NonBlankText, Field(description="The visitor's text as sent.")]
    conversation_id: Annotated[
        Identifier, Field(description="The conversation the message belongs to.")
    ]


class MessageReceived(EventModel):
    message: Annotated[str, Field(description="The agent's reply as shown.")]
    conversation_id: Annotated[
        Identifier, Field(description="The conversation the reply belongs to.")
    ]


class LeadCaptured(EventModel):
    conversation_id: Annotated[
        Identifier, Field(description="The conversation in which the lead was captured.")
    ]


class UnreadCountChanged(EventModel):
    count: Annotated[
        int,
        Field(
            ge=0,
            description="Agent replies that arrived while the panel was closed; 0 once it opens.",
        ),
    ]


ClientEventName = Literal[
    "widget_opened",
    "widget_closed",
    "conversation_started",
    "message_sent",
    "message_received",
    "lead_captured",
    "unread_count_changed",
]


@dataclass(frozen=True)
class EventDeclaration:
    """One event, declared once: its name, its payload model, the specification's one-line
    description and (webhook events) the specification's example data, times left to the caller.
    Every registry below is derived from these declarations."""

    name: str
    model: type[BaseModel]
    description: str
    sample: Mapping[str, Any] = field(default_factory=dict)


# In the order of the specification's table (the seed: these six are the contract, unchanged); the
# shim's list of valid names is generated from these and the additions below.
SPECIFIED_CLIENT_EVENT_DECLARATIONS: Final[tuple[EventDeclaration, ...]] = (
    EventDeclaration("widget_opened", WidgetOpened, "The chat widget opens"),
    EventDeclaration("widget_closed", WidgetClosed, "The chat widget closes"),
    EventDeclaration(
        "conversation_started", ConversationStarted, "First message in a new conversation"
    ),
    EventDeclaration("message_sent", MessageSent, "User sends a message"),
    EventDeclaration("message_received", MessageReceived, "AI responds"),
    EventDeclaration("lead_captured", LeadCaptured, "AI captures a lead via the lead-capture tool"),
)
# Added after the specification, for host pages (issue 14); listed after the specified ones.
ADDED_CLIENT_EVENT_DECLARATIONS: Final[tuple[EventDeclaration, ...]] = (
    EventDeclaration(
        "unread_count_changed",
        UnreadCountChanged,
        "Agent replies arrive while the panel is closed, or the panel opens and clears them",
    ),
)
CLIENT_EVENT_DECLARATIONS: Final[tuple[EventDeclaration, ...]] = (
    SPECIFIED_CLIENT_EVENT_DECLARATIONS + ADDED_CLIENT_EVENT_DECLARATIONS
)
CLIENT_EVENTS: Final[dict[str, type[BaseModel]]] = {
    d.name: d.model for d in CLIENT_EVENT_DECLARATIONS
}
CLIENT_EVENT_DESCRIPTIONS: Final[dict[str, str]] = {
    d.name: d.description for d in CLIENT_EVENT_DECLARATIONS
}


def client_event_payload(
    name: str, data: BaseModel | None = None, /, **fields: Any
) -> dict[str, Any]:
    """Validate a client event and return its JSON-ready payload with camelCase keys.

    Pass either a model instance (`client_event_payload("lead_captured", LeadCaptured(...))`) or
    its fields by Python or JSON name (`client_event_payload("message_sent", message="Hi",
    conversation_id="conv_1")`). Raises ValueError for an unknown name, pydantic's ValidationError
    (a ValueError) for bad fields, and TypeError for a model of the wrong class.
    """
    model = CLIENT_EVENTS.get(name)
    if model is None:
        raise ValueError(f"unknown client event {name!r}; valid events: {', '.join(CLIENT_EVENTS)}")
    if data is None:
        data = model.model_validate(fields)
    elif fields:
        raise TypeError("pass either a model instance or fields, not both")
    elif type(data) is not model:
        raise TypeError(
            f"client event {name!r} takes a {model.__name__}, not a {type(data).__name__}"
        )
    return data.model_dump(mode="json")


# --- Webhook events: signed POSTs to the owner's endpoints ----------------------------------------


class IdentifiedUserData(EventModel):
    """`userId`: the verified user (`widget.identify()`) whose conversation this is. An addition
    to the specification's payloads: for an anonymous visitor the key is left out, so those
    payloads are exactly the specification's."""

    user_id: str | None = None

    @model_serializer(mode="wrap")
    def _without_an_anonymous_user(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if self.user_id is None and isinstance(data, dict):
            data.pop("userId", None)
            data.pop("user_id", None)
        return data


class LeadCapturedData(IdentifiedUserData):
    lead_id: Identifier
    agent_id: Identifier
    # A lead may lack any detail but its email: the keys stay, with null.
    name: str | None = None
    email: str
    phone: str | None = None
    company_name: str | None = None
    message: str | None = None
    created_at: Timestamp


class ConversationStartedData(IdentifiedUserData):
    conversation_id: Identifier
    agent_id: Identifier
    created_at: Timestamp


class ConversationEndedData(IdentifiedUserData):
    conversation_id: Identifier
    agent_id: Identifier
    ended_at: Timestamp


class MessageAuthor(EventModel):
    """Added beside the specified fields: who wrote a message. A person of the owner's team
    writes with role "assistant", as the agent does."""

    kind: Literal["agent", "person", "visitor"]
    name: str | None = None


class MessageSentData(IdentifiedUserData):
    message_id: Identifier
    conversation_id: Identifier
    agent_id: Identifier
    role: Literal["user", "assistant"]
    content: str
    created_at: Timestamp
    # Added (issue 16); left out of the body when unknown, so the specified shape stays exact.
    author: MessageAuthor | None = Field(default=None, exclude_if=lambda value: value is None)


class AgentUpdatedData(EventModel):
    agent_id: Identifier
    updated_at: Timestamp
    changes: list[str]


class AiActionCompletedData(EventModel):
    action_id: Identifier
    action_type: str
    agent_id: Identifier
    conversation_id: Identifier
    result: dict[str, Any]
    completed_at: Timestamp


class AiActionFailedData(EventModel):
    action_id: Identifier
    action_type: str
    agent_id: Identifier
    error: str
    failed_at: Timestamp
    # Not in the specification's example: an addition, so it is left out of the JSON when unknown.
    conversation_id: Identifier | None = Field(default=None, exclude_if=lambda value: value is None)


class TrainingCompletedData(EventModel):
    training_id: Annotated[int, Field(strict=True, ge=1)]
    agent_id: Identifier
    source: str
    status: Literal["completed"] = "completed"
    data_count: Annotated[int, Field(strict=True, ge=0)]
    completed_at: Timestamp


class TrainingFailedData(EventModel):
    training_id: Annotated[int, Field(strict=True, ge=1)]
    agent_id: Identifier
    source: str
    error: str
    failed_at: Timestamp


WebhookEventName = Literal[
    "lead.captured",
    "conversation.started",
    "conversation.ended",
    "message.sent",
    "agent.updated",
    "ai-action.completed",
    "ai-action.failed",
    "training.completed",
    "training.failed",
]

WebhookData = (
    LeadCapturedData
    | ConversationStartedData
    | ConversationEndedData
    | MessageSentData
    | AgentUpdatedData
    | AiActionCompletedData
    | AiActionFailedData
    | TrainingCompletedData
    | TrainingFailedData
)

# In the order of the specification's table; `sample` is the specification's example data, with
# "{now}" where a time goes (`sample_data`).
WEBHOOK_EVENT_DECLARATIONS: Final[tuple[EventDeclaration, ...]] = (
    EventDeclaration(
        "lead.captured",
        LeadCapturedData,
        "Emitted when a lead is captured via the chat widget or API.",
        {
            "leadId": "lead_123",
            "agentId": "ag_123",
            "name": "Jane Doe",
            "email": "jane@example.com",
            "phone": "+1234567890",
            "companyName": "Acme Inc",
            "message": "Initial message",
            "createdAt": "{now}",
        },
    ),
    EventDeclaration(
        "conversation.started",
        ConversationStartedData,
        "Emitted when a new conversation begins.",
        {"conversationId": "conv_abc", "agentId": "ag_123", "createdAt": "{now}"},
    ),
    EventDeclaration(
        "conversation.ended",
        ConversationEndedData,
        "Emitted when a conversation is closed or ended.",
        {"conversationId": "conv_abc", "agentId": "ag_123", "endedAt": "{now}"},
    ),
    EventDeclaration(
        "message.sent",
        MessageSentData,
        "Emitted when a message is sent (user or assistant).",
        {
            "messageId": "msg_123",
            "conversationId": "conv_abc",
            "agentId": "ag_123",
            "role": "user",
            "content": "Message text",
            "createdAt": "{now}",
        },
    ),
    EventDeclaration(
        "agent.updated",
        AgentUpdatedData,
        "Emitted when an agent configuration is updated.",
        {"agentId": "ag_123", "updatedAt": "{now}", "changes": ["name", "prompt"]},
    ),
    EventDeclaration(
        "ai-action.completed",
        AiActionCompletedData,
        "Emitted when an AI action (e.g., CRM integration) completes successfully.",
        {
            "actionId": "action_123",
            "actionType": "hubspot",
            "agentId": "ag_123",
            "conversationId": "conv_abc",
            "result": {},
            "completedAt": "{now}",
        },
    ),
    EventDeclaration(
        "ai-action.failed",
        AiActionFailedData,
        "Emitted when an AI action fails.",
        {
            "actionId": "action_123",
            "actionType": "hubspot",
            "agentId": "ag_123",
            "error": "Error message",
            "failedAt": "{now}",
        },
    ),
    EventDeclaration(
        "training.completed",
        TrainingCompletedData,
        "Emitted when training data processing completes successfully.",
        {
            "trainingId": 1,
            "agentId": "ag_123",
            "source": "product-docs",
            "status": "completed",
            "dataCount": 150,
            "completedAt": "{now}",
        },
    ),
    EventDeclaration(
        "training.failed",
        TrainingFailedData,
        "Emitted when training data processing fails.",
        {
            "trainingId": 1,
            "agentId": "ag_123",
            "source": "product-docs",
            "error": "Error message",
            "failedAt": "{now}",
        },
    ),
)
WEBHOOK_EVENTS: Final[dict[str, type[BaseModel]]] = {
    d.name: d.model for d in WEBHOOK_EVENT_DECLARATIONS
}
WEBHOOK_EVENT_DESCRIPTIONS: Final[dict[str, str]] = {
    d.name: d.description for d in WEBHOOK_EVENT_DECLARATIONS
}

# The type checker needs the names and the data union spelled out; these keep them the
# declarations' own (a name or model added to one place and not the other fails at import).
if get_args(ClientEventName) != tuple(CLIENT_EVENTS):
    raise RuntimeError("ClientEventName must list CLIENT_EVENT_DECLARATIONS' names, in order")
if get_args(WebhookEventName) != tuple(WEBHOOK_EVENTS):
    raise RuntimeError("WebhookEventName must list WEBHOOK_EVENT_DECLARATIONS' names, in order")
if set(get_args(WebhookData)) != set(WEBHOOK_EVENTS.values()):
    raise RuntimeError("WebhookData must be the union of every webhook event's model")


def sample_data(event: str, now: datetime) -> BaseModel:
    """The specification's example data of webhook `event`, times set to `now`, as its model
    (what a test delivery sends)."""
    (declaration,) = [d for d in WEBHOOK_EVENT_DECLARATIONS if d.name == event]
    fields = {key: now if value == "{now}" else value for key, value in declaration.sample.items()}
    return declaration.model.model_validate(fields)


class WebhookEnvelope(EventModel):
    """A webhook body: `{"event", "timestamp", "data"}`, with `data` checked against `event`."""

    event: WebhookEventName
    timestamp: Timestamp
    data: WebhookData

    @field_validator("data", mode="before")
    @classmethod
    def _data_matches_event(cls, value: Any, info: ValidationInfo) -> Any:
        event = info.data.get("event")
        if event is None:
            # `event` itself failed and says why; the data cannot be checked without it.
            raise ValueError("not checked: the event name is not valid")
        model = WEBHOOK_EVENTS[event]
        if isinstance(value, BaseModel):
            if type(value) is not model:
                raise ValueError(
                    f"data of {event!r} must be a {model.__name__}, not a {type(value).__name__}"
                )
            return value
        # Choosing the model by `event` here gives errors about that one model, not all nine.
        return model.model_validate(value)


def webhook_body(event: str, data: BaseModel, timestamp: datetime) -> bytes:
    """The exact bytes to POST: compact JSON `{"event":...,"timestamp":...,"data":{...}}`.

    Raises pydantic's ValidationError (a ValueError) for an unknown event or data of another event.
    """
    envelope = WebhookEnvelope.model_validate(
        {"event": event, "timestamp": timestamp, "data": data}
    )
    return envelope.model_dump_json().encode()


def parse_webhook(body: bytes | str) -> WebhookEnvelope:
    """Validate a webhook body; `data` becomes the model that `event` names.

    Raises pydantic's ValidationError (a ValueError) saying which field is wrong.
    """
    return WebhookEnvelope.model_validate_json(body)
