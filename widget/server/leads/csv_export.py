"""Leads as CSV for spreadsheets: the rows `GET /v1/leads.csv` streams."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from widget.events import format_timestamp
from widget.server.leads.schemas import LeadOut
from widget.server.leads.service import find_leads

CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Lead ID", "lead_id"),
    ("Name", "name"),
    ("Email", "email"),
    ("Phone", "phone"),
    ("Company", "company_name"),
    ("Message", "message"),
    ("Agent ID", "agent_id"),
    ("Conversation ID", "conversation_id"),
    ("Created at", "created_at"),
    ("Updated at", "updated_at"),
)
_CSV_BATCH = 500
# A phone number ("+1 415 555 0100") starts like a formula but cannot call anything.
_PLAIN_NUMBER = re.compile(r"[+-]?[\d\s().\-/]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell that a spreadsheet shows as text: visitors choose what leads hold, and a cell like
    `=HYPERLINK(...)` would otherwise run as a formula when the owner opens the file."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        # Seconds, not the API's milliseconds: spreadsheets read this form as a time.
        return format_timestamp(value, "seconds")
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_row(lead: LeadOut) -> list[str]:
    return [csv_cell(getattr(lead, attribute)) for _, attribute in CSV_COLUMNS]


def csv_lines(
    sessions: sessionmaker[Session], agent_id: str | None, q: str | None
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    # A byte order mark, so spreadsheet programs read the file as UTF-8 and names keep accents.
    writer.writerow([name for name, _ in CSV_COLUMNS])
    yield "\ufeff" + flush()
    offset = 0
    while True:
        batch = find_leads(sessions, agent_id=agent_id, q=q, limit=_CSV_BATCH, offset=offset)
        writer.writerows(csv_row(lead) for lead in batch)
        yield flush()
        if len(batch) < _CSV_BATCH:
            return
        offset += len(batch)
