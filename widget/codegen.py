"""Generates the host-page artefacts that repeat what `widget.events` defines.

- `site/widget.d.ts`: TypeScript declarations of `window.widget` and each client event's payload.
- The list of valid event names inside `site/widget.js` and `site/snippet.html`: each holds exactly
  one region `/*<events>*/[...]/*</events>*/`, and only the text between the markers is rewritten.

`write(root)` brings the files up to date and `stale(root)` lists those that are not (`make gen`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from widget.events import CLIENT_EVENT_DESCRIPTIONS, CLIENT_EVENTS

__all__ = [
    "DECLARATIONS_PATH",
    "EVENTS_END",
    "EVENTS_START",
    "EVENT_LIST_PATHS",
    "REPO_ROOT",
    "CodegenError",
    "event_names_json",
    "generated_files",
    "main",
    "stale",
    "typescript_declarations",
    "with_event_names",
    "write",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
DECLARATIONS_PATH = Path("site/widget.d.ts")
EVENT_LIST_PATHS = (Path("site/widget.js"), Path("site/snippet.html"))
EVENTS_START = "/*<events>*/"
EVENTS_END = "/*</events>*/"


class CodegenError(Exception):
    """A file that codegen must update is missing or lacks its markers."""


def event_names_json() -> str:
    """The client event names as a compact JSON array, in the specification's order."""
    return json.dumps(list(CLIENT_EVENTS), separators=(",", ":"))


def with_event_names(text: str, path: Path) -> str:
    """`text` with the region between the event markers replaced; `path` only names errors."""
    starts, ends = text.count(EVENTS_START), text.count(EVENTS_END)
    if starts != 1 or ends != 1:
        raise CodegenError(
            f"{path}: needs exactly one {EVENTS_START}...{EVENTS_END} region, "
            f"found {starts} start and {ends} end markers"
        )
    begin = text.index(EVENTS_START) + len(EVENTS_START)
    end = text.index(EVENTS_END)
    if end < begin:
        raise CodegenError(f"{path}: {EVENTS_END} comes before {EVENTS_START}")
    return text[:begin] + event_names_json() + text[end:]


def typescript_declarations() -> str:
    """The content of `site/widget.d.ts`."""
    payloads: list[str] = []
    entries: list[str] = []
    for name, model in CLIENT_EVENTS.items():
        description = CLIENT_EVENT_DESCRIPTIONS[name]
        payload = f"{model.__name__}Payload"
        payloads.append(_interface(payload, f"What `{name}` callbacks receive.", model))
        entries.append(f"  /** {description}. */\n  {name}: {payload};")
    callback = "(data: WidgetEventMap[K]) => void"
    payload_block = "\n\n".join(payloads)
    entry_block = "\n".join(entries)
    return f"""\
// Generated from widget/events.py by `make gen`: do not edit by hand.
// Types for host pages that embed the chat widget. Add this file to your TypeScript program
// (tsconfig "include", or /// <reference path="widget.d.ts" />) and `widget.on(...)` is checked.

{payload_block}

/** Every event a host page can subscribe to, and the data its callback receives. */
export interface WidgetEventMap {{
{entry_block}
}}

export type WidgetEventName = keyof WidgetEventMap;

/** `window.widget`: usable at once; calls made before the widget is live are replayed in order. */
export interface Widget {{
  /**
   * Calls `callback` on every `event`. Returns a function that unsubscribes; calling it twice is
   * harmless. An unknown event name or a callback that is not a function throws a TypeError.
   */
  on<K extends WidgetEventName>(event: K, callback: {callback}): () => void;
  /** Like `on`, but calls `callback` on the next `event` only. */
  once<K extends WidgetEventName>(event: K, callback: {callback}): () => void;
  /** Removes `callback` from `event`. */
  off<K extends WidgetEventName>(event: K, callback: {callback}): void;
  /** Opens the chat panel. */
  open(): void;
  /** Closes the chat panel. */
  close(): void;
  /** Opens the chat panel if it is closed, closes it if it is open. */
  toggle(): void;
  /**
   * Starts the widget now, whatever its loading policy (`data-load`), and returns `ready`. The
   * default policy, `intent`, otherwise waits for the visitor to point at, focus or open the chat.
   */
  load(): Promise<void>;
  /**
   * Forgets the visitor's conversation (a logout) and starts afresh, without a page reload. The
   * panel stays open or closed; `ready` does not fire again.
   */
  reset(): void;
  /**
   * Removes the launcher, the frame, every listener and `window.widget` itself (an unmount). Load
   * the snippet again for a new widget.
   */
  destroy(): void;
  /**
   * With `data-consent="required"` on the tag, the widget loads and stores nothing until
   * `consent(true)` or the visitor opens the chat. `consent(false)` withdraws: the panel closes
   * and the frame is removed.
   */
  consent(granted: boolean): void;
  /** Resolves when the widget is live (Python and its UI have started). */
  readonly ready: Promise<void>;
  /** The names of every event, in the order of the event table. */
  readonly events: readonly WidgetEventName[];
}}

declare global {{
  interface Window {{
    widget: Widget;
  }}
  var widget: Widget;
}}
"""


