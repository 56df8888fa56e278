"""widget.events: the models against both specifications, timestamps, and bad input."""

from __future__ import annotations

import json
import re
import typing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from widget.events import (
    ADDED_CLIENT_EVENT_DECLARATIONS,
    CLIENT_EVENT_DESCRIPTIONS,
    CLIENT_EVENTS,
    SPECIFIED_CLIENT_EVENT_DECLARATIONS,
    WEBHOOK_EVENT_DESCRIPTIONS,
    WEBHOOK_EVENTS,
    AiActionFailedData,
    ClientEventName,
    ConversationStartedData,
    LeadCaptured,
    LeadCapturedData,
    MessageSent,
    TrainingCompletedData,
    WebhookData,
    WebhookEnvelope,
    WebhookEventName,
    client_event_payload,
    parse_webhook,
    webhook_body,
)

# Copies of the specifications, so the tests never depend on a folder outside the repository.
SEEDS = Path(__file__).parent / "seeds"
CLIENT_SEED = SEEDS / "000_66c80cf156f09f56.txt"
WEBHOOK_SEED = SEEDS / "004_94315c440679630e.txt"
SHARED_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

NOON = datetime(2026, 2, 24, 12, 0, tzinfo=UTC)


def webhook_examples() -> list[dict[str, Any]]:
    """Every JSON example of the webhook specification, in its order."""
    text = WEBHOOK_SEED.read_text(encoding="utf-8")
    # Each example ends where `data`, its last member, and the envelope close together.
    blocks = re.findall(r'^\{\n"event".*?^\}\n\}', text, flags=re.MULTILINE | re.DOTALL)
    examples: list[dict[str, Any]] = []
    for block in blocks:
        # The specification writes the role's two values as one line that is not JSON.
        alternatives = re.search(r'"role": ("\w+"(?: \| "\w+")+)', block)
        if alternatives is None:
            examples.append(json.loads(block))
            continue
        for role in alternatives.group(1).split(" | "):
            examples.append(json.loads(block.replace(alternatives.group(1), role)))
    return examples


def webhook_table() -> dict[str, str]:
    text = WEBHOOK_SEED.read_text(encoding="utf-8")
    return dict(re.findall(r"^([a-z.-]+) \| (.+?) \|$", text, flags=re.MULTILINE))


def client_table() -> list[tuple[str, str, str]]:
    """(event, "Fired when", data) rows of the client specification's table."""
    text = CLIENT_SEED.read_text(encoding="utf-8")
    table = text.split("EventFired whenData\n", 1)[1].split("\n\n", 1)[0]
    rows = []
    for line in table.splitlines():
        match = re.fullmatch(r"([a-z_]+?)([A-Z].*?)(\{.*\})?", line)
        assert match is not None, line
        rows.append((match.group(1), match.group(2), match.group(3) or ""))
    return rows


def compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


# --- The specifications ---------------------------------------------------------------------------


def test_seed_copies_match_the_shared_specifications() -> None:
    if not SHARED_SEEDS.is_dir():
        pytest.skip(f"no shared specifications at {SHARED_SEEDS} to compare the copies with")
    for copy in (CLIENT_SEED, WEBHOOK_SEED):
        assert copy.read_bytes() == (SHARED_SEEDS / copy.name).read_bytes(), copy.name


def test_every_webhook_example_validates_and_round_trips_to_the_same_json() -> None:
    examples = webhook_examples()
    assert len(examples) == len(WEBHOOK_EVENTS) + 1  # message.sent comes as user and assistant
    for example in examples:
        body = compact(example)
        envelope = parse_webhook(body)
        assert type(envelope.data) is WEBHOOK_EVENTS[example["event"]]
        assert envelope.model_dump(mode="json") == example
        assert webhook_body(envelope.event, envelope.data, envelope.timestamp) == body


def test_webhook_examples_and_table_follow_the_registry_order() -> None:
    events = list(dict.fromkeys(example["event"] for example in webhook_examples()))
    assert events == list(WEBHOOK_EVENTS)
    assert webhook_table() == WEBHOOK_EVENT_DESCRIPTIONS
    assert list(webhook_table()) == list(WEBHOOK_EVENTS)


def test_message_sent_example_covers_both_roles() -> None:
    roles = [example["data"]["role"] for example in webhook_examples() if "role" in example["data"]]
    assert roles == ["user", "assistant"]


