"""Every table of the server, registered on the one `Base.metadata` by importing this module.

Each concept keeps its tables beside its code (`<package>/tables.py`); the app and the worker
process import this module before `upgrade_schema`, so every table is known to the migrations.
"""

from __future__ import annotations

from widget.server.agents.tables import Agent, KnowledgeChunk, SeedRecord, Training
from widget.server.chat.rate_limits import RateWindow
from widget.server.chat.tables import Conversation, Message
from widget.server.crm.tables import CrmAction, CrmIntegration
from widget.server.leads.tables import Lead
from widget.server.webhooks.outbox import OutboxEvent
from widget.server.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Agent",
    "Conversation",
    "CrmAction",
    "CrmIntegration",
    "KnowledgeChunk",
    "Lead",
    "Message",
    "OutboxEvent",
    "RateWindow",
    "SeedRecord",
    "Training",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
