"""`python -m widget build`: assemble the bundle the server serves, from pinned sources only.

The output folder (default `build/`) holds `widget.js`, `frame.html`, `snippet.html`, `demo.html`
and `bundle/`, whose subfolders are named by version or content hash so they can be cached forever:

- `bundle/pyodide@<v>/`, `bundle/pyscript@<v>/`, `bundle/fake-indexeddb@<v>/`: from
  `node_modules` (npm, pinned by package-lock.json with integrity hashes);
- `bundle/wheels-<hash>/`: pydantic and its dependencies for Pyodide's ABI
  (requirements-browser.txt, with hashes checked by pip);
- `bundle/app-<hash>/`: the project's browser Python as a wheel, with the frame's CSS and boot JS.

Two things make the frame start sooner (`make bench` measures both):
- Every browser wheel is rebuilt with its modules compiled to bytecode by the very Pyodide we ship
  (run under Node at build time), so the browser imports pydantic without compiling its sources;
  the files are stored uncompressed, and brotli over the whole wheel beats zip's per-file deflate.
- Beside every compressible file that compression shrinks, `<file>.br` and `<file>.gz` are
  written; the server sends one of them to a browser that accepts it.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import brotli  # type: ignore[import-untyped]

from widget import __version__

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
# The frame's page (HTML, CSS, boot script) lives beside its Python; the build writes it to
# build/frame.html, the URL the server serves.
FRAME_PAGE = ROOT / "widget" / "frame" / "page"
NODE_MODULES = ROOT / "node_modules"
WHEEL_CACHE = ROOT / ".cache" / "wheels"
PYC_CACHE = ROOT / ".cache" / "pyc"
COMPRESSED_CACHE = ROOT / ".cache" / "compressed"
BROWSER_REQUIREMENTS = ROOT / "requirements-browser.txt"
PYSCRIPT_TOML = ROOT / "pyscript.toml"

# python_stdlib.zip is rebuilt (see `compile_stdlib`).
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "pyodide-lock.json",
)
# The browser needs the event core, the wire contracts and the frame UI; never the server or the
# agent.
BROWSER_MODULES = ("__init__.py", "bus.py", "events.py", "linkify.py", "contracts", "frame")
# Inlined into frame.html (and hashed into the app folder's name with the browser modules).
APP_STATIC = ("frame.css", "frame-boot.js")
# The browser's ABI, from the Pyodide release we vendor (see requirements-browser.txt).
PYODIDE_PLATFORM = "pyemscripten_2026_0_wasm32"
PYODIDE_PYTHON = "3.14"
# Formats that compress. The stdlib zip is rebuilt stored (uncompressed), so it compresses too.
COMPRESSIBLE = (".wasm", ".mjs", ".js", ".json", ".css", ".html", ".svg", ".ts", ".whl", ".zip")
# A compressed copy is kept only when it saves at least this share of the bytes.
MIN_SAVING = 0.1
# A fixed date keeps wheels' bytes, and so their hashed folders, reproducible.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


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
    pins = _pins()
    cached = _cached_wheels(pins)
    if len(cached) == len(pins):
        return cached  # every pin is here with its hash: no need to ask the index again
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
    wheels = _cached_wheels(pins)
    missing = set(pins) - {_wheel_key(p.name) for p in wheels}
    if missing:
        raise BuildError(f"browser wheels missing after download: {sorted(missing)}")
    return wheels


def _pins() -> dict[str, str]:
    """`name-version` -> sha256 of every pinned browser wheel."""
    pins = {}
    for line in BROWSER_REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement, digest = line.split()[0], line.split("--hash=sha256:")[1].split()[0]
            name, version = requirement.split("==")
            pins[f"{name.replace('-', '_').lower()}-{version}"] = digest
    return pins


def _cached_wheels(pins: dict[str, str]) -> list[Path]:
    """The cached wheels that match a pin and its hash."""
    return [
        path
        for path in sorted(WHEEL_CACHE.glob("*.whl"))
        if pins.get(_wheel_key(path.name)) == hashlib.sha256(path.read_bytes()).hexdigest()
    ]


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
    files.append((f"{dist_info}/RECORD", b""))
    wheel = dest / f"widget-{__version__}-py3-none-any.whl"
    write_wheel(wheel, files)
    return wheel


def write_wheel(path: Path, files: Sequence[tuple[str, bytes]]) -> None:
    """A wheel of `files` (RECORD rewritten to match), stored uncompressed; see the module doc."""
    records = [f for f in files if f[0].endswith(".dist-info/RECORD")]
    if len(records) != 1:
        raise BuildError(f"{path.name}: expected one .dist-info/RECORD, found {len(records)}")
    record_arc = records[0][0]
    lines = [f"{arc},sha256={_b64_digest(data)},{len(data)}" for arc, data in files]
    lines = [line for line in lines if not line.startswith(record_arc + ",")]
    lines.append(f"{record_arc},,")
    record = ("\n".join(lines) + "\n").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for arc, data in files:
            info = zipfile.ZipInfo(arc, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            zf.writestr(info, record if arc == record_arc else data)


def _b64_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def app_hash() -> str:
    digest = hashlib.sha256()
    for arc, f in _app_sources():
        digest.update(arc.encode() + b"\0" + f.read_bytes() + b"\0")
    for name in APP_STATIC:
        digest.update(name.encode() + b"\0" + (FRAME_PAGE / name).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


# Runs in Node with the bundle's own Pyodide, so the bytecode matches the browser's Python exactly.
# argv: the Pyodide folder, a folder of sources, and where they live in the browser (default:
# site-packages); every `x.py` gets an `x.pyc` beside it, sourceless-importable, naming `x.py`
# there for tracebacks.
_PYC_COMPILER = r"""
const [indexURL, sources, shownRoot = ""] = process.argv.slice(1);
const { loadPyodide } = await import(indexURL + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: indexURL + "/" });
pyodide.FS.mkdirTree("/sources");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: sources }, "/sources");
pyodide.runPython(`
import os, py_compile, sysconfig
site = "${shownRoot}" or sysconfig.get_paths()["purelib"]
for folder, _, names in os.walk("/sources"):
    for name in names:
        if name.endswith(".py"):
            path = os.path.join(folder, name)
            shown = os.path.join(site, os.path.relpath(path, "/sources"))
            py_compile.compile(path, path + "c", shown, doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
`);
"""


def compile_wheels(wheels: Sequence[Path], dest: Path) -> list[Path]:
    """`wheels` rebuilt with bytecode in place of sources (see the module doc), in `dest`.

    Cached in .cache/pyc by the wheels' and Pyodide's bytes: Node and Pyodide start only when a
    wheel or Pyodide changed.
    """
    pyodide = NODE_MODULES / "pyodide"
    key = hashlib.sha256((pyodide / "pyodide.asm.wasm").read_bytes())
    for wheel in wheels:
        key.update(wheel.name.encode() + b"\0" + wheel.read_bytes())
    cache = PYC_CACHE / key.hexdigest()[:16]
    if not all((cache / w.name).is_file() for w in wheels):
        _compile_into(wheels, cache, pyodide)
    _copy((cache / w.name for w in wheels), dest)
    return [dest / w.name for w in wheels]


def _compile_into(wheels: Sequence[Path], cache: Path, pyodide: Path) -> None:
    contents = {w.name: _read_wheel(w) for w in wheels}
    with tempfile.TemporaryDirectory(prefix="widget-pyc-") as tmp:
        sources = Path(tmp)
        for files in contents.values():
            for arc, data in files:
                if arc.endswith(".py"):
                    (sources / arc).parent.mkdir(parents=True, exist_ok=True)
                    (sources / arc).write_bytes(data)
        _run_compiler(pyodide, sources)
        staging = cache.with_name(cache.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name, files in contents.items():
            compiled = [
                (arc + "c", (sources / (arc + "c")).read_bytes())
                if arc.endswith(".py")
                else (arc, data)
                for arc, data in files
            ]
            write_wheel(staging / name, compiled)
    shutil.rmtree(cache, ignore_errors=True)
    os.replace(staging, cache)


def _run_compiler(pyodide: Path, sources: Path, shown_root: str = "") -> None:
    try:
        subprocess.run(
            ["node", "--input-type=module", "-e", _PYC_COMPILER, str(pyodide), str(sources),
             shown_root],
            check=True,
            capture_output=True,
            text=True,
        )  # fmt: skip
    except FileNotFoundError as exc:
        raise BuildError("node is missing: install Node.js (it comes with npm)") from exc
    except subprocess.CalledProcessError as exc:
        raise BuildError(f"compiling Python to bytecode failed:\n{exc.stderr}") from exc


# Parts of the standard library that cannot run in a browser frame, or serve only people at a
# console (REPLs, debuggers, test runners, mail and news clients): left out of the bundle's copy.
STDLIB_LEFT_OUT = (
    "_pyrepl/", "idlelib/", "lib2to3/", "pydoc_data/", "tkinter/", "turtledemo/", "unittest/",
    "ensurepip/", "venv/", "multiprocessing/", "xmlrpc/", "wsgiref/", "curses/", "dbm/",
    "sqlite3/", "pdb.py", "pydoc.py", "doctest.py", "turtle.py", "imaplib.py", "nntplib.py",
    "poplib.py", "smtplib.py", "ftplib.py", "mailbox.py", "cProfile.py",
    "profile.py", "pstats.py", "tabnanny.py", "trace.py", "timeit.py", "webbrowser.py",
    "pickletools.py", "mailcap.py", "antigravity.py",
)  # fmt: skip
STDLIB = "python_stdlib.zip"


def compile_stdlib(dest: Path) -> Path:
    """Pyodide's standard library as bytecode, stored (see the module doc), in `dest`.

    Pyodide ships it as sources, so every module the frame imports was compiled in the browser on
    every start. Cached in .cache/pyc by Pyodide's bytes and the list of what is left out.
    """
    pyodide = NODE_MODULES / "pyodide"
    key = hashlib.sha256((pyodide / "pyodide.asm.wasm").read_bytes())
    key.update((pyodide / STDLIB).read_bytes() + repr(STDLIB_LEFT_OUT).encode())
    cached = PYC_CACHE / f"stdlib-{key.hexdigest()[:16]}.zip"
    if not cached.is_file():
        with zipfile.ZipFile(pyodide / STDLIB) as zf:
            files = [
                (i.filename, zf.read(i))
                for i in zf.infolist()
                if not i.is_dir() and not i.filename.startswith(STDLIB_LEFT_OUT)
            ]
        with tempfile.TemporaryDirectory(prefix="widget-stdlib-") as tmp:
            sources = Path(tmp)
            for arc, data in files:
                if arc.endswith(".py"):
                    (sources / arc).parent.mkdir(parents=True, exist_ok=True)
                    (sources / arc).write_bytes(data)
            _run_compiler(pyodide, sources, f"/lib/python{PYODIDE_PYTHON.replace('.', '')}.zip")
            compiled = [
                (arc + "c", (sources / (arc + "c")).read_bytes())
                if arc.endswith(".py")
                else (arc, data)
                for arc, data in files
            ]
        PYC_CACHE.mkdir(parents=True, exist_ok=True)
        tmp_zip = cached.with_name(cached.name + f".{os.getpid()}.tmp")
        with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_STORED) as zf:
            for arc, data in compiled:
                info = zipfile.ZipInfo(arc, date_time=ZIP_DATE)
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
        os.replace(tmp_zip, cached)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, dest / STDLIB)
    return dest / STDLIB


def _read_wheel(wheel: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(wheel) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist() if not i.is_dir()]


def precompress(root: Path, skip: Iterable[Path] = ()) -> None:
    """Write `<file>.br` and `<file>.gz` beside each compressible file they shrink enough.

    Brotli at its best level is slow on Pyodide's wasm, so results are cached by content.
    """
    COMPRESSED_CACHE.mkdir(parents=True, exist_ok=True)
    skipped = set(skip)
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in COMPRESSIBLE or path in skipped:
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        for suffix, compress in ((".br", _brotli), (".gz", _gzip)):
            cached = COMPRESSED_CACHE / f"{digest}{suffix}"
            if not cached.is_file():
                tmp = cached.with_name(cached.name + f".{os.getpid()}.tmp")
                tmp.write_bytes(compress(data))
                os.replace(tmp, cached)
            if cached.stat().st_size <= len(data) * (1 - MIN_SAVING):
                shutil.copyfile(cached, path.with_name(path.name + suffix))


def _brotli(data: bytes) -> bytes:
    return bytes(brotli.compress(data, quality=11))


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _files_hash(files: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


TERSER = NODE_MODULES / "terser" / "bin" / "terser"


def minify_shim(path: Path) -> None:
    """Minify widget.js in place: it is all a page downloads from us before intent (budget 4 KB
    with brotli), and its comments and long names are for its readers, not for browsers."""
    if not TERSER.is_file():
        raise BuildError(f"{TERSER} is missing: run `npm ci` (make install does)")
    try:
        subprocess.run(
            ["node", str(TERSER), str(path), "--compress", "passes=2", "--mangle",
             "--comments", "false", "--output", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )  # fmt: skip
    except FileNotFoundError as exc:
        raise BuildError("node is missing: install Node.js (it comes with npm)") from exc
    except subprocess.CalledProcessError as exc:
        raise BuildError(f"minifying widget.js failed:\n{exc.stderr}") from exc


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


def preloads(pyodide_dir: str, pyscript_dir: str, wheel_urls: Sequence[str]) -> list[list[str]]:
    """[rel, url] for what the frame fetches in a chain: PyScript's modules, then Pyodide's
    loader, lock file and standard library, then the wheels, once Python runs. The frame adds
    them after the panel's first paint, so that they never hold the panel back.

    Not the wasm: Chromium keeps compiled wasm only for a response that streaming compilation
    fetched itself, and a preloaded one would be compiled afresh on every visit (`make bench`).
    """
    core = (NODE_MODULES / "@pyscript" / "core" / "dist" / "core.js").read_text()
    chunk = re.search(r'from\s*"\./(core-[\w-]+\.js)"', core)
    if chunk is None:
        raise BuildError("@pyscript/core's core.js no longer names its core chunk: update build.py")
    modules = [
        f"./{pyscript_dir}/core.js",
        f"./{pyodide_dir}/pyodide.mjs",
        f"./{pyscript_dir}/{chunk.group(1)}",
        f"./{pyodide_dir}/pyodide.asm.mjs",
    ]
    fetched = [f"./{pyodide_dir}/pyodide-lock.json", f"./{pyodide_dir}/python_stdlib.zip"]
    fetched += [f"./{url}" for url in wheel_urls]
    return [["modulepreload", url] for url in modules] + [["preload", url] for url in fetched]


def without_line_comments(script: str) -> str:
    """`script` without its whole-line `//` comments: the frame's document carries frame-boot.js
    inline and per request, so its comments would cost every visitor bytes on the wire. (Only
    lines that start with `//`: no string in frame-boot.js spans lines.)"""
    return "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("//"))


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

    pyodide_dir = f"bundle/pyodide@{pyodide_v}"
    _copy((NODE_MODULES / "pyodide" / f for f in PYODIDE_FILES), staging / pyodide_dir)
    compile_stdlib(staging / pyodide_dir)
    pyscript_dist = NODE_MODULES / "@pyscript" / "core" / "dist"
    pyscript_dir = f"bundle/pyscript@{pyscript_v}"
    _copy(sorted(pyscript_dist.glob("*.js")), staging / pyscript_dir)
    fakeidb_dir = f"bundle/fake-indexeddb@{fakeidb_v}"
    _copy(
        sorted((NODE_MODULES / "fake-indexeddb" / "build" / "esm").iterdir()), staging / fakeidb_dir
    )
    compiled = compile_wheels(wheels, staging / "wheels.tmp")
    wheels_dir = f"bundle/wheels-{_files_hash(compiled)}"
    os.replace(staging / "wheels.tmp", staging / wheels_dir)

    app_dir = f"bundle/app-{app_hash()}"
    (staging / app_dir).mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="widget-app-") as tmp:
        (app_wheel,) = compile_wheels([build_app_wheel(Path(tmp))], staging / app_dir)

    wheel_urls = [f"{wheels_dir}/{w.name}" for w in wheels] + [f"{app_dir}/{app_wheel.name}"]
    config = frame_config(pyodide_dir, wheel_urls)
    frame = (FRAME_PAGE / "frame.html").read_text()
    replacements = {
        "{{FRAME_CSS}}": (FRAME_PAGE / "frame.css").read_text().strip(),
        "{{FRAME_BOOT}}": without_line_comments((FRAME_PAGE / "frame-boot.js").read_text().strip()),
        "{{APP}}": f"./{app_dir}",
        "{{PYSCRIPT}}": f"./{pyscript_dir}",
        "{{PYODIDE}}": f"./{pyodide_dir}",
        "{{FAKE_INDEXEDDB}}": f"./{fakeidb_dir}",
        "{{CONFIG}}": json.dumps(config, separators=(",", ":")).replace("'", "&#39;"),
        "{{PRELOAD}}": json.dumps(preloads(pyodide_dir, pyscript_dir, wheel_urls)),
    }
    for key, value in replacements.items():
        frame = frame.replace(key, value)
    (staging / "frame.html").write_text(frame)
    _copy((SITE / name for name in ("widget.js", "widget.d.ts", "snippet.html")), staging)
    minify_shim(staging / "widget.js")
    (staging / "demo.html").write_text(demo_page())
    if (SITE / "dashboard").is_dir():
        _copy([SITE / "dashboard"], staging)
    # The server fills in the frame per agent, and compresses that answer itself.
    precompress(staging, skip=[staging / "frame.html"])

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