def test_client_events_follow_the_specification_table() -> None:
    rows = client_table()
    specified = [d.name for d in SPECIFIED_CLIENT_EVENT_DECLARATIONS]
    assert [name for name, _, _ in rows] == specified
    assert list(CLIENT_EVENTS)[: len(specified)] == specified  # additions come after, never between
    assert {name: fired for name, fired, _ in rows} == {
        name: CLIENT_EVENT_DESCRIPTIONS[name] for name in specified
    }
    assert [d.name for d in ADDED_CLIENT_EVENT_DECLARATIONS] == list(CLIENT_EVENTS)[
        len(specified) :
    ]
    for name, _, data in rows:
        documented = re.findall(r"(\w+): \w+", data)
        aliases = {field.alias for field in CLIENT_EVENTS[name].model_fields.values()}
        assert set(documented) <= aliases, name


def test_literal_name_types_match_the_registries() -> None:
    assert typing.get_args(ClientEventName) == tuple(CLIENT_EVENTS)
    assert typing.get_args(WebhookEventName) == tuple(WEBHOOK_EVENTS)
    assert set(typing.get_args(WebhookData)) == set(WEBHOOK_EVENTS.values())


# --- Timestamps -----------------------------------------------------------------------------------


def conversation_started_at(created_at: Any) -> dict[str, Any]:
    data = ConversationStartedData(conversation_id="conv_1", agent_id="ag_1", created_at=created_at)
    return data.model_dump(mode="json")


def test_timestamp_json_is_utc_with_milliseconds_and_z() -> None:
    assert conversation_started_at(NOON)["createdAt"] == "2026-02-24T12:00:00.000Z"
    # Naive means UTC; other offsets are converted; sub-millisecond digits are dropped.
    assert conversation_started_at(datetime(2026, 2, 24, 12))["createdAt"].endswith("12:00:00.000Z")
    plus_two = datetime(2026, 2, 24, 14, 0, 0, 123999, tzinfo=timezone(timedelta(hours=2)))
    assert conversation_started_at(plus_two)["createdAt"] == "2026-02-24T12:00:00.123Z"


def test_timestamp_validates_iso_strings_into_utc_datetimes() -> None:
    for text in ("2026-02-24T12:00:00.000Z", "2026-02-24T12:00:00Z", "2026-02-24T13:00:00+01:00"):
        data = ConversationStartedData.model_validate(
            {"conversationId": "conv_1", "agentId": "ag_1", "createdAt": text}
        )
        assert data.created_at == NOON
        assert data.created_at.tzinfo is UTC
    with pytest.raises(ValidationError, match="createdAt"):
        ConversationStartedData.model_validate(
            {"conversationId": "conv_1", "agentId": "ag_1", "createdAt": "yesterday at noon"}
        )


# --- Client events --------------------------------------------------------------------------------


def test_client_event_payloads_are_camel_case_json() -> None:
    ids = {"conversation_id": "conv_1"}
    assert client_event_payload("widget_opened") == {}
    assert client_event_payload("widget_closed") == {}
    assert client_event_payload("conversation_started", **ids) == {"conversationId": "conv_1"}
    assert client_event_payload("message_sent", message="Hi", **ids) == {
        "message": "Hi",
        "conversationId": "conv_1",
    }
    assert client_event_payload("message_received", message="Hello!", conversationId="conv_1") == {
        "message": "Hello!",
        "conversationId": "conv_1",
    }
    assert client_event_payload("lead_captured", LeadCaptured(conversation_id="conv_1")) == {
        "conversationId": "conv_1"
    }


def test_client_event_payload_rejects_unknown_names_naming_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown client event 'lead_capture'") as raised:
        client_event_payload("lead_capture", conversation_id="conv_1")
    assert all(name in str(raised.value) for name in CLIENT_EVENTS)


@pytest.mark.parametrize("message", ["", "   ", "\n\t"])
def test_message_sent_rejects_blank_text(message: str) -> None:
    with pytest.raises(ValidationError, match="must not be empty or blank") as raised:
        client_event_payload("message_sent", message=message, conversation_id="conv_1")
    assert raised.value.errors()[0]["loc"] == ("message",)


def test_client_event_payload_rejects_missing_and_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="conversationId") as missing:
        client_event_payload("lead_captured")
    assert missing.value.errors()[0]["type"] == "missing"
    with pytest.raises(ValidationError, match="conversation") as extra:
        client_event_payload("widget_opened", conversation="conv_1")
    assert extra.value.errors()[0]["type"] == "extra_forbidden"


