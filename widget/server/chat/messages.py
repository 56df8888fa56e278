"""Messages as the API shows them (with their author and stream event id), the conversation's
mode, and adding a message with its `message.sent` webhook event.

Authors: "visitor" (role user), "agent" (the AI), "person" (the owner's team, with a name), and
"system": a notice no request of the frame was answered with (nobody-there), shown as the agent.
A conversation's streams push the messages of people and the system (`PUSHED_KINDS`): the
visitor's own messages and the AI's replies reach the frame in the answer to its POST.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from widget.events import MessageAuthor, MessageSentData
from widget.server.chat.schemas import AuthorOut, MessageOut, Mode, SourceOut
from widget.server.chat.tables import Conversation, Message
from widget.server.core.db import utcnow
from widget.server.core.ids import new_id
from widget.server.webhooks.outbox import enqueue

AuthorKind = Literal["visitor", "agent", "person", "system"]
PUSHED_KINDS = ("person", "system")
MODES: tuple[Mode, ...] = ("agent", "waiting", "person")


def mode_of(conversation: Conversation) -> Mode:
    mode = conversation.mode
    return mode if mode in ("waiting", "person") else "agent"  # type: ignore[return-value]


def author_kind(message: Message) -> AuthorKind:
    kind = message.author_kind
    if kind in ("visitor", "agent", "person", "system"):
        return kind  # type: ignore[return-value]
    return "visitor" if message.role == "user" else "agent"  # stored before authors were


def author_out(message: Message) -> AuthorOut:
    kind = author_kind(message)
    return AuthorOut(
        kind="agent" if kind == "system" else kind,
        name=message.author_name if kind == "person" else None,
    )


def sources_out(message: Message) -> list[SourceOut]:
    return [
        SourceOut(label=source["label"], url=source.get("url")) for source in message.sources or []
    ]


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        message_id=message.id,
        role=message.role,
        content=message.content,
        created_at=message.created_at,
        sources=sources_out(message),
        author=author_out(message),
        event_id=str(message.seq),
    )


def announce(session: Session, message: Message, agent_id: str) -> None:
    """The message's `message.sent` webhook event, with its author beside the seed's fields."""
    author = author_out(message)
    conversation = session.get(Conversation, message.conversation_id)
    enqueue(
        session,
        "message.sent",
        MessageSentData(
            message_id=message.id,
            conversation_id=message.conversation_id,
            agent_id=agent_id,
            role="assistant" if message.role == "assistant" else "user",
            content=message.content,
            created_at=message.created_at,
            author=MessageAuthor(kind=author.kind, name=author.name),
            user_id=None if conversation is None else conversation.user_id,
        ),
    )


def add_assistant_message(
    session: Session,
    conversation: Conversation,
    content: str,
    kind: AuthorKind,
    *,
    name: str | None = None,
    reply_to_id: str | None = None,
    when: datetime | None = None,
) -> Message:
    """Store an assistant message (the agent's notice, a person's reply, a system notice) with
    its webhook event; flushed, so its `seq` (the stream's event id) is known."""
    message = Message(
        id=new_id("msg"),
        conversation_id=conversation.id,
        role="assistant",
        content=content,
        created_at=when or utcnow(),
        reply_to_id=reply_to_id,
        author_kind=kind,
        author_name=name,
    )
    session.add(message)
    session.flush()
    announce(session, message, conversation.agent_id)
    return message
