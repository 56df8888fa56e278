"""The agent interface and its two implementations.

`RuleAgent`, the default, needs no outside service: it answers with passages of the agent's
knowledge, steers pricing, demo and contact questions toward leaving contact details, and captures
a lead when the visitor writes an email address. `OpenAICompatibleAgent` does the same through any
OpenAI-compatible chat endpoint with tool calling. `agent_from_env` picks one.

The server owns storage: it passes the conversation's earlier turns as `history` (without the new
message), and stores `AgentReply.lead` (complete details, to be merged into the conversation's one
lead with `widget.agent.leads.merge`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

from widget.agent.answers import Answer, Source, answer_from, relevant_hits, sources_of
from widget.agent.knowledge import KnowledgeIndex, tokenize
from widget.agent.leads import (
    EMAIL,
    LeadDetails,
    extract_lead,
    extract_lead_update,
    extract_name,
    is_email,
    merge,
)


class AgentError(RuntimeError):
    """The agent could not produce a reply (the language model endpoint failed or misbehaved)."""


@dataclass(frozen=True, slots=True)
class AgentConfig:
    agent_id: str
    name: str
    prompt: str
    welcome_message: str


@dataclass(frozen=True, slots=True)
class Turn:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class AgentReply:
    """`content` is plain text (it may hold URLs, never HTML). `lead` is set when this turn
    captured or updated the conversation's lead, and then holds every detail known so far.
    `sources` names the documents the answer drew on (with the URL of a web page), and
    `language` is the ISO 639-1 code of the language the reply is written in."""

    content: str
    lead: LeadDetails | None = None
    sources: list[Source] = field(default_factory=list)
    language: str = "en"


class Agent(Protocol):
    async def reply(
        self,
        config: AgentConfig,
        history: Sequence[Turn],
        message: str,
        knowledge: KnowledgeIndex,
    ) -> AgentReply: ...


def lead_from_history(history: Sequence[Turn]) -> LeadDetails | None:
    """The lead the visitor's earlier messages hold, every later detail folded in."""
    lead: LeadDetails | None = None
    for turn in history:
        if turn.role != "user":
            continue
        found = extract_lead(turn.content)
        if found is not None:
            lead = merge(lead, found)
        elif lead is not None:
            lead = extract_lead_update(turn.content, lead) or lead
    return lead


def _earlier_turns(history: Sequence[Turn], message: str) -> Sequence[Turn]:
    # The contract is "history without the new message"; a caller that appended it anyway
    # should not make the agent read it twice.
    if history and history[-1].role == "user" and history[-1].content == message:
        return history[:-1]
    return history


# --- The rule-based agent ----------------------------------------------------------------------

_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|hiya|howdy|greetings|yo|good\s+(?:morning|afternoon|evening|day))"
    r"(?:\s+(?:there|all|team|everyone|folks))?[\s!.,:;)]*",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|great|perfect|awesome|cool|nice|got\s+it)[\s,!.]*)?"
    r"(?:thanks|thank\s+you|thx|ty|cheers|much\s+appreciated)"
    r"(?:\s+(?:so\s+much|a\s+lot|very\s+much|a\s+bunch))?(?:\s+for\s+[\w\s']{0,40})?[\s!.:)]*$",
    re.IGNORECASE,
)
_ACKNOWLEDGEMENT = re.compile(
    r"^\s*(?:ok(?:ay)?|great|perfect|awesome|cool|nice|got\s+it|i\s+see|alright)[\s!.:)]*$",
    re.IGNORECASE,
)
_GOODBYE = re.compile(
    r"^\s*(?:bye|goodbye|good\s+bye|see\s+you|see\s+ya|that's\s+all|that\s+is\s+all|"
    r"nothing\s+else|no\s+thanks)[\s!.,:)]*(?:bye)?[\s!.]*$",
    re.IGNORECASE,
)
_INTRODUCTION_ONLY = re.compile(
    r"^\s*(?:I'?m|I\u2019m|I\s+am|my\s+name\s+is|this\s+is)\s+"
    r"[^\W\d_][\w'\u2019 .-]{0,40}?[\s!.]*$",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"\?|^\s*(?:what|how|why|when|where|who|which|can|could|do|does|did|is|are|will|would|"
    r"should|may|tell\s+me|explain)\b",
    re.IGNORECASE,
)

