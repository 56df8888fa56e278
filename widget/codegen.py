"""Generates the artefacts that repeat what `widget.events` and `widget.contracts` define.

- `site/widget.d.ts`: TypeScript declarations of `window.widget` and each client event's payload.
- `widget/contracts/client_events.py`: the client event names, cheap to import (the frame's bus
  checks names with them before pydantic loads).
- Regions inside the scripts, each `/*<name>*/.../*</name>*/` exactly once per file, where only the
  text between the markers is rewritten: the valid event names (`events`) in `site/widget.js` and
  `site/snippet.html`; the frame↔shim message types (`messages`, from
  `widget.contracts.protocol`) in `site/widget.js` and the frame's `frame-boot.js`; the
  supported locales (`locales`, from `widget.contracts.locales`) in `site/snippet.html` and the
  dashboard's agent page, and the
  launcher's words per locale (`launcher`) in `site/widget.js`. (The frame's own words are
  written into its document by the server, from `widget.frame.strings`.)

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

from widget.contracts.locales import LAUNCHER_STRINGS, LOCALES, RTL_LOCALES
from widget.contracts.protocol import MESSAGES, message_type
from widget.events import CLIENT_EVENT_DESCRIPTIONS, CLIENT_EVENTS

__all__ = [
    "CLIENT_EVENTS_MODULE_PATH",
    "DECLARATIONS_PATH",
    "EVENTS_END",
    "EVENTS_START",
    "EVENT_LIST_PATHS",
    "MESSAGE_TYPE_PATHS",
    "REPO_ROOT",
    "CodegenError",
    "client_events_module",
    "event_names_json",
    "generated_files",
    "launcher_words_json",
    "locales_json",
    "main",
    "message_types_json",
    "stale",
    "typescript_declarations",
    "with_event_names",
    "with_region",
    "write",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
DECLARATIONS_PATH = Path("site/widget.d.ts")
CLIENT_EVENTS_MODULE_PATH = Path("widget/contracts/client_events.py")
EVENT_LIST_PATHS = (Path("site/widget.js"), Path("site/snippet.html"))
MESSAGE_TYPE_PATHS = (Path("site/widget.js"), Path("widget/frame/page/frame-boot.js"))
SHIM_PATH = Path("site/widget.js")
SNIPPET_PATH = Path("site/snippet.html")
DASHBOARD_AGENT_PATH = Path("site/dashboard/pages/agent.js")
EVENTS_START = "/*<events>*/"
EVENTS_END = "/*</events>*/"


class CodegenError(Exception):
    """A file that codegen must update is missing or lacks its markers."""


def event_names_json() -> str:
    """The client event names as a compact JSON array, in the specification's order."""
    return json.dumps(list(CLIENT_EVENTS), separators=(",", ":"))


def message_types_json() -> str:
    """The frame↔shim message types as a compact JSON object: script name -> `type` value."""
    types = {name: message_type(message) for name, message in MESSAGES.items()}
    return json.dumps(types, separators=(",", ":"))


def locales_json() -> str:
    """The supported locales as a compact JSON array (the stub's `setLocale` checks them)."""
    return json.dumps(list(LOCALES), separators=(",", ":"))


def launcher_words_json() -> str:
    """The launcher's words per locale and the right-to-left locales, as compact JSON."""
    words = {"rtl": sorted(RTL_LOCALES), "strings": LAUNCHER_STRINGS}
    return json.dumps(words, ensure_ascii=False, separators=(",", ":"))


def with_event_names(text: str, path: Path) -> str:
    """`text` with the region between the event markers replaced; `path` only names errors."""
    return with_region(text, path, "events", event_names_json())


def with_region(text: str, path: Path, region: str, value: str) -> str:
    """`text` with `/*<region>*/.../*</region>*/` holding `value`; `path` only names errors."""
    start, end_marker = f"/*<{region}>*/", f"/*</{region}>*/"
    starts, ends = text.count(start), text.count(end_marker)
    if starts != 1 or ends != 1:
        raise CodegenError(
            f"{path}: needs exactly one {start}...{end_marker} region, "
            f"found {starts} start and {ends} end markers"
        )
    begin = text.index(start) + len(start)
    end = text.index(end_marker)
    if end < begin:
        raise CodegenError(f"{path}: {end_marker} comes before {start}")
    return text[:begin] + value + text[end:]


def client_events_module() -> str:
    """The content of `widget/contracts/client_events.py`."""
    names = "".join(f'    "{name}",\n' for name in CLIENT_EVENTS)
    return f'''\
"""The client event names, in the specification's order; cheap to import (no pydantic).

Generated from widget/events.py by `make gen`: do not edit by hand.
"""

from typing import Final, Literal

ClientEventName = Literal[
{names}]
CLIENT_EVENT_NAMES: Final[tuple[ClientEventName, ...]] = (
{names})
'''


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
    locale_union = " | ".join(json.dumps(locale) for locale in LOCALES)
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

/** A UI language of the widget; `setLocale` also takes a tag naming one ("de-AT" is `de`). */
export type WidgetLocale = {locale_union};

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
  /**
   * Sends `text` as the visitor (the panel opens), in order with what the visitor types; works
   * before the widget is live. Blank text sends nothing; a non-string throws a TypeError.
   */
  send(text: string): void;
  /** Puts `text` in the composer for the visitor to edit and send; a non-string throws. */
  prefill(text: string): void;
  /**
   * Identifies the page's signed-in user: `userHash` is hex HMAC-SHA256(the agent's identity
   * secret, userId), computed by your server. The user's open conversation follows them across
   * devices; a refused identity is reported with console.error. `reset()` forgets it.
   */
  identify(user: {{
    userId: string;
    userHash?: string;
    email?: string;
    name?: string;
    attributes?: Record<string, unknown>;
  }}): void;
  /**
   * Switches the launcher and the chat (open or not, started or not) to `locale`, keeping the
   * conversation and the composer's text. An unsupported locale or a non-string throws a
   * TypeError naming the supported ones. Without it: `data-locale`, else the browser's languages.
   */
  setLocale(locale: WidgetLocale | `${{WidgetLocale}}-${{string}}`): void;
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
    files = {
        root / DECLARATIONS_PATH: typescript_declarations(),
        root / CLIENT_EVENTS_MODULE_PATH: client_events_module(),
    }
    regions = [(p, "events", event_names_json()) for p in EVENT_LIST_PATHS]
    regions += [(p, "messages", message_types_json()) for p in MESSAGE_TYPE_PATHS]
    regions += [
        (SNIPPET_PATH, "locales", locales_json()),
        (DASHBOARD_AGENT_PATH, "locales", locales_json()),
        (SHIM_PATH, "launcher", launcher_words_json()),
    ]
    for relative, region, value in regions:
        path = root / relative
        text = files[path] if path in files else _read(path)
        files[path] = with_region(text, path, region, value)
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
        raise CodegenError(f"{path}: missing; codegen writes a generated region into it") from error
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
