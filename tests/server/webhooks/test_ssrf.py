"""The SSRF guard: internal destinations are refused at registration and at every attempt, the
connection goes to the address that was checked, and redirects are never followed."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tests.server.support.webhooks import Reply, receiver, running_app, wait_until, webhook_settings
from widget.events import sample_data
from widget.server.core.config import Settings
from widget.server.core.db import transaction
from widget.server.webhooks.outbox import enqueue
from widget.server.webhooks.ssrf import (
    PinnedTransport,
    UnsafeDestinationError,
    UnsafeRequestError,
    check_destination,
    guarded_client,
)
from widget.server.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint

REFUSED = [
    # Loopback in its many spellings.
    "http://127.0.0.1/",
    "http://127.1/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://017700000001/",
    "http://127.255.255.254:8080/hook",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::127.0.0.1]/",
    "http://[2002:7f00:1::]/",
    # Names that resolve to loopback.
    "http://localhost/",
    "http://LOCALHOST:9000/x",
    # Cloud metadata and other link-local.
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[::ffff:169.254.169.254]/",
    # Private, shared (CGNAT), unspecified, multicast, reserved.
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://100.64.0.1/",
    "http://100.127.255.254/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_destinations_are_refused(url: str) -> None:
    with pytest.raises(UnsafeDestinationError, match="refusing to send"):
        check_destination(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    ["http://93.184.215.14/", "https://[2606:4700:4700::1111]:8443/x", "http://[::ffff:8.8.8.8]/"],
)
def test_public_addresses_pass(url: str) -> None:
    destination = check_destination(url, allow_private=False)
    assert destination.addresses


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://example.com/", "http:// or https://"),
        ("ftp://example.com/", "http:// or https://"),
        ("http://user:pw@93.184.215.14/", "user name or password"),
        ("http:///path-only", "no host"),
        ("http://no-such-host.invalid/", "could not be resolved"),
    ],
)
def test_malformed_or_unresolvable_urls_are_refused(url: str, fragment: str) -> None:
    with pytest.raises(UnsafeDestinationError, match=fragment):
        check_destination(url, allow_private=True)


def test_allow_private_lets_loopback_through() -> None:
    assert [str(a) for a in check_destination("http://127.1/", allow_private=True).addresses] == [
        "127.0.0.1"
    ]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("192.168.0.10", "a private address"),
        ("100.64.3.4", "a shared (CGNAT) address"),
        ("169.254.169.254", "a link-local address"),
        ("::1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
    ],
)
def test_names_resolving_to_internal_addresses_are_refused(answer: str, reason: str) -> None:
    def resolver(host: str, port: int) -> Sequence[str]:
        return [answer]

    with pytest.raises(UnsafeDestinationError, match=re.escape(reason)):
        check_destination("https://intranet.example/", allow_private=False, resolver=resolver)


def test_a_name_with_any_internal_answer_is_refused() -> None:
    def resolver(host: str, port: int) -> Sequence[str]:
        return ["93.184.215.14", "10.1.2.3"]

    with pytest.raises(UnsafeDestinationError, match=r"10\.1\.2\.3 is a private address"):
        check_destination("http://mixed.example/", allow_private=False, resolver=resolver)


def test_connection_goes_to_the_checked_address_with_the_original_host() -> None:
    asked: list[str] = []

    def resolver(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return ["127.0.0.1"]

    with receiver() as hook:
        url = f"http://hooks.example.test:{hook.port}/in"
        transport = PinnedTransport(allow_private=True, resolver=resolver)
        with httpx.Client(transport=transport) as client:
            assert client.post(url, content=b"{}").status_code == 200
        (request,) = hook.received()
        assert request.headers["host"] == f"hooks.example.test:{hook.port}"
        assert request.path == "/in"
        assert asked == ["hooks.example.test"]


def test_rebinding_to_an_internal_address_is_caught_at_request_time() -> None:
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])

    def resolver(host: str, port: int) -> Sequence[str]:
        return next(answers)

    with receiver() as hook:
        url = f"http://rebind.example.test:{hook.port}/"
        check_destination(url, allow_private=False, resolver=resolver)  # fine at registration
        with (
            guarded_client(allow_private=False, resolver=resolver) as client,
            pytest.raises(UnsafeRequestError, match="loopback"),
        ):
            client.post(url, content=b"{}")
        assert hook.received() == []


@pytest.fixture
def strict_app(settings: Settings) -> Iterator[tuple[FastAPI, httpx.Client]]:
    with running_app(webhook_settings(settings, webhook_allow_private=False)) as pair:
        yield pair


@pytest.mark.parametrize(
    "url",
    [
        "http://127.1:8080/",
        "http://0x7f000001/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/",
        "http://100.64.0.1/",
        "http://localhost/",
    ],
)
def test_registration_refuses_internal_urls(
    strict_app: tuple[FastAPI, httpx.Client], url: str
) -> None:
    _, api = strict_app
    response = api.post("/v1/webhooks", json={"url": url, "events": ["lead.captured"]})
    assert response.status_code == 422, response.text
    assert "WIDGET_WEBHOOK_ALLOW_PRIVATE" in response.json()["error"]["message"]


def test_every_attempt_is_checked_again(strict_app: tuple[FastAPI, httpx.Client]) -> None:
    app, _ = strict_app
    with receiver() as hook:
        # As if the name had resolved to a public address at registration and changed since.
        with transaction(app.state.sessions) as session:
            session.add(
                WebhookEndpoint(
                    id="wh_rebound", url=hook.url, events=["message.sent"], secret="whsec_AAAA"
                )
            )
            enqueue(session, "message.sent", sample_data("message.sent", datetime.now(UTC)))

        def attempts() -> list[WebhookAttempt]:
            with app.state.sessions() as session:
                return list(session.scalars(select(WebhookAttempt)))

        found = wait_until(lambda: len(attempts()) == 3 and attempts(), what="three attempts")
        assert all("not sent: refusing" in (a.error or "") for a in found)
        assert all(a.status_code is None for a in found)
        assert hook.received() == []


def test_redirects_are_not_followed(settings: Settings) -> None:
    with (
        running_app(webhook_settings(settings)) as (app, api),
        receiver() as inner,
        receiver() as outer,
    ):
        outer.default = Reply(302, {"Location": f"{inner.url}/internal"})
        created = api.post("/v1/webhooks", json={"url": outer.url, "events": ["message.sent"]})
        with transaction(app.state.sessions) as session:
            enqueue(session, "message.sent", sample_data("message.sent", datetime.now(UTC)))

        def delivery() -> WebhookDelivery | None:
            with app.state.sessions() as session:
                found = session.scalar(select(WebhookDelivery))
                return found if found is not None and found.status == "failed" else None

        failed = wait_until(delivery, what="the delivery to fail")
        assert failed.attempt_count == 3 == len(outer.received())
        assert f"redirect to {inner.url}/internal not followed" in (failed.last_error or "")
        assert inner.received() == []
        assert created.status_code == 201
