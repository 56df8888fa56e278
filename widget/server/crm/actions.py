"""CRM actions: a captured lead goes to each CRM its agent has configured.

Flow (durable end to end, nothing runs outside the database's knowledge):
1. `lead.captured` is enqueued in the outbox by the chat code, in its own transaction.
2. The delivery worker's fan-out calls `create_actions` for that outbox row: one `CrmAction` per
   integration of the lead's agent, in the fan-out's transaction.
3. A worker claims a due action and calls `run_action`: the vendor API is called; network errors,
   429 and 5xx are retried on the webhook schedule (WIDGET_WEBHOOK_RETRY_DELAYS, Retry-After
   honoured); any other answer is final.
4. The outcome is written together with its webhook event, `ai-action.completed` (result: the
   vendor's id) or `ai-action.failed` (error), in one transaction, while the claim still holds.

Vendor calls:
- HubSpot: `POST {baseUrl}/crm/v3/objects/contacts` (CRM API v3), `Authorization: Bearer <token>`,
  `{"properties": {"email", "firstname", "lastname", "phone", "company"}}` -> 201 `{"id": ...}`.
  A 409 "Contact already exists. Existing ID: N" counts as done with that contact (a retry after a
  lost answer must not fail or duplicate). Result: `{"provider", "contactId", "created"}`.
- Pipedrive: the v1 persons API. `POST {baseUrl}/v1/persons?api_token=<token>` with `{"name",
  "email": [{"value", "primary": true, "label": "work"}], "phone": [...]}` -> 201
  `{"success": true, "data": {"id": N}}`. Before a retry,
  `GET /v1/persons/search?term=<email>&fields=email&exact_match=true` looks for the person a lost
  answer may have created. The company is not sent: Pipedrive links persons to organizations by
  id, which would need a second object.
  Result: `{"provider", "personId", "created"}`.
"""

from __future__ import annotations

import json
import logging
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from widget.agent.leads import normalize_email, normalize_phone
from widget.events import AiActionCompletedData, AiActionFailedData
from widget.server.core.config import Settings
from widget.server.core.db import transaction, utcnow
from widget.server.core.ids import new_id
from widget.server.crm.tables import HUBSPOT, PIPEDRIVE, CrmAction, CrmIntegration
from widget.server.leads.tables import Lead
from widget.server.webhooks.claims import still_claimed
from widget.server.webhooks.outbox import OutboxEvent, enqueue
from widget.server.webhooks.retry_schedule import delay_after_failure, parse_retry_after
from widget.server.webhooks.ssrf import Resolver, guarded_client, system_resolver

log = logging.getLogger(__name__)

DEFAULT_BASE_URLS = {
    HUBSPOT: "https://api.hubapi.com",
    PIPEDRIVE: "https://api.pipedrive.com",
}
VENDOR_NAMES = {HUBSPOT: "HubSpot", PIPEDRIVE: "Pipedrive"}
_HUBSPOT_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")
_ERROR_EXCERPT = 300


@dataclass(frozen=True)
class CrmOutcome:
    """What one call to a vendor came to: a result, or an error that may be worth retrying."""

    result: dict[str, Any] | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class Contact:
    name: str | None
    first_name: str | None
    last_name: str | None
    email: str
    phone: str | None
    company: str | None

    @classmethod
    def from_lead(cls, lead: dict[str, Any]) -> Contact:
        name = (lead.get("name") or "").strip() or None
        first, _, last = (name or "").partition(" ")
        return cls(
            name=name,
            first_name=first or None,
            last_name=last.strip() or None,
            # Stored normalised already (see `widget.server.chat.service.commit_reply`); a lead
            # stored before that is normalised here, its phone only if it has a +country code.
            email=normalize_email(str(lead["email"])) or str(lead["email"]),
            phone=normalize_phone(phone) if (phone := (lead.get("phone") or "").strip()) else None,
            company=(lead.get("companyName") or "").strip() or None,
        )


def base_url_for(provider: str, configured: str | None) -> str:
    return (configured or DEFAULT_BASE_URLS[provider]).rstrip("/")


