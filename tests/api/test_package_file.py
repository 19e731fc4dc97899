"""The service package is data: editing `workflows/packages/*.yaml` changes behaviour, no code."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from govservice.api.app import create_app
from govservice.auth import KeyStore
from govservice.config import ConfigError, Settings, load_settings
from govservice.domain.actor import Actor, Role
from govservice.domain.clock import ManualClock
from govservice.services.key_enterprises import load_service_package
from tests.api.apps_helpers import APPROVAL, ENT_A, act, create, run_timers, upload_all
from tests.api.test_key_enterprises import ADVISER_UNIT, _enrolment, _plan
from tests.conftest import PG_URL, WORKFLOWS, TokenFactory

CHANGED = {
    "  enabled: true": "  enabled: false",
    "  responseHours: 24": "  responseHours: 2",
    "  annualRoutineCap: 1": "  annualRoutineCap: 2",
}


@pytest.fixture
def edited_workflows(tmp_path: Path) -> Path:
    target = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, target)
    package = target / "packages" / "five-ones.yaml"
    text = package.read_text(encoding="utf-8")
    for old, new in CHANGED.items():
        assert old in text, old
        text = text.replace(old, new)
    package.write_text(text, encoding="utf-8")
    return target


@pytest.fixture
async def edited_client(
    edited_workflows: Path, settings: Settings, engine: AsyncEngine, clock: ManualClock, keys: KeyStore
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    env = {
        "GOVSERVICE_VAR_DIR": str(settings.var_dir),
        "GOVSERVICE_WORKFLOWS_DIR": str(edited_workflows),
        "GOVSERVICE_CATALOGUE_CACHE_SECONDS": "0",
        "GOVSERVICE_RUN_WORKER": "false",
    }
    if PG_URL:
        env["GOVSERVICE_DATABASE_URL"] = PG_URL
    application = create_app(load_settings(env), engine=engine, clock=clock, keys=keys)
    seed = Actor(sub="seed", roles=frozenset({Role.ADMIN}))
    await application.state.services.catalogue.seed(
        sorted((edited_workflows / "catalog").glob("*.yaml")), seed
    )
    await application.state.services.engine.publish_directory()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://t"
    ) as client:
        yield client, application


async def test_editing_the_package_file_changes_behaviour(
    edited_client: tuple[httpx.AsyncClient, Any],
    auth: TokenFactory,
    clock: ManualClock,
) -> None:
    client, application = edited_client
    admin = auth("admin")
    assert (await client.post("/api/v1/key-enterprises", json=_enrolment(), headers=admin)).status_code == 201
    ent_a = auth("applicant", sub="user-a", ent=ENT_A)

    # Green channel off: no priority, the matter's own promised limit and unit.
    app = await create(client, ent_a)
    await upload_all(client, ent_a, app)
    filed = await act(client, ent_a, app["id"], "file")
    assert (filed["priority"], filed["promisedLimit"], filed["unit"]) == (False, 5, APPROVAL)

    # Response line of 2 hours: escalation after 2 hours, not 24.
    raised = await client.post(
        f"/api/v1/key-enterprises/{ENT_A}/requests",
        headers=ent_a,
        json={"kind": "question", "subject": "s", "detail": "d"},
    )
    assert raised.json()["responseClock"]["responseHours"] == 2
    clock.advance(timedelta(hours=2))
    await run_timers(application)
    supervisor = auth("supervisor", unit=ADVISER_UNIT)
    escalated = (
        await client.get(f"/api/v1/enterprise-requests/{raised.json()['id']}", headers=supervisor)
    ).json()
    assert escalated["state"] == "escalated"

    # A cap of two routine inspections a year: the second goes through, the third does not.
    inspector = auth("inspector", sub="insp-1")
    codes = [
        (await client.post("/api/v1/inspection-plans", json=_plan(on=on), headers=inspector)).status_code
        for on in ("2026-04-01", "2026-06-01", "2026-09-01")
    ]
    assert codes == [201, 201, 422]


def test_a_broken_package_file_is_a_configuration_error(edited_workflows: Path) -> None:
    package = edited_workflows / "packages" / "five-ones.yaml"
    package.write_text(
        package.read_text(encoding="utf-8").replace("promisedLimitDivisor: 2", "promisedLimitDivisor: 0"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="five-ones.yaml"):
        load_service_package(edited_workflows)
    shutil.copy(package, edited_workflows / "packages" / "second.yaml")
    with pytest.raises(ConfigError, match="exactly one"):
        load_service_package(edited_workflows)
