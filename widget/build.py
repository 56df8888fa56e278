"""`python -m widget build`: assemble the bundle the server serves, from pinned sources only.

The output folder (default `build/`) holds `widget.js`, `frame.html`, `snippet.html`, `demo.html`
and `bundle/`, whose subfolders are named by version or content hash so they can be cached forever:

- `bundle/pyodide@<v>/`, `bundle/pyscript@<v>/`, `bundle/fake-indexeddb@<v>/`: from
  `node_modules` (npm, pinned by package-lock.json with integrity hashes);
- `bundle/wheels/`: pydantic and its dependencies for Pyodide's ABI (requirements-browser.txt, with
  hashes checked by pip);
- `bundle/app-<hash>/`: the project's browser Python as a wheel, with the frame's CSS and boot JS.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from widget import __version__

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
NODE_MODULES = ROOT / "node_modules"
WHEEL_CACHE = ROOT / ".cache" / "wheels"
BROWSER_REQUIREMENTS = ROOT / "requirements-browser.txt"
PYSCRIPT_TOML = ROOT / "pyscript.toml"

PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
# The browser needs the event core and the frame UI; never the server or the agent.
BROWSER_MODULES = ("__init__.py", "bus.py", "events.py", "linkify.py", "frame")
APP_STATIC = ("frame.css", "frame-boot.js")
# The browser's ABI, from the Pyodide release we vendor (see requirements-browser.txt).
PYODIDE_PLATFORM = "pyemscripten_2026_0_wasm32"
PYODIDE_PYTHON = "3.14"


class BuildError(Exception):
    pass


def npm_version(package: str) -> str:
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.is_file():
        raise BuildError(f"{manifest} is missing: run `npm ci` (or `make build`) first")
    version: str = json.loads(manifest.read_text())["version"]
    return version


def download_wheels() -> list[Path]:
    """The pinned browser wheels, from the local cache or downloaded with their hashes checked."""
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--only-binary=:all:", "--require-hashes",
            "--python-version", PYODIDE_PYTHON, "--implementation", "cp",
            "--abi", "cp" + PYODIDE_PYTHON.replace(".", ""),
            "--platform", PYODIDE_PLATFORM, "--platform", "any",
            "--dest", str(WHEEL_CACHE), "-r", str(BROWSER_REQUIREMENTS),
        ],
        check=True,
    )  # fmt: skip
    wanted = _pinned_names()
    wheels = [p for p in sorted(WHEEL_CACHE.glob("*.whl")) if _wheel_key(p.name) in wanted]
    missing = wanted - {_wheel_key(p.name) for p in wheels}
    if missing:
        raise BuildError(f"browser wheels missing after download: {sorted(missing)}")
    return wheels


def _pinned_names() -> set[str]:
    names = set()
    for line in BROWSER_REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split()[0].split("==")
            names.add(f"{name.replace('-', '_').lower()}-{version}")
    return names


def _wheel_key(filename: str) -> str:
    name, version = filename.split("-")[:2]
    return f"{name.lower()}-{version}"


def _app_sources() -> list[tuple[str, Path]]:
    """(path inside the wheel, file) for every browser module, in a stable order."""
    package = ROOT / "widget"
    out: list[tuple[str, Path]] = []
    for entry in BROWSER_MODULES:
        path = package / entry
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        out.extend((f"widget/{f.relative_to(package).as_posix()}", f) for f in files)
    return out


def build_app_wheel(dest: Path) -> Path:
    """A wheel of the browser modules, so Pyodide installs them like any package."""
    dist_info = f"widget-{__version__}.dist-info"
    files: list[tuple[str, bytes]] = [(arc, f.read_bytes()) for arc, f in _app_sources()]
    files.append(
        (
            f"{dist_info}/METADATA",
            f"Metadata-Version: 2.1\nName: widget\nVersion: {__version__}\n".encode(),
        )
    )
    files.append(
        (
            f"{dist_info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: widget.build\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n",
        )
    )
    record = [f"{arc},sha256={_b64_digest(data)},{len(data)}" for arc, data in files]
    record.append(f"{dist_info}/RECORD,,")
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    wheel = dest / f"widget-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, data in files:
            # A fixed date keeps the wheel's bytes, and so its hashed folder, reproducible.
            info = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return wheel


def _b64_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def app_hash() -> str:
    digest = hashlib.sha256()
    for arc, f in _app_sources():
        digest.update(arc.encode() + b"\0" + f.read_bytes() + b"\0")
    for name in APP_STATIC:
        digest.update(name.encode() + b"\0" + (SITE / name).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _copy(files: Iterable[Path], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        if f.is_dir():
            shutil.copytree(f, dest / f.name, dirs_exist_ok=True)
        else:
            shutil.copy2(f, dest / f.name)


def frame_config(pyodide_dir: str, wheels: Sequence[str]) -> dict[str, object]:
    """The PyScript config of the frame: pyscript.toml with the bundle's URLs filled in."""
    config: dict[str, object] = tomllib.loads(PYSCRIPT_TOML.read_text())
    config["interpreter"] = f"./{pyodide_dir}/pyodide.mjs"
    config["packages"] = [f"./{w}" for w in wheels]
    return config


