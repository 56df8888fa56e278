"""A visitor on the public chat API, a search of the whole database for a piece of text, and the
app without its background services (no worker fans out or sends: a test calls the fan-out
itself, so what is pending is known). Holds no tests of its own."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Text, select

from tests.server.support.webhooks import webhook_settings
from widget.server.app import create_app
from widget.server.core.config import Settings
from widget.server.core.db import Base


def quiet_app(settings: Settings) -> FastAPI:
    """The app with no delivery, training, idle or retention worker; retries an hour apart, so a
    delivery that is due stays pending while the test looks at it."""
    app = create_app(webhook_settings(settings, webhook_retry_delays=(0.0, 3600.0)))
    app.state.services = []
    return app


class Visitor:
    """One visitor's conversation on the demo agent, through the public chat API."""

    def __init__(self, api: httpx.Client, agent_id: str = "ag_demo") -> None:
        self.api = api
        started = api.post("/v1/conversations", json={"agentId": agent_id}, headers={})
        assert started.status_code == 201, started.text
        self.conversation_id: str = started.json()["conversationId"]
        self.auth = {"Authorization": f"Bearer {started.json()['visitorToken']}"}

    def say(self, text: str) -> dict[str, Any]:
        response = self.api.post(
            f"/v1/conversations/{self.conversation_id}/messages",
            json={"content": text},
            headers=self.auth,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def rows_mentioning(app: FastAPI, text: str) -> list[str]:
    """Every "table.column" of the database holding `text` in some row (JSON columns included)."""
    found = []
    with app.state.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                hit = connection.execute(
                    select(column).where(column.cast(Text).contains(text)).limit(1)
                ).first()
                if hit is not None:
                    found.append(f"{table.name}.{column.name}")
    return found
