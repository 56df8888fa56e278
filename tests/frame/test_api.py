"""widget.frame.api: what the frame sends (the contract's bodies) and how it reads each answer."""

from __future__ import annotations

import json

import pytest

from tests.frame.fakes import run
from widget.frame.api import ApiError, ChatApi, ServerUnreachable


class Recorder:
    """A transport that answers `answer` and records each request."""

    def __init__(self, status: int = 200, text: str = "{}") -> None:
        self.answer = (status, text)
        self.requests: list[tuple[str, str, dict[str, str], str | None]] = []

    async def __call__(
        self, method: str, url: str, headers: dict[str, str], body: str | None
    ) -> tuple[int, str]:
        self.requests.append((method, url, headers, body))
        return self.answer


def test_requests_carry_the_contracts_bodies_and_the_visitor_token() -> None:
    transport = Recorder(text='{"conversationId": "conv_1", "visitorToken": "vt_1"}')
    api = ChatApi(transport)
    created = run(api.create_conversation("ag_demo"))
    assert created == {"conversationId": "conv_1", "visitorToken": "vt_1"}
    run(api.send_message("conv_1", "vt_1", "Hi", "c1"))
    run(api.history("conv_1", "vt_1"))
    (create, send, history) = transport.requests
    assert create[:2] == ("POST", "./v1/conversations")
    assert json.loads(create[3] or "") == {"agentId": "ag_demo"}
    assert "Authorization" not in create[2]
    assert send[:2] == ("POST", "./v1/conversations/conv_1/messages")
    assert json.loads(send[3] or "") == {"content": "Hi", "clientMessageId": "c1"}
    assert send[2]["Authorization"] == "Bearer vt_1"
    assert send[2]["Content-Type"] == "application/json"
    assert history[:2] == ("GET", "./v1/conversations/conv_1/messages") and history[3] is None


@pytest.mark.parametrize(
    ("status", "text"),
    [(500, "{}"), (503, '{"error": {"code": "database_busy", "message": "busy"}}'), (429, "{}"),
     (200, "<html>proxy page</html>")],
    ids=["500", "503", "429", "unreadable"],
)  # fmt: skip
def test_answers_worth_retrying_are_server_unreachable(status: int, text: str) -> None:
    with pytest.raises(ServerUnreachable):
        run(ChatApi(Recorder(status, text)).history("conv_1", "vt_1"))


def test_a_transport_that_fails_is_server_unreachable() -> None:
    async def offline(*_: object) -> tuple[int, str]:
        raise TypeError("Failed to fetch")

    with pytest.raises(ServerUnreachable, match="Failed to fetch"):
        run(ChatApi(offline).end("conv_1", "vt_1"))


def test_a_refusal_says_what_the_server_said() -> None:
    body = '{"error": {"code": "invalid_request", "message": "content: must not be blank"}}'
    with pytest.raises(ApiError, match="content: must not be blank") as refused:
        run(ChatApi(Recorder(422, body)).send_message("c", "t", " ", "id"))
    assert refused.value.status == 422
    with pytest.raises(ApiError, match=r"request failed \(404\)"):
        run(ChatApi(Recorder(404, '"not an error body"')).history("c", "t"))
