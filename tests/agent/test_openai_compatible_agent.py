"""The OpenAI-compatible provider's wire format, against a local stand-in for the chat endpoint:
a real HTTP server on 127.0.0.1 that records each request and answers with canned responses."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from widget.agent.answers import Source
from widget.agent.core import (
    AgentError,
    OpenAICompatibleAgent,
    RuleAgent,
    Turn,
    agent_from_env,
)
from widget.agent.demo import DEMO_AGENT, demo_index
from widget.agent.knowledge import KnowledgeIndex, chunk_document
from widget.agent.leads import LeadDetails

pytestmark = pytest.mark.anyio

HANG = object()  # a canned "response" that never comes


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class StandIn:
    """The chat endpoint's stand-in: `responses` are served in order, one per request."""

    base_url: str = ""
    responses: list[Any] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _handler(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            stand_in.requests.append(
                Recorded(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw)
                )
            )
            response = stand_in.responses.pop(0)
            if response is HANG:
                stand_in.release.wait()
                return
            status, body = response
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def llm() -> Iterator[StandIn]:
    stand_in = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stand_in))
    server.daemon_threads = True
    # A short poll interval only makes `shutdown()` at teardown return sooner.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    stand_in.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield stand_in
    stand_in.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


def completion(message: dict[str, Any], finish_reason: str = "stop") -> tuple[int, Any]:
    return 200, {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1771934400,
        "model": "test-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def tool_call(
    arguments: Any, name: str = "capture_lead", call_id: str = "call_1"
) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {
            "name": name,
            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
        },
    }


def final(text: str) -> tuple[int, Any]:
    return completion({"role": "assistant", "content": text})


def calls(*tool_calls: dict[str, Any]) -> tuple[int, Any]:
    return completion(
        {"role": "assistant", "content": None, "tool_calls": list(tool_calls)}, "tool_calls"
    )


HISTORY = [
    Turn("user", "Hi, what does Parley do?"),
    Turn("assistant", "Parley is an embeddable AI chat widget."),
]


async def test_wire_format_with_a_lead_capture_tool_call(llm: StandIn) -> None:
    message = "I'm Jane Doe from Acme, jane@acme.com. How much does the Team plan cost?"
    lead_call = tool_call({"name": "Jane Doe", "email": "jane@acme.com", "company": "Acme"})
    llm.responses = [calls(lead_call), final("Thanks Jane! The Team plan is $29 per month.")]

    async with httpx.AsyncClient() as client:
        agent = OpenAICompatibleAgent(llm.base_url, "test-model", "sk-test", client)
        reply = await agent.reply(DEMO_AGENT, HISTORY, message, demo_index())

    assert reply.content == "Thanks Jane! The Team plan is $29 per month."
    assert reply.lead == LeadDetails(email="jane@acme.com", name="Jane Doe", company="Acme")
    assert Source("pricing.md") in reply.sources

    first, second = llm.requests
    assert first.path == "/v1/chat/completions"
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.headers["content-type"] == "application/json"
    assert first.body["model"] == "test-model"
    system, *conversation = first.body["messages"]
    assert system["role"] == "system"
    assert DEMO_AGENT.prompt in system["content"]
    assert "Team plan: $29 per month" in system["content"]  # the retrieved passage
    assert "(from pricing.md)" in system["content"]
    assert conversation == [
        {"role": "user", "content": "Hi, what does Parley do?"},
        {"role": "assistant", "content": "Parley is an embeddable AI chat widget."},
        {"role": "user", "content": message},
    ]
    [tool] = first.body["tools"]
    assert tool["type"] == "function"
    assert tool["function"]["name"] == "capture_lead"
    parameters = tool["function"]["parameters"]
    assert parameters["type"] == "object"
    assert set(parameters["properties"]) == {"name", "email", "phone", "company"}
    assert parameters["required"] == ["email"]

    # The second request is the first one plus the model's tool call and the tool's result.
    assert second.body["model"] == "test-model"
    assert second.body["tools"] == first.body["tools"]
    assert second.body["messages"][: len(first.body["messages"])] == first.body["messages"]
    assistant, result = second.body["messages"][len(first.body["messages"]) :]
    assert assistant == {"role": "assistant", "content": None, "tool_calls": [lead_call]}
    assert result["role"] == "tool"
    assert result["tool_call_id"] == "call_1"
    assert json.loads(result["content"]) == {"status": "captured"}


