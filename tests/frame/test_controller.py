"""widget.frame.controller: the host page's commands, the panel's state and its events, under
CPython with fake browser parts (no server needed: nothing here sends a message)."""

from __future__ import annotations

import sys

import pytest

from tests.frame.fakes import FakePanel, FakeShim, MemoryStorage, run, until
from tests.frame.harness import Frame, open_frame
from widget.contracts.client_events import CLIENT_EVENT_NAMES


class Offline:
    """A transport nothing should call in these tests."""

    async def __call__(self, *_: object) -> tuple[int, str]:
        raise AssertionError("no request expected")


def frame(**kwargs: object) -> Frame:
    return open_frame(Offline(), MemoryStorage(), **kwargs)  # type: ignore[arg-type]


def test_commands_sent_before_python_ran_come_first_then_ready() -> None:
    async def scenario() -> None:
        shim = FakeShim()
        shim.command("open")  # the visitor opened the panel while Python loaded
        f = frame(shim=shim)
        assert [m["type"] for m in shim.posted] == ["event", "state", "ready"]
        assert shim.events() == [("widget_opened", {})]
        assert shim.posted[1] == {"type": "state", "open": True, "ack": 1}
        assert f.panel.loaded

    run(scenario())


def test_open_and_close_fire_only_on_a_real_change_and_every_state_acknowledges() -> None:
    async def scenario() -> None:
        f = frame()
        f.shim.command("open")
        f.shim.command("open")
        f.shim.command("close")
        f.shim.command("close")
        f.shim.command("open")
        assert f.shim.event_names() == ["widget_opened", "widget_closed", "widget_opened"]
        states = [(m["open"], m["ack"]) for m in f.shim.posted if m["type"] == "state"]
        assert states == [(True, 1), (True, 2), (False, 3), (False, 4), (True, 5)]

    run(scenario())


def test_close_button_and_escape_close_once_and_tell_the_shim() -> None:
    async def scenario() -> None:
        f = frame()
        f.controller.close_from_frame()  # closed already: nothing happens
        assert f.shim.event_names() == []
        f.shim.command("open")
        f.controller.close_from_frame()
        f.controller.close_from_frame()
        assert f.shim.event_names() == ["widget_opened", "widget_closed"]
        assert f.shim.posted[-1] == {"type": "state", "open": False, "ack": 1}

    run(scenario())


@pytest.mark.parametrize(
    "message",
    [
        {"type": "command", "name": "reload", "seq": 1},
        {"type": "command", "name": "open"},
        {"type": "state", "open": True, "ack": 1},
        "open",
        None,
    ],
)
def test_anything_but_a_well_formed_command_is_ignored(message: object) -> None:
    async def scenario() -> None:
        f = frame()
        posted = len(f.shim.posted)
        f.shim.send(message)
        assert len(f.shim.posted) == posted
        assert not f.controller.is_open

    run(scenario())


def test_the_bus_knows_the_event_names_so_a_typo_fails_at_once() -> None:
    async def scenario() -> None:
        f = frame()
        with pytest.raises(ValueError, match="widget_opened, widget_closed"):
            f.controller.bus.emit("widget_open", {})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="unknown event 'message-sent'"):
            f.controller.bus.on("message-sent", print)  # type: ignore[arg-type]
        for name in CLIENT_EVENT_NAMES:
            assert f.controller.bus.listener_count(name) == 1  # forwarded to the shim

    run(scenario())


def test_opening_keeps_trying_to_focus_the_composer_until_the_frame_is_shown() -> None:
    async def scenario() -> None:
        panel = FakePanel(focusable_after=3)
        f = frame(panel=panel)
        f.shim.command("open")
        await until(lambda: not f.controller._tasks, "the focus task to end")
        assert panel.focus_attempts == 4  # three failed, the fourth worked, then no more

    run(scenario())


def test_closing_stops_the_focus_attempts() -> None:
    async def scenario() -> None:
        panel = FakePanel(focusable_after=1000)
        f = frame(panel=panel)
        f.shim.command("open")
        await until(lambda: panel.focus_attempts >= 2, "two focus attempts")
        f.shim.command("close")
        tried = panel.focus_attempts
        await until(lambda: not f.controller._tasks, "the focus task to end")
        assert panel.focus_attempts <= tried + 1  # at most the try that was under way

    run(scenario())


def test_the_event_models_load_after_ready_in_a_task_of_their_own() -> None:
    async def scenario() -> None:
        f = frame(start=False)
        f.controller.start()
        assert f.shim.posted[-1] == {"type": "ready"}
        (load,) = f.later
        load()
        assert "widget.events" in sys.modules

    run(scenario())
