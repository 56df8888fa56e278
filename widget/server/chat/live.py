"""Live delivery: "conversation X changed", from the commit that changed it to every open stream.

A transaction that changes what a stream shows (a message, the mode, the end) calls
`changed(session, conversation_id)`. That raises the conversation's `changed_at` in the same
transaction, and at commit (only if it commits) tells this process's `Broadcaster`; on PostgreSQL
it also NOTIFYs the `widget_chat` channel with the conversation id, and every API process's
`NotificationListener` passes it to its own broadcaster. On SQLite, `ChangePoller` looks for
raised `changed_at`s every few seconds, so two processes on one file still converge.

A notification carries no content: each stream that wakes RE-READS from the database what comes
after its last event, so a notification lost, doubled or late never loses or doubles a message.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker

from widget.server.chat.tables import Conversation
from widget.server.core.db import utcnow
from widget.server.core.notify import CHAT_CHANNEL, notify

log = logging.getLogger(__name__)

# The key every inbox stream watches: it wakes on a change to any conversation.
INBOX = "*"
_CHANGED = "widget.live.changed"
_HOOKED = "widget.live.hooked"


class Broadcaster:
    """Wakes the streams of this process that watch a conversation (or the inbox).

    `publish` may be called from any thread (the commit hooks run in request threads, the
    listener in its own); the waiters are asyncio events of the app's event loop.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[str, set[asyncio.Event]] = {}
        # Set when the app shuts down: every stream ends, so the server does not wait on them.
        self.closing = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.closing = False

    def stop(self) -> None:
        self.closing = True
        self._wake(INBOX)
        self._loop = None

    def publish(self, conversation_id: str) -> None:
        """Conversation `conversation_id` changed ("" or INBOX: any conversation may have)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._wake, conversation_id)

    def _wake(self, conversation_id: str) -> None:
        if conversation_id in ("", INBOX):
            targets = [w for waiters in self._waiters.values() for w in waiters]
        else:
            targets = [*self._waiters.get(conversation_id, ()), *self._waiters.get(INBOX, ())]
        for waiter in targets:
            waiter.set()

    @contextmanager
    def subscribe(self, key: str) -> Iterator[asyncio.Event]:
        """An event set whenever `key` (a conversation id, or INBOX) may have changed; the
        stream clears it before it re-reads."""
        waiter = asyncio.Event()
        self._waiters.setdefault(key, set()).add(waiter)
        try:
            yield waiter
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._waiters[key]

    @property
    def stream_count(self) -> int:
        return sum(len(waiters) for waiters in self._waiters.values())


_BROADCASTERS: weakref.WeakKeyDictionary[Engine, Broadcaster] = weakref.WeakKeyDictionary()


def broadcaster_for(engine: Engine) -> Broadcaster:
    """The broadcaster of the app on `engine` (one app, one engine, one broadcaster)."""
    found = _BROADCASTERS.get(engine)
    if found is None:
        found = _BROADCASTERS[engine] = Broadcaster()
    return found


def _publish_after_commit(session: Session) -> None:
    ids: set[str] = session.info.pop(_CHANGED, set())
    if not ids:
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    broadcaster = broadcaster_for(engine)
    for conversation_id in ids:
        broadcaster.publish(conversation_id)


def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def changed(session: Session, conversation_id: str, when: datetime | None = None) -> None:
    """Record, in the caller's transaction, that the conversation changed: its streams and the
    inbox streams of every process re-read it once this commits."""
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(changed_at=when or utcnow())
    )
    notify(session, CHAT_CHANNEL, conversation_id)
    session.info.setdefault(_CHANGED, set()).add(conversation_id)
    if not session.info.get(_HOOKED):
        session.info[_HOOKED] = True
        sa_event.listen(session, "after_commit", _publish_after_commit)
        sa_event.listen(session, "after_soft_rollback", lambda s, _t: _forget_after_rollback(s))


# How far back each poll looks beyond the last one: a transaction that took its `changed_at`
# before the previous poll but committed after it is still found.
POLL_OVERLAP = timedelta(seconds=5)


class ChangePoller:
    """A service for SQLite: every `interval` seconds, publish the conversations whose
    `changed_at` was raised since the last look (by another process on the same file, or this
    one: a second wake is harmless, the streams re-read)."""

    def __init__(
        self, sessions: sessionmaker[Session], broadcaster: Broadcaster, interval: float
    ) -> None:
        self.sessions = sessions
        self.broadcaster = broadcaster
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: dict[str, datetime] = {}

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="chat-change-poll", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def poll_once(self, since: datetime) -> None:
        with self.sessions() as session:
            rows = session.execute(
                select(Conversation.id, Conversation.changed_at).where(
                    Conversation.changed_at >= since - POLL_OVERLAP
                )
            ).all()
        fresh = {cid: at for cid, at in rows if at is not None and self._seen.get(cid) != at}
        self._seen = {cid: at for cid, at in rows if at is not None}
        for conversation_id in fresh:
            self.broadcaster.publish(conversation_id)

    def _loop(self) -> None:
        since = utcnow()
        # What changed before this process started is no news to its streams.
        try:
            self.poll_once(since)
        except Exception:
            log.exception("chat change poll failed")
        while not self._stopping.wait(self.interval):
            looked_at = utcnow()
            try:
                self.poll_once(since)
                since = looked_at
            except Exception:
                # A locked or briefly unreachable database: the next poll looks again.
                log.exception("chat change poll failed")
