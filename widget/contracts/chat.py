"""The public chat API's bodies as the frame sends and reads them (camelCase, as on the wire).

The server's pydantic models (widget/server, chat API) are the validating side; these TypedDicts
are the frame's, cheap to import at its start. tests/contracts/test_chat_contract.py checks that
both name exactly the same fields.
"""

# No `from __future__ import annotations`: TypedDict reads `NotRequired` only from real annotations.
from typing import Any, NotRequired, TypedDict


class Identity(TypedDict):
    """The host page's `widget.identify()`, as the frame passes it on."""

    userId: str
    userHash: NotRequired[str | None]
    email: NotRequired[str | None]
    name: NotRequired[str | None]
    attributes: NotRequired[dict[str, Any] | None]


class StartConversationRequest(TypedDict):
    """`POST /v1/conversations`; with an identity, the user's open conversation is resumed."""

    agentId: str
    identity: NotRequired[Identity | None]


class StartConversationResponse(TypedDict):
    """201 to `POST /v1/conversations`: the visitor token is handed out only here."""

    conversationId: str
    visitorToken: str
    resumed: NotRequired[bool]


class SendMessageRequest(TypedDict):
    """`POST /v1/conversations/{conversationId}/messages`; a repeated `clientMessageId` gets the
    reply the server already stored, so a retry never sends twice."""

    content: str
    clientMessageId: NotRequired[str]


class Source(TypedDict):
    """A document a reply drew on: its label (a page's title or a file's name), and a web
    page's URL (None for an uploaded file)."""

    label: str
    url: str | None


class Reply(TypedDict):
    messageId: str
    content: str
    createdAt: str
    sources: list[Source]


class LeadRef(TypedDict):
    leadId: str


class SendMessageResponse(TypedDict):
    """200 to a sent message: the agent's reply, and the lead when this message captured one.
    `reply` is None while a person is asked for or handles the conversation (`mode` "waiting"
    or "person"): a person's reply then comes on the conversation's stream. `handoffOffered`:
    the agent could not answer and offers a person (POST .../handoff)."""

    reply: Reply | None
    leadCaptured: LeadRef | None
    mode: NotRequired[str]
    handoffOffered: NotRequired[bool]


class Author(TypedDict):
    """Who wrote a message: kind "agent" (the AI), "person" (the owner's team) or "visitor"."""

    kind: str
    name: str | None


class TranscriptMessage(TypedDict):
    """A message of the transcript, and of the stream's `message` events (`eventId` is its
    event id there: resume after it with Last-Event-ID)."""

    messageId: str
    role: str
    content: str
    createdAt: str
    sources: list[Source]
    author: Author
    eventId: str


class Transcript(TypedDict):
    """200 to `GET /v1/conversations/{conversationId}/messages`."""

    conversationId: str
    messages: list[TranscriptMessage]
    ended: bool
    mode: NotRequired[str]


class Handoff(TypedDict):
    """200 to `POST /v1/conversations/{conversationId}/handoff`: the mode, and the notice it
    stored (None when a person had already been asked for)."""

    mode: str
    message: TranscriptMessage | None


class Ended(TypedDict):
    """200 to `POST /v1/conversations/{conversationId}/end`."""

    conversationId: str
    endedAt: str


class PublicAgent(TypedDict):
    """The agent's public settings, which the server puts in the frame's page."""

    agentId: str
    name: str
    welcomeMessage: str
    # The welcome per locale ({"de": "Hallo!"}); welcomeMessage for a locale it lacks.
    welcomeMessages: dict[str, str]


class ErrorDetail(TypedDict):
    code: str
    message: str


class ErrorBody(TypedDict):
    """Every error answer: a machine-readable `code` and a sentence that says what is wrong."""

    error: ErrorDetail
