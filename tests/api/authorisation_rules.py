"""The rows of the authorisation matrix (tests/api/test_authorisation_matrix.py), but those of the
enforcement quality review (tests/api/authorisation_review_rules.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.api.apps_helpers import PDF
from tests.api.authorisation_world import E1, JPG

UNIT_STAFF_2 = ("clerk2", "sup2", "insp2", "legal2")
STRANGERS = ("app2", "adv2")
NOT_ADMIN = ("clerk1", "sup1", "insp1", "legal1", "adv1", "app1")


@dataclass(frozen=True)
class Rule:
    ok: tuple[str, ...]
    hidden: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    logged: bool = False
    listed: str | None = None  # a list: the World field whose id the ``ok`` callers see in it
    body: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)  # path values; a str names a World field


def public(**kw: Any) -> Rule:
    return Rule(ok=("anonymous", "app2", "clerk2"), **kw)


ADMIN_ONLY = Rule(ok=("admin",), refused=("anonymous", *NOT_ADMIN, "clerk2"))
ADMIN_WRITE = Rule(ok=("admin",), refused=("anonymous", *NOT_ADMIN))
ASSESSMENT = Rule(ok=("assessor", "admin"), refused=("anonymous", "clerk1", "app1"))
PDF_FILE = {"file": ("r.pdf", PDF, "application/pdf")}
PLAN = {"uscc": E1, "plannedOn": "2026-04-20", "scope": "复查", "purpose": "fire_risk", "reason": "隐患"}
# quality review: rev2 and rev_law score the drawn file (U1's); rev_idle is on the panel but not on
# the file, rev1 is of the file's unit, rev0 is not on the panel; the chair decides appeals

RULES: dict[str, list[Rule]] = {
    # -- public ------------------------------------------------------------------------------------
    "GET /.well-known/jwks.json": [public()],
    "GET /health/live": [public()],
    "GET /health/ready": [public()],
    "GET /metrics": [public()],
    "GET /api/v1/matters": [public()],
    "GET /api/v1/matters/{code}": [public()],
    "GET /api/v1/matters/{code}/versions": [public()],
    "GET /api/v1/matters/{code}/versions/{version}": [public()],
    "GET /api/v1/public/board": [public()],
    "GET /api/v1/waiver-rules": [public()],
    "GET /api/v1/key-enterprises/package": [public()],
    "GET /api/v1/licences/{number}": [public()],
    "GET /api/v1/licences/{number}/qr.svg": [public()],
    # -- department-wide: admins ---------------------------------------------------------------------
    "POST /api/v1/matters": [ADMIN_WRITE],
    "POST /api/v1/matters/{code}/status": [ADMIN_WRITE],
    "GET /api/v1/webhooks": [ADMIN_ONLY],
    "POST /api/v1/webhooks": [ADMIN_WRITE],
    "GET /api/v1/webhooks/{webhook_id}": [ADMIN_ONLY],
    "DELETE /api/v1/webhooks/{webhook_id}": [ADMIN_WRITE],
    "POST /api/v1/webhooks/{webhook_id}/reactivate": [ADMIN_WRITE],
    "GET /api/v1/webhooks/{webhook_id}/deliveries": [ADMIN_ONLY],
    "POST /api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry": [
        # no delivery has been made in this world: the admin is told so; everyone else is refused
        Rule(ok=(), hidden=("admin",), refused=("anonymous", *NOT_ADMIN), params={"delivery_id": 1})
    ],
    "POST /api/v1/enterprises/{uscc}/credit-repairs": [
        Rule(ok=("admin",), refused=("anonymous", *NOT_ADMIN), body={"reason": "整改完毕"})
    ],
    "GET /api/v1/enforcement/statistics": [
        Rule(ok=("admin", "clerk1", "insp2"), refused=("anonymous", "app1", "assessor"))
    ],
    # -- assessors -----------------------------------------------------------------------------------
    "GET /api/v1/assessment/applications": [ASSESSMENT],
    "GET /api/v1/assessment/audit/verify": [ASSESSMENT],
    "GET /api/v1/assessment/event-log": [ASSESSMENT],
    "GET /api/v1/assessment/event-log.csv": [ASSESSMENT],
    "GET /api/v1/assessment/indicators": [ASSESSMENT],
    "GET /api/v1/assessment/violations": [ASSESSMENT],
    # -- applications: the enterprise and the handling unit ----------------------------------------
    "GET /api/v1/applications": [
        Rule(
            logged=True,
            ok=("app1", "clerk1", "sup1", "admin"),
            hidden=("app2", "clerk2", "sup2"),
            refused=("anonymous", "adv1", "assessor"),
            listed="application",
        )
    ],
    "POST /api/v1/applications": [
        Rule(
            ok=("app1",),
            refused=("anonymous", "clerk1", "adv1"),
            body={"matterCode": "FR-PGP-OPENING", "enterpriseName": "某公司", "route": "standard"},
        )
    ],
    "GET /api/v1/applications/{application_id}": [
        Rule(
            logged=True,
            ok=("app1", "clerk1", "sup1", "insp1", "legal1", "admin"),
            hidden=("app2", *UNIT_STAFF_2, "adv1"),
            refused=("anonymous", "assessor"),
        )
    ],
    # the actions a caller may take: no enterprise data, so not in its data-access log
    "GET /api/v1/applications/{application_id}/actions": [
        Rule(ok=("app1", "clerk1", "sup1"), hidden=("app2", "clerk2", "sup2"), refused=("anonymous",))
    ],
    "POST /api/v1/applications/{application_id}/actions/{action}": [
        Rule(
            ok=("app1",),
            hidden=("app2", "clerk2", "sup2"),
            refused=("anonymous",),
            params={"application_id": "draft", "action": "withdraw"},
            body={},
        ),
        Rule(
            ok=("clerk1",),
            hidden=("clerk2", "sup2", "insp2"),
            params={"application_id": "draft", "action": "accept"},
            body={},
        ),
    ],
    "POST /api/v1/applications/{application_id}/commitment": [
        Rule(
            ok=("app1",),
            hidden=("app2",),
            refused=("anonymous", "clerk1"),
            params={"application_id": "draft"},
        )
    ],
    "GET /api/v1/applications/{application_id}/evaluation": [
        Rule(
            logged=True,
            ok=("app1", "clerk1", "sup1", "admin"),
            hidden=("app2", "clerk2", "sup2"),
            refused=("anonymous",),
        )
    ],
    "POST /api/v1/applications/{application_id}/evaluation": [
        Rule(ok=("app1",), hidden=("app2",), refused=("anonymous", "clerk2"), body={"stars": 5})
    ],
    "GET /api/v1/applications/{application_id}/materials": [
        Rule(
            logged=True,
            ok=("app1", "clerk1", "sup1"),
            hidden=("app2", "clerk2", "sup2"),
            refused=("anonymous",),
        )
    ],
    "POST /api/v1/applications/{application_id}/materials": [
        Rule(
            ok=("app1",),
            hidden=("app2",),
            refused=("anonymous",),
            params={"application_id": "draft"},
            data={"material": "fire_plan"},
            files=PDF_FILE,
        )
    ],
    "GET /api/v1/applications/{application_id}/timeline": [
        Rule(
            logged=True,
            ok=("app1", "clerk1", "sup1"),
            hidden=("app2", "clerk2", "sup2"),
            refused=("anonymous",),
        )
    ],
    "POST /api/v1/applications/{application_id}/visits": [
        Rule(
            ok=("clerk1",),
            hidden=("clerk2",),
            refused=("anonymous", "app1"),
            params={"application_id": "draft"},
            body={"purpose": "递交原件"},
        )
    ],
    "GET /api/v1/work-orders": [
        Rule(
            logged=True,
            ok=("app1", "clerk1", "sup1", "admin"),
            hidden=("app2", "clerk2", "sup2"),
            refused=("anonymous",),
            listed="work_order",
        )
    ],
    "GET /api/v1/work-orders/{order_id}": [
        Rule(
            logged=True,
            ok=("app1", "clerk1", "sup1", "admin"),
            hidden=("app2", "clerk2", "sup2"),
            refused=("anonymous",),
        )
    ],
    "GET /api/v1/work-orders/{order_id}/actions": [
        Rule(ok=("clerk1", "sup1"), hidden=("app2", "clerk2", "sup2"), refused=("anonymous",))
    ],
    "POST /api/v1/work-orders/{order_id}/actions/{action}": [
        Rule(
            ok=("sup1",),
            hidden=("app2", "clerk2", "sup2"),
            refused=("anonymous",),
            params={"action": "record_callback"},
            body={"summary": "已电话回访"},
        )
    ],
    # -- enforcement: the inspecting unit --------------------------------------------------------------
    "GET /api/v1/inspections": [
        Rule(
            ok=("insp1", "legal1", "clerk1", "adv1", "admin"),
            hidden=UNIT_STAFF_2 + ("adv2",),
            refused=("anonymous", "app1"),
            listed="inspection",
            logged=True,
        )
    ],
    "POST /api/v1/inspections": [
        Rule(
            ok=("insp1",),
            refused=("anonymous", "clerk1", "app1"),
            body={
                "uscc": E1,
                "unitName": "某公司",
                "address": "某路1号",
                "inspectedOn": "2026-03-02",
                "officers": ["insp-1", "insp-2"],
                "evidence": [],
                "purpose": "complaint",
                "reason": "举报",
                "findings": [],
            },
        )
    ],
    "GET /api/v1/inspections/{inspection_id}": [
        Rule(
            ok=("insp1", "legal1", "adv1", "admin"),
            hidden=UNIT_STAFF_2 + ("adv2",),
            refused=("anonymous", "app1"),
            logged=True,
        )
    ],
    "GET /api/v1/inspections/{inspection_id}/evidence": [  # enforcement's files: not the adviser's
        Rule(ok=("insp1", "legal1", "admin"), hidden=UNIT_STAFF_2, refused=("app1", "adv1"), logged=True)
    ],
    "POST /api/v1/inspections/{inspection_id}/evidence": [
        Rule(
            ok=("insp1",),
            hidden=("insp2",),
            refused=("anonymous", "clerk1", "app1"),
            files={"file": ("p.jpg", JPG, "image/jpeg")},
        )
    ],
    "GET /api/v1/inspections/{inspection_id}/evidence/{evidence_id}": [
        Rule(ok=("insp1", "legal1", "admin"), hidden=UNIT_STAFF_2, refused=("app1", "adv1"), logged=True)
    ],
    "GET /api/v1/violations": [
        Rule(
            ok=("app1", "insp1", "legal1", "adv1", "admin"),
            hidden=("app2", *UNIT_STAFF_2, "adv2"),
            refused=("anonymous", "assessor"),
            listed="violation",
            logged=True,
        )
    ],
    "GET /api/v1/violations/{violation_id}": [
        Rule(
            ok=("app1", "insp1", "legal1", "adv1", "admin"),
            hidden=("app2", *UNIT_STAFF_2, "adv2"),
            refused=("anonymous",),
            logged=True,
        )
    ],
    "GET /api/v1/violations/{violation_id}/actions": [
        Rule(ok=("insp1", "legal1"), hidden=UNIT_STAFF_2 + ("adv2",), refused=("anonymous", "app1"))
    ],
    "POST /api/v1/violations/{violation_id}/actions/{action}": [
        Rule(
            ok=("insp1",), hidden=UNIT_STAFF_2, refused=("app1",), params={"action": "serve_order"}, body={}
        ),
        Rule(ok=("legal1",), hidden=("legal2",), params={"action": "countersign"}, body={}),
    ],
    # -- inspection plans: the planning unit; the enterprise and its adviser get advance notice -----
    "POST /api/v1/inspection-plans": [
        Rule(ok=("insp1", "sup2"), refused=("anonymous", "clerk1", "app1"), body=PLAN)
    ],
    "GET /api/v1/inspection-plans/{plan_id}": [
        Rule(
            logged=True,
            ok=("insp1", "sup1"),
            hidden=("insp2", "sup2"),
            refused=("anonymous", "app1", "clerk1"),
        )
    ],
    "POST /api/v1/inspection-plans/{plan_id}/merge": [
        Rule(ok=("insp1",), hidden=("insp2", "sup2"), refused=("app1",), body={"into": "other_plan"}),
    ],
    "POST /api/v1/inspection-plans/{plan_id}/cancellation": [
        Rule(
            ok=("sup1",),
            hidden=("insp2", "sup2"),
            refused=("app1", "clerk1"),
            params={"plan_id": "other_plan"},
        )
    ],
    "GET /api/v1/key-enterprises/{uscc}/inspection-plans": [
        Rule(
            logged=True,
            ok=("app1", "adv1", "insp1", "sup1", "admin"),
            hidden=("app2", "adv2", "insp2", "sup2"),
            refused=("anonymous", "clerk1"),
            listed="plan",
        )
    ],
    # -- enterprises and the key-enterprise package: the adviser's unit and the adviser ---------------
    "GET /api/v1/enterprises/{uscc}": [
        Rule(
            ok=("app1", "adv1", "clerk1", "clerk2", "admin"),
            hidden=("app2", "adv2"),
            refused=("anonymous",),
            logged=True,
        )
    ],
    "POST /api/v1/enterprises/{uscc}/name-changes": [
        Rule(
            ok=("app1", "admin"),
            hidden=("app2",),
            refused=("anonymous", "clerk1", "adv1"),
            body={"name": "某锂电科技股份有限公司", "reason": "营业执照变更登记"},
        )
    ],
    "GET /api/v1/enterprises/{uscc}/data-access": [
        Rule(ok=("app1", "admin"), refused=("anonymous", "app2", "clerk1", "adv1"))
    ],
    "GET /api/v1/key-enterprises": [
        Rule(
            logged=True,
            ok=("admin", "sup1", "adv1"),
            hidden=("sup2", "adv2"),
            refused=("anonymous", "app1", "clerk1"),
            listed="uscc",
        )
    ],
    "POST /api/v1/key-enterprises": [
        Rule(
            ok=("admin", "sup1"),
            refused=("anonymous", "app1", "clerk1", "adv1"),
            body={
                "uscc": "91310000MA1FL4K64C",
                "name": "某公司",
                "industries": ["lithium_battery"],
                "enrolledFrom": "2026-01-01",
                "adviser": {"sub": "adv-3", "name": "王专员", "unit": "FR-APPROVAL"},
            },
        )
    ],
    "GET /api/v1/key-enterprises/{uscc}": [
        Rule(
            logged=True,
            ok=("admin", "sup1", "adv1", "app1"),
            hidden=("sup2", "adv2", "app2"),
            refused=("anonymous",),
        )
    ],
    "PATCH /api/v1/key-enterprises/{uscc}": [
        Rule(
            ok=("sup1", "admin"),
            hidden=("sup2",),
            refused=("anonymous", "app1", "adv1"),
            body={"industries": ["lithium_battery"]},
        )
    ],
    "GET /api/v1/key-enterprises/{uscc}/checkups": [
        Rule(
            ok=("app1", "adv1", "sup1"), hidden=("app2", "adv2", "sup2"), refused=("anonymous",), logged=True
        )
    ],
    "POST /api/v1/key-enterprises/{uscc}/checkups": [
        Rule(
            ok=("adv1",),
            hidden=("adv2", "sup2"),
            refused=("anonymous", "app1"),
            body={"year": 2027, "scheduledOn": "2027-03-02"},
        )
    ],
    "POST /api/v1/key-enterprises/{uscc}/checkups/{year}/completion": [
        Rule(
            ok=("adv1",),
            hidden=("adv2", "sup2"),
            refused=("anonymous", "app1"),
            body={"completedOn": "2026-03-02", "findings": []},
        )
    ],
    "GET /api/v1/key-enterprises/{uscc}/checkups/{year}/report": [
        Rule(
            ok=("app1", "adv1", "sup1"), hidden=("app2", "adv2", "sup2"), refused=("anonymous",), logged=True
        )
    ],
    "POST /api/v1/key-enterprises/{uscc}/checkups/{year}/report": [
        Rule(ok=("adv1",), hidden=("adv2", "sup2"), refused=("anonymous", "app1"), files=PDF_FILE)
    ],
    "GET /api/v1/key-enterprises/{uscc}/requests": [
        Rule(
            ok=("app1", "adv1", "sup1"),
            hidden=("app2", "adv2", "sup2"),
            refused=("anonymous",),
            listed="request",
            logged=True,
        )
    ],
    "POST /api/v1/key-enterprises/{uscc}/requests": [
        Rule(
            ok=("app1",),
            hidden=("app2",),
            refused=("anonymous", "adv1"),
            body={"kind": "question", "subject": "问", "detail": "问题"},
        )
    ],
    "GET /api/v1/key-enterprises/{uscc}/service-records": [
        Rule(
            ok=("app1", "adv1", "sup1"), hidden=("app2", "adv2", "sup2"), refused=("anonymous",), logged=True
        )
    ],
    "POST /api/v1/key-enterprises/{uscc}/service-records": [
        Rule(
            ok=("adv1",),
            hidden=("adv2", "sup2"),
            refused=("anonymous", "app1"),
            body={
                "kind": "training",
                "title": "培训",
                "summary": "讲解",
                "heldOn": "2026-03-20",
                "attendees": 3,
            },
        )
    ],
    "GET /api/v1/enterprise-requests": [
        Rule(
            logged=True,
            ok=("adv1", "sup1", "app1", "admin"),
            hidden=("adv2", "sup2", "app2"),
            refused=("anonymous",),
            listed="request",
        )
    ],
    "GET /api/v1/enterprise-requests/{request_id}": [
        Rule(
            logged=True,
            ok=("adv1", "sup1", "app1", "admin"),
            hidden=("adv2", "sup2", "app2"),
            refused=("anonymous",),
        )
    ],
    "POST /api/v1/enterprise-requests/{request_id}/response": [
        Rule(
            ok=("adv1",), hidden=("adv2", "sup2"), refused=("anonymous", "app1"), body={"response": "已处理"}
        )
    ],
    "POST /api/v1/enterprise-requests/{request_id}/withdrawal": [
        Rule(ok=("app1",), hidden=("app2",), refused=("anonymous", "adv1"))
    ],
}
