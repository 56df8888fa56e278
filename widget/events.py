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

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

__all__ = [
    "CLIENT_EVENTS",
    "CLIENT_EVENT_DESCRIPTIONS",
    "WEBHOOK_EVENTS",
    "WEBHOOK_EVENT_DESCRIPTIONS",
    "AgentUpdatedData",
    "AiActionCompletedData",
    "AiActionFailedData",
    "ClientEventName",
    "ConversationEndedData",
    "ConversationStarted",
    "ConversationStartedData",
    "EventModel",
    "LeadCaptured",
    "LeadCapturedData",
    "MessageReceived",
    "MessageSent",
    "MessageSentData",
    "Timestamp",
    "TrainingCompletedData",
    "TrainingFailedData",
    "WebhookData",
    "WebhookEnvelope",
    "WebhookEventName",
    "WidgetClosed",
    "WidgetOpened",
    "client_event_payload",
    "parse_webhook",
    "webhook_body",
]


def _as_utc(value: datetime) -> datetime:
    # A naive datetime means UTC: the server stores UTC throughout.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _format_timestamp(value: datetime) -> str:
    # isoformat ends in "+00:00" for UTC; the specification writes "Z".
    return _as_utc(value).isoformat(timespec="milliseconds")[:-6] + "Z"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or blank")
    return value


Timestamp = Annotated[
    datetime,
    AfterValidator(_as_utc),
    PlainSerializer(_format_timestamp, return_type=str, when_used="json"),
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


ClientEventName = Literal[
    "widget_opened",
    "widget_closed",
    "conversation_started",
    "message_sent",
    "message_received",
    "lead_captured",
]

# In the order of the specification's table; the shim's list of valid names is generated from it.
CLIENT_EVENTS: Final[dict[str, type[BaseModel]]] = {
    "widget_opened": WidgetOpened,
    "widget_closed": WidgetClosed,
    "conversation_started": ConversationStarted,
    "message_sent": MessageSent,
    "message_received": MessageReceived,
    "lead_captured": LeadCaptured,
}

CLIENT_EVENT_DESCRIPTIONS: Final[dict[str, str]] = {
    "widget_opened": "The chat widget opens",
    "widget_closed": "The chat widget closes",
    "conversation_started": "First message in a new conversation",
    "message_sent": "User sends a message",
    "message_received": "AI responds",
    "lead_captured": "AI captures a lead via the lead-capture tool",
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


class LeadCapturedData(EventModel):
    lead_id: Identifier
    agent_id: Identifier
    # A lead may lack any detail but its email: the keys stay, with null.
    name: str | None = None
    email: str
    phone: str | None = None
    company_name: str | None = None
    message: str | None = None
    created_at: Timestamp


class ConversationStartedData(EventModel):
    conversation_id: Identifier
    agent_id: Identifier
    created_at: Timestamp


class ConversationEndedData(EventModel):
    conversation_id: Identifier
    agent_id: Identifier
    ended_at: Timestamp


class MessageSentData(EventModel):
    message_id: Identifier
    conversation_id: Identifier
    agent_id: Identifier
    role: Literal["user", "assistant"]
    content: str
    created_at: Timestamp


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

# In the order of the specification's table.
WEBHOOK_EVENTS: Final[dict[str, type[BaseModel]]] = {
    "lead.captured": LeadCapturedData,
    "conversation.started": ConversationStartedData,
    "conversation.ended": ConversationEndedData,
    "message.sent": MessageSentData,
    "agent.updated": AgentUpdatedData,
    "ai-action.completed": AiActionCompletedData,
    "ai-action.failed": AiActionFailedData,
    "training.completed": TrainingCompletedData,
    "training.failed": TrainingFailedData,
}

WEBHOOK_EVENT_DESCRIPTIONS: Final[dict[str, str]] = {
    "lead.captured": "Emitted when a lead is captured via the chat widget or API.",
    "conversation.started": "Emitted when a new conversation begins.",
    "conversation.ended": "Emitted when a conversation is closed or ended.",
    "message.sent": "Emitted when a message is sent (user or assistant).",
    "agent.updated": "Emitted when an agent configuration is updated.",
    "ai-action.completed": (
        "Emitted when an AI action (e.g., CRM integration) completes successfully."
    ),
    "ai-action.failed": "Emitted when an AI action fails.",
    "training.completed": "Emitted when training data processing completes successfully.",
    "training.failed": "Emitted when training data processing fails.",
}


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
