"""The guard between user-supplied URLs (webhook endpoints, CRM base URLs, crawled websites) and
our network.

A destination is resolved and every address it resolves to is checked: loopback, private,
link-local, shared (CGNAT), reserved, multicast and unspecified addresses are refused, and so are
IPv6 forms that embed such an IPv4 address. The check runs when a URL is registered and again on
every request, and `PinnedTransport` then connects to exactly the address it checked, so a DNS
answer that changes between the check and the connection (DNS rebinding) cannot redirect the
request. The Host header and the TLS server name stay those of the URL, so virtual hosts and
certificates work as usual.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated

import httpx
from fastapi import Depends, Request

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses a connection could go to; replaceable so tests can model DNS answers.
Resolver = Callable[[str, int], Sequence[str]]

_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


class UnsafeDestinationError(ValueError):
    """The URL is malformed or points at an address we refuse to send to."""


class UnsafeRequestError(httpx.TransportError):
    """`PinnedTransport` refused the destination; a transport error, so it is logged like one."""


@dataclass(frozen=True)
class Destination:
    url: httpx.URL
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def refusal_reason(address: IPAddress) -> str | None:
    """Why requests to `address` are refused, or None when it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address in _IPV4_COMPATIBLE and int(address) > 1:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = refusal_reason(embedded)
            return None if inner is None else f"{inner} (embedded in {address})"
    checks: list[tuple[bool, str]] = [
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (
            isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE,
            "a shared (CGNAT) address",
        ),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public address"),
    ]
    for refused, reason in checks:
        if refused:
            return f"{address} is {reason}"
    return None


def parse_url(url: str | httpx.URL) -> httpx.URL:
    """The URL as httpx sees it, if it is an absolute http(s) URL with a host."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise UnsafeDestinationError(f"{url!r} is not a valid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise UnsafeDestinationError(f"the URL must start with http:// or https://, got {url!r}")
    if not parsed.host:
        raise UnsafeDestinationError(f"the URL has no host: {url!r}")
    if parsed.userinfo:
        raise UnsafeDestinationError("the URL must not hold a user name or password")
    return parsed


# The setting that lets a kind of destination reach internal addresses, named in refusals.
WEBHOOK_SWITCH = "WIDGET_WEBHOOK_ALLOW_PRIVATE"
CRAWL_SWITCH = "WIDGET_CRAWL_ALLOW_PRIVATE"


def check_destination(
    url: str | httpx.URL,
    *,
    allow_private: bool,
    resolver: Resolver = system_resolver,
    switch: str = WEBHOOK_SWITCH,
) -> Destination:
    """Resolve `url`'s host and check every address; raise `UnsafeDestinationError` if refused.
    `switch` is the setting a refusal names as the way to allow internal destinations."""
    parsed = parse_url(url)
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        raw_addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeDestinationError(f"the host {host!r} could not be resolved: {exc}") from exc
    addresses: list[IPAddress] = []
    for raw in raw_addresses:
        try:
            # Scoped IPv6 answers ("fe80::1%eth0") carry their interface after "%".
            address = ipaddress.ip_address(raw.split("%", 1)[0])
        except ValueError as exc:
            raise UnsafeDestinationError(f"{host!r} resolved to an odd address {raw!r}") from exc
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeDestinationError(f"the host {host!r} resolved to no address")
    if not allow_private:
        # One refused address refuses the host: a name must not mix public and internal answers.
        for address in addresses:
            reason = refusal_reason(address)
            if reason is not None:
                raise UnsafeDestinationError(
                    f"refusing to send to {host!r}: {reason}"
                    f" (set {switch}=1 to allow internal destinations)"
                )
    return Destination(url=parsed, host=host, port=port, addresses=tuple(addresses))


@cache
def shared_ssl_context() -> ssl.SSLContext:
    # Building a context reads the CA bundle; do it once, not per request.
    return httpx.create_ssl_context()


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport that checks each request's destination and connects to that address.

    Use one per request (or per destination): connections are pooled by the address dialled, so
    sharing a transport across host names would share TLS sessions between their server names.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | bool | None = None,
        switch: str = WEBHOOK_SWITCH,
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._switch = switch
        self._inner = httpx.HTTPTransport(verify=shared_ssl_context() if verify is None else verify)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            destination = check_destination(
                request.url,
                allow_private=self._allow_private,
                resolver=self._resolver,
                switch=self._switch,
            )
        except UnsafeDestinationError as exc:
            raise UnsafeRequestError(str(exc), request=request) from exc
        address = destination.addresses[0]
        if not _is_ip_literal(destination.host):
            # TLS must still name (and verify) the host, not the address we dial.
            request.extensions["sni_hostname"] = destination.host
        # httpx already set the Host header from the original URL; only the dialled address changes.
        request.url = request.url.copy_with(host=str(address))
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


# Webhooks and CRM calls both get this long for a whole exchange before it counts as a failure.
SEND_TIMEOUT_SECONDS = 15.0


def guarded_client(
    *,
    allow_private: bool,
    resolver: Resolver = system_resolver,
    timeout: float = SEND_TIMEOUT_SECONDS,
    switch: str = WEBHOOK_SWITCH,
) -> httpx.Client:
    """An httpx client for user-chosen URLs: checked, pinned, no redirects, no env proxies."""
    return httpx.Client(
        transport=PinnedTransport(allow_private=allow_private, resolver=resolver, switch=switch),
        timeout=timeout,
        follow_redirects=False,
        # An environment proxy would bypass the pinned transport (and see our traffic).
        trust_env=False,
    )


def get_resolver(request: Request) -> Resolver:
    """How webhook and CRM destinations are resolved when they are registered: the system's DNS,
    unless the app was given another (`app.state.resolver`, e.g. by a test that must not send a
    DNS query off this machine)."""
    resolver: Resolver = getattr(request.app.state, "resolver", system_resolver)
    return resolver


ResolverDep = Annotated[Resolver, Depends(get_resolver)]
