"""widget.bus: subscriptions, unsubscribe handles, emit snapshots, error isolation."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widget.bus import EventBus, Unsubscribe
from widget.events import CLIENT_EVENTS


def test_on_calls_listener_with_payload_until_unsubscribed() -> None:
    bus = EventBus()
    with bus.recording("ping") as seen:
        calls: list[Any] = []
        unsubscribe = bus.on("ping", calls.append)
        bus.emit("ping", {"n": 1})
        unsubscribe()
        bus.emit("ping", {"n": 2})
    assert calls == [{"n": 1}]
    assert seen == [{"n": 1}, {"n": 2}]


def test_unsubscribe_twice_is_harmless_and_removes_only_its_own_registration() -> None:
    bus = EventBus()
    calls: list[Any] = []
    first = bus.on("ping", calls.append)
    bus.on("ping", calls.append)
    first()
    first()
    bus.emit("ping", 1)
    assert calls == [1]


def test_listeners_run_in_registration_order_once_per_registration() -> None:
    bus = EventBus()
    calls: list[str] = []
    bus.on("ping", lambda _: calls.append("a"))
    bus.on("ping", lambda _: calls.append("b"))
    bus.on("pong", lambda _: calls.append("other event"))
    bus.emit("ping", None)
    assert calls == ["a", "b"]


def test_once_runs_on_the_next_emit_only() -> None:
    bus = EventBus()
    calls: list[Any] = []
    bus.once("ping", calls.append)
    bus.emit("ping", 1)
    bus.emit("ping", 2)
    assert calls == [1]
    assert bus.listener_count("ping") == 0


def test_once_unsubscribed_before_emit_never_runs() -> None:
    bus = EventBus()
    calls: list[Any] = []
    unsubscribe = bus.once("ping", calls.append)
    unsubscribe()
    bus.emit("ping", 1)
    assert calls == []


def test_once_runs_at_most_once_when_its_listener_emits_again() -> None:
    bus = EventBus()
    calls: list[Any] = []

    def listener(payload: Any) -> None:
        calls.append(payload)
        bus.emit("ping", payload + 1)

    bus.once("ping", listener)
    bus.emit("ping", 1)
    assert calls == [1]


def test_off_removes_every_registration_of_that_listener_for_that_event_only() -> None:
    bus = EventBus()
    calls: list[tuple[str, Any]] = []

    def listener(payload: Any) -> None:
        calls.append(("listener", payload))

    bus.on("ping", listener)
    bus.once("ping", listener)
    bus.on("ping", lambda payload: calls.append(("other", payload)))
    bus.on("pong", listener)
    bus.off("ping", listener)
    bus.emit("ping", 1)
    bus.emit("pong", 2)
    assert calls == [("other", 1), ("listener", 2)]


def test_off_matches_bound_methods_by_equality() -> None:
    @dataclass
    class Counter:
        count: int = 0

        def bump(self, _: object) -> None:
            self.count += 1

    bus = EventBus()
    counter = Counter()
    bus.on("ping", counter.bump)
    bus.off("ping", counter.bump)
    bus.emit("ping", None)
    assert counter.count == 0


def test_off_of_unknown_listener_or_event_is_harmless() -> None:
    bus = EventBus()
    calls: list[Any] = []
    bus.on("ping", calls.append)
    bus.off("ping", print)
    bus.off("never-used", calls.append)
    bus.emit("ping", 1)
    assert calls == [1]


def test_listener_that_unsubscribes_itself_during_emit_breaks_nothing() -> None:
    bus = EventBus()
    calls: list[str] = []
    handles: dict[str, Unsubscribe] = {}

    def first(_: Any) -> None:
        calls.append("first")
        handles["first"]()

    handles["first"] = bus.on("ping", first)
    bus.on("ping", lambda _: calls.append("second"))
    bus.emit("ping", None)
    bus.emit("ping", None)
    assert calls == ["first", "second", "second"]


def test_registration_removed_during_emit_does_not_run_later_in_that_emit() -> None:
    bus = EventBus()
    calls: list[str] = []
    handles: dict[str, Unsubscribe] = {}

    def first(_: Any) -> None:
        calls.append("first")
        handles["second"]()

    bus.on("ping", first)
    handles["second"] = bus.on("ping", lambda _: calls.append("second"))
    bus.on("ping", lambda _: calls.append("third"))
    bus.emit("ping", None)
    assert calls == ["first", "third"]


def test_listener_added_during_emit_first_runs_on_the_next_emit() -> None:
    bus = EventBus()
    calls: list[Any] = []
    bus.once("ping", lambda _: bus.on("ping", calls.append))
    bus.emit("ping", 1)
    bus.emit("ping", 2)
    assert calls == [2]


def test_clear_one_event_or_all() -> None:
    bus = EventBus()
    calls: list[Any] = []
    bus.on("ping", calls.append)
    bus.on("pong", calls.append)
    bus.clear("ping")
    bus.emit("ping", 1)
    bus.emit("pong", 2)
    bus.clear()
    bus.emit("pong", 3)
    assert calls == [2]
    assert (bus.listener_count("ping"), bus.listener_count("pong")) == (0, 0)


def test_clear_during_emit_stops_the_remaining_listeners() -> None:
    bus = EventBus()
    calls: list[str] = []

    def first(_: Any) -> None:
        calls.append("first")
        bus.clear()

    bus.on("ping", first)
    bus.on("ping", lambda _: calls.append("second"))
    bus.emit("ping", None)
    assert calls == ["first"]


def test_listener_that_raises_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    calls: list[Any] = []

    def broken(_: Any) -> None:
        raise RuntimeError("listener bug")

    bus.on("ping", broken)
    bus.on("ping", calls.append)
    with caplog.at_level(logging.ERROR, logger="widget.bus"):
        bus.emit("ping", 1)
    assert calls == [1]
    [record] = [r for r in caplog.records if r.name == "widget.bus"]
    assert record.levelno == logging.ERROR
    assert "'ping'" in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)


def test_bus_with_valid_events_rejects_unknown_names_naming_the_valid_ones() -> None:
    bus = EventBus(CLIENT_EVENTS)
    calls: list[Any] = []
    bus.on("widget_opened", calls.append)
    operations: list[Callable[[], object]] = [
        lambda: bus.on("widget_open", calls.append),
        lambda: bus.once("widget_open", calls.append),
        lambda: bus.off("widget_open", calls.append),
        lambda: bus.emit("widget_open", {}),
        lambda: bus.clear("widget_open"),
        lambda: bus.listener_count("widget_open"),
    ]
    for operation in operations:
        with pytest.raises(ValueError, match="unknown event 'widget_open'") as raised:
            operation()
        assert all(name in str(raised.value) for name in CLIENT_EVENTS)
    bus.emit("widget_opened", {})
    assert calls == [{}]


def test_listener_must_be_callable() -> None:
    bus = EventBus()
    not_callable: Any = "not a function"
    with pytest.raises(TypeError, match="must be callable"):
        bus.on("ping", not_callable)
    assert bus.listener_count("ping") == 0


def test_recording_stops_collecting_after_the_block() -> None:
    bus = EventBus()
    with bus.recording("ping") as seen:
        bus.emit("ping", 1)
    bus.emit("ping", 2)
    assert seen == [1]
    assert bus.listener_count("ping") == 0


# --- Random sequences against a reference model --------------------------------------------------

EVENTS = ("a", "b")
NAMES = ("x", "y", "z")

# What a listener does after it records its call: nothing, raise, unsubscribe handle k,
# off(event, name), or emit(event) once more (nested emits go one level deep).
Behaviour = (
    tuple[Literal["nothing"]]
    | tuple[Literal["raise"]]
    | tuple[Literal["unsubscribe"], int]
    | tuple[Literal["off"], str, str]
    | tuple[Literal["emit"], str]
)
Operation = (
    tuple[Literal["on", "once", "off"], str, str]
    | tuple[Literal["unsubscribe"], int]
    | tuple[Literal["emit"], str]
    | tuple[Literal["clear"], str | None]
)
# (listener name, payload); every payload starts with its event name.
Call = tuple[str, Any]

# Mostly one event, so that listeners meet each other; the second shows events stay apart.
event_names = st.sampled_from(("a", "a", "b"))
listener_names = st.sampled_from(NAMES)
behaviours: st.SearchStrategy[Behaviour] = st.one_of(
    st.just(("nothing",)),
    st.just(("raise",)),
    st.tuples(st.just("unsubscribe"), st.integers(0, 4)),
    st.tuples(st.just("off"), event_names, listener_names),
    st.tuples(st.just("emit"), event_names),
)
registering: st.SearchStrategy[Operation] = st.tuples(
    st.sampled_from(["on", "once"]), event_names, listener_names
)
emitting = cast("st.SearchStrategy[Operation]", st.tuples(st.just("emit"), event_names))
# Registrations and emits weigh more: sequences that clear early rarely reach interesting states.
operations: st.SearchStrategy[Operation] = st.one_of(
    registering,
    registering,
    emitting,
    emitting,
    st.tuples(st.just("off"), event_names, listener_names),
    st.tuples(st.just("unsubscribe"), st.integers(0, 7)),
    st.tuples(st.just("clear"), st.none() | event_names),
)


class ListenerFailed(Exception):
    pass


@dataclass
class ReferenceBus:
    """The documented semantics, written the plainest way: lists of (id, name, once)."""

    behaviour: dict[str, Behaviour]
    calls: list[Call] = field(default_factory=list)
    registrations: dict[str, list[tuple[int, str, bool]]] = field(default_factory=dict)
    handles: list[tuple[str, int]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=itertools.count)
    depth: int = 0

    def on(self, event: str, name: str, once: bool) -> None:
        registration_id = next(self.ids)
        self.registrations.setdefault(event, []).append((registration_id, name, once))
        self.handles.append((event, registration_id))

    def unsubscribe(self, index: int) -> None:
        if index < len(self.handles):
            self._remove(*self.handles[index])

    def off(self, event: str, name: str) -> None:
        self._keep(event, lambda r: r[1] != name)

    def clear(self, event: str | None) -> None:
        for name in EVENTS if event is None else (event,):
            self.registrations[name] = []

    def emit(self, event: str, payload: Any) -> None:
        for registration in list(self.registrations.get(event, [])):
            if registration not in self.registrations.get(event, []):
                continue
            registration_id, name, once = registration
            if once:
                self._remove(event, registration_id)
            self.calls.append((name, payload))
            self._act(self.behaviour[name], payload)

    def _act(self, behaviour: Behaviour, payload: Any) -> None:
        match behaviour:
            case ("unsubscribe", index):
                self.unsubscribe(index)
            case ("off", event, name):
                self.off(event, name)
            case ("emit", event) if self.depth == 0:
                self.depth += 1
                self.emit(event, (event, "nested", payload))
                self.depth -= 1

    def _remove(self, event: str, registration_id: int) -> None:
        self._keep(event, lambda r: r[0] != registration_id)

    def _keep(self, event: str, keep: Callable[[tuple[int, str, bool]], bool]) -> None:
        self.registrations[event] = [r for r in self.registrations.get(event, []) if keep(r)]


class RealBusHarness:
    """Drives an EventBus with listeners that behave like the reference model's."""

    def __init__(self, behaviour: dict[str, Behaviour]) -> None:
        self.bus = EventBus(EVENTS)
        self.behaviour = behaviour
        self.calls: list[Call] = []
        self.handles: list[Unsubscribe] = []
        self.depth = 0
        self.listeners = {name: self._listener(name) for name in NAMES}

    def apply(self, operation: Operation) -> None:
        match operation:
            case ("on", event, name):
                self.handles.append(self.bus.on(event, self.listeners[name]))
            case ("once", event, name):
                self.handles.append(self.bus.once(event, self.listeners[name]))
            case ("off", event, name):
                self.bus.off(event, self.listeners[name])
            case ("unsubscribe", index):
                if index < len(self.handles):
                    self.handles[index]()
            case ("emit", event):
                self.bus.emit(event, (event, len(self.calls)))
            case ("clear", event):
                self.bus.clear(event)

    def _listener(self, name: str) -> Callable[[Any], None]:
        def listener(payload: Any) -> None:
            self.calls.append((name, payload))
            self._act(self.behaviour[name], payload)

        return listener

    def _act(self, behaviour: Behaviour, payload: Any) -> None:
        match behaviour:
            case ("raise",):
                raise ListenerFailed
            case ("unsubscribe", index):
                if index < len(self.handles):
                    self.handles[index]()
            case ("off", event, name):
                self.bus.off(event, self.listeners[name])
            case ("emit", event) if self.depth == 0:
                self.depth += 1
                self.bus.emit(event, (event, "nested", payload))
                self.depth -= 1


