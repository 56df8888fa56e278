"""The one error every format raises: a document that cannot become knowledge, and why."""

from __future__ import annotations


class UnusableDocument(ValueError):
    """A training document that cannot become knowledge; `reason` says why, naming the document."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
