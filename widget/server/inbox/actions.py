"""What a person of the owner's team does with a conversation: reply (and so take it over), hand
it back to the AI, close it. Each change reaches the visitor's stream and the inbox streams."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from widget.server.chat.live import changed
from widget.server.chat.messages import add_assistant_message, message_out
from widget.server.chat.modes import HANDED_BACK, TAKEN_OVER, switch_mode
from widget.server.chat.schemas import MessageOut, ModeOut
from widget.server.chat.service import end_conversation_now, ended_error
from widget.server.chat.tables import Conversation
from widget.server.core.config import Settings
from widget.server.core.db import transaction, utcnow, writer_turn
from widget.server.core.errors import ApiError
from widget.server.inbox.schemas import ClosedOut, PersonReplyIn


def _open_conversation(session: Session, conversation_id: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ApiError(404, "not_found", f"No conversation {conversation_id!r}.")
    session.refresh(conversation)
    if conversation.ended_at is not None:
        raise ended_error(conversation_id)
    return conversation


def person_reply(
    sessions: sessionmaker[Session], settings: Settings, conversation_id: str, body: PersonReplyIn
) -> MessageOut:
    """A person's reply: stored, announced (`message.sent`, role assistant, author person),
    pushed to the visitor; the conversation is the person's from now on (the AI is silent)."""
    with (
        writer_turn(settings.database_busy_timeout, sessions=sessions),
        transaction(sessions) as session,
    ):
        now = utcnow()
        # The write comes first: it takes the write lock and refuses an ended conversation.
        touched = session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.ended_at.is_(None))
            .values(last_activity_at=now)
        )
        if touched.rowcount != 1:  # type: ignore[attr-defined]
            _open_conversation(session, conversation_id)  # 404, else 409
        switch_mode(session, conversation_id, "person", TAKEN_OVER, only_from=("agent", "waiting"))
        conversation = _open_conversation(session, conversation_id)
        message = add_assistant_message(
            session, conversation, body.content, "person", name=body.author_name, when=now
        )
        changed(session, conversation_id)
        return message_out(message)


def hand_back(sessions: sessionmaker[Session], settings: Settings, conversation_id: str) -> ModeOut:
    """The AI answers again (from waiting or person; already the AI's: nothing changes)."""
    with (
        writer_turn(settings.database_busy_timeout, sessions=sessions),
        transaction(sessions) as session,
    ):
        _open_conversation(session, conversation_id)
        if switch_mode(
            session, conversation_id, "agent", HANDED_BACK, only_from=("waiting", "person")
        ):
            changed(session, conversation_id)
        return ModeOut(mode="agent")


def close(sessions: sessionmaker[Session], settings: Settings, conversation_id: str) -> ClosedOut:
    """End the conversation as the visitor's /end does (`conversation.ended`); its streams say
    `ended`. Closing a closed conversation says when it ended."""
    with (
        writer_turn(settings.database_busy_timeout, sessions=sessions),
        transaction(sessions) as session,
    ):
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise ApiError(404, "not_found", f"No conversation {conversation_id!r}.")
        if conversation.ended_at is None:
            end_conversation_now(session, conversation_id, utcnow())
        session.refresh(conversation)
        assert conversation.ended_at is not None
        return ClosedOut(conversation_id=conversation_id, ended_at=conversation.ended_at)
