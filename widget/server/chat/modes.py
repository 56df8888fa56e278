"""Who answers a conversation, and the changes of it.

"agent": the AI answers (the default). "waiting": the visitor asked for a person (the action
`POST .../handoff`, or a phrase such as "can I talk to a human?"); the AI is silent. "person": a
person of the owner's team replied and so took the conversation over; the AI is silent until
they hand it back. A wait with no person's reply for the agent's `handoffTimeoutSeconds` ends
with the nobody-there notice and mode "agent" again (`widget.server.chat.unanswered`).

Each change is a conditional UPDATE, so two requests racing (two clicks, two processes) change
it once, and each records its `reason`, which the streams' `mode` events carry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from widget.agent.core import visitor_language
from widget.agent.handoff import handoff_notice
from widget.server.agents.tables import Agent
from widget.server.chat.live import changed
from widget.server.chat.messages import add_assistant_message, message_out, mode_of
from widget.server.chat.schemas import HandoffOut, Mode
from widget.server.chat.tables import Conversation, Message
from widget.server.core.config import Settings
from widget.server.core.db import transaction, utcnow, writer_turn
from widget.server.core.errors import ApiError

# Seconds a visitor waits for a person before the nobody-there notice, unless the agent says.
DEFAULT_HANDOFF_TIMEOUT_SECONDS = 120
REQUESTED = "requested"
TAKEN_OVER = "takenOver"
HANDED_BACK = "handedBack"
UNANSWERED = "unanswered"


def handoff_timeout(agent: Agent) -> int:
    return agent.handoff_timeout_seconds or DEFAULT_HANDOFF_TIMEOUT_SECONDS


def set_waiting(conversation: Conversation, when: datetime) -> None:
    conversation.mode = "waiting"
    conversation.mode_reason = REQUESTED
    conversation.waiting_since = when


def switch_mode(
    session: Session, conversation_id: str, to: Mode, reason: str, *, only_from: tuple[Mode, ...]
) -> bool:
    """Change the mode if it is one of `only_from` and the conversation is open; True if it
    changed. Leaving "waiting" ends the wait."""
    froms: list[ColumnElement[bool]] = [
        Conversation.mode.in_([m for m in only_from if m != "agent"])
    ]
    if "agent" in only_from:
        froms += [Conversation.mode.is_(None), Conversation.mode == "agent"]
    result = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.ended_at.is_(None), or_(*froms))
        .values(
            mode=to,
            mode_reason=reason,
            waiting_since=utcnow() if to == "waiting" else None,
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def conversation_language(session: Session, conversation: Conversation) -> str:
    """The language the agent last answered in, else that of the visitor's last messages."""
    if conversation.language:
        return conversation.language
    recent = session.scalars(
        select(Message.content)
        .where(Message.conversation_id == conversation.id, Message.role == "user")
        .order_by(Message.seq.desc())
        .limit(3)
    ).all()
    if not recent:
        return "en"
    return visitor_language(" ".join(reversed(recent)))


def request_handoff(
    sessions: sessionmaker[Session], settings: Settings, conversation: Conversation
) -> HandoffOut:
    """The visitor asks for a person: the notice, in their language, and mode "waiting". Asked
    again (waiting, or a person has it already), the mode as it is and no new message."""
    with (
        writer_turn(settings.database_busy_timeout, sessions=sessions),
        transaction(sessions) as session,
    ):
        if not switch_mode(session, conversation.id, "waiting", REQUESTED, only_from=("agent",)):
            current = session.get_one(Conversation, conversation.id)
            session.refresh(current)
            if current.ended_at is not None:
                raise ApiError(
                    409,
                    "conversation_ended",
                    f"Conversation {conversation.id!r} has ended; start a new conversation.",
                )
            return HandoffOut(mode=mode_of(current), message=None)
        current = session.get_one(Conversation, conversation.id)
        session.refresh(current)
        language = conversation_language(session, current)
        notice = add_assistant_message(session, current, handoff_notice(language), "agent")
        current.last_activity_at = notice.created_at
        changed(session, conversation.id)
        return HandoffOut(mode="waiting", message=message_out(notice))
