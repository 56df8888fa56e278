"""schemathesis hooks for `test_fuzz.py` (loaded by `st run` through SCHEMATHESIS_HOOKS).

They give each request the credentials and ids a real client would have:
- the admin key on admin routes; on the visitor routes (`/v1/conversations/{conversation_id}/...`)
  the visitor token of a real conversation, most of the time with that conversation's id, so the
  fuzzer reaches the agent and the transcript instead of stopping at 403 and 404;
- most of the time, a real webhook endpoint and delivery id where a path takes one.
Ids come from the server itself: created resources are remembered from the answers, and one of
each is made when none is known yet.

Two failures are not the API's fault and are dropped: a schema-violating request "accepted" when
what it broke was the Authorization header, which `before_call` fills in with real credentials;
and "schema-valid request rejected" when the refusal is of a webhook, CRM or website URL, which
must resolve (here only IP literals do) to an address the server may send to: no schema can say
that. Nor can a query string say "exactly one of these two parameters", which the visitor
export asks (its refusal of neither or both is dropped too).
"""

from __future__ import annotations

import os
import random
import threading
from typing import Any

import httpx
import schemathesis
from schemathesis import Case, HookContext, Response
from schemathesis.core.failures import Failure

VISITOR_PATHS = (
    "/v1/conversations/{conversation_id}/messages",
    "/v1/conversations/{conversation_id}/end",
    "/v1/conversations/{conversation_id}/handoff",
    "/v1/conversations/{conversation_id}/stream",
)
DESTINATION_OPERATIONS = (
    ("POST", "/v1/webhooks"),
    ("PATCH", "/v1/webhooks/{endpoint_id}"),
    ("PUT", "/v1/agents/{agent_id}/integrations/{provider}"),
    ("POST", "/v1/agents/{agent_id}/training"),  # a website source's `url`
)
# Operations that need exactly one of two query parameters, and the start of their refusal.
ONE_OF_QUERY = {("GET", "/v1/visitors/export"): "Give exactly one of the query parameters"}
_tokens: dict[str, str] = {}
_ids: dict[str, set[str]] = {"endpoint_id": set(), "delivery_id": set()}
_lock = threading.Lock()
_random = random.Random(os.environ.get("WIDGET_FUZZ_SEED", "0"))


def _url() -> str:
    return os.environ["WIDGET_FUZZ_URL"]


def _admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {os.environ['WIDGET_FUZZ_ADMIN_KEY']}"}


def _conversations() -> list[tuple[str, str]]:
    with _lock:
        if not _tokens:
            created = httpx.post(f"{_url()}/v1/conversations", json={"agentId": "ag_demo"}).json()
            _tokens[created["conversationId"]] = created["visitorToken"]
        return sorted(_tokens.items())


def _known(name: str) -> list[str]:
    with _lock:
        if not _ids["endpoint_id"]:
            endpoint = httpx.post(
                f"{_url()}/v1/webhooks",
                json={"url": "http://127.0.0.1:9/hook", "events": ["lead.captured"]},
                headers=_admin(),
            ).json()
            _ids["endpoint_id"].add(endpoint["id"])
            test = httpx.post(
                f"{_url()}/v1/webhooks/{endpoint['id']}/test",
                json={"event": "lead.captured"},
                headers=_admin(),
            ).json()
            _ids["delivery_id"].add(test["id"])
        return sorted(_ids[name])


@schemathesis.hook
def before_call(context: HookContext, case: Case[Any], kwargs: dict[str, Any]) -> None:
    if "authorization" in {name.lower() for name in case.headers or {}}:
        return  # a check that is probing authorization itself
    headers: dict[str, str] = {}
    path_parameters = dict(case.path_parameters or {})
    if case.operation.path in VISITOR_PATHS:
        known = dict(_conversations())
        conversation_id = str(path_parameters.get("conversation_id"))
        if conversation_id in known:
            token = known[conversation_id]
        elif _random.random() < 0.8:
            conversation_id, token = _random.choice(sorted(known.items()))
            path_parameters["conversation_id"] = conversation_id
        else:
            token = _random.choice(sorted(known.values()))  # someone else's token: 403 or 404
        headers["Authorization"] = f"Bearer {token}"
    else:
        headers.update(_admin())
        if path_parameters.keys() & _ids.keys() and _random.random() < 0.8:
            endpoints, deliveries = _known("endpoint_id"), _known("delivery_id")
            if "endpoint_id" in path_parameters:
                path_parameters["endpoint_id"] = _random.choice(endpoints)
            if "delivery_id" in path_parameters:
                path_parameters["delivery_id"] = _random.choice(deliveries)
    if path_parameters:
        case.path_parameters = path_parameters
    case.headers.update(headers)


@schemathesis.hook
def after_call(context: HookContext, case: Case[Any], response: Response) -> None:
    if response.status_code not in (201, 202):
        return
    body = response.json()
    with _lock:
        if (case.method, case.operation.path) == ("POST", "/v1/conversations"):
            _tokens[body["conversationId"]] = body["visitorToken"]
        elif (case.method, case.operation.path) == ("POST", "/v1/webhooks"):
            _ids["endpoint_id"].add(body["id"])
        elif case.operation.path == "/v1/webhooks/{endpoint_id}/test":
            _ids["delivery_id"].add(body["id"])


@schemathesis.hook
def filter_failure(
    context: HookContext, failure: Failure, case: Case[Any], response: Response
) -> bool:
    if failure.code == "ST201" and "Authorization" in failure.message:
        # The case left out the Authorization header the document requires, and `before_call`
        # put real credentials back: the hooks' doing, not the API's.
        return False
    operation = (case.method, case.operation.path)
    if failure.code != "ST202" or operation not in (*DESTINATION_OPERATIONS, *ONE_OF_QUERY):
        return True
    try:
        message = str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return True
    if operation in ONE_OF_QUERY:
        return not message.startswith(ONE_OF_QUERY[operation])
    return not message.startswith(("url: ", "baseUrl: "))
