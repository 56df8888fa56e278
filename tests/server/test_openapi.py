"""The OpenAPI document describes every operation a client can call: its answer's body, how it
authenticates, and the errors it can give, each in the API's one error shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

ERROR_SCHEMA = "#/components/schemas/ErrorBody"
# Routes anyone may call: starting a conversation, the agent's public card, the frame's words.
PUBLIC = {
    ("post", "/v1/conversations"),
    ("get", "/v1/agents/{agent_id}/public"),
    ("get", "/v1/locales/{locale}"),
}
# What the owner's team does with a conversation: admin routes below the visitor's paths.
ADMIN_CONVERSATION_ACTIONS = {
    ("post", "/v1/conversations/{conversation_id}/replies"),
    ("post", "/v1/conversations/{conversation_id}/handback"),
    ("post", "/v1/conversations/{conversation_id}/close"),
}


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


@pytest.fixture
def document(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_both_ways_to_authenticate_are_declared(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["adminKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["adminKey"]["description"],
    }
    assert schemes["visitorToken"]["type"] == "http"
    assert schemes["visitorToken"]["scheme"] == "bearer"


def test_every_operation_describes_its_answer_security_and_errors(
    document: dict[str, Any],
) -> None:
    operations = _operations(document)
    assert len(operations) >= 30  # the whole API, not an empty document
    problems: list[str] = []
    for method, path, operation in operations:
        name = f"{method.upper()} {path}"
        responses: dict[str, Any] = operation["responses"]
        successes = [code for code in responses if code.startswith("2")]
        if not successes:
            problems.append(f"{name}: no success response")
        for code in successes:
            if code == "204":
                continue  # no body, by definition
            content = responses[code].get("content", {})
            schemas = [media.get("schema") for media in content.values()]
            if not schemas or not all(schemas):
                problems.append(f"{name}: {code} has no response schema")
            elif "application/json" in content and content["application/json"]["schema"] == {}:
                problems.append(f"{name}: {code} is described as any JSON")

        security = operation.get("security")
        if (method, path) in PUBLIC:
            if security:
                problems.append(f"{name}: a public route asks for {security}")
        elif (method, path) not in ADMIN_CONVERSATION_ACTIONS and (
            path.startswith("/v1/conversations/{conversation_id}/")
            or path.endswith("/{conversation_id}/messages")
        ):
            if security != [{"visitorToken": []}]:
                problems.append(f"{name}: expected the visitor token, got {security}")
        elif security != [{"adminKey": []}]:
            problems.append(f"{name}: expected the admin key, got {security}")

        errors = {code for code in responses if code.startswith("4")}
        expected = {"400", "413", "415", "422"}
        if (method, path) not in PUBLIC:
            expected.add("401")
        if "{" in path:
            expected.add("404")
        for code in sorted(expected - errors):
            problems.append(f"{name}: {code} is not declared")
        for code in sorted(errors):
            schema = responses[code].get("content", {}).get("application/json", {}).get("schema")
            if schema != {"$ref": ERROR_SCHEMA}:
                problems.append(f"{name}: {code} is not the error body ({schema})")
    assert not problems, "\n".join(problems)


def test_a_documented_error_is_what_the_server_answers(client: httpx.Client) -> None:
    response = client.get("/v1/webhooks")
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    assert set(response.json()["error"]) == {"code", "message"}