async def test_a_plain_answer_takes_one_request_and_no_key_means_no_authorization(
    llm: StandIn,
) -> None:
    llm.responses = [final("Parley integrates with HubSpot and Pipedrive.")]
    agent = OpenAICompatibleAgent(llm.base_url + "/", "test-model")  # its own client
    reply = await agent.reply(DEMO_AGENT, [], "Do you integrate with HubSpot?", demo_index())

    assert reply.content == "Parley integrates with HubSpot and Pipedrive."
    assert reply.lead is None
    assert reply.sources[0] == Source("crm-integrations.md")
    [request] = llm.requests
    assert request.path == "/v1/chat/completions"
    assert "authorization" not in request.headers
    assert request.body["messages"][-1] == {
        "role": "user",
        "content": "Do you integrate with HubSpot?",
    }


async def test_no_relevant_knowledge_is_said_in_the_system_message(llm: StandIn) -> None:
    llm.responses = [final("I don't know, sorry.")]
    agent = OpenAICompatibleAgent(llm.base_url, "test-model")
    reply = await agent.reply(DEMO_AGENT, [], "Do you sell pizza?", demo_index())
    assert reply.sources == []
    system = llm.requests[0].body["messages"][0]["content"]
    assert "nothing in the knowledge base matches" in system
    assert "never invent" in system


async def test_the_model_is_told_the_visitors_language_and_gets_passages_in_it(
    llm: StandIn,
) -> None:
    german = chunk_document(
        "versand.txt", "Wir versenden alle Bestellungen innerhalb von zwei Werktagen."
    )
    llm.responses = [final("Wir versenden innerhalb von zwei Werktagen.")]
    agent = OpenAICompatibleAgent(llm.base_url, "test-model")
    index = KnowledgeIndex([*demo_index().chunks, *german])
    reply = await agent.reply(DEMO_AGENT, [], "Wie lange dauert der Versand?", index)
    assert reply.language == "de"
    assert reply.sources == [Source("versand.txt")]
    system = llm.requests[0].body["messages"][0]["content"]
    assert "The visitor writes in German: reply in it." in system
    assert "Wir versenden alle Bestellungen" in system


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"email": "someone@else.com"}, "did not write that email address"),
        ({"email": "not-an-email"}, "valid email address"),
        ({"name": "Jane"}, "valid email address"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
    ],
)
async def test_a_tool_call_with_bad_arguments_captures_nothing_and_tells_the_model(
    llm: StandIn, arguments: Any, error: str
) -> None:
    llm.responses = [calls(tool_call(arguments)), final("Could you give me your email address?")]
    agent = OpenAICompatibleAgent(llm.base_url, "test-model")
    reply = await agent.reply(DEMO_AGENT, [], "I'd like a demo, I'm Jane", demo_index())
    assert reply.lead is None
    assert reply.content == "Could you give me your email address?"
    result = llm.requests[1].body["messages"][-1]
    assert result["role"] == "tool"
    assert error in json.loads(result["content"])["error"]


async def test_an_unknown_tool_gets_an_error_result(llm: StandIn) -> None:
    llm.responses = [calls(tool_call({}, name="book_meeting")), final("Sorry, I can't book.")]
    agent = OpenAICompatibleAgent(llm.base_url, "test-model")
    reply = await agent.reply(DEMO_AGENT, [], "Book a meeting", demo_index())
    assert reply.lead is None
    assert "unknown tool" in json.loads(llm.requests[1].body["messages"][-1]["content"])["error"]


async def test_an_email_the_model_did_not_capture_is_still_a_lead(llm: StandIn) -> None:
    llm.responses = [final("Thanks, we'll be in touch!")]
    agent = OpenAICompatibleAgent(llm.base_url, "test-model")
    reply = await agent.reply(DEMO_AGENT, [], "Jane Doe, jane@acme.com", demo_index())
    assert reply.lead == LeadDetails(email="jane@acme.com", name="Jane Doe")


async def test_a_later_capture_keeps_the_details_given_earlier(llm: StandIn) -> None:
    history = [Turn("user", "I'm Jane from Acme, jane@acme.com"), Turn("assistant", "Thanks!")]
    llm.responses = [
        calls(tool_call({"email": "jane@acme.com", "phone": "+1 234 567 8900"})),
        final("Noted your phone."),
    ]
    agent = OpenAICompatibleAgent(llm.base_url, "test-model")
    reply = await agent.reply(DEMO_AGENT, history, "my phone is +1 234 567 8900", demo_index())
    assert reply.lead == LeadDetails(
        email="jane@acme.com", name="Jane", phone="+1 234 567 8900", company="Acme"
    )