_DEMO = "demo"
_PRICING = "pricing"
_CONTACT = "contact"
_INTENTS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        _DEMO,
        re.compile(
            r"\b(?:demo|demos|demonstration|walk-?through|trial|see\s+it\s+in\s+action|"
            r"book\s+a\s+(?:call|meeting)|schedule\s+a\s+(?:call|meeting))\b",
            re.IGNORECASE,
        ),
        "demo trial",
    ),
    (
        _PRICING,
        re.compile(
            r"\b(?:price|prices|pricing|priced|cost|costs|how\s+much|plan|plans|quote|"
            r"subscription|billing|billed|pay|fee|fees|discount|licen[cs]e|expensive|cheap)\b",
            re.IGNORECASE,
        ),
        "pricing price plan cost",
    ),
    (
        _CONTACT,
        re.compile(
            r"\b(?:contact|sales|salesperson|talk\s+to|speak\s+(?:to|with)|call\s+me|"
            r"reach\s+(?:you|out)|get\s+in\s+touch|human|real\s+person|representative|"
            r"email\s+you|your\s+email|phone\s+number|account\s+manager)\b",
            re.IGNORECASE,
        ),
        "contact team",
    ),
)

_ASK_FOR_DETAILS = {
    _DEMO: (
        "I'd be happy to set up a demo: leave your name and email address here, and our team "
        "will get in touch to find a time."
    ),
    _PRICING: (
        "If you'd like a quote or help choosing a plan, leave your name and email address here "
        "and our team will follow up."
    ),
    _CONTACT: (
        "To reach our team, leave your name and email address here (and a phone number if "
        "you'd like a call), and someone will get back to you."
    ),
}
_TOPIC = {_DEMO: "a demo", _PRICING: "pricing", _CONTACT: "your request"}


def _intent(text: str) -> tuple[str, str, str] | None:
    """The intent's name, words to search the knowledge with, and the text without the words
    that gave the intent away."""
    for name, pattern, query_terms in _INTENTS:
        if pattern.search(text):
            return name, query_terms, pattern.sub(" ", text)
    return None


def _first_name(lead: LeadDetails) -> str:
    return f", {lead.name.split()[0]}" if lead.name else ""


def _field_names(lead: LeadDetails, before: LeadDetails | None) -> list[str]:
    names = []
    for label, attribute in (
        ("name", "name"),
        ("email address", "email"),
        ("phone number", "phone"),
        ("company", "company"),
    ):
        value = getattr(lead, attribute)
        if value is not None and (before is None or getattr(before, attribute) != value):
            names.append(label)
    return names


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _lead_acknowledgement(lead: LeadDetails, before: LeadDetails | None) -> str:
    if before is None:
        extras = [label for label in _field_names(lead, None) if label != "email address"]
        noted = f"your email address ({lead.email})" + (f", {_join(extras)}" if extras else "")
        return (
            f"Thanks{_first_name(lead)}! I've noted {noted}. Someone from our team will be in "
            "touch with you soon."
        )
    changed = _field_names(lead, before)
    if not changed:
        return (
            f"Thanks{_first_name(lead)}, I already have your details: the team will be in "
            f"touch at {lead.email}."
        )
    return (
        f"Thanks{_first_name(lead)}, I've updated your {_join(changed)}. The team will be in "
        f"touch at {lead.email}."
    )


