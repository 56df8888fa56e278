"""What the visitor reads of a person in the conversation: the feature's visible strings (English,
in one place, for the strings table to take over) and who wrote a message."""

from __future__ import annotations

from widget.contracts.chat import Author

STRINGS = {
    "talk_to_person": "Talk to a person",
    "waiting": "Waiting for a person…",
    "support_team": "Support team",
    "handoff_failed": "Can't reach the chat server to ask for a person. Try again in a moment.",
    "ended": "This conversation has ended. Your next message starts a new one.",
}


def author_label(author: Author | None) -> str | None:
    """Who wrote a message, as the visitor sees it: a person's name, or "Support team"; None for
    the AI and the server's notices (they look as replies always did)."""
    if not author or author.get("kind") != "person":
        return None
    return author.get("name") or STRINGS["support_team"]
