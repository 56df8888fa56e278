"""The built bundle (`make build` runs before the tests): what the server serves must be exact."""

from __future__ import annotations

import gzip
import re
import zipfile
from pathlib import Path

import brotli  # type: ignore[import-untyped]
import pytest

from widget.frame.strings import FRAME_STRINGS

BUILD = Path(__file__).resolve().parents[1] / "build"


@pytest.fixture(scope="module")
def build() -> Path:
    if not (BUILD / "frame.html").is_file():
        pytest.fail("build/ is missing: run `make build` (make test does)")
    return BUILD


def test_every_precompressed_file_decodes_to_its_original(build: Path) -> None:
    pairs = 0
    for packed in sorted([*build.rglob("*.br"), *build.rglob("*.gz")]):
        original = packed.with_suffix("")
        decode = brotli.decompress if packed.suffix == ".br" else gzip.decompress
        assert decode(packed.read_bytes()) == original.read_bytes(), packed
        pairs += 1
    assert (build / "bundle" / "pyodide@314.0.7" / "pyodide.asm.wasm.br").is_file()
    assert pairs > 10


def test_browser_wheels_are_precompiled_and_ship_no_server_code(build: Path) -> None:
    (app_wheel,) = build.glob("bundle/app-*/widget-*.whl")
    names = zipfile.ZipFile(app_wheel).namelist()
    assert "widget/events.pyc" in names
    assert "widget/frame/app.pyc" in names
    assert "widget/contracts/protocol.pyc" in names and "widget/contracts/chat.pyc" in names
    assert not [n for n in names if "frame/page/" in n]  # inlined into frame.html instead
    assert not [n for n in names if n.startswith(("widget/server", "widget/agent"))]
    (pydantic_wheel,) = build.glob("bundle/wheels-*/pydantic-2.14.3-*.whl")
    assert any(n.endswith(".pyc") for n in zipfile.ZipFile(pydantic_wheel).namelist())


def test_frame_page_has_every_placeholder_filled_but_the_agents_and_the_locales(
    build: Path,
) -> None:
    frame = (build / "frame.html").read_text()
    placeholders = re.findall(r"\{\{[A-Z_]+\}\}", frame)
    assert placeholders == ["{{LOCALE}}", "{{DIR}}", "{{THEME}}", "{{AGENT}}", "{{STRINGS}}"]
    # The server words the panel from the one table: every key the page names is in it.
    assert set(re.findall(r"\{\{t:(\w+)\}\}", frame)) <= set(FRAME_STRINGS["en"])
    for url in re.findall(r'(?:href|src)="\./([^"]+)"', frame):
        assert (build / url).is_file(), url


STDLIB = "bundle/pyodide@314.0.7/python_stdlib.zip"
IMPORT = re.compile(rb"^(?:import\s+([\w.]+)|from\s+([\w.]+)\s+import)", re.M)


def _module(name: str) -> str:
    name = name.removesuffix(".pyc").removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def test_the_standard_library_ships_as_bytecode(build: Path) -> None:
    names = zipfile.ZipFile(build / STDLIB).namelist()
    assert "typing.pyc" in names and "asyncio/__init__.pyc" in names
    assert not [n for n in names if n.endswith(".py")]


def test_what_the_stdlib_leaves_out_no_kept_module_imports_at_its_top() -> None:
    # The bundle's stdlib leaves out what a browser frame cannot use; nothing kept may need it
    # when imported (a module-level import). Read from Pyodide's own sources.
    from widget.build import NODE_MODULES, STDLIB_LEFT_OUT

    with zipfile.ZipFile(NODE_MODULES / "pyodide" / "python_stdlib.zip") as zf:
        sources = {i.filename: zf.read(i) for i in zf.infolist() if i.filename.endswith(".py")}
    left_out = {_module(n) for n in sources if n.startswith(STDLIB_LEFT_OUT)}
    # Imported only by a module nothing in a frame imports (a REPL, a process pool).
    allowed = {"asyncio/__main__.py", "concurrent/futures/process.py"}
    needed = sorted(
        f"{name} imports {found}"
        for name, text in sources.items()
        if not name.startswith(STDLIB_LEFT_OUT) and name not in allowed
        for match in IMPORT.finditer(text)
        if (found := (match.group(1) or match.group(2)).decode()) in left_out
    )
    assert not needed


def test_the_shim_ships_minified_and_keeps_its_public_words(build: Path) -> None:
    source = (Path(__file__).resolve().parents[1] / "site" / "widget.js").read_text()
    shipped = (build / "widget.js").read_text()
    assert len(shipped) < len(source) * 0.6
    assert "//" not in shipped.replace("://", "")  # no comment survives
    # What host pages and tests rely on is data, not names: it survives minification.
    for kept in ("Open chat", "Close chat", "unread_count_changed", "widget:connect", "setLocale"):
        assert kept in shipped, kept
