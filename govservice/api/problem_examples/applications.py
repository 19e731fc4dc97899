"""Applications, the catalogue, enterprises, the audit log, ratings' work orders and webhooks."""

from __future__ import annotations

from govservice.api.problem_examples.said import USCC, Said, field, step

_CONCLUDED = "the application is concluded"

APPLICATIONS: dict[str, tuple[Said, ...]] = {
    # -- applications ---------------------------------------------------------------------------------
    "createApplication": (
        Said(403, "no_enterprise", "an applicant's token must name its enterprise (ent claim)"),
        Said(403, "other_enterprise", "an applicant files only for its own enterprise"),
        Said(
            410,
            "matter_cancelled",
            "matter FR-PGP-OPENING-APPROVAL was cancelled on 2021-04-29 (改为告知承诺管理); use instead: "
            "按新办事指南办理公众聚集场所投入使用、营业前消防安全检查",
            {
                "replacement": {
                    "description": "按新办事指南办理公众聚集场所投入使用、营业前消防安全检查",
                    "matterCode": "FR-PGP-OPENING",
                }
            },
        ),
        Said(
            422,
            "route_not_offered",
            "matter FR-PGP-OPENING offers the routes standard, commitment, not tolerant",
        ),
        Said(
            422,
            "credit_barred",
            f"enterprise {USCC} has a broken commitment record: the commitment route is barred until its "
            "credit is repaired",
        ),
        Said(
            422,
            "enterprise_name_required",
            f"enterprise {USCC} files for the first time: give its registered name (enterpriseName)",
        ),
    ),
    "listApplications": (Said(403, "no_unit", "a staff token must name its unit (unit claim)"),),
    "takeAction": (
        Said(403, "other_enterprise", "this is another enterprise's application"),
        *step(
            12,
            "approve",
            state="reviewing",
            roles="supervisor",
            blocked="materials missing: floor_plans (rule: every required material, key and tolerable, "
            "must be present)",
        ),
        Said(
            422,
            "nothing_to_notify",
            "every material is present and no defect was named: accept, or name the defects",
        ),
    ),
    "signCommitment": (
        Said(403, "role_required", "only the applicant signs its commitment"),
        Said(422, "application_concluded", _CONCLUDED),
    ),
    "uploadMaterial": (
        Said(403, "role_required", "materials are uploaded by the applicant (or a clerk at the window)"),
        Said(422, "unknown_material", "matter FR-PGP-OPENING has no material 'site_photos'"),
        Said(
            422,
            "material_from_shared_source",
            "营业执照 is obtained by the department itself "
            "(市场监管部门营业执照信息共享（凭统一社会信用代码核验）); it must not be uploaded",
        ),
        Said(
            422,
            "upload_not_open",
            "materials can be uploaded while the application is a draft or being corrected, or when they "
            "are awaited as supplements; it is deciding",
        ),
        Said(
            422,
            "file_type_mismatch",
            "the file is named .exe but its content is pdf: name it .pdf",
            field("file", "the file is named .exe but its content is pdf: name it .pdf"),
        ),
    ),
    "recordVisit": (
        Said(403, "role_required", "visits are recorded by staff at the window"),
        Said(422, "application_concluded", _CONCLUDED),
    ),
    "rateApplication": (
        Said(403, "role_required", "only the applicant's enterprise rates its application"),
        Said(409, "already_rated", "application 7 is already rated"),
        Said(422, "application_not_concluded", "an application is rated once it is concluded"),
        Said(
            422,
            "rating_window_closed",
            "the rating window closed 7 days after conclusion; the application counts as rated 3",
        ),
    ),
    # -- catalogue --------------------------------------------------------------------------------------
    "publishMatter": (
        Said(409, "unchanged", "matter FR-PGP-OPENING version 3 already has exactly this content"),
        Said(
            409,
            "concurrent_publication",
            "matter FR-PGP-OPENING was published by someone else at the same moment; retry",
        ),
        Said(422, "invalid_matter", "matter FR-PGP-OPENING: promisedLimit must not exceed statutoryLimit"),
    ),
    "changeMatterStatus": (
        Said(409, "already_cancelled", "matter FR-PGP-OPENING-APPROVAL is already cancelled"),
        Said(422, "invalid_status_change", "use publish to make a matter active again"),
        Said(422, "invalid_matter", "replacement matter FR-XYZ is not in the catalogue"),
    ),
    # -- enterprises and audit --------------------------------------------------------------------------
    "repairCredit": (Said(422, "nothing_to_repair", f"enterprise {USCC} has no record to repair"),),
    "renameEnterprise": (
        Said(422, "name_unchanged", f"enterprise {USCC} is already named '成都某某餐饮管理有限公司'"),
    ),
    "listDataAccess": (
        Said(
            403,
            "other_enterprise",
            "an enterprise's data-access log is for that enterprise and administrators",
        ),
    ),
    "verifyAuditChain": (
        Said(403, "role_required", "the audit chain is verified by assessors and administrators"),
    ),
    # -- ratings' work orders ---------------------------------------------------------------------------
    "listWorkOrders": (
        Said(403, "role_required", "work orders are for the handling unit's staff and the rater"),
    ),
    "takeWorkOrderAction": (
        Said(403, "role_required", "the rater rates the fix"),
        Said(403, "other_unit", "this work order belongs to another unit"),
        *step(
            31,
            "report_fixed",
            state="awaiting_rating",
            roles="clerk or supervisor",
            blocked="callback_recorded is not set (rule: callback_recorded must be set)",
        ),
        Said(422, "work_order_closed", "the work order is closed"),
    ),
    # -- webhooks ---------------------------------------------------------------------------------------
    "retryWebhookDelivery": (Said(409, "already_delivered", "the delivery was delivered already"),),
}
