"""The panel's DOM around the transcript (a `Panel`): status line, composer, "New conversation".

DOM objects come in from `widget.frame.app`: nothing here imports `js`.
"""

from __future__ import annotations

from typing import Any

# The composer grows with its text up to this height (px), then scrolls.
MAX_COMPOSER_HEIGHT = 120


class DomPanel:
    def __init__(self, document: Any) -> None:
        self.document = document
        element = document.getElementById
        self.panel = element("panel")
        self.status = element("status")
        self.composer = element("composer")
        self.textbox = element("message")
        self.new_button = element("new-conversation")

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

    def autosize(self) -> None:
        self.textbox.style.height = "auto"
        height = min(int(self.textbox.scrollHeight) + 2, MAX_COMPOSER_HEIGHT)
        self.textbox.style.height = f"{height}px"

    def submit(self) -> None:
        """Submit the composer as a click on Send would (Enter sends)."""
        self.composer.requestSubmit()
