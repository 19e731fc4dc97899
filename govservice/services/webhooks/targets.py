"""Where webhooks may be sent: the URL's form, checked when a subscription is created and again
before each delivery, and the target's addresses.

Link-local addresses (169.254.0.0/16, fe80::/10, where clouds answer their instance metadata
with credentials) and the cloud metadata hosts are refused, unless ``GOVSERVICE_WEBHOOK_ALLOW_HOSTS``
admits them by name or network. A literal address or a known metadata name is refused when the
subscription is created; any other host name is resolved before each delivery and refused if any of
its addresses is in a refused range. Loopback and private networks stay allowed: departments run
their receivers on internal networks.

Residual window: the HTTP client resolves the name again when it connects, so a name whose answer
changes in between (DNS rebinding) could still reach a refused address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""A host name and port to the addresses it resolves to (``getaddrinfo``'s, as strings)."""

MAX_URL_LENGTH = 2000
RESOLVE_TIMEOUT = 10.0  # seconds

REFUSED: tuple[tuple[Network, str], ...] = (
    (ipaddress.ip_network("169.254.0.0/16"), "link-local"),
    (ipaddress.ip_network("fe80::/10"), "link-local"),
    (ipaddress.ip_network("100.100.100.200/32"), "a cloud metadata address"),
    (ipaddress.ip_network("fd00:ec2::254/128"), "a cloud metadata address"),
)
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
    }
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


async def resolve_host(host: str, port: int) -> list[str]:
    """The event loop's ``getaddrinfo`` (the system resolver, as the HTTP client uses)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a webhook URL, or None: http(s) only, a host, no credentials, no control
    characters or whitespace, at most ``MAX_URL_LENGTH`` characters."""
    if len(url) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH} characters"
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        return "contains whitespace or a control character"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https"):
        return "not an http or https URL"
    if "@" in parts.netloc:
        return "credentials (user:password@) are not allowed in the URL"
    if not parts.hostname:
        return "the URL has no host"
    try:
        httpx.URL(url)
    except httpx.InvalidURL:
        return "not a URL that can be sent to"
    return None


def literal_address(host: str) -> Address | None:
    """The address a host is written as (``[::1]``, ``10.0.0.1`` and the forms the system
    resolver takes literally: ``2852039166``, ``0xa9fea9fe``, ``169.254.43518``), or None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _forms(address: Address) -> Iterable[Address]:
    """The address, and the IPv4 address it carries (IPv4-mapped ``::ffff:a.b.c.d``, NAT64)."""
    yield address
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            yield address.ipv4_mapped
        elif address in _NAT64:
            yield ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """The refused ranges and names, less what the allow-list admits."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def allowing(cls, entries: Iterable[str]) -> TargetPolicy:
        """From ``Settings.webhook_allow_hosts`` (host names and CIDRs, validated there)."""
        names: set[str] = set()
        networks: list[Network] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(_name(entry))
        return cls(frozenset(names), tuple(networks))

    def refused_address(self, address: Address) -> str | None:
        """What the address is if it is refused ("link-local", ...), or None."""
        for form in _forms(address):
            if any(form in network for network in self.networks if form.version == network.version):
                return None
        for form in _forms(address):
            for network, what in REFUSED:
                if form.version == network.version and form in network:
                    return what
        return None

    def refused_host(self, host: str) -> str | None:
        """Why a host is refused without resolving it (a literal address or a metadata name)."""
        host = _name(host)
        if host in self.names:
            return None
        address = literal_address(host)
        if address is not None:
            what = self.refused_address(address)
            return f"{host} is {what}" if what else None
        return f"{host} is a cloud metadata host" if host in METADATA_HOSTS else None

    async def vet(self, url: httpx.URL, resolve: Resolver) -> Vetted:
        """Before a delivery: why the URL's host is refused, resolving a name, and the address to
        connect to. Raises ``OSError`` (``socket.gaierror``) or ``TimeoutError`` when the name does
        not resolve."""
        host = _name(url.host)
        reason = self.refused_host(host)
        if reason is not None or host in self.names or literal_address(host) is not None:
            return Vetted(reason, None)
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = await asyncio.wait_for(resolve(host, port), RESOLVE_TIMEOUT)
        for text in addresses:
            what = self.refused_address(ipaddress.ip_address(text))
            if what is not None:
                return Vetted(f"{host} resolves to {text}, {what}", None)
        if not addresses:
            raise OSError(f"{host} has no address")
        return Vetted(None, addresses[0])


@dataclass(frozen=True, slots=True)
class Vetted:
    """A target's verdict: why it is refused (None: allowed) and, for a name that was resolved, the
    vetted address the delivery connects to. Connecting to that address, not to the name again,
    leaves no window for a DNS answer that changes between the check and the connection."""

    refused: str | None
    address: str | None

    def pinned(self, url: httpx.URL) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
        """The URL to connect to, with the ``Host`` header and TLS server name of the original."""
        if self.address is None:
            return url, {}, {}
        extensions: dict[str, Any] = {"sni_hostname": url.host} if url.scheme == "https" else {}
        return url.copy_with(host=self.address), {"Host": url.netloc.decode("ascii")}, extensions


def _name(host: str) -> str:
    return host.lower().rstrip(".")