def demo_page() -> str:
    """The demo host page, embedding the widget with the very snippet owners paste."""
    snippet = (SITE / "snippet.html").read_text()
    snippet = snippet.replace("{{WIDGET_URL}}", "widget.js").replace("{{AGENT_ID}}", "ag_demo")
    return (SITE / "demo.html").read_text().replace("{{SNIPPET}}", snippet.strip())


def build(out: Path) -> Path:
    pyodide_v = npm_version("pyodide")
    pyscript_v = npm_version("@pyscript/core")
    fakeidb_v = npm_version("fake-indexeddb")
    wheels = download_wheels()

    staging = out.with_name(out.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    bundle = staging / "bundle"

    pyodide_dir = f"bundle/pyodide@{pyodide_v}"
    _copy((NODE_MODULES / "pyodide" / f for f in PYODIDE_FILES), staging / pyodide_dir)
    pyscript_dist = NODE_MODULES / "@pyscript" / "core" / "dist"
    pyscript_dir = f"bundle/pyscript@{pyscript_v}"
    _copy(sorted(pyscript_dist.glob("*.js")), staging / pyscript_dir)
    fakeidb_dir = f"bundle/fake-indexeddb@{fakeidb_v}"
    _copy(
        sorted((NODE_MODULES / "fake-indexeddb" / "build" / "esm").iterdir()), staging / fakeidb_dir
    )
    _copy(wheels, bundle / "wheels")

    app_dir = f"bundle/app-{app_hash()}"
    (staging / app_dir).mkdir(parents=True)
    app_wheel = build_app_wheel(staging / app_dir)
    _copy((SITE / name for name in APP_STATIC), staging / app_dir)

    wheel_urls = [f"bundle/wheels/{w.name}" for w in wheels] + [f"{app_dir}/{app_wheel.name}"]
    config = frame_config(pyodide_dir, wheel_urls)
    frame = (SITE / "frame.html").read_text()
    replacements = {
        "{{APP}}": f"./{app_dir}",
        "{{PYSCRIPT}}": f"./{pyscript_dir}",
        "{{PYODIDE}}": f"./{pyodide_dir}",
        "{{FAKE_INDEXEDDB}}": f"./{fakeidb_dir}",
        "{{CONFIG}}": json.dumps(config, separators=(",", ":")).replace("'", "&#39;"),
    }
    for key, value in replacements.items():
        frame = frame.replace(key, value)
    (staging / "frame.html").write_text(frame)
    _copy((SITE / name for name in ("widget.js", "widget.d.ts", "snippet.html")), staging)
    (staging / "demo.html").write_text(demo_page())
    if (SITE / "dashboard").is_dir():
        _copy([SITE / "dashboard"], staging)

    shutil.rmtree(out, ignore_errors=True)
    os.replace(staging, out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m widget build", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="output folder")
    args = parser.parse_args(argv)
    try:
        out = build(args.out)
    except (BuildError, subprocess.CalledProcessError) as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(f"built {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
