"""The bundle as browsers get it: types, caching, precompressed copies, frame-ancestors."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import httpx

from widget.server.core.static import resolve

APP_DIR = "bundle/app-0123456789ab"  # as laid out by conftest.make_bundle
PYODIDE_DIR = "bundle/pyodide@314.0.7"
IMMUTABLE = "public, max-age=31536000, immutable"


def test_entry_files_are_served_and_revalidated(client: httpx.Client, bundle_dir: Path) -> None:
    for path, name in [("/", "demo.html"), ("/snippet.html", "snippet.html")]:
        response = client.get(path)
        assert response.status_code == 200
        assert response.content == (bundle_dir / name).read_bytes()
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"


def test_etag_gives_304_until_the_file_changes(client: httpx.Client, bundle_dir: Path) -> None:
    first = client.get("/snippet.html")
    etag = first.headers["etag"]
    again = client.get("/snippet.html", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""

    (bundle_dir / "snippet.html").write_text("<p>a new snippet, longer than before</p>")
    changed = client.get("/snippet.html", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.text == "<p>a new snippet, longer than before</p>"


def test_wasm_and_mjs_types_and_immutable_versioned_folders(client: httpx.Client) -> None:
    wasm = client.get(f"/{PYODIDE_DIR}/pyodide.asm.wasm")
    assert wasm.status_code == 200
    assert wasm.headers["content-type"] == "application/wasm"
    assert wasm.headers["cache-control"] == IMMUTABLE

    mjs = client.get(f"/{PYODIDE_DIR}/pyodide.mjs")
    assert mjs.headers["content-type"].startswith("text/javascript")
    assert mjs.headers["cache-control"] == IMMUTABLE

    hashed = client.get(f"/{APP_DIR}/frame.css")
    assert hashed.headers["content-type"].startswith("text/css")
    assert hashed.headers["cache-control"] == IMMUTABLE

    wheel = client.get("/bundle/wheels/pydantic-2.14.3-py3-none-any.whl")
    assert wheel.headers["cache-control"] == IMMUTABLE

    plain = client.get("/bundle/plain.json")
    assert plain.headers["cache-control"] == "no-cache"


def test_precompressed_copies_follow_accept_encoding(
    client: httpx.Client, bundle_dir: Path
) -> None:
    original = (bundle_dir / "widget.js").read_bytes()

    br = client.get("/widget.js", headers={"Accept-Encoding": "gzip, br"})
    assert br.headers["content-encoding"] == "br"
    assert br.headers["vary"] == "Accept-Encoding"
    assert br.headers["content-type"].startswith("text/javascript")
    assert int(br.headers["content-length"]) == (bundle_dir / "widget.js.br").stat().st_size
    assert br.content == original  # httpx undoes the coding

    gz = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip"
    assert int(gz.headers["content-length"]) == (bundle_dir / "widget.js.gz").stat().st_size
    assert gz.content == original
    assert gz.headers["etag"] != br.headers["etag"]

    refused = client.get("/widget.js", headers={"Accept-Encoding": "gzip;q=0, br;q=0"})
    assert "content-encoding" not in refused.headers
    assert refused.headers["vary"] == "Accept-Encoding"
    assert refused.content == original

    identity = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in identity.headers
    assert identity.content == original


def test_no_directory_traversal(client: httpx.Client, bundle_dir: Path) -> None:
    (bundle_dir.parent / "secret.txt").write_text("TOP-SECRET-CONTENT")
    (bundle_dir / ".env").write_text("TOP-SECRET-CONTENT")
    for path in [
        "/%2e%2e/secret.txt",
        "/bundle/%2e%2e/%2e%2e/secret.txt",
        "/bundle/..%2f..%2fsecret.txt",
        "/.env",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "TOP-SECRET-CONTENT" not in response.text
    assert resolve(bundle_dir, "../secret.txt") is None
    assert resolve(bundle_dir, "bundle/../../secret.txt") is None
    assert resolve(bundle_dir, "widget.js") == bundle_dir / "widget.js"


def test_missing_file_is_404(client: httpx.Client) -> None:
    assert client.get("/bundle/nothing-here.js").status_code == 404


def test_demo_frame_may_be_embedded_anywhere(client: httpx.Client, bundle_dir: Path) -> None:
    response = client.get("/frame.html?agent=ag_demo")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "frame-ancestors" not in response.headers.get("content-security-policy", "")


def test_the_frame_carries_the_agents_public_settings(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    tricky = "Bob</script><script>alert(1)</script> & co\u2028"
    client.patch(
        "/v1/agents/ag_demo", headers=admin, json={"name": "Sales", "welcomeMessage": tricky}
    )
    response = client.get("/frame.html?agent=ag_demo")
    assert response.headers["cache-control"] == "no-cache"
    assert "</script><script>" not in response.text
    embedded = response.text.split('type="application/json">')[1].split("</script>")[0]
    assert json.loads(embedded) == {
        "agentId": "ag_demo",
        "name": "Sales",
        "welcomeMessage": tricky,
        "welcomeMessages": {},
        "theme": {"color": "#4f46e5", "side": "right", "launcherLabel": "", "scheme": "light"},
    }
    assert "prompt" not in embedded

    again = client.get(
        "/frame.html?agent=ag_demo", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    client.patch("/v1/agents/ag_demo", headers=admin, json={"name": "Support"})
    changed = client.get(
        "/frame.html?agent=ag_demo", headers={"If-None-Match": response.headers["etag"]}
    )
    assert changed.status_code == 200
    assert '"name": "Support"' in changed.text


def test_frame_ancestors_follow_the_agents_allowed_origins(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    created = client.post(
        "/v1/agents",
        headers=admin,
        json={"name": "Shop", "allowedOrigins": ["https://shop.example", "http://localhost:3000"]},
    )
    agent_id = created.json()["agentId"]
    response = client.get(f"/frame.html?agent={agent_id}")
    assert response.status_code == 200
    assert (
        directives(response)["frame-ancestors"]
        == "frame-ancestors https://shop.example http://localhost:3000"
    )

    client.patch(f"/v1/agents/{agent_id}", headers=admin, json={"allowedOrigins": []})
    locked = client.get(f"/frame.html?agent={agent_id}")
    assert directives(locked)["frame-ancestors"] == "frame-ancestors 'none'"


def directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";")}


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_frame_allows_its_own_origin_and_inline_code_by_hash_only(
    client: httpx.Client, bundle_dir: Path
) -> None:
    boot, module, style = "window.booted = 1;", "await import('./x.js');", "body { margin: 0 }"
    (bundle_dir / "frame.html").write_text(
        f"<!doctype html><style>{style}</style>"
        '<script id="agent-config" type="application/json">{{AGENT}}</script>'
        f'<script type="module">{module}</script><script data-wasm="a.wasm">{boot}</script>'
        '<script src="bundle/core.js"></script><script type="py">print(1)</script>'
    )
    policy = directives(client.get("/frame.html?agent=ag_demo"))
    assert policy["default-src"] == "default-src 'none'"
    # The two scripts the browser runs, by hash; not the JSON or the Python, no 'unsafe-inline'.
    assert policy["script-src"] == (
        f"script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval' {sha256(module)} {sha256(boot)}"
    )
    assert policy["style-src"] == f"style-src 'self' {sha256(style)}"
    assert policy["connect-src"] == "connect-src 'self'"
    assert policy["form-action"] == "form-action 'none'"
    assert policy["base-uri"] == "base-uri 'none'"
    assert "frame-ancestors" not in policy  # the demo agent may be embedded anywhere


def test_frame_for_unknown_or_missing_agent(client: httpx.Client) -> None:
    unknown = client.get("/frame.html?agent=ag_nobody")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/html")
    assert client.get("/frame.html").status_code == 400


def test_unknown_api_path_answers_json(client: httpx.Client) -> None:
    response = client.get("/v1/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_typescript_declaration_is_served_as_text(
    client: httpx.Client, bundle_dir: Path
) -> None:
    (bundle_dir / "widget.d.ts").write_text("export interface Widget {}\n")
    response = client.get("/widget.d.ts")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
