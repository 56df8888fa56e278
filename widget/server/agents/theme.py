"""An agent's theme (brand colour, side, launcher label, colour scheme) and the frame's CSS for it.

The frame paints with its document, before any script: the theme reaches it as an inline `<style>`
the server writes into `frame.html` (hashed into the frame's CSP like every inline style). Text on
the brand colour is black or white, whichever contrasts more (WCAG 2: at least 4.58 for any colour),
and the brand colour used as text (links) is darkened or lightened until it reaches 4.5 on the
scheme's background. The palettes hold every colour pair the panel draws text with, so a test
checks each pair's contrast.
"""

from __future__ import annotations

import re
from typing import Final, Literal, TypedDict

HEX_COLOR: Final = r"^#[0-9a-fA-F]{6}$"
SIDES: Final = ("right", "left")
SCHEMES: Final = ("light", "dark", "auto")
LAUNCHER_LABEL_MAX: Final = 40
MIN_CONTRAST: Final = 4.5

Side = Literal["right", "left"]
Scheme = Literal["light", "dark", "auto"]


class Theme(TypedDict):
    color: str
    side: Side
    launcherLabel: str
    scheme: Scheme


DEFAULT_THEME: Final[Theme] = {
    "color": "#4f46e5",
    "side": "right",
    "launcherLabel": "",
    "scheme": "light",
}

# The frame's colours per scheme (frame.css's :root holds the light ones; a test keeps them equal).
# text pairs: ink/muted on bg and bubble, danger on error, ink on field.
PALETTES: Final[dict[str, dict[str, str]]] = {
    "light": {
        "--ink": "#111827",
        "--muted": "#5b6472",
        "--line": "#e5e7eb",
        "--bubble": "#f3f4f6",
        "--bg": "#ffffff",
        "--field": "#ffffff",
        "--danger": "#b91c1c",
        "--error-bg": "#fef2f2",
    },
    "dark": {
        "--ink": "#f3f4f6",
        "--muted": "#a3acb9",
        "--line": "#374151",
        "--bubble": "#1f2937",
        "--bg": "#111827",
        "--field": "#1f2937",
        "--danger": "#fca5a5",
        "--error-bg": "#3b1212",
    },
}
# (foreground, background) variable pairs the panel draws text with.
TEXT_PAIRS: Final = (
    ("--ink", "--bg"),
    ("--ink", "--bubble"),
    ("--ink", "--field"),
    ("--muted", "--bg"),
    ("--muted", "--bubble"),
    ("--danger", "--error-bg"),
    ("--danger", "--bg"),
)

_HEX = re.compile(HEX_COLOR)
_SIDES: Final[dict[str, Side]] = {"right": "right", "left": "left"}
_SCHEMES: Final[dict[str, Scheme]] = {"light": "light", "dark": "dark", "auto": "auto"}
BLACK: Final = "#000000"
WHITE: Final = "#ffffff"


def is_hex_color(value: str) -> bool:
    return bool(_HEX.match(value))


def _rgb(color: str) -> tuple[int, int, int]:
    if not is_hex_color(color):
        raise ValueError(f"{color!r} is not a #rrggbb colour")
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(255.0, c))):02x}" for c in rgb)


def luminance(color: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink_on(color: str) -> str:
    """Black or white text on `color`, whichever contrasts more (never under 4.58)."""
    return WHITE if contrast(WHITE, color) >= contrast(BLACK, color) else BLACK


def readable_on(color: str, background: str) -> str:
    """`color` if it reads on `background`, else mixed toward black or white until it does."""
    target = BLACK if luminance(background) > 0.18 else WHITE
    start, end = _rgb(color), _rgb(target)
    for step in range(21):
        t = step / 20
        r, g, b = (s + (e - s) * t for s, e in zip(start, end, strict=True))
        mixed = _hex((r, g, b))
        if contrast(mixed, background) >= MIN_CONTRAST:
            return mixed
    return target


def _variables(color: str, scheme: str) -> dict[str, str]:
    palette = PALETTES[scheme]
    return {
        **palette,
        "--accent": color,
        "--accent-ink": ink_on(color),
        # links and the brand colour as text: readable on the bubble and the page background
        "--accent-text": readable_on(readable_on(color, palette["--bubble"]), palette["--bg"]),
        "color-scheme": scheme,
    }


def _rule(selector: str, variables: dict[str, str]) -> str:
    return selector + "{" + ";".join(f"{name}:{value}" for name, value in variables.items()) + "}"


def theme_css(theme: Theme) -> str:
    """The frame's theme rule: the scheme's palette and the brand colour with its text colours."""
    color = theme["color"].lower()
    if theme["scheme"] == "auto":
        light = _rule(":root", _variables(color, "light"))
        dark = _rule(":root", _variables(color, "dark"))
        return f"{light}@media (prefers-color-scheme: dark){{{dark}}}"
    return _rule(":root", _variables(color, theme["scheme"]))


def merged_theme(stored: object, overrides: dict[str, str]) -> Theme:
    """The agent's stored theme over the defaults, then the tag's valid overrides over that."""
    theme: Theme = {**DEFAULT_THEME}
    for source in (stored if isinstance(stored, dict) else {}, overrides):
        color = source.get("color")
        if isinstance(color, str) and is_hex_color(color):
            theme["color"] = color.lower()
        side = source.get("side")
        if isinstance(side, str) and side in _SIDES:
            theme["side"] = _SIDES[side]
        scheme = source.get("scheme")
        if isinstance(scheme, str) and scheme in _SCHEMES:
            theme["scheme"] = _SCHEMES[scheme]
        label = source.get("launcherLabel")
        if isinstance(label, str) and len(label) <= LAUNCHER_LABEL_MAX:
            theme["launcherLabel"] = label.strip()
    return theme
