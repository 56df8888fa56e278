"""The client event names, in the specification's order; cheap to import (no pydantic).

Generated from widget/events.py by `make gen`: do not edit by hand.
"""

from typing import Final, Literal

ClientEventName = Literal[
    "widget_opened",
    "widget_closed",
    "conversation_started",
    "message_sent",
    "message_received",
    "lead_captured",
    "unread_count_changed",
]
CLIENT_EVENT_NAMES: Final[tuple[ClientEventName, ...]] = (
    "widget_opened",
    "widget_closed",
    "conversation_started",
    "message_sent",
    "message_received",
    "lead_captured",
    "unread_count_changed",
)
