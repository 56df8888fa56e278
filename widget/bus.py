"""A small synchronous event bus: `on`/`once`/`off`/`emit` with unsubscribe handles.

Pure Python (no `js`, no `pyscript`): the widget's browser code and its unit tests share it.

Semantics, chosen to match what host pages know from nanoevents and mitt:
- `on` and `once` return an unsubscribe function that removes exactly that registration; calling it
  again does nothing.
- `emit` walks a snapshot of the registrations taken when it starts: a listener added during the
  emit first runs on the next emit, and a registration removed during the emit (by itself or by
  another listener) does not run afterwards, so listeners may unsubscribe freely while it runs.
- A `once` registration is spent before it is called, so it runs at most once even if its listener
  emits the same event again.
- A listener that raises is logged on the `widget.bus` logger; the remaining listeners still run.

Not thread-safe: the browser runs it on one thread, and the server does not share a bus between
threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic

from typing_extensions import TypeVar

__all__ = ["EventBus", "Listener", "Unsubscribe"]

Listener = Callable[[Any], object]
Unsubscribe = Callable[[], None]

# The default lets `EventBus()` mean "any string"; `EventBus[Literal[...]]` narrows the names.
EventName = TypeVar("EventName", bound=str, default=str)


class _Registration:
    """One `on`/`once` call; identity tells two registrations of the same listener apart."""

    __slots__ = ("active", "listener", "once")

    def __init__(self, listener: Listener, once: bool) -> None:
        self.listener = listener
        self.once = once
        self.active = True


class EventBus(Generic[EventName]):
    """Synchronous publish/subscribe keyed by event name.

    `events`, when given, is the set of valid event names: every method then raises `ValueError`
    naming the valid events for any other name, so a typo fails loudly instead of never firing.
    """

    def __init__(self, events: Iterable[str] | None = None) -> None:
        self._valid: tuple[str, ...] | None = None if events is None else tuple(events)
        self._registrations: dict[str, list[_Registration]] = {}

    def on(self, event: EventName, listener: Listener) -> Unsubscribe:
        """Call `listener(payload)` on every `emit(event, payload)` until unsubscribed."""
        return self._add(event, listener, once=False)

    def once(self, event: EventName, listener: Listener) -> Unsubscribe:
        """Call `listener(payload)` on the next `emit(event, payload)` only."""
        return self._add(event, listener, once=True)

    def off(self, event: EventName, listener: Listener) -> None:
        """Remove every registration of `listener` for `event`; an unknown listener is ignored."""
        self._check(event)
        registrations = self._registrations.get(event)
        if not registrations:
            return
        kept: list[_Registration] = []
        for registration in registrations:
            # `==`, not `is`: `bus.off(e, obj.method)` must match the bound method passed to `on`.
            if registration.listener == listener:
                registration.active = False
            else:
                kept.append(registration)
        self._store(event, kept)

    def emit(self, event: EventName, payload: Any) -> None:
        """Call each listener of `event` with `payload`, in registration order."""
        self._check(event)
        for registration in tuple(self._registrations.get(event, ())):
            if not registration.active:
                continue
            if registration.once:
                self._remove(event, registration)
            try:
                registration.listener(payload)
            except Exception:
                _report(event, registration.listener)

    def clear(self, event: EventName | None = None) -> None:
        """Remove every listener of `event`, or of every event when `event` is None."""
        if event is None:
            events = list(self._registrations)
        else:
            self._check(event)
            events = [event]
        for name in events:
            for registration in self._registrations.pop(name, ()):
                registration.active = False

    def listener_count(self, event: EventName) -> int:
        """How many registrations `event` has now."""
        self._check(event)
        return len(self._registrations.get(event, ()))

    @contextmanager
    def recording(self, event: EventName) -> Iterator[list[Any]]:
        """Collect the payloads of `event` emitted inside the `with` block (a test helper)."""
        payloads: list[Any] = []
        unsubscribe = self.on(event, payloads.append)
        try:
            yield payloads
        finally:
            unsubscribe()

    def _add(self, event: EventName, listener: Listener, *, once: bool) -> Unsubscribe:
        self._check(event)
        if not callable(listener):
            raise TypeError(f"listener for event {event!r} must be callable, not {listener!r}")
        registration = _Registration(listener, once)
        self._registrations.setdefault(event, []).append(registration)

        def unsubscribe() -> None:
            self._remove(event, registration)

        return unsubscribe

    def _remove(self, event: str, registration: _Registration) -> None:
        if not registration.active:
            return
        registration.active = False
        registrations = self._registrations.get(event, [])
        # Rebuild rather than mutate: an emit in progress iterates over its own snapshot anyway.
        self._store(event, [other for other in registrations if other is not registration])

    def _store(self, event: str, registrations: list[_Registration]) -> None:
        if registrations:
            self._registrations[event] = registrations
        else:
            self._registrations.pop(event, None)

    def _check(self, event: str) -> None:
        if self._valid is not None and event not in self._valid:
            raise ValueError(f"unknown event {event!r}; valid events: {', '.join(self._valid)}")


def _report(event: str, listener: Callable[..., Any]) -> None:
    # Imported here: logging is a noticeable share of the frame's start, and rarely needed.
    import logging

    logging.getLogger("widget.bus").exception("listener %r for event %r raised", listener, event)
