"""The transcript's DOM (a `TranscriptView`). Every server or visitor string becomes text nodes;
links are built here. DOM objects come in from `widget.frame.app`: nothing here imports `js`.

The widget's own words are in the panel's locale (`widget.frame.strings`), each element marked
with its key (`data-i18n`...) so that frame-boot.js re-words it when the locale changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from widget.contracts.chat import Source
from widget.contracts.locales import Locale
from widget.frame.strings import StringKey, localized, translate
from widget.linkify import segments


class Transcript:
    def __init__(self, element: Any, locale: Callable[[], Locale] = lambda: "en") -> None:
        """`locale()` is the panel's locale now."""
        self.element = element
        self.locale = locale
        self.document = element.ownerDocument
        self._typing: Any = None
        self._error: Any = None

    def message(
        self,
        role: str,
        text: str,
        *,
        after: Any = None,
        pending: bool = False,
        sources: Sequence[Source] = (),
        author: str | None = None,
        welcome: bool = False,
    ) -> Any:
        bubble = self.document.createElement("div")
        bubble.className = f"msg {role}" + (" pending" if pending else "")
        if welcome:
            bubble.setAttribute("data-welcome", "")
        if author is not None:
            # A person wrote it: their name (or "Support team") heads the bubble, read out too.
            bubble.classList.add("person")
            name = self.document.createElement("span")
            name.className = "author"
            self._word_english(name, author)  # "Support team" is the table's; a name is as given
            bubble.appendChild(name)
        else:
            hidden = self.document.createElement("span")
            hidden.className = "visually-hidden"
            self._word(hidden, "you" if role == "user" else "assistant")
            bubble.appendChild(hidden)
        for part in segments(text):
            if part.href is None:
                bubble.appendChild(self.document.createTextNode(part.text))
            else:
                link = self.document.createElement("a")
                link.textContent = part.text
                link.setAttribute("href", part.href)
                link.setAttribute("target", "_blank")
                link.setAttribute("rel", "noopener noreferrer nofollow")
                bubble.appendChild(link)
        if sources:
            bubble.appendChild(self._sources(sources))
        self._place(bubble, after)
        return bubble

    def _sources(self, sources: Sequence[Source]) -> Any:
        """ "Sources: a.pdf, Page title": web pages as links opening in a new tab."""
        line = self.document.createElement("span")
        line.className = "sources"
        label = self.document.createElement("span")
        self._word(label, "sources")
        line.appendChild(label)
        for i, source in enumerate(sources):
            if i:
                line.appendChild(self.document.createTextNode(", "))
            url = source.get("url") or ""
            if url.lower().startswith(("https://", "http://")):
                link = self.document.createElement("a")
                link.textContent = source["label"]
                link.setAttribute("href", url)
                link.setAttribute("target", "_blank")
                link.setAttribute("rel", "noopener noreferrer")
                line.appendChild(link)
            else:
                line.appendChild(self.document.createTextNode(source["label"]))
        return line

    def offer_handoff(self, label: str, *, after: Any) -> None:
        """The transcript's click listener (`widget.frame.app`) handles the button."""
        button = self.document.createElement("button")
        button.type = "button"
        button.className = "offer-handoff"
        self._word_english(button, label)
        self._place(button, after)

    def notice(self, text: str) -> Any:
        note = self.document.createElement("p")
        note.className = "notice"
        self._word_english(note, text)
        self._place(note, None)
        return note

    def set_state(self, bubble: Any, state: str) -> None:
        """`state` is "pending", "failed" or "sent"."""
        bubble.classList.toggle("pending", state == "pending")
        bubble.classList.toggle("failed", state == "failed")
        if state == "failed":
            bubble.setAttribute("aria-description", translate(self.locale(), "notSent"))
            bubble.setAttribute("data-i18n-description", "notSent")
        else:
            bubble.removeAttribute("aria-description")
            bubble.removeAttribute("data-i18n-description")

    def show_typing(self, after: Any) -> None:
        self.hide_typing()
        typing = self.document.createElement("div")
        typing.className = "typing"
        typing.setAttribute("role", "status")
        typing.setAttribute("aria-label", translate(self.locale(), "typing"))
        typing.setAttribute("data-i18n-label", "typing")
        for _ in range(3):
            typing.appendChild(self.document.createElement("i"))
        self._typing = typing
        self._place(typing, after)

    def hide_typing(self) -> None:
        if self._typing is not None:
            self._typing.remove()
            self._typing = None

    def show_error(self, text: str, *, retry: bool) -> None:
        """One error line at the end; its Retry button is handled by the transcript's listener."""
        self.clear_error()
        box = self.document.createElement("div")
        box.className = "error"
        box.setAttribute("role", "alert")
        message = self.document.createElement("span")
        self._word_english(message, text)
        box.appendChild(message)
        if retry:
            button = self.document.createElement("button")
            button.type = "button"
            button.className = "retry"
            self._word(button, "retry")
            box.appendChild(button)
        self._error = box
        self._place(box, None)

    def clear_error(self) -> None:
        if self._error is not None:
            self._error.remove()
            self._error = None

    def clear(self) -> None:
        self._typing = None
        self._error = None
        self.element.replaceChildren()

    def _word(self, node: Any, key: StringKey) -> None:
        node.textContent = translate(self.locale(), key)
        node.setAttribute("data-i18n", key)

    def _word_english(self, node: Any, english: str) -> None:
        """The chat logic's English text, in the locale when the table holds it."""
        text, key = localized(self.locale(), english)
        node.textContent = text
        if key is not None:
            node.setAttribute("data-i18n", key)

    def _place(self, node: Any, after: Any) -> None:
        if after is not None and after.parentNode is not None:
            after.after(node)
        elif self._error is not None and node is not self._error:
            self._error.before(node)
        else:
            self.element.appendChild(node)
        self.element.scrollTop = self.element.scrollHeight