def test_client_event_payload_rejects_a_model_of_another_event() -> None:
    with pytest.raises(TypeError, match="takes a MessageSent, not a LeadCaptured"):
        client_event_payload("message_sent", LeadCaptured(conversation_id="conv_1"))
    with pytest.raises(TypeError, match="not both"):
        client_event_payload(
            "message_sent", MessageSent(message="Hi", conversation_id="c"), message="Hi"
        )


# --- Webhook events -------------------------------------------------------------------------------


def lead(**changes: Any) -> LeadCapturedData:
    fields: dict[str, Any] = {
        "lead_id": "lead_1",
        "agent_id": "ag_1",
        "email": "jane@example.com",
        "created_at": NOON,
    }
    return LeadCapturedData(**(fields | changes))


def test_webhook_body_is_compact_json_in_envelope_order() -> None:
    body = webhook_body("lead.captured", lead(name="Jane Doe"), NOON)
    assert body.startswith(
        b'{"event":"lead.captured","timestamp":"2026-02-24T12:00:00.000Z","data":{'
    )
    assert json.loads(body)["data"] == {
        "leadId": "lead_1",
        "agentId": "ag_1",
        "name": "Jane Doe",
        "email": "jane@example.com",
        "phone": None,
        "companyName": None,
        "message": None,
        "createdAt": "2026-02-24T12:00:00.000Z",
    }
    assert b" " not in body.replace(b"Jane Doe", b"")


def test_webhook_body_keeps_non_ascii_text_as_utf8() -> None:
    body = webhook_body("lead.captured", lead(name="Zoë Ångström"), NOON)
    assert "Zoë Ångström" in body.decode("utf-8")
    assert parse_webhook(body).data == lead(name="Zoë Ångström")


def test_ai_action_failed_conversation_id_is_an_optional_addition() -> None:
    fields: dict[str, Any] = {
        "action_id": "action_1",
        "action_type": "hubspot",
        "agent_id": "ag_1",
        "error": "401 Unauthorized",
        "failed_at": NOON,
    }
    without = json.loads(webhook_body("ai-action.failed", AiActionFailedData(**fields), NOON))
    assert "conversationId" not in without["data"]
    with_id = AiActionFailedData(**fields, conversation_id="conv_1")
    body = webhook_body("ai-action.failed", with_id, NOON)
    assert json.loads(body)["data"]["conversationId"] == "conv_1"
    assert parse_webhook(body).data == with_id


def test_webhook_body_rejects_unknown_events_and_data_of_another_event() -> None:
    with pytest.raises(ValidationError, match=r"'lead\.captured'") as unknown:
        webhook_body("lead.capture", lead(), NOON)
    assert unknown.value.errors()[0]["loc"] == ("event",)
    with pytest.raises(ValidationError, match="must be a ConversationStartedData"):
        webhook_body("conversation.started", lead(), NOON)


def test_parse_webhook_names_the_bad_field_of_that_event() -> None:
    example = {
        "event": "training.completed",
        "timestamp": "2026-02-24T12:00:00.000Z",
        "data": {
            "trainingId": "1",  # a string, not the number the specification shows
            "agentId": "ag_1",
            "source": "product-docs",
            "status": "completed",
            "dataCount": 150,
        },
    }
    with pytest.raises(ValidationError) as raised:
        parse_webhook(compact(example))
    assert {error["loc"] for error in raised.value.errors()} == {
        ("data", "trainingId"),
        ("data", "completedAt"),
    }


def test_parse_webhook_rejects_bad_roles_statuses_and_envelopes() -> None:
    message = next(e for e in webhook_examples() if e["event"] == "message.sent")
    message["data"]["role"] = "system"
    with pytest.raises(ValidationError, match="'user' or 'assistant'"):
        parse_webhook(compact(message))
    with pytest.raises(ValidationError, match="event"):
        parse_webhook(b'{"timestamp":"2026-02-24T12:00:00.000Z","data":{}}')
    with pytest.raises(ValidationError, match="Invalid JSON"):
        parse_webhook(b"not json")
    extra = next(e for e in webhook_examples() if e["event"] == "agent.updated")
    extra["signature"] = "x"
    with pytest.raises(ValidationError, match="signature"):
        parse_webhook(compact(extra))


def test_training_completed_status_defaults_to_completed() -> None:
    data = TrainingCompletedData(
        training_id=1, agent_id="ag_1", source="docs", data_count=0, completed_at=NOON
    )
    assert data.model_dump(mode="json")["status"] == "completed"


def test_envelope_accepts_python_names_and_models() -> None:
    envelope = WebhookEnvelope(event="lead.captured", timestamp=NOON, data=lead())
    assert envelope.data == lead()
    assert isinstance(envelope.data, BaseModel)
