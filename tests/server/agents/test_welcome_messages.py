"""An agent's welcome per locale (`welcomeMessages`): set with PATCH (checked: supported locales,
visible text, bounded length), listed by agent.updated, read back, and in the frame's settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

FRAME_PAGE = Path(__file__).resolve().parents[3] / "widget" / "frame" / "page"
Outbox = Callable[[], list[tuple[str, dict[str, Any]]]]


def embedded_agent(frame: httpx.Response) -> dict[str, Any]:
    text = frame.text.split('id="agent-config" type="application/json">')[1].split("</script>")[0]
    result: dict[str, Any] = json.loads(text)
    return result


def test_patch_sets_the_welcomes_and_the_frame_and_the_public_settings_carry_them(
    client: httpx.Client, admin: dict[str, str], outbox: Outbox
) -> None:
    assert client.get("/v1/agents/ag_demo", headers=admin).json()["welcomeMessages"] == {}
    welcomes = {"de": "Hallo! Wie können wir helfen?", "ar": "مرحبًا!"}
    response = client.patch("/v1/agents/ag_demo", headers=admin, json={"welcomeMessages": welcomes})
    assert response.status_code == 200, response.text
    assert response.json()["welcomeMessages"] == welcomes
    assert outbox()[-1][0] == "agent.updated"
    assert outbox()[-1][1]["changes"] == ["welcomeMessages"]
    assert client.get("/v1/agents/ag_demo", headers=admin).json()["welcomeMessages"] == welcomes
    assert client.get("/v1/agents/ag_demo/public").json()["welcomeMessages"] == welcomes
    frame = client.get("/frame.html?agent=ag_demo&locale=ar")
    assert embedded_agent(frame)["welcomeMessages"] == welcomes

    count = len(outbox())
    client.patch("/v1/agents/ag_demo", headers=admin, json={"welcomeMessages": welcomes})
    assert len(outbox()) == count  # the same map: nothing changed, nothing raised
    cleared = client.patch("/v1/agents/ag_demo", headers=admin, json={"welcomeMessages": {}})
    assert cleared.json()["welcomeMessages"] == {}  # the whole map is replaced


@pytest.mark.parametrize(
    ("welcomes", "says"),
    [
        ({"xx": "Hi"}, "welcomeMessages.xx"),
        ({"de-AT": "Servus"}, "welcomeMessages.de-AT"),
        ({"de": "   "}, "must not be blank"),
        ({"de": ""}, "welcomeMessages.de"),
        ({"fr": "x" * 2001}, "welcomeMessages.fr"),
        ({"es": 5}, "welcomeMessages.es"),
        (None, "must not be null"),
        (["de"], "welcomeMessages"),
    ],
)
def test_patch_refuses_bad_welcomes_and_keeps_the_agent(
    client: httpx.Client, admin: dict[str, str], welcomes: Any, says: str
) -> None:
    client.patch("/v1/agents/ag_demo", headers=admin, json={"welcomeMessages": {"de": "Hallo"}})
    before = client.get("/v1/agents/ag_demo", headers=admin).json()
    response = client.patch("/v1/agents/ag_demo", headers=admin, json={"welcomeMessages": welcomes})
    assert response.status_code == 422, response.text
    assert says in response.json()["error"]["message"]
    assert client.get("/v1/agents/ag_demo", headers=admin).json() == before


def test_a_new_agent_may_bring_its_welcomes(client: httpx.Client, admin: dict[str, str]) -> None:
    created = client.post(
        "/v1/agents", headers=admin, json={"name": "Shop", "welcomeMessages": {"es": "¡Hola!"}}
    )
    assert created.status_code == 201, created.text
    assert created.json()["welcomeMessages"] == {"es": "¡Hola!"}


def test_the_frame_is_worded_in_the_shims_locale_and_english_otherwise(
    client: httpx.Client, bundle_dir: Path
) -> None:
    (bundle_dir / "frame.html").write_text((FRAME_PAGE / "frame.html").read_text())
    german = client.get("/frame.html?agent=ag_demo&locale=de")
    assert '<html lang="de" dir="ltr">' in german.text
    assert 'aria-label="Senden"' in german.text and "Verbindung wird hergestellt…" in german.text
    arabic = client.get("/frame.html?agent=ag_demo&locale=ar")
    assert '<html lang="ar" dir="rtl">' in arabic.text
    for unknown in ("xx", "", "<script>"):
        english = client.get(f"/frame.html?agent=ag_demo&locale={unknown}")
        assert '<html lang="en" dir="ltr">' in english.text
        assert 'aria-label="Send"' in english.text and 'aria-label="Close chat"' in english.text
    panel = client.get("/frame.html?agent=ag_demo").text.split("<body>")[1].split("<script")[0]
    assert "{{" not in panel  # every string of the panel is filled in (the build does the rest)


def test_the_strings_of_a_locale_for_a_switch(client: httpx.Client) -> None:
    spanish = client.get("/v1/locales/es")
    assert spanish.status_code == 200
    assert spanish.json()["dir"] == "ltr" and spanish.json()["strings"]["send"] == "Enviar"
    assert client.get("/v1/locales/ar").json()["dir"] == "rtl"
    unknown = client.get("/v1/locales/xx")
    assert unknown.status_code == 422
    assert "'en', 'de', 'fr', 'es' or 'ar'" in unknown.json()["error"]["message"]