def create_actions(
    session: Session, row: OutboxEvent, first_attempt_at: datetime
) -> list[CrmAction]:
    """One pending action per CRM configured for the agent of the `lead.captured` `row`."""
    lead = json.loads(row.data_json)
    integrations = session.scalars(
        select(CrmIntegration)
        .where(CrmIntegration.agent_id == lead["agentId"])
        .order_by(CrmIntegration.provider)
    ).all()
    if not integrations:
        return []
    stored_lead = session.get(Lead, lead["leadId"])
    actions = [
        CrmAction(
            id=new_id("action"),
            agent_id=lead["agentId"],
            provider=integration.provider,
            outbox_event_id=row.id,
            lead_id=lead["leadId"],
            conversation_id=stored_lead.conversation_id if stored_lead else None,
            lead=lead,
            next_attempt_at=first_attempt_at,
        )
        for integration in integrations
    ]
    session.add_all(actions)
    return actions


def push_lead(
    client: httpx.Client, provider: str, base_url: str, token: str, contact: Contact, *, retry: bool
) -> CrmOutcome:
    """Send `contact` to `provider`; never raises for HTTP or network trouble."""
    vendor = VENDOR_NAMES[provider]
    try:
        if provider == HUBSPOT:
            return _push_hubspot(client, base_url, token, contact)
        return _push_pipedrive(client, base_url, token, contact, retry=retry)
    except httpx.TimeoutException:
        return CrmOutcome(error=f"{vendor} did not answer in time", retryable=True)
    except httpx.HTTPError as exc:
        # httpx messages carry no URL; still, keep the Pipedrive token (a query parameter) out.
        detail = str(exc).replace(token, "***") or type(exc).__name__
        return CrmOutcome(error=f"could not reach {vendor}: {detail}", retryable=True)


def _push_hubspot(client: httpx.Client, base_url: str, token: str, contact: Contact) -> CrmOutcome:
    properties = {
        "email": contact.email,
        "firstname": contact.first_name,
        "lastname": contact.last_name,
        "phone": contact.phone,
        "company": contact.company,
    }
    response = client.post(
        f"{base_url}/crm/v3/objects/contacts",
        headers={"authorization": f"Bearer {token}"},
        json={"properties": {k: v for k, v in properties.items() if v is not None}},
    )
    if response.status_code in (200, 201):
        contact_id = _json(response).get("id")
        if contact_id is None:
            return CrmOutcome(error="HubSpot answered without a contact id")
        return CrmOutcome(
            result={"provider": HUBSPOT, "contactId": str(contact_id), "created": True}
        )
    if response.status_code == 409:
        found = _HUBSPOT_EXISTING_ID.search(str(_json(response).get("message", "")))
        if found:
            return CrmOutcome(
                result={"provider": HUBSPOT, "contactId": found.group(1), "created": False}
            )
    return _failure("HubSpot", response, token)


def _push_pipedrive(
    client: httpx.Client, base_url: str, token: str, contact: Contact, *, retry: bool
) -> CrmOutcome:
    if retry:
        found = client.get(
            f"{base_url}/v1/persons/search",
            params={
                "term": contact.email,
                "fields": "email",
                "exact_match": "true",
                "api_token": token,
            },
        )
        if found.status_code == 200:
            items = (_json(found).get("data") or {}).get("items") or []
            if items and items[0].get("item", {}).get("id") is not None:
                person_id = items[0]["item"]["id"]
                return CrmOutcome(
                    result={"provider": PIPEDRIVE, "personId": person_id, "created": False}
                )
        elif found.status_code == 429 or found.status_code >= 500:
            return _failure("Pipedrive", found, token)
    body: dict[str, Any] = {
        "name": contact.name or contact.email,
        "email": [{"value": contact.email, "primary": True, "label": "work"}],
    }
    if contact.phone:
        body["phone"] = [{"value": contact.phone, "primary": True, "label": "work"}]
    response = client.post(f"{base_url}/v1/persons", params={"api_token": token}, json=body)
    if response.status_code in (200, 201):
        data = _json(response).get("data") or {}
        if data.get("id") is None:
            return CrmOutcome(error="Pipedrive answered without a person id")
        return CrmOutcome(result={"provider": PIPEDRIVE, "personId": data["id"], "created": True})
    return _failure("Pipedrive", response, token)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _failure(vendor: str, response: httpx.Response, token: str) -> CrmOutcome:
    payload = _json(response)
    detail = payload.get("message") or payload.get("error") or response.text[:_ERROR_EXCERPT]
    detail = str(detail).replace(token, "***").strip()
    code = response.status_code
    message = f"{vendor} answered {code}" + (f": {detail}" if detail else "")
    retryable = code == 429 or code >= 500
    retry_after = parse_retry_after(response.headers.get("retry-after")) if retryable else None
    return CrmOutcome(error=message, retryable=retryable, retry_after=retry_after)


