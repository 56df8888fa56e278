"""The frame↔shim messages the scripts build are the ones widget/contracts/protocol.py declares.

`make gen` writes the message types into the scripts (tests/test_codegen.py checks they are
current); this reads each message literal the scripts build, `{ type: MSG.x, ... }`, and checks
its fields, its direction and its literal values against the declaration.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args, get_type_hints

import pytest

from widget.contracts.protocol import (
    MESSAGES,
    TO_FRAME,
    TO_SHIM,
    CommandName,
    FrameMessage,
    as_command,
    message_fields,
)

ROOT = Path(__file__).resolve().parents[2]
SHIM = ROOT / "site" / "widget.js"
FRAME_BOOT = ROOT / "widget" / "frame" / "page" / "frame-boot.js"
# `{ type: MSG.name, field, field: value }`: no nested braces in the scripts' messages.
LITERAL = re.compile(r"\{\s*type:\s*MSG\.(\w+)\s*(?:,([^{}]*))?\}")
GENERATED = re.compile(r"/\*<messages>\*/.*?/\*</messages>\*/")


def _script(path: Path) -> str:
    return GENERATED.sub("", path.read_text())


def _built(path: Path) -> list[tuple[str, dict[str, str]]]:
    """(message name, {field: source of its value}) for each message literal in the script."""
    found = []
    for match in LITERAL.finditer(_script(path)):
        fields = {"type": f"MSG.{match.group(1)}"}
        for part in (match.group(2) or "").split(","):
            key, _, value = part.strip().partition(":")
            if key:
                fields[key.strip()] = value.strip() or key.strip()
        found.append((match.group(1), fields))
    return found


@pytest.mark.parametrize(
    ("script", "direction"), [(SHIM, TO_FRAME), (FRAME_BOOT, TO_SHIM)], ids=["shim", "frame-boot"]
)
def test_each_message_a_script_builds_has_the_declared_fields(
    script: Path, direction: dict[str, type]
) -> None:
    built = _built(script)
    assert built, f"no message literal found in {script.name}"
    for name, fields in built:
        assert name in direction, f"{script.name} sends {name!r}, not declared in its direction"
        message = direction[name]
        assert set(fields) == message_fields(message), f"{script.name}: {name} {sorted(fields)}"
        hints = get_type_hints(message)
        for field, source in fields.items():
            literal = re.fullmatch(r'"([^"]*)"', source)
            if literal:
                assert literal.group(1) in get_args(hints[field]), f"{name}.{field} = {source}"


def test_every_declared_message_is_sent_by_someone_and_the_scripts_use_no_bare_types() -> None:
    sent = {name for script in (SHIM, FRAME_BOOT) for name, _ in _built(script)}
    by_python = {m.__name__ for m in get_args(FrameMessage)}
    by_python_names = {name for name, m in MESSAGES.items() if m.__name__ in by_python}
    assert sent | by_python_names == set(MESSAGES)
    for script in (SHIM, FRAME_BOOT):
        text = _script(script)
        assert set(re.findall(r"\bMSG\.(\w+)", text)) <= set(MESSAGES), script.name
        # A message type is never spelled out: compared or built, it is MSG.<name>. (A button's
        # own `type: "button"` attribute is not a message.)
        spelled = re.findall(r"type\s*(?:[!=]==?|:)\s*[\"'](?!button[\"'])", text)
        assert not spelled, script.name


def test_the_commands_the_shim_sends_are_declared() -> None:
    sent = set(re.findall(r'\bcommand\(\s*"(\w+)"\s*\)', _script(SHIM)))
    sent |= set(re.findall(r'command\(shown \? "(\w+)" : "(\w+)"\)', _script(SHIM))[0])
    assert sent == set(get_args(CommandName))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"type": "command", "name": "open", "seq": 3},
            {"type": "command", "name": "open", "seq": 3},
        ),
        (
            {"type": "command", "name": "close", "seq": 1},
            {"type": "command", "name": "close", "seq": 1},
        ),
        ({"type": "command", "name": "reload", "seq": 1}, None),
        ({"type": "command", "name": "open", "seq": "1"}, None),
        ({"type": "command", "name": "open", "seq": True}, None),
        ({"type": "state", "open": True, "ack": 1}, None),
        (["command"], None),
    ],
)
def test_only_well_formed_commands_are_read(data: object, expected: object) -> None:
    assert as_command(data) == expected