def generated_files(root: Path) -> dict[Path, str]:
    """The up-to-date content of every generated file under the repository `root`."""
    files = {root / DECLARATIONS_PATH: typescript_declarations()}
    for relative in EVENT_LIST_PATHS:
        path = root / relative
        files[path] = with_event_names(_read(path), path)
    return files


def stale(root: Path) -> list[Path]:
    """The generated files under `root` whose content is not what `generated_files` gives."""
    return list(_stale(generated_files(root)))


def _stale(files: dict[Path, str]) -> dict[Path, str]:
    return {
        path: content
        for path, content in files.items()
        if not path.exists() or _read(path) != content
    }


def write(root: Path) -> list[Path]:
    """Brings every generated file under `root` up to date; returns the files that changed."""
    # Everything is generated before anything is written, so a bad input file changes nothing.
    changed = _stale(generated_files(root))
    for path, content in changed.items():
        _write_atomically(path, content)
    return list(changed)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m widget gen [--check] [--root DIR]`: write the generated files, or check them."""
    parser = argparse.ArgumentParser(prog="python -m widget gen", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a generated file is stale"
    )
    parser.add_argument(
        "--root", type=Path, default=REPO_ROOT, help="repository root (this checkout)"
    )
    args = parser.parse_args(argv)
    try:
        paths = stale(args.root) if args.check else write(args.root)
    except CodegenError as error:
        print(f"widget gen: {error}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    if args.check and paths:
        print("widget gen: run `make gen` to update them", file=sys.stderr)
        return 1
    return 0


def _interface(name: str, doc: str, model: type[BaseModel]) -> str:
    schema: dict[str, Any] = model.model_json_schema(by_alias=True, mode="serialization")
    required = set(schema.get("required", ()))
    members: list[str] = []
    for field, field_schema in schema.get("properties", {}).items():
        if "description" in field_schema:
            members.append(f"  /** {field_schema['description']} */")
        optional = "" if field in required else "?"
        members.append(f"  {field}{optional}: {_typescript_type(field_schema)};")
    body = "".join(f"\n{member}" for member in members)
    closing = "\n}" if members else "}"
    return f"/** {doc} */\nexport interface {name} {{{body}{closing}"


def _typescript_type(schema: dict[str, Any]) -> str:
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    if "anyOf" in schema:
        return " | ".join(_typescript_type(choice) for choice in schema["anyOf"])
    kind = schema.get("type")
    if kind == "string":
        return "string"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "null":
        return "null"
    if kind == "array":
        item = _typescript_type(schema.get("items", {}))
        return f"({item})[]" if " | " in item else f"{item}[]"
    if kind == "object" and "properties" not in schema:
        values = schema.get("additionalProperties")
        value = _typescript_type(values) if isinstance(values, dict) else "unknown"
        return f"Record<string, {value}>"
    if not schema:
        return "unknown"
    raise CodegenError(f"no TypeScript type for the JSON schema {schema!r}; extend codegen")


def _read(path: Path) -> str:
    # Bytes, not text mode: line endings and everything outside the markers stay as they are.
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError as error:
        raise CodegenError(f"{path}: missing; codegen writes its event list into it") from error
    except UnicodeDecodeError as error:
        raise CodegenError(f"{path}: not UTF-8 text") from error


def _write_atomically(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A crash mid-write leaves the old file, never half of the new one.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content.encode("utf-8"))
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
