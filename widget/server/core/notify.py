"""Wake the workers of every process, not just this one: PostgreSQL's LISTEN/NOTIFY.

A transaction that makes work (an outbox event, a training) calls `notify(session, channel)`; on
PostgreSQL that is a `pg_notify` in the same transaction, which the server delivers at commit and
only if it commits. Every process that runs workers keeps one `NotificationListener`: a thread on a
connection of its own that LISTENs and calls the channel's wake-up at once, so a worker on another
machine starts on a delivery within milliseconds instead of at its next poll. On SQLite (one
machine, usually one process) `notify` does nothing; the workers' poll remains the fallback
everywhere, so a lost notification only delays work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

OUTBOX_CHANNEL = "widget_outbox"
TRAINING_CHANNEL = "widget_training"
# A conversation changed (a message, its mode, its end); the payload is its id.
CHAT_CHANNEL = "widget_chat"
# How long the listener waits for notifications before it looks at its stop flag.
LISTEN_TICK_SECONDS = 0.5
RECONNECT_SECONDS = 1.0


def notify(session: Session, channel: str, payload: str = "") -> None:
    """Announce new work on `channel` (with `payload`) when the session's transaction commits
    (PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    key = f"widget.notified.{channel}.{payload}"
    if transaction is not None and session.info.get(key) is transaction:
        return  # once per transaction: the server folds repeats into one anyway
    session.info[key] = transaction
    session.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
    )


def libpq_url(engine: Engine) -> str:
    """The engine's URL as psycopg takes it (no SQLAlchemy driver name)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class NotificationListener:
    """A service: LISTENs on each channel of `wakes` and calls its wake-up on every notification;
    on each channel of `receivers`, it calls the receiver with the notification's payload.

    After a lost connection (a database restart) it reconnects and wakes every channel once
    (receivers get the payload "", meaning "anything may have changed"), since notifications sent
    meanwhile were lost.
    """

    def __init__(
        self,
        engine: Engine,
        wakes: Mapping[str, Callable[[], None]],
        receivers: Mapping[str, Callable[[str], None]] | None = None,
        *,
        name: str = "notify-listener",
    ) -> None:
        self.url = libpq_url(engine)
        self.wakes = dict(wakes)
        self.receivers = dict(receivers or {})
        self.name = name
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=LISTEN_TICK_SECONDS * 4 + 5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("notification listener: %s; reconnecting", exc)
                self._stopping.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as connection:
            for channel in (*self.wakes, *self.receivers):
                connection.execute(f'LISTEN "{channel}"')
            self.listening.set()
            # Whatever was announced while this process was not listening.
            for wake in self.wakes.values():
                wake()
            for receive in self.receivers.values():
                receive("")
            while not self._stopping.is_set():
                for note in connection.notifies(timeout=LISTEN_TICK_SECONDS):
                    if self._stopping.is_set():
                        break
                    wake_channel = self.wakes.get(note.channel)
                    if wake_channel is not None:
                        wake_channel()
                    receive_channel = self.receivers.get(note.channel)
                    if receive_channel is not None:
                        receive_channel(note.payload)
