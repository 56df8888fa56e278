"""The widget's UI languages, and the launcher's few strings (drawn by the shim, `site/widget.js`).

One source: `make gen` writes the locale list into the snippet's stub and the shim, and the
launcher's strings into the shim; the frame's strings are in `widget.frame.strings`. The server
checks an agent's `welcomeMessages` against `LOCALES`.
"""

from __future__ import annotations

from typing import Final, Literal, TypedDict

Locale = Literal["en", "de", "fr", "es", "ar"]
LOCALES: Final[tuple[Locale, ...]] = ("en", "de", "fr", "es", "ar")
DEFAULT_LOCALE: Final[Locale] = "en"
# Written right to left: the frame's document gets dir="rtl", the launcher too.
RTL_LOCALES: Final[frozenset[Locale]] = frozenset({"ar"})


class LauncherStrings(TypedDict):
    """The launcher's accessible names, and the chat frame's title (the iframe's `title`)."""

    open: str
    close: str
    frame: str
    # "Open chat, {n} unread messages", by the CLDR plural category of n (Intl.PluralRules);
    # "other" is the fallback for a category a language does not list.
    unread: dict[str, str]


LAUNCHER_STRINGS: Final[dict[Locale, LauncherStrings]] = {
    "en": {
        "open": "Open chat",
        "close": "Close chat",
        "frame": "Chat",
        "unread": {
            "one": "Open chat, {n} unread message",
            "other": "Open chat, {n} unread messages",
        },
    },
    "de": {
        "open": "Chat öffnen",
        "close": "Chat schließen",
        "frame": "Chat",
        "unread": {
            "one": "Chat öffnen, {n} ungelesene Nachricht",
            "other": "Chat öffnen, {n} ungelesene Nachrichten",
        },
    },
    "fr": {
        "open": "Ouvrir le chat",
        "close": "Fermer le chat",
        "frame": "Chat",
        "unread": {
            "one": "Ouvrir le chat, {n} message non lu",
            "other": "Ouvrir le chat, {n} messages non lus",
        },
    },
    "es": {
        "open": "Abrir chat",
        "close": "Cerrar chat",
        "frame": "Chat",
        "unread": {
            "one": "Abrir chat, {n} mensaje sin leer",
            "other": "Abrir chat, {n} mensajes sin leer",
        },
    },
    "ar": {
        "open": "فتح الدردشة",
        "close": "إغلاق الدردشة",
        "frame": "الدردشة",
        "unread": {
            "one": "فتح الدردشة، رسالة واحدة غير مقروءة",
            "two": "فتح الدردشة، رسالتان غير مقروءتين",
            "few": "فتح الدردشة، {n} رسائل غير مقروءة",
            "many": "فتح الدردشة، {n} رسالة غير مقروءة",
            "other": "فتح الدردشة، {n} رسالة غير مقروءة",
        },
    },
}


def supported_locale(code: object) -> Locale | None:
    """The supported locale a language tag names ("de", "de-AT", "DE_at" -> "de"), or None."""
    if not isinstance(code, str):
        return None
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    for locale in LOCALES:
        if locale == primary:
            return locale
    return None


def is_rtl(locale: Locale) -> bool:
    return locale in RTL_LOCALES
