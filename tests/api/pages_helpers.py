"""Licences for the public pages' tests, made through the API as the department would: granted on the
commitment route (in force at once), and one of those revoked after a failed post-check and re-check."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.apps_helpers import APPROVAL, ENT_A, act, create, upload_all
from tests.conftest import TokenFactory

REVOCATION_REASON = "仍未整改"


def staff(auth: TokenFactory) -> dict[str, dict[str, str]]:
    return {
        "applicant": auth("applicant", sub="user-a", ent=ENT_A),
        "clerk": auth("clerk", sub="clerk-1", unit=APPROVAL),
        "supervisor": auth("supervisor", sub="head-1", unit=APPROVAL),
        "inspector": auth("inspector", sub="insp-1", unit=APPROVAL),
    }


async def valid_licence(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    """The granted application, with its `licenceNumber` (decided the day it was filed)."""
    people = staff(auth)
    app = await create(client, people["applicant"], "FR-PGP-OPENING", "commitment", commitmentSigned=True)
    await upload_all(client, people["applicant"], app)
    await act(client, people["applicant"], app["id"], "file")
    return await act(client, people["clerk"], app["id"], "grant")


async def revoked_licence(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    granted = await valid_licence(client, auth)
    inspector = staff(auth)["inspector"]
    await act(client, inspector, granted["id"], "fail_post_check", comment="二层疏散通道被占用")
    revoked = await act(client, inspector, granted["id"], "fail_recheck", comment=REVOCATION_REASON)
    assert revoked["outcome"] == "revoked"
    return granted
