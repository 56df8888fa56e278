"""The agent's theme: WCAG contrast of every colour pair the frame draws text with, in each scheme
and for any brand colour; the admin API that sets it; the frame that paints with it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from widget.server.agents.theme import (
    DEFAULT_THEME,
    MIN_CONTRAST,
    PALETTES,
    TEXT_PAIRS,
    contrast,
    ink_on,
    merged_theme,
    readable_on,
    theme_css,
)

Outbox = Callable[[], list[tuple[str, dict[str, Any]]]]

# Brand colours owners pick: dark, light, saturated, and the mid-greys where neither black nor
# white reaches 7:1.
BRANDS = ["#4f46e5", "#ffd400", "#00ff00", "#ff0000", "#777777", "#767676", "#000000", "#ffffff",
          "#0ea5e9", "#e11d48", "#14b8a6", "#808080"]  # fmt: skip


def test_known_contrast_ratios() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # WCAG's example grey


@pytest.mark.parametrize("scheme", sorted(PALETTES))
def test_every_text_pair_of_each_scheme_reaches_4_5(scheme: str) -> None:
    palette = PALETTES[scheme]
    for foreground, background in TEXT_PAIRS:
        ratio = contrast(palette[foreground], palette[background])
        assert ratio >= MIN_CONTRAST, (scheme, foreground, background, ratio)


@pytest.mark.parametrize("brand", BRANDS)
def test_text_on_any_brand_colour_and_the_brand_as_text_reach_4_5(brand: str) -> None:
    assert contrast(ink_on(brand), brand) >= MIN_CONTRAST
    for palette in PALETTES.values():
        for background in (palette["--bg"], palette["--bubble"]):
            assert contrast(readable_on(brand, background), background) >= MIN_CONTRAST
    assert ink_on("#ffd400") == "#000000"  # yellow gets black text
    assert ink_on("#4f46e5") == "#ffffff"


def test_frame_css_holds_the_light_palette() -> None:
    css = (Path(__file__).parents[3] / "widget" / "frame" / "page" / "frame.css").read_text()
    root = css[css.index(":root {") : css.index("}")]
    declared = dict(re.findall(r"(--[\w-]+):\s*([^;]+);", root))
    for name, value in PALETTES["light"].items():
        assert declared[name] == value, name
    assert declared["--accent"] == DEFAULT_THEME["color"]


def test_theme_css_per_scheme() -> None:
    light = theme_css({**DEFAULT_THEME, "color": "#FFD400"})
    assert "--accent:#ffd400" in light and "--accent-ink:#000000" in light
    assert "color-scheme:light" in light and "@media" not in light
    dark = theme_css({**DEFAULT_THEME, "scheme": "dark"})
    assert f"--bg:{PALETTES['dark']['--bg']}" in dark and "color-scheme:dark" in dark
    auto = theme_css({**DEFAULT_THEME, "scheme": "auto"})
    assert auto.index("color-scheme:light") < auto.index("@media (prefers-color-scheme: dark)")


def test_overrides_win_and_invalid_values_are_ignored() -> None:
    stored = {"color": "#112233", "side": "left", "scheme": "dark", "launcherLabel": "Hi"}
    assert merged_theme(None, {}) == DEFAULT_THEME
    assert merged_theme(stored, {}) == stored
    assert merged_theme(stored, {"color": "#ABCDEF", "scheme": "auto"})["color"] == "#abcdef"
    assert merged_theme(stored, {"color": "red", "side": "top", "scheme": "sepia"}) == stored


def test_patch_sets_part_of_the_theme_and_reports_it(
    client: httpx.Client, admin: dict[str, str], outbox: Outbox
) -> None:
    assert client.get("/v1/agents/ag_demo", headers=admin).json()["theme"] == DEFAULT_THEME
    response = client.patch(
        "/v1/agents/ag_demo", headers=admin, json={"theme": {"color": "#FFD400", "side": "left"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["theme"] == {**DEFAULT_THEME, "color": "#ffd400", "side": "left"}
    assert outbox()[-1] == ("agent.updated", outbox()[-1][1])
    assert outbox()[-1][1]["changes"] == ["theme"]

    label = client.patch(
        "/v1/agents/ag_demo", headers=admin, json={"theme": {"launcherLabel": "Chat with us"}}
    )
    assert label.json()["theme"]["side"] == "left"  # what was left out is kept
    assert label.json()["theme"]["launcherLabel"] == "Chat with us"
    count = len(outbox())
    client.patch("/v1/agents/ag_demo", headers=admin, json={"theme": {"side": "left"}})
    assert len(outbox()) == count  # nothing changed, nothing raised


@pytest.mark.parametrize(
    ("theme", "field"),
    [
        ({"color": "red"}, "theme.color"),
        ({"color": "#12345"}, "theme.color"),
        ({"side": "top"}, "theme.side"),
        ({"scheme": "sepia"}, "theme.scheme"),
        ({"launcherLabel": "x" * 41}, "theme.launcherLabel"),
        ({"colour": "#123456"}, "theme.colour"),
        ({"color": None}, "theme.color"),
    ],
)
def test_patch_refuses_a_bad_theme_and_keeps_the_agent(
    client: httpx.Client, admin: dict[str, str], theme: dict[str, Any], field: str
) -> None:
    before = client.get("/v1/agents/ag_demo", headers=admin).json()
    response = client.patch("/v1/agents/ag_demo", headers=admin, json={"theme": theme})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith(f"{field}:"), response.json()
    assert client.get("/v1/agents/ag_demo", headers=admin).json() == before


def _frame(client: httpx.Client, query: str = "") -> tuple[str, dict[str, Any]]:
    response = client.get(f"/frame.html?agent=ag_demo{query}")
    assert response.status_code == 200
    page = response.text
    config = re.search(r'<script id="agent-config" type="application/json">(.*?)</script>', page)
    assert config is not None
    return page, json.loads(config.group(1))


def test_the_frame_paints_with_the_agents_theme_and_the_tags_overrides(
    client: httpx.Client, admin: dict[str, str], bundle_dir: Any
) -> None:
    (bundle_dir / "frame.html").write_text(
        "<!doctype html><style>{{THEME}}</style>"
        '<script id="agent-config" type="application/json">{{AGENT}}</script>'
    )
    client.patch(
        "/v1/agents/ag_demo",
        headers=admin,
        json={"theme": {"color": "#ffd400", "scheme": "dark", "launcherLabel": "</script>"}},
    )
    page, agent = _frame(client)
    assert "--accent:#ffd400;--accent-ink:#000000" in page
    assert "color-scheme:dark" in page
    assert agent["theme"]["launcherLabel"] == "</script>"  # escaped inside the script element

    page, agent = _frame(client, "&color=%23000080&scheme=auto")
    assert "--accent:#000080;--accent-ink:#ffffff" in page
    assert "@media (prefers-color-scheme: dark)" in page
    assert agent["theme"]["color"] == "#000080"
    page, agent = _frame(client, "&color=javascript:1&scheme=%3C%2Fstyle%3E")
    assert agent["theme"]["color"] == "#ffd400" and agent["theme"]["scheme"] == "dark"
    assert page.count("</style>") == 1