@pytest.mark.parametrize(
    ("response", "error"),
    [
        ((500, {"error": {"message": "model overloaded"}}), "answered HTTP 500"),
        ((401, {"error": {"message": "bad key"}}), "bad key"),
        ((200, b"<html>not json</html>"), "malformed response"),
        ((200, {"choices": []}), "malformed response"),
        ((200, {"object": "chat.completion"}), "malformed response"),
        (completion({"role": "assistant", "content": None}), "no text content"),
        (completion({"role": "assistant", "content": "x", "tool_calls": {"id": 1}}), "not a list"),
        (calls({"type": "function"}), "malformed tool call"),
    ],
)
async def test_endpoint_failures_are_agent_errors_that_say_what_happened(
    llm: StandIn, response: tuple[int, Any], error: str
) -> None:
    llm.responses = [response]
    agent = OpenAICompatibleAgent(llm.base_url, "test-model")
    with pytest.raises(AgentError, match=error) as raised:
        await agent.reply(DEMO_AGENT, [], "Hello?", demo_index())
    assert llm.base_url in str(raised.value)


async def test_an_http_error_is_chained(llm: StandIn) -> None:
    llm.responses = [(503, {"error": "down"})]
    agent = OpenAICompatibleAgent(llm.base_url, "test-model")
    with pytest.raises(AgentError) as raised:
        await agent.reply(DEMO_AGENT, [], "Hello?", demo_index())
    assert isinstance(raised.value.__cause__, httpx.HTTPStatusError)


async def test_a_timeout_is_an_agent_error(llm: StandIn) -> None:
    llm.responses = [HANG]
    agent = OpenAICompatibleAgent(llm.base_url, "test-model", timeout=0.5)
    with pytest.raises(AgentError, match=r"did not answer within 0\.5 s") as raised:
        await agent.reply(DEMO_AGENT, [], "Hello?", demo_index())
    assert isinstance(raised.value.__cause__, httpx.TimeoutException)


async def test_an_unreachable_endpoint_is_an_agent_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    agent = OpenAICompatibleAgent(f"http://127.0.0.1:{port}/v1", "test-model")
    with pytest.raises(AgentError, match="could not reach") as raised:
        await agent.reply(DEMO_AGENT, [], "Hello?", demo_index())
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


async def test_a_model_that_only_calls_tools_is_stopped(llm: StandIn) -> None:
    llm.responses = [calls(tool_call({}, name="loop", call_id=f"call_{i}")) for i in range(3)]
    agent = OpenAICompatibleAgent(llm.base_url, "test-model")
    with pytest.raises(AgentError, match="kept calling tools"):
        await agent.reply(DEMO_AGENT, [], "Hello?", demo_index())
    assert len(llm.requests) == 3


def test_agent_from_env_picks_the_provider() -> None:
    assert isinstance(agent_from_env({}), RuleAgent)
    assert isinstance(agent_from_env({"WIDGET_LLM_API_KEY": "sk-unused"}), RuleAgent)
    agent = agent_from_env(
        {
            "WIDGET_LLM_BASE_URL": "http://127.0.0.1:9/v1/",
            "WIDGET_LLM_MODEL": "llama3",
            "WIDGET_LLM_API_KEY": "sk-test",
        }
    )
    assert isinstance(agent, OpenAICompatibleAgent)
    assert agent.url == "http://127.0.0.1:9/v1/chat/completions"
    assert agent.model == "llama3"


@pytest.mark.parametrize(
    ("environ", "error"),
    [
        ({"WIDGET_LLM_BASE_URL": "http://127.0.0.1:9/v1"}, "WIDGET_LLM_MODEL is not set"),
        ({"WIDGET_LLM_MODEL": "llama3"}, "WIDGET_LLM_BASE_URL is not set"),
        ({"WIDGET_LLM_BASE_URL": "localhost:9", "WIDGET_LLM_MODEL": "m"}, "http"),
    ],
)
def test_agent_from_env_refuses_half_a_configuration(environ: dict[str, str], error: str) -> None:
    with pytest.raises(AgentError, match=error):
        agent_from_env(environ)
