"""The frame's document in the visitor's language, and the strings for a locale switch.

The shim names the locale in the frame's URL (`?locale=de`); the frame's template carries
`{{LOCALE}}`, `{{DIR}}`, `{{STRINGS}}` and one `{{t:<key>}}` per visible string, filled in here
from `widget.frame.strings` (the one table), so the panel's first paint is in that language before
any script runs. When the host page calls `widget.setLocale()`, frame-boot.js asks
`GET /v1/locales/{locale}` for the new words: only the visitor's locale travels with the document.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any, Literal

from fastapi import APIRouter, Response

from widget.contracts.locales import Locale, is_rtl
from widget.frame.strings import FRAME_STRINGS, StringKey
from widget.server.core.api_models import ApiModel
from widget.server.core.errors import COMMON_ERRORS, error_responses

router = APIRouter(tags=["widget"])

_STRING_PLACEHOLDER = re.compile(r"\{\{t:([A-Za-z]+)\}\}")
# What frame-boot.js draws itself before Python runs (bubbles' labels, the welcome, the title);
# the rest of the page is worded in its markup. The frame's document stays small on the wire.
BOOT_KEYS: tuple[StringKey, ...] = ("title", "you", "assistant", "welcome")


def locale_strings(locale: Locale, keys: tuple[StringKey, ...] | None = None) -> dict[str, Any]:
    """What frame-boot.js needs to word the panel in `locale` (every string, or `keys`)."""
    strings = FRAME_STRINGS[locale]
    return {
        "locale": locale,
        "dir": "rtl" if is_rtl(locale) else "ltr",
        "strings": dict(strings) if keys is None else {key: strings[key] for key in keys},
    }


def json_for_script(value: object) -> str:
    """`value` as JSON that is safe inside a `<script>` element."""
    text = json.dumps(value, ensure_ascii=False)
    # "</script>" or "<!--" in a string must not end the element; JSON reads the escapes back.
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def localized_frame(document: str, locale: Locale) -> str:
    """The frame's template with its language, direction and strings for `locale` filled in."""
    strings = FRAME_STRINGS[locale]

    def word(match: re.Match[str]) -> str:
        key: StringKey = match.group(1)  # type: ignore[assignment]
        return html.escape(strings[key]) if key in strings else match.group(0)

    document = _STRING_PLACEHOLDER.sub(word, document)
    return (
        document.replace("{{LOCALE}}", locale)
        .replace("{{DIR}}", "rtl" if is_rtl(locale) else "ltr")
        .replace("{{STRINGS}}", json_for_script(locale_strings(locale, BOOT_KEYS)))
    )


class LocaleStringsOut(ApiModel):
    """The chat frame's UI strings in one locale, and its writing direction."""

    locale: Locale
    dir: Literal["ltr", "rtl"]
    strings: dict[str, str]


@router.get(
    "/v1/locales/{locale}",
    response_model=LocaleStringsOut,
    responses=error_responses(*COMMON_ERRORS, 404),
)
def frame_strings(locale: Locale, response: Response) -> dict[str, Any]:
    """The frame's UI strings for `locale` (en, de, fr, es, ar), for a `widget.setLocale()`."""
    response.headers["Cache-Control"] = "public, max-age=3600"
    return locale_strings(locale)
