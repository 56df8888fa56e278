"""The frame's entry point (frame.html runs `start()`): the browser's parts, wired to the
controller. DOM events are translated here into the controller's calls; the logic is there.
"""

from __future__ import annotations

from typing import Any

from widget.frame import browser
from widget.frame.api import ChatApi
from widget.frame.controller import FrameController
from widget.frame.panel import DomPanel
from widget.frame.strings import frame_locale
from widget.frame.view import Transcript

_app: FrameController | None = None


def start() -> FrameController:
    global _app
    document = browser.document()
    element = document.getElementById
    shim = browser.BrowserShim()
    panel = DomPanel(document, lambda: frame_locale(shim.locale))
    app = FrameController(
        shim,
        panel,
        Transcript(element("transcript"), lambda: frame_locale(shim.locale)),
        ChatApi(browser.browser_fetch),
        browser.local_storage() if shim.storage_available else None,
        browser.later,
        browser.open_stream,
    )

    def on_submit(event: Any) -> None:
        event.preventDefault()
        app.submit()

    def on_textbox_keydown(event: Any) -> None:
        # Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition is neither.
        if event.key == "Enter" and not event.shiftKey and not event.isComposing:
            event.preventDefault()
            panel.submit()

    def on_keydown(event: Any) -> None:
        if event.key == "Escape":
            event.preventDefault()
            app.close_from_frame()

    def on_transcript_click(event: Any) -> None:
        target = event.target
        if target.closest and target.closest(".retry"):
            app.retry()
        elif target.closest and target.closest(".offer-handoff"):
            app.ask_for_person()

    browser.listen(element("close"), "click", lambda _event: app.close_from_frame())
    browser.listen(element("new-conversation"), "click", lambda _event: app.start_over())
    browser.listen(element("composer"), "submit", on_submit)
    browser.listen(element("message"), "keydown", on_textbox_keydown)
    browser.listen(element("message"), "input", lambda _event: panel.autosize())
    browser.listen(element("transcript"), "click", on_transcript_click)
    browser.listen(panel.talk_button, "click", lambda _event: app.ask_for_person())
    browser.listen(document, "keydown", on_keydown)
    # Held here so the app and its listeners live as long as the page.
    _app = app
    app.start()
    return app
