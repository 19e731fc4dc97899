"""Helpers for the webhook tests: the department's receiver and DNS, subscribing, listing deliveries."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from govservice.services.webhooks import Resolver
from tests.api.apps_helpers import APPROVAL, ENT_A
from tests.conftest import TokenFactory

HOOKS = "/api/v1/webhooks"
A_URL = "http://permits-bus.gov.internal/hooks"
B_URL = "https://enforcement.gov.internal/events"


class Receiver:
    """The department systems: records every request and answers with the queued status codes
    (then 200); a code of 0 is a refused connection."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[int] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        code = self.answers.pop(0) if self.answers else 200
        if code == 0:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(code, json={"ok": code < 300})

    def addressed(self) -> list[str]:
        """The URLs as their senders named them: the courier connects to the address it vetted
        and names the host in the ``Host`` header."""
        return [str(r.url.copy_with(netloc=r.headers["host"].encode())) for r in self.requests]


class FakeDNS:
    """The department's DNS, injected as the courier's resolver: every name is on the internal
    network (a private address) unless ``answers`` says otherwise; an empty answer does not resolve."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.asked: list[tuple[str, int]] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        addresses = self.answers.get(host, ["10.20.0.7"])
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return addresses


async def subscribe(
    client: httpx.AsyncClient, admin: dict[str, str], url: str, *events: str
) -> dict[str, Any]:
    response = await client.post(HOOKS, json={"url": url, "events": list(events)}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def deliveries(
    client: httpx.AsyncClient, admin: dict[str, str], hook_id: int, status: str = ""
) -> list[Any]:
    query = f"?status={status}" if status else ""
    response = await client.get(f"{HOOKS}/{hook_id}/deliveries{query}", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


# -- fixtures shared by the webhook test modules (imported there by name) ----------------------


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def http_transport(receiver: Receiver) -> httpx.AsyncBaseTransport:
    return httpx.MockTransport(receiver.handle)


@pytest.fixture
def dns() -> FakeDNS:
    return FakeDNS()


@pytest.fixture
def webhook_resolver(dns: FakeDNS) -> Resolver:
    return dns.resolve


@pytest.fixture
def admin(auth: TokenFactory) -> dict[str, str]:
    return auth("admin", sub="admin-1")


@pytest.fixture
def people(auth: TokenFactory) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    return (
        auth("applicant", sub="user-a", ent=ENT_A),
        auth("clerk", sub="clerk-1", unit=APPROVAL),
        auth("supervisor", sub="head-1", unit=APPROVAL),
    )
