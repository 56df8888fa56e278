"""schemathesis over the server's own OpenAPI document: every operation, with the admin key and
visitor tokens (`fuzz_hooks.py`), every check. No response may be a server error, and every
response must match the document: its status, content type, headers and body schema.

In `make test` the run is bounded (a fixed seed, WIDGET_FUZZ_EXAMPLES cases per operation and
phase, WIDGET_FUZZ_SECONDS in all); `make fuzz` runs longer with a fresh seed each time.

The server under test sends nothing off this machine: its delivery worker (webhooks and CRM calls
to fuzzed URLs) does not run, and destinations resolve only when they are IP literals.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.server.conftest import ADMIN_KEY, LoopbackServer, sqlite_only
from widget.server.agents.training_jobs import TrainingWorker
from widget.server.app import create_app
from widget.server.core.config import Settings
from widget.server.webhooks.worker import DeliveryWorker

# SQLite only: two minutes; PostgreSQL runs the same API in the tests on both databases.
pytestmark = sqlite_only
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("WIDGET_FUZZ_EXAMPLES", "12"))
SECONDS = int(os.environ.get("WIDGET_FUZZ_SECONDS", "120"))
SEED = os.environ.get("WIDGET_FUZZ_SEED", "20261")


def literal_addresses_only(host: str, port: int) -> Sequence[str]:
    """A resolver that asks no DNS server: an IP literal is its own answer, a name is unknown."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        raise OSError(f"{host!r} is not resolved in the fuzz run") from None


@pytest.fixture
def fuzzed(settings: Settings) -> Iterator[LoopbackServer]:
    app: FastAPI = create_app(
        Settings(
            database_url=settings.database_url,
            admin_key=ADMIN_KEY,
            bundle_dir=settings.bundle_dir,
            conversations_per_address=0,
            conversations_per_agent=0,
            messages_per_conversation=0,
            # Nothing is sent (no delivery worker); loopback endpoints give real ids to fuzz.
            webhook_allow_private=True,
        )
    )
    app.state.resolver = literal_addresses_only
    # No training worker either: a fuzzed website source (`url`; a public IP literal passes the
    # guard) is never crawled, so the run sends nothing off this machine.
    app.state.services = [
        s for s in app.state.services if not isinstance(s, DeliveryWorker | TrainingWorker)
    ]
    with LoopbackServer(app) as server:
        yield server


def test_every_operation_answers_as_its_document_says(
    fuzzed: LoopbackServer, tmp_path: Path
) -> None:
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{fuzzed.url}/v1/openapi.json",
        "--checks",
        "all",
        # The hooks give every request real credentials (a probe that strips them gets them back),
        # so these two would flag the hooks, not the API; refusals without or with a wrong key or
        # token are tested directly (tests/server/test_openapi.py and the router tests).
        "--exclude-checks",
        "ignored_auth,missing_required_header",
        # The live streams (Server-Sent Events) answer 200 and then stay open by design, so a
        # fuzzed request would wait for its timeout; their refusals and their events are tested
        # in tests/server/chat/test_stream.py and tests/server/inbox/test_inbox.py.
        "--exclude-path-regex",
        r"/stream$",
        "--max-examples",
        str(EXAMPLES),
        "--max-time",
        str(SECONDS),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
        *(["--seed", SEED] if SEED != "random" else []),
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.server.fuzz_hooks",
        "WIDGET_FUZZ_URL": fuzzed.url,
        "WIDGET_FUZZ_ADMIN_KEY": ADMIN_KEY,
        "WIDGET_FUZZ_SEED": SEED,
        "PYTHONPATH": str(REPO),
    }
    run = subprocess.run(
        command,
        cwd=tmp_path,  # schemathesis keeps a cache folder in its working directory
        env=env,
        capture_output=True,
        text=True,
        timeout=SECONDS + 120,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    # 49 operations, less the two streams.
    assert "47/47" in output or "Tested: 47" in output, output
