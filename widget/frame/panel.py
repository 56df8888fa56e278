"""The panel's DOM around the transcript (a `Panel`): status line, composer, "New conversation".

DOM objects come in from `widget.frame.app`: nothing here imports `js`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from widget.contracts.locales import Locale
from widget.frame.strings import StringKey, translate

# The composer grows with its text up to this height (px), then scrolls.
MAX_COMPOSER_HEIGHT = 120


class DomPanel:
    def __init__(self, document: Any, locale: Callable[[], Locale]) -> None:
        self.document = document
        self.locale = locale
        element = document.getElementById
        self.panel = element("panel")
        self.status = element("status")
        self.composer = element("composer")
        self.textbox = element("message")
        self.new_button = element("new-conversation")
        # A person in the conversation: "Talk to a person" beside the composer, and the status
        # line while one is asked for. Built here, not in frame.html: it needs Python to work.
        self.live_bar = document.createElement("div")
        self.live_bar.className = "live-bar"
        self.live_status = document.createElement("p")
        self.live_status.className = "live-status"
        self.live_status.setAttribute("role", "status")
        self.talk_button = document.createElement("button")
        self.talk_button.type = "button"
        self.talk_button.className = "talk-button"
        self.talk_button.id = "talk-to-person"
        self._word(self.talk_button, "talkToPerson")
        self.talk_button.hidden = True
        self.live_bar.append(self.live_status, self.talk_button)
        self.composer.before(self.live_bar)

    def show_loaded(self) -> None:
        self.status.hidden = True
        if self.document.activeElement == self.panel:
            self.textbox.focus()

    def focus_composer(self) -> bool:
        self.textbox.focus()
        return bool(self.document.activeElement == self.textbox)

    def composer_text(self) -> str:
        return str(self.textbox.value)

    def clear_composer(self) -> None:
        self.textbox.value = ""
        self.autosize()

    def set_composer_text(self, text: str) -> None:
        self.textbox.value = text
        self.autosize()

    def show_new_conversation(self, shown: bool) -> None:
        self.new_button.hidden = not shown

    def show_mode(self, mode: str) -> None:
        self.talk_button.hidden = mode != "agent"
        if mode == "waiting":
            self._word(self.live_status, "waitingForPerson")
        else:
            self.live_status.removeAttribute("data-i18n")
            self.live_status.textContent = ""

    def autosize(self) -> None:
        self.textbox.style.height = "auto"
        height = min(int(self.textbox.scrollHeight) + 2, MAX_COMPOSER_HEIGHT)
        self.textbox.style.height = f"{height}px"

    def submit(self) -> None:
        """Submit the composer as a click on Send would (Enter sends)."""
        self.composer.requestSubmit()

    def _word(self, node: Any, key: StringKey) -> None:
        # data-i18n: frame-boot.js re-words it when the host page switches the locale.
        node.textContent = translate(self.locale(), key)
        node.setAttribute("data-i18n", key)
