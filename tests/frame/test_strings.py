"""widget.frame.strings: the frame's words in every locale, which locale and welcome are chosen,
and the controller's welcome following the host page's `setLocale`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.frame.fakes import FakeShim, MemoryStorage, run
from tests.frame.harness import open_frame
from widget.contracts.locales import LAUNCHER_STRINGS, LOCALES, supported_locale
from widget.contracts.protocol import as_locale
from widget.frame import chat
from widget.frame.live_text import STRINGS
from widget.frame.strings import (
    FRAME_STRINGS,
    frame_locale,
    key_of,
    localized,
    translate,
    welcome_for,
)

FRAME_PAGE = Path(__file__).resolve().parents[2] / "widget" / "frame" / "page"


class Offline:
    async def __call__(self, *_: object) -> tuple[int, str]:
        raise AssertionError("no request expected")


def test_every_locale_words_every_string_and_english_keeps_the_public_names() -> None:
    keys = set(FRAME_STRINGS["en"])
    for locale in LOCALES:
        assert set(FRAME_STRINGS[locale]) == keys, locale
        assert all(text.strip() for text in FRAME_STRINGS[locale].values()), locale
        assert set(LAUNCHER_STRINGS[locale]) == {"open", "close", "frame", "unread"}
        assert "other" in LAUNCHER_STRINGS[locale]["unread"]
    # Accessible names are part of the contract: exactly these in English, translated elsewhere.
    english = FRAME_STRINGS["en"]
    assert (english["closeChat"], english["message"], english["send"]) == (
        "Close chat",
        "Message",
        "Send",
    )
    assert FRAME_STRINGS["de"]["send"] == "Senden"
    assert FRAME_STRINGS["ar"]["closeChat"] == LAUNCHER_STRINGS["ar"]["close"]


def test_the_page_names_only_keys_of_the_table_and_spells_no_english_itself() -> None:
    page = (FRAME_PAGE / "frame.html").read_text()
    named = set(re.findall(r"\{\{t:(\w+)\}\}", page))
    assert named and named <= set(FRAME_STRINGS["en"])
    body = page.split("<body>")[1].split("<script")[0]
    for english in ("Connecting", "Retry", "Type your message", "Close chat", "Send<"):
        assert english not in body


@pytest.mark.parametrize(
    ("asked", "chosen"),
    [("de", "de"), ("de-AT", "de"), ("FR_ca", "fr"), ("ar", "ar"), ("xx", "en"), (None, "en")],
)
def test_the_frame_takes_a_supported_locale_by_its_language_else_english(
    asked: str | None, chosen: str
) -> None:
    assert frame_locale(asked) == chosen
    assert supported_locale(42) is None


def test_the_chat_logics_english_notices_are_worded_in_the_locale() -> None:
    assert key_of(chat.UNREACHABLE) == "unreachable"
    assert localized("de", chat.UNREACHABLE) == (translate("de", "unreachable"), "unreachable")
    ended = "This conversation has ended. Your next message starts a new one."
    assert localized("es", ended)[0] == FRAME_STRINGS["es"]["ended"]
    # The server's own reason stays in its words, after the translated prefix.
    assert localized("fr", "Not sent: content is too long") == (
        "Non envoyé : content is too long",
        None,
    )
    assert localized("ar", "Something else") == ("Something else", None)


def test_the_welcome_is_the_locales_then_the_agents_general_one_then_the_default() -> None:
    agent = {"welcomeMessage": "Hello there", "welcomeMessages": {"de": "Servus!", "fr": "  "}}
    assert welcome_for(agent, "de") == "Servus!"
    assert welcome_for(agent, "fr") == "Hello there"  # blank: not a welcome
    assert welcome_for(agent, "en") == "Hello there"
    assert welcome_for({}, "es") == FRAME_STRINGS["es"]["welcome"]
    assert welcome_for({"welcomeMessage": ""}, "en") == "Hi! How can we help you today?"


def test_set_locale_messages_are_checked() -> None:
    assert as_locale({"type": "locale", "locale": "ar"}) == "ar"
    for bad in ({"type": "locale", "locale": "xx"}, {"type": "locale", "locale": "de-AT"}, {}):
        assert as_locale(bad) is None


def test_the_frame_greets_in_its_locale_and_a_switch_changes_the_next_greeting() -> None:
    async def scenario() -> None:
        shim = FakeShim(agent={"welcomeMessage": "Hi", "welcomeMessages": {"de": "Hallo!"}})
        shim.locale = "de"
        f = open_frame(Offline(), MemoryStorage(), shim=shim)  # type: ignore[arg-type]
        assert f.transcript.bubbles() == [("assistant", "Hallo!", "sent")]
        shim.send({"type": "locale", "locale": "fr"})
        assert f.controller.chat.welcome == "Hi"
        shim.send({"type": "locale", "locale": "de"})
        await f.controller.chat.start_over()
        assert f.transcript.bubbles() == [("assistant", "Hallo!", "sent")]

    run(scenario())


def test_what_the_visitor_reads_of_a_person_is_in_every_locale() -> None:
    for english in STRINGS.values():
        key = key_of(english)
        assert key is not None, english
        assert localized("de", english) == (FRAME_STRINGS["de"][key], key)
    assert translate("ar", "talkToPerson") != translate("en", "talkToPerson")
