"""The built bundle (`make build` runs before the tests): what the server serves must be exact."""

from __future__ import annotations

import gzip
import re
import zipfile
from pathlib import Path

import brotli  # type: ignore[import-untyped]
import pytest

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
    assert not [n for n in names if n.startswith(("widget/server", "widget/agent"))]
    (pydantic_wheel,) = build.glob("bundle/wheels-*/pydantic-2.14.3-*.whl")
    assert any(n.endswith(".pyc") for n in zipfile.ZipFile(pydantic_wheel).namelist())


def test_frame_page_has_every_placeholder_filled_but_the_agents(build: Path) -> None:
    frame = (build / "frame.html").read_text()
    assert re.findall(r"\{\{[A-Z_]+\}\}", frame) == ["{{AGENT}}"]
    for url in re.findall(r'(?:href|src)="\./([^"]+)"', frame):
        assert (build / url).is_file(), url