def apply_to_reference(model: ReferenceBus, operation: Operation) -> None:
    match operation:
        case ("on" | "once" as kind, event, name):
            model.on(event, name, once=kind == "once")
        case ("off", event, name):
            model.off(event, name)
        case ("unsubscribe", index):
            model.unsubscribe(index)
        case ("emit", event):
            model.emit(event, (event, len(model.calls)))
        case ("clear", event):
            model.clear(event)


@settings(max_examples=500, deadline=None)
@given(
    behaviour=st.fixed_dictionaries({name: behaviours for name in NAMES}),
    sequence=st.lists(operations, min_size=8, max_size=30),
)
def test_random_sequences_match_the_reference_model(
    behaviour: dict[str, Behaviour], sequence: list[Operation]
) -> None:
    # The bus logs listeners that raise; this test checks calls, not the log.
    logging.getLogger("widget.bus").disabled = True
    try:
        real = RealBusHarness(behaviour)
        model = ReferenceBus(behaviour)
        for step, operation in enumerate(sequence):
            before = len(model.calls)
            real.apply(operation)
            apply_to_reference(model, operation)
            assert real.calls[before:] == model.calls[before:], f"step {step}: {operation}"
        for event in EVENTS:
            assert real.bus.listener_count(event) == len(model.registrations.get(event, []))
    finally:
        logging.getLogger("widget.bus").disabled = False
