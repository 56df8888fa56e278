"""What the visitor reads of a person in the conversation: the feature's strings (English, from the
strings table) and who wrote a message."""

from __future__ import annotations

from widget.contracts.chat import Author
from widget.contracts.locales import DEFAULT_LOCALE
from widget.frame.strings import FRAME_STRINGS

# The chat logic's words, in English: the view shows them in the visitor's locale (its table holds
# every one of them).
_ENGLISH = FRAME_STRINGS[DEFAULT_LOCALE]
STRINGS = {
    "talk_to_person": _ENGLISH["talkToPerson"],
    "waiting": _ENGLISH["waitingForPerson"],
    "support_team": _ENGLISH["supportTeam"],
    "handoff_failed": _ENGLISH["handoffFailed"],
    "ended": _ENGLISH["ended"],
}


def author_label(author: Author | None) -> str | None:
    """Who wrote a message, as the visitor sees it: a person's name, or "Support team"; None for
    the AI and the server's notices (they look as replies always did)."""
    if not author or author.get("kind") != "person":
        return None
    return author.get("name") or STRINGS["support_team"]
