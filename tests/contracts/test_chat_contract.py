"""The frame's chat bodies (widget/contracts/chat.py) name exactly the fields of the server's
models, required and optional alike, nested models included, in each direction the frame uses.
"""

from __future__ import annotations

import importlib
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict

import pytest
from pydantic import BaseModel

from widget.contracts import chat

SERVER_MODULES = ("widget.server.chat.schemas",)
ERROR_MODULES = ("widget.server.core.errors",)


def _server_model(name: str, modules: tuple[str, ...] = SERVER_MODULES) -> type[BaseModel]:
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        model = getattr(module, name, None)
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model
    raise AssertionError(f"no server model {name} in {', '.join(modules)}")


# (frame's TypedDict, server model, "validation" for what the frame sends, "serialization" for
# what it reads)
PAIRS = [
    (chat.StartConversationRequest, "StartConversationIn", "validation"),
    (chat.StartConversationResponse, "StartConversationOut", "serialization"),
    (chat.SendMessageRequest, "SendMessageIn", "validation"),
    (chat.SendMessageResponse, "SendMessageOut", "serialization"),
    (chat.Transcript, "TranscriptOut", "serialization"),
    (chat.Ended, "EndedOut", "serialization"),
    (chat.Handoff, "HandoffOut", "serialization"),
    (chat.PublicAgent, "PublicAgentOut", "serialization"),
]


def _keys(typed: Any) -> tuple[set[str], set[str]]:
    """(every key, the required keys) of a TypedDict."""
    return set(get_type_hints(typed)), set(typed.__required_keys__)


def _schema_keys(schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    return set(schema.get("properties", {})), set(schema.get("required", ()))


def _nested_typeddict(hint: Any) -> Any:
    """The TypedDict a field holds (directly, in a list, or or-None), else None."""
    if is_typeddict(hint):
        return hint
    for arg in get_args(hint):
        found = _nested_typeddict(arg)
        if found is not None:
            return found
    return None


def _ref(field_schema: dict[str, Any]) -> str | None:
    """The `$defs` name a property's schema points at, directly, in a list, or or-None."""
    if "$ref" in field_schema:
        return str(field_schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("items",):
        if isinstance(field_schema.get(key), dict):
            return _ref(field_schema[key])
    for option in field_schema.get("anyOf", ()):
        found = _ref(option)
        if found:
            return found
    return None


def _assert_same(typed: Any, schema: dict[str, Any], defs: dict[str, Any], where: str) -> int:
    """Asserts `typed` and `schema` name the same keys; recurses; returns how many were compared."""
    assert _keys(typed) == _schema_keys(schema), where
    compared = 1
    hints = get_type_hints(typed)
    for key, field_schema in schema.get("properties", {}).items():
        nested, ref = _nested_typeddict(hints[key]), _ref(field_schema)
        assert (nested is None) == (ref is None), f"{where}.{key}: nested on one side only"
        if nested is not None and ref is not None:
            compared += _assert_same(nested, defs[ref], defs, f"{where}.{key}")
    return compared


@pytest.mark.parametrize(("typed", "model_name", "mode"), PAIRS, ids=[p[1] for p in PAIRS])
def test_the_frames_bodies_have_exactly_the_server_models_fields(
    typed: Any, model_name: str, mode: Any
) -> None:
    schema = _server_model(model_name).model_json_schema(by_alias=True, mode=mode)
    assert _assert_same(typed, schema, schema.get("$defs", {}), typed.__name__) >= 1


def test_nested_bodies_are_compared_too() -> None:
    schema = _server_model("SendMessageOut").model_json_schema(by_alias=True, mode="serialization")
    assert _assert_same(chat.SendMessageResponse, schema, schema["$defs"], "reply") == 4
    transcript = _server_model("TranscriptOut").model_json_schema(by_alias=True)
    assert _assert_same(chat.Transcript, transcript, transcript["$defs"], "transcript") == 4


def test_error_body_is_the_servers() -> None:
    model = _server_model("ErrorBody", ERROR_MODULES)
    schema = model.model_json_schema(by_alias=True, mode="serialization")
    assert _assert_same(chat.ErrorBody, schema, schema["$defs"], "ErrorBody") == 2


def test_a_body_the_frame_builds_is_accepted_and_one_the_server_builds_is_read() -> None:
    sent = chat.SendMessageRequest(content="Hello", clientMessageId="c" * 32)
    assert _server_model("SendMessageIn").model_validate(sent).model_dump(by_alias=True) == sent
    started = _server_model("StartConversationOut").model_validate(
        {"conversationId": "conv_1", "visitorToken": "vt_1"}
    )
    assert set(started.model_dump(by_alias=True)) == set(
        get_type_hints(chat.StartConversationResponse)
    )
    assert get_origin(get_type_hints(chat.Transcript)["messages"]) is list
