"""widget.codegen: the TypeScript declarations and the event lists of the host-page scripts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

import pytest

from widget.codegen import (
    CLIENT_EVENTS_MODULE_PATH,
    DASHBOARD_AGENT_PATH,
    DECLARATIONS_PATH,
    EVENT_LIST_PATHS,
    MESSAGE_TYPE_PATHS,
    CodegenError,
    client_events_module,
    generated_files,
    launcher_words_json,
    locales_json,
    main,
    message_types_json,
    stale,
    typescript_declarations,
    write,
)
from widget.contracts.client_events import CLIENT_EVENT_NAMES, ClientEventName
from widget.contracts.locales import LAUNCHER_STRINGS, LOCALES
from widget.contracts.protocol import MESSAGES, message_type
from widget.events import CLIENT_EVENT_DESCRIPTIONS, CLIENT_EVENTS

REPO_ROOT = Path(__file__).resolve().parents[1]
WIDGET_JS, SNIPPET_HTML = EVENT_LIST_PATHS
_, FRAME_BOOT_JS = MESSAGE_TYPE_PATHS
GENERATED = (
    DECLARATIONS_PATH,
    CLIENT_EVENTS_MODULE_PATH,
    WIDGET_JS,
    SNIPPET_HTML,
    FRAME_BOOT_JS,
    DASHBOARD_AGENT_PATH,
)
DASHBOARD_BEFORE = "const LOCALES = /*<locales>*/[]/*</locales>*/;\n"

# Stand-ins for the real files: CRLF line endings and text around the region must survive as is.
JS_BEFORE = (
    "(function () {\r\n"
    '  const EVENTS = /*<events>*/["widget_opened", "old_event"]/*</events>*/;\r\n'
    '  const MSG = /*<messages>*/{"ready": "old"}/*</messages>*/;\r\n'
    "  const WORDS = /*<launcher>*/{}/*</launcher>*/;\r\n"
    "  window.widget = window.widget || {};\r\n"
    "})();\r\n"
)
HTML_BEFORE = (
    '<script>\n  (function (w) { var events = /*<events>*/[]/*</events>*/; "{{AGENT_ID}}"; })'
    "(window);\n  var locales = /*<locales>*/[]/*</locales>*/;\n"
    "(window);\n</script>\n"
    '<script async src="{{WIDGET_URL}}" data-agent-id="{{AGENT_ID}}"></script>\n'
)
BOOT_BEFORE = "(function () {\n  var MSG = /*<messages>*/{}/*</messages>*/;\n})();\n"
NAMES = json.dumps(list(CLIENT_EVENTS), separators=(",", ":"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "site").mkdir()
    (tmp_path / WIDGET_JS).write_bytes(JS_BEFORE.encode())
    (tmp_path / SNIPPET_HTML).write_bytes(HTML_BEFORE.encode())
    (tmp_path / FRAME_BOOT_JS).parent.mkdir(parents=True)
    (tmp_path / FRAME_BOOT_JS).write_bytes(BOOT_BEFORE.encode())
    (tmp_path / DASHBOARD_AGENT_PATH).parent.mkdir(parents=True)
    (tmp_path / DASHBOARD_AGENT_PATH).write_bytes(DASHBOARD_BEFORE.encode())
    return tmp_path


def test_write_replaces_only_the_marked_regions_and_creates_the_declarations(repo: Path) -> None:
    assert sorted(stale(repo)) == sorted(repo / p for p in GENERATED)
    changed = write(repo)
    assert sorted(changed) == sorted(repo / p for p in GENERATED)
    assert (repo / WIDGET_JS).read_bytes().decode() == JS_BEFORE.replace(
        '["widget_opened", "old_event"]', NAMES
    ).replace('{"ready": "old"}', message_types_json()).replace(
        "<launcher>*/{}", "<launcher>*/" + launcher_words_json()
    )
    assert (repo / FRAME_BOOT_JS).read_text() == BOOT_BEFORE.replace("{}", message_types_json())
    assert (repo / CLIENT_EVENTS_MODULE_PATH).read_text() == client_events_module()
    assert (repo / SNIPPET_HTML).read_bytes().decode() == HTML_BEFORE.replace(
        "[]", NAMES, 1
    ).replace("[]", locales_json())
    assert (repo / DECLARATIONS_PATH).read_text(encoding="utf-8") == typescript_declarations()
    assert stale(repo) == []
    assert write(repo) == []


def test_event_list_is_the_registry_in_order(repo: Path) -> None:
    write(repo)
    region = re.search(r"/\*<events>\*/(.*?)/\*</events>\*/", (repo / WIDGET_JS).read_text())
    assert region is not None
    assert json.loads(region.group(1)) == list(CLIENT_EVENTS)


def test_message_types_are_the_protocols_and_event_names_the_registrys(repo: Path) -> None:
    write(repo)
    boot = (repo / FRAME_BOOT_JS).read_text()
    region = re.search(r"/\*<messages>\*/(.*?)/\*</messages>\*/", boot)
    assert region is not None
    assert json.loads(region.group(1)) == {k: message_type(m) for k, m in MESSAGES.items()}
    assert json.loads(region.group(1))["hello"] == "widget:hello"
    assert tuple(CLIENT_EVENTS) == CLIENT_EVENT_NAMES
    assert get_args(ClientEventName) == CLIENT_EVENT_NAMES


def test_the_scripts_carry_the_locales_and_the_launchers_words(repo: Path) -> None:
    write(repo)
    shim = (repo / WIDGET_JS).read_text()
    words = re.search(r"/\*<launcher>\*/(.*?)/\*</launcher>\*/", shim)
    assert words is not None
    assert json.loads(words.group(1)) == {"rtl": ["ar"], "strings": LAUNCHER_STRINGS}
    # The widget's public names stay exactly these in English.
    assert LAUNCHER_STRINGS["en"]["open"] == "Open chat"
    assert LAUNCHER_STRINGS["en"]["close"] == "Close chat"
    snippet = (repo / SNIPPET_HTML).read_text()
    locales = re.search(r"/\*<locales>\*/(.*?)/\*</locales>\*/", snippet)
    assert locales is not None
    assert json.loads(locales.group(1)) == ["en", "de", "fr", "es", "ar"] == list(LOCALES)
    declarations = (repo / DECLARATIONS_PATH).read_text(encoding="utf-8")
    assert 'export type WidgetLocale = "en" | "de" | "fr" | "es" | "ar";' in declarations
    assert "setLocale(locale: WidgetLocale" in declarations


def test_stale_lists_only_files_that_differ(repo: Path) -> None:
    write(repo)
    (repo / DECLARATIONS_PATH).write_text("// edited by hand\n", encoding="utf-8")
    assert stale(repo) == [repo / DECLARATIONS_PATH]
    assert generated_files(repo)[repo / DECLARATIONS_PATH] == typescript_declarations()


def test_missing_file_is_named_and_nothing_is_written(repo: Path) -> None:
    (repo / SNIPPET_HTML).unlink()
    with pytest.raises(CodegenError, match=r"snippet\.html: missing"):
        write(repo)
    assert not (repo / DECLARATIONS_PATH).exists()
    assert (repo / WIDGET_JS).read_bytes() == JS_BEFORE.encode()


@pytest.mark.parametrize(
    "content",
    [
        "const EVENTS = [];\n",
        "/*<events>*/[]/*</events>*/ /*<events>*/[]/*</events>*/\n",
        "/*</events>*/[]/*<events>*/\n",
        "/*<events>*/[]\n",
    ],
    ids=["no markers", "two regions", "reversed", "no end marker"],
)
def test_file_without_exactly_one_region_is_named(repo: Path, content: str) -> None:
    (repo / WIDGET_JS).write_text(content, encoding="utf-8")
    with pytest.raises(CodegenError, match=r"widget\.js: ") as raised:
        stale(repo)
    assert "/*<events>*/" in str(raised.value)
    assert (repo / WIDGET_JS).read_text(encoding="utf-8") == content


def test_declarations_describe_every_client_event_and_the_widget_api() -> None:
    declarations = typescript_declarations()
    for name, model in CLIENT_EVENTS.items():
        payload = f"{model.__name__}Payload"
        assert f"  /** {CLIENT_EVENT_DESCRIPTIONS[name]}. */\n  {name}: {payload};" in declarations
        interface = re.search(rf"export interface {payload} \{{(.*?)\}}", declarations, re.DOTALL)
        assert interface is not None, payload
        for field in model.model_fields.values():
            kind = "number" if field.annotation is int else "string"
            assert f"  {field.alias}: {kind};" in interface.group(1)
    callback = "callback: (data: WidgetEventMap[K]) => void"
    for line in (
        f"on<K extends WidgetEventName>(event: K, {callback}): () => void;",
        f"once<K extends WidgetEventName>(event: K, {callback}): () => void;",
        f"off<K extends WidgetEventName>(event: K, {callback}): void;",
        "open(): void;",
        "close(): void;",
        "toggle(): void;",
        "readonly ready: Promise<void>;",
        "send(text: string): void;",
        "prefill(text: string): void;",
        "widget: Widget;",
        "var widget: Widget;",
    ):
        assert line in declarations


def test_main_check_reports_stale_files_and_write_fixes_them(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check", "--root", str(repo)]) == 1
    assert "make gen" in capsys.readouterr().err
    assert main(["--root", str(repo)]) == 0
    assert main(["--check", "--root", str(repo)]) == 0
    (repo / WIDGET_JS).unlink()
    assert main(["--check", "--root", str(repo)]) == 2
    assert "widget.js: missing" in capsys.readouterr().err


def test_generated_files_are_current() -> None:
    outdated = [str(path.relative_to(REPO_ROOT)) for path in stale(REPO_ROOT)]
    assert not outdated, f"generated files are stale: {', '.join(outdated)}; run `make gen`"
