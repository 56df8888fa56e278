"""Hostile input at the edge: every class answers a 4xx in the usual shape, saying what is wrong,
and nothing stored is lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from widget.server.core.api_models import RequestModel
from widget.server.core.params import SQL_INT_MAX

Start = Callable[..., tuple[str, dict[str, str]]]
JSON = {"Content-Type": "application/json"}


def error_of(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    error: dict[str, str] = body["error"]
    return error


# -- 1. integers beyond 64 bits ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/leads", "/v1/conversations"])
@pytest.mark.parametrize("value", [str(2**63), str(-(2**70)), "9" * 40])
def test_an_offset_past_64_bits_is_422_naming_it(
    client: httpx.Client, admin: dict[str, str], path: str, value: str
) -> None:
    error = error_of(client.get(path, params={"offset": value}, headers=admin), 422)
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("offset:")


def test_a_training_id_past_64_bits_is_422_naming_it(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    url = f"/v1/agents/ag_demo/training/{2**64}"
    error = error_of(client.get(url, headers=admin), 422)
    assert error["message"].startswith("training_id:")
    assert (
        client.get(f"/v1/agents/ag_demo/training/{SQL_INT_MAX}", headers=admin).status_code == 404
    )


def test_every_integer_parameter_is_bounded_to_64_bits(app: FastAPI) -> None:
    document = app.openapi()
    unbounded = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if schema.get("type") != "integer":
                    continue
                low, high = schema.get("minimum"), schema.get("maximum")
                if low is None or high is None or low < -(2**63) or high > SQL_INT_MAX:
                    unbounded.append(f"{method.upper()} {path} {parameter['name']}")
    assert unbounded == []


# -- 2. text that is not Unicode -----------------------------------------------------------------


def test_a_lone_surrogate_in_a_message_is_422_and_the_connection_stays_usable(
    client: httpx.Client, start: Start
) -> None:
    conversation_id, auth = start()
    url = f"/v1/conversations/{conversation_id}/messages"
    body = b'{"content": "hello \\ud800 there"}'
    error = error_of(client.post(url, content=body, headers={**auth, **JSON}), 422)
    assert error["message"].startswith("content: holds a lone surrogate (U+D800) at character 6")

    # The same keep-alive connection answers the next request, and nothing was stored.
    transcript = client.get(url, headers=auth)
    assert transcript.status_code == 200
    assert transcript.json()["messages"] == []
    assert client.post(url, json={"content": "hello there"}, headers=auth).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/agents", b'{"name": "Bad \\udfff"}', "name"),
        ("/v1/agents", b'{"name": "A", "allowedOrigins": ["*", "\\ud83d"]}', "allowedOrigins"),
        (
            "/v1/agents/ag_demo/training",
            b'{"source": "docs", "documents": [{"name": "a.md", "content": "x \\udc00"}]}',
            "documents.0.content",
        ),
        (
            "/v1/webhooks",
            b'{"url": "https://example.com/\\ud800", "events": ["lead.captured"]}',
            "url",
        ),
    ],
)
def test_a_lone_surrogate_in_any_field_is_refused_naming_the_field(
    client: httpx.Client, admin: dict[str, str], path: str, body: bytes, field: str
) -> None:
    error = error_of(client.post(path, content=body, headers={**admin, **JSON}), 422)
    assert error["message"].startswith(f"{field}: ")
    assert "lone surrogate" in error["message"]


def test_a_training_with_a_lone_surrogate_is_refused_at_submission(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    url = "/v1/agents/ag_demo/training"
    before = client.get(url, headers=admin).json()["data"]
    body = b'{"source": "docs", "documents": [{"name": "a.md", "content": "\\ud800"}]}'
    error_of(client.post(url, content=body, headers={**admin, **JSON}), 422)
    assert client.get(url, headers=admin).json()["data"] == before


def test_every_request_body_is_a_request_model(app: FastAPI) -> None:
    """The Unicode check lives in `RequestModel`; a body model outside it would skip the check."""
    outside, checked = [], 0
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.body_field is not None:
            checked += 1
            model: Any = route.body_field.field_info.annotation
            if not (isinstance(model, type) and issubclass(model, RequestModel)):
                outside.append(f"{route.path} {model}")
    assert outside == []
    assert checked >= 9


# -- 6. parse errors that say what is wrong ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"agentId": "ag_demo\xff"}', "not valid UTF-8: byte 0xff at offset 20"),
        (b"[" * 20_000 + b"]" * 20_000, "nests arrays or objects too deeply"),
        (b'{"agentId": ' + b"7" * 5000 + b"}", "more digits than the server reads"),
        (b'{"agentId": "ag_demo",}', "not valid JSON"),
    ],
    ids=["invalid-utf8", "deep-nesting", "huge-number", "trailing-comma"],
)
def test_an_unreadable_body_is_400_saying_what_is_wrong(
    client: httpx.Client, body: bytes, says: str
) -> None:
    error = error_of(client.post("/v1/conversations", content=body, headers=JSON), 400)
    assert error["code"] == "malformed_json"
    assert says in error["message"]


# -- 7. 405 names every method of the resource ---------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/v1/agents", "GET, POST"),
        ("PUT", "/v1/agents/ag_demo", "GET, PATCH, DELETE"),
        ("GET", "/v1/visitors/erase", "POST"),
        ("GET", "/v1/conversations/conv_x/end", "POST"),
        ("POST", "/v1/webhooks/wh_x", "GET, PATCH, DELETE"),
        ("OPTIONS", "/v1/agents/ag_demo/integrations/hubspot", "GET, PUT, DELETE"),
        ("DELETE", "/v1/conversations/conv_x/messages", "GET, POST"),
    ],
)
def test_a_405_allows_every_method_of_the_resource(
    client: httpx.Client, admin: dict[str, str], method: str, path: str, allow: str
) -> None:
    response = client.request(method, path, headers=admin)
    error = error_of(response, 405)
    assert response.headers["allow"] == allow
    assert error["code"] == "method_not_allowed"
    assert allow in error["message"]


def test_an_unknown_api_path_is_404_whatever_the_method(client: httpx.Client) -> None:
    for method in ("GET", "POST", "DELETE"):
        error = error_of(client.request(method, "/v1/nothing-here"), 404)
        assert error["code"] == "not_found"