class RuleAgent:
    """The default agent: no outside service, no invented facts.

    It does not follow `config.prompt` (it has no language model to follow it with); it speaks
    only in fixed phrases and in passages of the agent's knowledge.
    """

    async def reply(
        self,
        config: AgentConfig,
        history: Sequence[Turn],
        message: str,
        knowledge: KnowledgeIndex,
    ) -> AgentReply:
        return self.respond(config, history, message, knowledge)

    def respond(
        self,
        config: AgentConfig,
        history: Sequence[Turn],
        message: str,
        knowledge: KnowledgeIndex,
    ) -> AgentReply:
        """The reply, computed synchronously (it does no I/O)."""
        text = message.strip()
        known = lead_from_history(_earlier_turns(history, message))

        found = extract_lead(text)
        lead = merge(known, found) if found is not None else None
        if lead is None and known is not None:
            lead = extract_lead_update(text, known)
        if lead is not None:
            parts = [_lead_acknowledgement(lead, known)]
            rest = EMAIL.sub(" ", text)
            answer = answer_from(knowledge, rest) if _QUESTION.search(rest) else None
            if answer is not None:
                parts.append(answer.text)
            return AgentReply("\n\n".join(parts), lead, list(answer.sources) if answer else [])

        after_greeting = _GREETING.sub("", text, count=1).strip()
        if not after_greeting or _INTRODUCTION_ONLY.match(after_greeting):
            return AgentReply(self._greeting(config, after_greeting))
        if _THANKS.match(after_greeting):
            return AgentReply("You're welcome! Is there anything else I can help you with?")
        if _ACKNOWLEDGEMENT.match(after_greeting):
            return AgentReply("Is there anything else you'd like to know?")
        if _GOODBYE.match(after_greeting):
            return AgentReply("Thanks for stopping by! Come back any time if you have questions.")

        intent = _intent(after_greeting)
        if intent is not None:
            name, query_terms, rest = intent
            steer = (
                f"Our team has your email address ({known.email}) and will follow up with you "
                f"about {_TOPIC[name]}."
                if known is not None
                else _ASK_FOR_DETAILS[name]
            )
            # "I'll email you later" is no question to look up; "pricing?" or "demo" is.
            wants_answer = name != _CONTACT or _QUESTION.search(after_greeting) is not None
            answer = answer_from(knowledge, after_greeting) if wants_answer else None
            if wants_answer and answer is None and not tokenize(rest):
                # "Is it expensive?" says nothing but the intent: look it up by the intent's
                # words. Not "can I pay with bitcoin?", whose point is a word the knowledge lacks.
                answer = answer_from(knowledge, f"{after_greeting} {query_terms}")
            if wants_answer and answer is None and tokenize(rest):
                steer = f"I'm sorry, I don't have information about that. {steer}"
            return self._with_answer(answer, steer)

        answer = answer_from(knowledge, after_greeting)
        if answer is not None:
            return AgentReply(answer.text, None, list(answer.sources))
        if known is not None:
            return AgentReply(
                "I'm sorry, I don't know the answer to that: it isn't covered by the information "
                f"I have. I'll leave it to our team, who can follow up with you at {known.email}."
            )
        return AgentReply(
            "I'm sorry, I don't know the answer to that: it isn't covered by the information I "
            "have. If you leave your email address, someone from our team can get back to you."
        )

    @staticmethod
    def _greeting(config: AgentConfig, after_greeting: str) -> str:
        name = extract_name(after_greeting) if after_greeting else None
        hello = f"Nice to meet you, {name.split()[0]}!" if name else "Hello!"
        return f"{hello} What would you like to know? I can answer questions about {config.name}."

    @staticmethod
    def _with_answer(answer: Answer | None, steer: str) -> AgentReply:
        if answer is None:
            return AgentReply(steer)
        return AgentReply(f"{answer.text}\n\n{steer}", None, list(answer.sources))


# --- The OpenAI-compatible agent ---------------------------------------------------------------

CAPTURE_LEAD_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "capture_lead",
        "description": (
            "Save the visitor's contact details for the sales team. Call it when the visitor "
            "has written their email address; include the name, phone and company only if the "
            "visitor gave them."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "The visitor's full name."},
                "email": {"type": "string", "description": "The visitor's email address."},
                "phone": {"type": "string", "description": "The visitor's phone number."},
                "company": {"type": "string", "description": "The visitor's company."},
            },
            "required": ["email"],
            "additionalProperties": False,
        },
    },
}

_RULES = """\
You are {name}, the chat assistant on this website.
Answer only from the context passages below. If they do not answer the question, say that you do \
not know and offer to connect the visitor with the team; never invent facts, prices or links.
When the visitor asks about pricing, a demo or talking to someone, invite them to leave their name \
and email address.
When the visitor writes their email address, call the capture_lead tool with the details they \
gave (never guess a detail they did not give).
Reply in plain text, without HTML or Markdown formatting."""

