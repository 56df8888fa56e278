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
from widget.agent.handoff import offer_person
from widget.agent.knowledge import KnowledgeIndex, tokenize
from widget.agent.language import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, detect_language
from widget.agent.leads import (
    EMAIL,
    LeadDetails,
    extract_lead,
    extract_lead_update,
    extract_name,
    is_email,
    merge,
    with_owner,
)
from widget.agent.phrases import (
    CONTACT,
    PHRASE_LANGUAGES,
    Intent,
    Phrases,
    phrases_for,
    small_talk_language,
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
    # True when the agent could not answer and offered the visitor a person instead.
    handoff_offered: bool = False


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


# --- The visitor's language ----------------------------------------------------------------------


def visitor_language(
    message: str, history: Sequence[Turn] = (), knowledge: KnowledgeIndex | None = None
) -> str:
    """The language to answer `message` in: its small talk's ("Hallo", "merci"), else the one it
    is written in, else that of the visitor's earlier messages, else the knowledge's."""
    text = EMAIL.sub(" ", message).strip()
    claimed = small_talk_language(text)
    if claimed is not None:
        return claimed
    knowledge_languages = knowledge.languages if knowledge is not None else ()
    candidates = {*PHRASE_LANGUAGES, *knowledge_languages}
    detected = detect_language(text, candidates, min_confidence=0.7)
    if detected is None:
        earlier = " ".join(
            EMAIL.sub(" ", turn.content) for turn in history[-6:] if turn.role == "user"
        )
        if earlier.strip():
            detected = small_talk_language(earlier.strip()) or detect_language(
                f"{earlier} {text}", candidates, min_confidence=0.7
            )
    if detected is None and knowledge is not None and len(knowledge):
        detected = knowledge.main_language
    return detected or DEFAULT_LANGUAGE


# --- The rule-based agent ----------------------------------------------------------------------


def _intent(phrases: Phrases, text: str) -> tuple[Intent, str] | None:
    """The intent, and the text without the words that gave it away."""
    for intent in phrases.intents:
        if intent.pattern.search(text):
            return intent, intent.pattern.sub(" ", text)
    return None


def _changed_fields(lead: LeadDetails, before: LeadDetails | None) -> list[str]:
    return [
        attribute
        for attribute in ("name", "email", "phone", "company")
        if getattr(lead, attribute) is not None
        and (before is None or getattr(before, attribute) != getattr(lead, attribute))
    ]


def _lead_acknowledgement(phrases: Phrases, lead: LeadDetails, before: LeadDetails | None) -> str:
    first = phrases.first_name(lead.name)
    if before is None:
        extras = [phrases.field_names[f] for f in _changed_fields(lead, None) if f != "email"]
        noted = phrases.your_email.format(email=lead.email)
        noted += f", {phrases.join(extras)}" if extras else ""
        return phrases.lead_noted.format(first=first, noted=noted)
    changed = [phrases.field_names[f] for f in _changed_fields(lead, before)]
    if not changed:
        return phrases.lead_known.format(first=first, email=lead.email)
    return phrases.lead_updated.format(first=first, fields=phrases.join(changed), email=lead.email)


class RuleAgent:
    """The default agent: no outside service, no invented facts.

    It does not follow `config.prompt` (it has no language model to follow it with); it speaks
    only in fixed phrases, in the visitor's language where it has them (see
    `widget.agent.phrases`), and in passages of the agent's knowledge.
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
        earlier = _earlier_turns(history, message)
        language = visitor_language(text, earlier, knowledge)
        phrases = phrases_for(language)
        known = lead_from_history(earlier)

        def say(
            content: str, answer: Answer | None = None, lead: LeadDetails | None = None
        ) -> AgentReply:
            sources = list(answer.sources) if answer is not None else []
            return AgentReply(content, lead, sources, language)

        def refuse(content: str) -> AgentReply:
            # Out of scope: the visitor may ask for a person instead (the server hands over).
            offer = offer_person(phrases.language)
            return AgentReply(f"{content} {offer}", None, [], language, handoff_offered=True)

        def look_up(query: str) -> Answer | None:
            return answer_from(knowledge, query, language)

        found = extract_lead(text)
        lead = merge(known, found) if found is not None else None
        if lead is None and known is not None:
            lead = extract_lead_update(text, known)
        if lead is not None:
            parts = [_lead_acknowledgement(phrases, lead, known)]
            rest = EMAIL.sub(" ", text)
            answer = look_up(rest) if phrases.question.search(rest) else None
            if answer is not None:
                parts.append(answer.text)
            return say("\n\n".join(parts), answer, lead)

        after_greeting = phrases.greeting.sub("", text, count=1).strip()
        if not after_greeting or phrases.introduction_only.match(after_greeting):
            return say(self._greeting(config, phrases, after_greeting))
        if phrases.thanks.match(after_greeting):
            return say(phrases.you_are_welcome)
        if phrases.acknowledgement.match(after_greeting):
            return say(phrases.anything_else)
        if phrases.goodbye.match(after_greeting):
            return say(phrases.goodbye_reply)

        intent = _intent(phrases, after_greeting)
        if intent is not None:
            kind, rest = intent
            steer = (
                phrases.team_will_follow_up.format(
                    email=known.email, topic=phrases.topic[kind.name]
                )
                if known is not None
                else phrases.ask_for_details[kind.name]
            )
            # "I'll email you later" is no question to look up; "pricing?" or "demo" is.
            wants_answer = (
                kind.name != CONTACT or phrases.question.search(after_greeting) is not None
            )
            answer = look_up(after_greeting) if wants_answer else None
            says_more = bool(tokenize(rest, language if language in SUPPORTED_LANGUAGES else "en"))
            if wants_answer and answer is None and not says_more:
                # "Is it expensive?" says nothing but the intent: look it up by the intent's
                # words. Not "can I pay with bitcoin?", whose point is a word the knowledge lacks.
                answer = look_up(f"{after_greeting} {kind.query_terms}")
            if wants_answer and answer is None and says_more:
                return refuse(f"{phrases.no_information} {steer}")
            if answer is None:
                return say(steer)
            return say(f"{answer.text}\n\n{steer}", answer)

        answer = look_up(after_greeting)
        if answer is not None:
            return say(answer.text, answer)
        if known is not None:
            return refuse(phrases.dont_know_with_email.format(email=known.email))
        return refuse(phrases.dont_know)

    @staticmethod
    def _greeting(config: AgentConfig, phrases: Phrases, after_greeting: str) -> str:
        name = extract_name(after_greeting) if after_greeting else None
        introduction = phrases.introduction_only.match(after_greeting)
        if name is None and introduction is not None:
            said = introduction.group("name").strip()
            name = said if said[:1].isupper() else None
        hello = phrases.nice_to_meet_you.format(name=name.split()[0]) if name else phrases.hello
        return f"{hello} {phrases.what_to_know.format(agent=config.name)}"


# --- The OpenAI-compatible agent ---------------------------------------------------------------

_LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "nl": "Dutch", "pt": "Portuguese", "sv": "Swedish", "da": "Danish", "no": "Norwegian",
    "fi": "Finnish", "ru": "Russian", "pl": "Polish", "cs": "Czech", "hu": "Hungarian",
    "ro": "Romanian", "tr": "Turkish", "ca": "Catalan",
}  # fmt: skip

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
        language = visitor_language(message, earlier, knowledge)
        hits = relevant_hits(
            knowledge, query, k=3, min_coverage=_LLM_MIN_COVERAGE, language=language
        )
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
                f"The visitor writes in {_LANGUAGE_NAMES.get(language, language)}: reply in it.",
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

        # Whose address the model captured is for the visitor's words to say (see `merge`).
        captured = extract_lead(message) if captured is None else with_owner(captured, message)
        lead = merge(known, captured) if captured is not None else None
        return AgentReply(content, lead, sources, language)

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