def run_action(
    settings: Settings,
    sessions: sessionmaker[Session],
    action_id: str,
    claim: str,
    *,
    resolver: Resolver = system_resolver,
    rng: random.Random | None = None,
) -> None:
    """Run one claimed action and record its outcome (and its ai-action.* event) atomically."""
    with transaction(sessions) as session:
        action = session.get(CrmAction, action_id)
        if action is None:
            return
        integration = session.scalar(
            select(CrmIntegration).where(
                CrmIntegration.agent_id == action.agent_id,
                CrmIntegration.provider == action.provider,
            )
        )
        session.expunge_all()
    if integration is None:
        outcome = CrmOutcome(
            error=f"the {VENDOR_NAMES[action.provider]} integration of agent {action.agent_id} "
            "was removed before the lead was sent"
        )
    else:
        with guarded_client(allow_private=settings.webhook_allow_private, resolver=resolver) as c:
            outcome = push_lead(
                c,
                action.provider,
                base_url_for(action.provider, integration.base_url),
                integration.api_token,
                Contact.from_lead(action.lead),
                retry=action.attempt_count > 0,
            )
    _record(settings, sessions, action, claim, outcome, rng)


def _record(
    settings: Settings,
    sessions: sessionmaker[Session],
    action: CrmAction,
    claim: str,
    outcome: CrmOutcome,
    rng: random.Random | None,
) -> None:
    now = utcnow()
    made = action.attempt_count + 1
    values: dict[str, Any] = {
        "attempt_count": made,
        "claimed_by": None,
        "claimed_until": None,
        "last_error": outcome.error,
    }
    event: AiActionCompletedData | AiActionFailedData | None = None
    if outcome.result is not None and action.conversation_id is not None:
        values |= {"status": "completed", "result": outcome.result, "finished_at": now}
        event = AiActionCompletedData(
            action_id=action.id,
            action_type=action.provider,
            agent_id=action.agent_id,
            conversation_id=action.conversation_id,
            result=outcome.result,
            completed_at=now,
        )
    else:
        error = (
            outcome.error or "the lead's conversation is unknown, so completion cannot be reported"
        )
        delay = (
            delay_after_failure(settings.webhook_retry_delays, made, outcome.retry_after, rng)
            if outcome.retryable
            else None
        )
        if delay is not None:
            values |= {"next_attempt_at": now + timedelta(seconds=delay)}
        else:
            if outcome.retryable:
                error = f"{error} (gave up after {made} attempts)"
            values |= {"status": "failed", "last_error": error, "finished_at": now}
            event = AiActionFailedData(
                action_id=action.id,
                action_type=action.provider,
                agent_id=action.agent_id,
                conversation_id=action.conversation_id,
                error=error,
                failed_at=now,
            )
    with transaction(sessions) as session:
        written = session.execute(
            update(CrmAction)
            .where(still_claimed(CrmAction, action.id, claim))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if written.rowcount != 1:  # type: ignore[attr-defined]
            # The lease ran out and another worker owns the action now; it reports the outcome.
            log.warning("CRM action %s: claim lost before its outcome was written", action.id)
            return
        if event is not None:
            completed = isinstance(event, AiActionCompletedData)
            enqueue(session, "ai-action.completed" if completed else "ai-action.failed", event)