_MAX_TOOL_ROUNDS = 3
# The model reads the passages and judges them itself, so it may see looser matches than the
# rule agent would quote ("I'm Jane from Acme, what does the Team plan cost?").
_LLM_MIN_COVERAGE = 0.25


class OpenAICompatibleAgent:
    """An agent backed by `POST {base_url}/chat/completions` in the OpenAI chat format.

    The system message holds the agent's prompt and the retrieved passages; `capture_lead` is
    offered as a tool, its arguments checked (the email address must be well formed and written
    by the visitor) before a lead is returned. If the model does not call the tool although the
    visitor wrote an email address, the lead is still captured from the message itself.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        client: httpx.AsyncClient | None = None,
        *,
        timeout: float = 60.0,
        temperature: float = 0.2,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key or None
        self._client = client
        self._timeout = timeout
        self._temperature = temperature

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    async def reply(
        self,
        config: AgentConfig,
        history: Sequence[Turn],
        message: str,
        knowledge: KnowledgeIndex,
    ) -> AgentReply:
        earlier = _earlier_turns(history, message)
        query = self._retrieval_query(earlier, message)
        hits = relevant_hits(knowledge, query, k=3, min_coverage=_LLM_MIN_COVERAGE)
        sources = sources_of(chunk for chunk, _ in hits)
        context = "\n\n".join(
            f"[{number}] (from {chunk.document})\n{chunk.text}"
            for number, (chunk, _) in enumerate(hits, start=1)
        )
        system = "\n\n".join(
            part
            for part in (
                config.prompt.strip(),
                _RULES.format(name=config.name),
                "Context:\n" + (context or "(nothing in the knowledge base matches this message)"),
            )
            if part
        )
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
        messages += [{"role": turn.role, "content": turn.content} for turn in earlier]
        messages.append({"role": "user", "content": message})
        visitor_text = "\n".join([t.content for t in earlier if t.role == "user"] + [message])

        known = lead_from_history(earlier)
        captured: LeadDetails | None = None
        if self._client is not None:
            content, captured = await self._converse(self._client, messages, visitor_text)
        else:
            async with httpx.AsyncClient() as client:
                content, captured = await self._converse(client, messages, visitor_text)

        if captured is None:
            captured = extract_lead(message)
        lead = merge(known, captured) if captured is not None else None
        return AgentReply(content, lead, sources)

    @staticmethod
    def _retrieval_query(history: Sequence[Turn], message: str) -> str:
        # An email address is no search term; "And the Business plan?" means little alone, so
        # the previous question gives it context.
        query = EMAIL.sub(" ", message)
        if len(query.split()) < 5:
            previous = [turn.content for turn in history if turn.role == "user"][-1:]
            query = " ".join([*previous, query])
        return query

    async def _converse(
        self, client: httpx.AsyncClient, messages: list[dict[str, Any]], visitor_text: str
    ) -> tuple[str, LeadDetails | None]:
        captured: LeadDetails | None = None
        for _ in range(_MAX_TOOL_ROUNDS):
            response = await self._complete(client, messages)
            tool_calls = response.get("tool_calls")
            if not tool_calls:
                content = response.get("content")
                if not isinstance(content, str) or not content.strip():
                    raise AgentError(
                        f"malformed response from {self.url}: the message has no text content"
                    )
                return content.strip(), captured
            if not isinstance(tool_calls, list):
                raise AgentError(f"malformed response from {self.url}: tool_calls is not a list")
            messages.append(
                {"role": "assistant", "content": response.get("content"), "tool_calls": tool_calls}
            )
            for call in tool_calls:
                call_id, result, lead = self._run_tool(call, visitor_text)
                if lead is not None:
                    captured = merge(captured, lead)
                messages.append({"role": "tool", "tool_call_id": call_id, "content": result})
        raise AgentError(
            f"the language model at {self.url} kept calling tools for {_MAX_TOOL_ROUNDS} rounds "
            "without answering"
        )

    def _run_tool(self, call: Any, visitor_text: str) -> tuple[str, str, LeadDetails | None]:
        """The tool call's id, the result to send back, and the lead it captured, if any."""
        try:
            call_id = call["id"]
            function = call["function"]
            name = function["name"]
            arguments = function.get("arguments") or "{}"
            if not isinstance(call_id, str) or not isinstance(name, str):
                raise TypeError("id and function.name must be strings")
        except (KeyError, TypeError, AttributeError) as error:
            raise AgentError(f"malformed tool call from {self.url}: {call!r}") from error
        if name != "capture_lead":
            return call_id, json.dumps({"error": f"unknown tool {name!r}"}), None
        try:
            parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
        except json.JSONDecodeError:
            return call_id, json.dumps({"error": "the arguments are not valid JSON"}), None
        if not isinstance(parsed, dict):
            return call_id, json.dumps({"error": "the arguments must be a JSON object"}), None
        email = parsed.get("email")
        if not isinstance(email, str) or not is_email(email):
            return call_id, json.dumps({"error": "email must be a valid email address"}), None
        email = email.strip()
        if email.lower() not in visitor_text.lower():
            reason = "the visitor did not write that email address; ask them for it"
            return call_id, json.dumps({"error": reason}), None

        def optional(key: str) -> str | None:
            value = parsed.get(key)
            return value.strip() or None if isinstance(value, str) else None

        lead = LeadDetails(
            email=email,
            name=optional("name"),
            phone=optional("phone"),
            company=optional("company"),
        )
        return call_id, json.dumps({"status": "captured"}), lead

    async def _complete(
        self, client: httpx.AsyncClient, messages: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """One chat completion; returns `choices[0].message`."""
        body = {
            "model": self.model,
            "messages": messages,
            "tools": [CAPTURE_LEAD_TOOL],
            "temperature": self._temperature,
        }
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            response = await client.post(
                self.url, json=body, headers=headers, timeout=self._timeout
            )
            response.raise_for_status()
        except httpx.TimeoutException as error:
            raise AgentError(
                f"the language model at {self.url} did not answer within {self._timeout} s"
            ) from error
        except httpx.HTTPStatusError as error:
            detail = error.response.text[:300]
            raise AgentError(
                f"the language model at {self.url} answered HTTP "
                f"{error.response.status_code}: {detail}"
            ) from error
        except httpx.HTTPError as error:
            raise AgentError(
                f"could not reach the language model at {self.url}: {error}"
            ) from error
        try:
            message = response.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise AgentError(
                f"malformed response from {self.url}: expected choices[0].message, got "
                f"{response.text[:300]!r}"
            ) from error
        if not isinstance(message, dict):
            raise AgentError(
                f"malformed response from {self.url}: choices[0].message is not an object"
            )
        return message


# --- Choosing an agent -------------------------------------------------------------------------


def agent_from_env(environ: Mapping[str, str] | None = None) -> Agent:
    """`OpenAICompatibleAgent` when `WIDGET_LLM_BASE_URL` and `WIDGET_LLM_MODEL` are set
    (`WIDGET_LLM_API_KEY` optional), else `RuleAgent`. Setting only one of the two is an error."""
    env = os.environ if environ is None else environ
    base_url = env.get("WIDGET_LLM_BASE_URL", "").strip()
    model = env.get("WIDGET_LLM_MODEL", "").strip()
    if base_url and model:
        if not re.match(r"https?://", base_url):
            raise AgentError(f"WIDGET_LLM_BASE_URL must be an http(s) URL, got {base_url!r}")
        api_key = env.get("WIDGET_LLM_API_KEY", "").strip() or None
        return OpenAICompatibleAgent(base_url, model, api_key)
    if base_url or model:
        missing = "WIDGET_LLM_MODEL" if base_url else "WIDGET_LLM_BASE_URL"
        raise AgentError(
            f"{missing} is not set: set both WIDGET_LLM_BASE_URL and WIDGET_LLM_MODEL to use a "
            "language model, or neither to use the built-in agent"
        )
    return RuleAgent()
