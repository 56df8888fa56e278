"""A service that loads the language detection model at start, off the request path, so that the
first visitor question after a start does not wait about a second for it."""

from __future__ import annotations

import logging
import threading

from widget.agent import language

log = logging.getLogger(__name__)


class LanguagePreload:
    """`start()` returns at once; the model loads in a thread. A failure is logged, not fatal:
    the model then loads on the first question instead."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._load, name="language-preload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @staticmethod
    def _load() -> None:
        try:
            language.preload()
        except Exception:
            log.exception("loading the language detection model failed; it loads when needed")
