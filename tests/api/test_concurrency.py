"""Two clients racing the same action on one application: exactly one wins, the other gets 409.

On PostgreSQL (GOVSERVICE_TEST_DATABASE_URL) the two requests run on separate connections at
the same time; on SQLite the engine serialises them, and the loser still learns it lost.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.api.apps_helpers import APPROVAL, ENT_A, act, create, upload_all
from tests.conftest import TokenFactory


async def test_racing_actions_one_wins_the_other_gets_409(app, auth: TokenFactory) -> None:  # noqa: ANN001
    applicant = auth("applicant", sub="user-a", ent=ENT_A)
    clerks = [auth("clerk", sub=f"clerk-{n}", unit=APPROVAL) for n in (1, 2)]
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as one,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as two,
    ):
        for round_ in range(5):
            filed = await create(one, applicant)
            await upload_all(one, applicant, filed)
            await act(one, applicant, filed["id"], "file")
            url = f"/api/v1/applications/{filed['id']}/actions/"
            first, second = await asyncio.gather(
                one.post(url + "accept", json={}, headers=clerks[0]),
                two.post(
                    url + "notify_deficiency",
                    json={"defects": [{"material": "application_form", "problem": "unsigned"}]},
                    headers=clerks[1],
                ),
            )
            statuses = sorted([first.status_code, second.status_code])
            assert statuses == [200, 409], (round_, first.text, second.text)
            loser = first if first.status_code == 409 else second
            assert loser.json()["code"] in {"concurrent_transition", "action_not_available"}
            events = (await one.get(f"/api/v1/applications/{filed['id']}/timeline", headers=clerks[0])).json()
            assert [e["action"] for e in events["events"]][-1] in {"accept", "notify_deficiency"}
            assert sum(e["action"] in {"accept", "notify_deficiency"} for e in events["events"]) == 1
