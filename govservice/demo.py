"""`govservice demo`: walk whole cases through a running server, as an outside client would.

Tokens are minted with this installation's signing key (``var/signing-key.pem``), so run it on
the server's machine. Every request goes over HTTP to ``--base-url``; nothing is done behind the
API's back. Working days cannot be fast-forwarded on a live server, so the tolerant case that
fails is ended the way a clerk ends it when the supplement is not acceptable, and the pending
supplement deadline of the other is shown instead of waited for.
"""

from __future__ import annotations

import argparse
import logging
import secrets
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from govservice.auth import KeyStore, mint_token
from govservice.config import Settings
from govservice.demo_review import review_round
from govservice.domain.clock import Clock, SystemClock
from govservice.domain.uscc import ALPHABET, check_character

PDF = b"%PDF-1.7\n% govservice demo document\n%%EOF\n"


def _uscc() -> str:
    body = "91510100" + "".join(secrets.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)


class Demo:
    def __init__(
        self,
        http: httpx.Client,
        settings: Settings,
        say: Callable[[str], None] = print,
        clock: Clock | None = None,
    ) -> None:
        self.http = http
        self.clock = clock or SystemClock()
        self.say = say
        self.keys = KeyStore.load_or_create(settings.var_dir)
        self.settings = settings

    def token(
        self, role: str, sub: str, *, ent: str | None = None, unit: str | None = None
    ) -> dict[str, str]:
        token = mint_token(
            self.keys,
            issuer=self.settings.issuer,
            audience=self.settings.audience,
            sub=sub,
            roles=[role],
            now=self.clock.now(),
            ttl_seconds=900,
            ent=ent,
            unit=unit,
        )
        return {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        response = self.http.request(method, path, headers=headers, **kwargs)
        body = response.json() if response.content else {}
        if response.status_code >= 400:
            raise SystemExit(
                f"  ✗ {method} {path} -> {response.status_code} {body.get('code')}: {body.get('detail')}"
            )
        return body

    def step(self, actor: dict[str, str], app: dict[str, Any], action: str, **payload: Any) -> dict[str, Any]:
        after = self.call("POST", f"/api/v1/applications/{app['id']}/actions/{action}", actor, json=payload)
        clock = after["clock"]
        if clock["status"] == "stopped":  # decided: no days left to count
            self.say(
                f"  {action:<24} -> {after['state']:<18} clock stopped after {clock['elapsed']} working days"
            )
            return after
        self.say(
            f"  {action:<24} -> {after['state']:<18} clock {clock['status']}, "
            f"{clock['remaining']} of {clock['limit']} working days left, due {clock['dueOn'] or '-'}"
        )
        return after

    def new(
        self,
        applicant: dict[str, str],
        matter: str,
        route: str,
        *,
        skip: tuple[str, ...] = (),
        signed: bool = False,
    ) -> dict[str, Any]:
        app = self.call(
            "POST",
            "/api/v1/applications",
            applicant,
            json={
                "matterCode": matter,
                "route": route,
                "enterpriseName": "演示餐饮管理有限公司",
                "commitmentSigned": signed,
            },
        )
        self.say(f"  created application {app['id']} for {matter} ({route} route)")
        for material in app["materials"]:
            if material["code"] in skip:
                continue
            self.call(
                "POST",
                f"/api/v1/applications/{app['id']}/materials",
                applicant,
                data={"material": material["code"]},
                files={"file": (f"{material['code']}.pdf", PDF)},
            )
            self.say(f"  uploaded {material['code']}")
        return self.step(applicant, app, "file")

    def run(self) -> None:
        ent = _uscc()
        applicant = self.token("applicant", "demo-applicant", ent=ent)
        approval_clerk = self.token("clerk", "demo-clerk-a", unit="FR-APPROVAL")
        approval_head = self.token("supervisor", "demo-head-a", unit="FR-APPROVAL")
        inspector = self.token("inspector", "demo-inspector", unit="FR-APPROVAL")
        supervision_clerk = self.token("clerk", "demo-clerk-s", unit="FR-SUPERVISION")
        supervision_head = self.token("supervisor", "demo-head-s", unit="FR-SUPERVISION")
        self.say(f"enterprise {ent}")

        self.say("\n1. standard route: pre-opening fire safety inspection")
        app = self.new(applicant, "FR-PGP-OPENING", "standard")
        app = self.step(approval_clerk, app, "accept")
        self.say(f"  on-site inspection due by {app['inspection']['dueOn']} (10 working days)")
        app = self.step(approval_head, app, "assign_inspector", inspector="demo-inspector")
        app = self.step(approval_clerk, app, "hold", reason="testing")
        app = self.step(approval_clerk, app, "resume")
        app = self.step(
            inspector, app, "record_inspection", result="pass", findings="疏散通道畅通，消防设施完好有效"
        )
        self.say(f"  decision due by {app['inspection']['decisionDueOn']} (3 working days after it)")
        app = self.step(approval_head, app, "approve")
        self.licence(app)

        self.say("\n2. one deficiency notice listing every gap, then corrections")
        app = self.new(applicant, "FR-PGP-OPENING", "standard", skip=("floor_plans", "evacuation_plan"))
        app = self.step(
            approval_clerk,
            app,
            "notify_deficiency",
            defects=[{"material": "application_form", "problem": "申请表未签章"}],
        )
        for code in ("floor_plans", "evacuation_plan", "application_form"):
            self.call(
                "POST",
                f"/api/v1/applications/{app['id']}/materials",
                applicant,
                data={"material": code},
                files={"file": (f"{code}.pdf", PDF)},
            )
            self.say(f"  re-uploaded {code}")
        app = self.step(applicant, app, "submit_corrections")
        app = self.step(approval_clerk, app, "accept")
        self.say(f"  accepted on {app['acceptedOn']} (the day the complete corrections arrived)")

        self.say("\n3. commitment route: permit the same day, post-check later")
        app = self.new(applicant, "FR-PGP-OPENING", "commitment", signed=True)
        app = self.step(approval_clerk, app, "grant")
        self.licence(app)
        app = self.step(inspector, app, "pass_post_check")

        self.say("\n4. tolerant route (容缺), supplements delivered in time")
        tolerable = ("maintenance_contract", "facility_test_report", "drill_record")
        app = self.new(applicant, "FR-KEY-UNIT-FILING", "tolerant", skip=tolerable, signed=True)
        app = self.step(supervision_clerk, app, "accept_tolerant")
        self.say(f"  supplements due on {app['supplementDueOn']}")
        for code in tolerable:
            self.call(
                "POST",
                f"/api/v1/applications/{app['id']}/materials",
                applicant,
                data={"material": code},
                files={"file": (f"{code}.pdf", PDF)},
            )
            self.say(f"  supplemented {code}")
        app = self.step(supervision_clerk, app, "accept_supplements")
        app = self.step(supervision_clerk, app, "forward")
        app = self.step(supervision_head, app, "approve")

        self.say("\n5. tolerant route, supplement not acceptable: terminated, commitment broken")
        other = _uscc()
        other_applicant = self.token("applicant", "demo-applicant-2", ent=other)
        app = self.new(other_applicant, "FR-KEY-UNIT-FILING", "tolerant", skip=tolerable, signed=True)
        app = self.step(supervision_clerk, app, "accept_tolerant")
        timeline = self.call("GET", f"/api/v1/applications/{app['id']}/timeline", other_applicant)
        for deadline in timeline["deadlines"]:
            self.say(f"  pending: {deadline['action']} at {deadline['dueAt']}")
        app = self.step(supervision_clerk, app, "reject_supplements", comment="维保合同为复印件且无签章")
        standing = self.call("GET", f"/api/v1/enterprises/{other}", other_applicant)
        self.say(f"  enterprise {other} credit: {standing['creditStatus']}")
        response = self.http.post(
            "/api/v1/applications",
            headers=other_applicant,
            json={"matterCode": "FR-KEY-UNIT-FILING", "route": "tolerant", "enterpriseName": "x"},
        )
        self.say(f"  a new tolerant filing is refused: {response.status_code} {response.json().get('code')}")

        self.key_enterprise(approval_clerk)
        review_round(self)

    def key_enterprise(self, approval_clerk: dict[str, str]) -> None:
        self.say("\n6. key enterprise (五个一): green channel, 24-hour response line, restrained inspection")
        ent = _uscc()
        admin = self.token("admin", "demo-admin")
        adviser = self.token("adviser", "demo-adviser", unit="FR-APPROVAL")
        applicant = self.token("applicant", "demo-key-applicant", ent=ent)
        inspector = self.token("inspector", "demo-inspector", unit="FR-SUPERVISION")
        today = self.clock.now().astimezone(ZoneInfo(self.settings.timezone)).date().isoformat()  # local
        self.call(
            "POST",
            "/api/v1/key-enterprises",
            admin,
            json={
                "uscc": ent,
                "name": "演示锂电科技有限公司",
                "industries": ["lithium_battery"],
                "enrolledFrom": today,
                "adviser": {"sub": "demo-adviser", "name": "演示专员", "unit": "FR-APPROVAL"},
            },
        )
        self.say(f"  enrolled {ent}; adviser demo-adviser of FR-APPROVAL")
        app = self.new(applicant, "FR-PGP-OPENING", "standard")
        self.say(
            f"  green channel: priority {app['priority']}, promised limit {app['promisedLimit']} of "
            f"statutory {app['statutoryLimit']} working days, unit {app['unit']}"
        )
        queue = self.call("GET", "/api/v1/applications?limit=3", approval_clerk)
        self.say(f"  first in the clerks' queue: application {queue['items'][0]['id']}")
        request = self.call(
            "POST",
            f"/api/v1/key-enterprises/{ent}/requests",
            applicant,
            json={"kind": "urgent_hazard", "subject": "仓库喷淋失压", "detail": "3号仓库喷淋压力不足"},
        )
        clock = request["responseClock"]
        self.say(
            f"  request {request['id']}: respond by {clock['respondBy']} "
            f"({round(clock['remainingSeconds'] / 3600)} h left)"
        )
        answered = self.call(
            "POST",
            f"/api/v1/enterprise-requests/{request['id']}/response",
            adviser,
            json={"response": "已派员到场处置"},
        )
        self.say(
            f"  answered after {answered['responseClock']['answeredAfterSeconds']} s, "
            f"overdue {answered['responseClock']['overdue']}"
        )
        plan = self.call(
            "POST",
            "/api/v1/inspection-plans",
            inspector,
            json={"uscc": ent, "plannedOn": today, "scope": "年度消防监督检查"},
        )
        cap = plan["cap"]
        self.say(f"  routine inspection planned: {cap['counted']} of {cap['cap']} this year")
        refused = self.http.post(
            "/api/v1/inspection-plans",
            headers=inspector,
            json={"uscc": ent, "plannedOn": today, "scope": "再次例行检查"},
        )
        self.say(f"  a second routine inspection: {refused.status_code} {refused.json().get('code')}")
        override = self.call(
            "POST",
            "/api/v1/inspection-plans",
            inspector,
            json={
                "uscc": ent,
                "plannedOn": today,
                "purpose": "complaint",
                "reason": "群众举报",
                "scope": "安全出口",
            },
        )
        offers = [p["id"] for p in override["mergeOffers"]]
        self.say(f"  on a complaint it goes through; offered to merge with plan(s) {offers}")

    def licence(self, app: dict[str, Any]) -> None:
        number = app["licenceNumber"]
        licence = self.call("GET", f"/api/v1/licences/{number}", {})
        self.say(
            f"  e-licence {number}: {licence['status']}, holder {licence['content']['holderUscc']}, "
            f"verify at {licence['verifyUrl']}"
        )


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    base = args.base_url or f"http://{settings.host}:{settings.port}"
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the demo prints its own steps
    with httpx.Client(base_url=base, timeout=10.0) as http:
        try:
            http.get("/health/live").raise_for_status()
        except httpx.HTTPError as exc:
            print(f"govservice demo: no server answers at {base} ({exc}); start one with `govservice serve`")
            return 1
        Demo(http, settings).run()
    print("\ndemo complete")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="walk whole cases through a running server as an outside client")
    demo.add_argument("--base-url", help="default: http://GOVSERVICE_HOST:GOVSERVICE_PORT")
    demo.set_defaults(func=cmd_demo)
