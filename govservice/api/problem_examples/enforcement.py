"""Inspections, evidence, violation cases, inspection plans and key enterprises."""

from __future__ import annotations

from govservice.api.problem_examples.said import USCC, Said, field, step

_NOT_SERVED = Said(
    403,
    "not_your_enterprise",
    "the package's services are recorded by the enterprise's adviser, a supervisor of the adviser's unit "
    "or an admin",
)
_NOT_VISIBLE = Said(
    403, "role_required", "requests are seen by the enterprise, its adviser and the adviser's supervisor"
)
_CAP = (
    f"{USCC} is a key enterprise: {{n}} routine on-site inspection(s) in 2026 already reach the annual cap "
    "of 1; another needs a purpose that overrides the cap (complaint, fire_risk, post_check) with its "
    "reason, or merge it into a planned one"
)


ENFORCEMENT: dict[str, tuple[Said, ...]] = {
    # -- enforcement ------------------------------------------------------------------------------------
    "planInspection": (
        Said(
            422,
            "invalid_uscc",
            "USCC '91350100M000100Y44' check character is 4, expected 3",
            field("uscc", "check character is 4, expected 3"),
        ),
        Said(422, "date_in_past", "an inspection is planned for today or later"),
        Said(
            422,
            "reason_required",
            "an inspection for fire risk records its reason",
            field("reason", "required"),
        ),
        Said(
            422,
            "inspection_cap_reached",
            _CAP.format(n=1),
            field("purpose", "over the cap; allowed: complaint, fire_risk, post_check"),
        ),
    ),
    "cancelInspectionPlan": (Said(409, "plan_not_open", "only plans still open can be cancelled"),),
    "mergeInspectionPlan": (
        Said(409, "plan_not_open", "only plans still open can be merged"),
        Said(422, "not_mergeable", "plans merge only for the same enterprise within the merge window"),
    ),
    "createInspection": (
        Said(
            403,
            "not_an_inspecting_officer",
            "the inspector recording an inspection must be one of its two officers",
        ),
        Said(422, "two_officers_required", "an inspection needs two distinct officers"),
        Said(422, "inspection_in_future", "inspectedOn 2026-03-09 is in the future"),
        Said(422, "unknown_violation_type", "findings[0]: EXIT-LOCKED is not a listed violation type"),
        Said(422, "harm_level_not_allowed", "findings[0]: FACILITY-DISABLED does not take harm level minor"),
        Said(422, "plan_not_open", "the plan is not an open plan for this enterprise"),
        Said(
            422,
            "inspection_cap_reached",
            _CAP.format(n=2),
            field("purpose", "over the cap; allowed: complaint, fire_risk, post_check"),
        ),
    ),
    "addEvidence": (
        Said(403, "not_an_inspecting_officer", "evidence is added by the inspection's own officers"),
        Said(
            422,
            "file_type_not_allowed",
            "evidence (a JPG or PNG photo, or a PDF) must be one of: jpg, png, pdf; this file is dwg",
            field(
                "file",
                "evidence (a JPG or PNG photo, or a PDF) must be one of: jpg, png, pdf; this file is dwg",
            ),
        ),
        Said(422, "empty_file", "the file is empty", field("file", "the file is empty")),
    ),
    "takeViolationAction": (
        Said(403, "staff_only", "violation cases are handled by the department"),
        Said(
            403,
            "countersign_needs_legal_reviewer",
            "a decision is countersigned by a legal reviewer; inspectors cannot countersign",
        ),
        Said(
            403,
            "inspecting_officer_cannot_countersign",
            "a legal reviewer who was one of the inspecting officers cannot countersign",
        ),
        *step(
            9,
            "propose_no_penalty",
            state="rectifying",
            roles="inspector or legal",
            blocked="the waiver evaluation does not allow a no-penalty decision (rule: The stored waiver "
            "evaluation found every condition met (首违不罚))",
        ),
        Said(
            422,
            "invalid_correction_date",
            "correctedOn 2026-02-27 must lie between the inspection (2026-03-02) and today (2026-03-04)",
        ),
    ),
    # -- key enterprises --------------------------------------------------------------------------------
    "listKeyEnterprises": (
        Said(
            403,
            "role_required",
            "the registry is kept by admins and by supervisors for their unit; "
            "advisers see their own enterprises",
        ),
    ),
    "enrolKeyEnterprise": (
        Said(403, "adviser_of_another_unit", "a supervisor assigns an adviser of their own unit"),
        Said(409, "already_enrolled", f"{USCC} is already in the registry; change its entry instead"),
        Said(
            422,
            "unknown_industry",
            "unknown industry textiles; the package lists electronic_information, food_beverage, "
            "lithium_battery, new_materials, oil_gas_chemicals",
        ),
        Said(422, "invalid_period", "the enrolment ends before it starts"),
        Said(422, "invalid_uscc", "USCC '91350100M000100Y4' must be 18 characters, got 17"),
    ),
    "changeKeyEnterprise": (
        Said(403, "adviser_of_another_unit", "a supervisor assigns an adviser of their own unit"),
        Said(412, "version_mismatch", "the entry is at version 4, not 3"),
        Said(
            422,
            "unknown_industry",
            "unknown industry shipping; the package lists electronic_information, food_beverage, "
            "lithium_battery, new_materials, oil_gas_chemicals",
        ),
    ),
    "scheduleCheckup": (
        _NOT_SERVED,
        Said(409, "checkup_exists", f"the 2026 check-up of {USCC} is already scheduled (one a year)"),
        Said(
            422,
            "invalid_period",
            "the 2026 check-up is scheduled within 2026",
            field("scheduledOn", "not in 2026"),
        ),
    ),
    "addServiceRecord": (_NOT_SERVED,),
    "fileCheckupReport": (
        _NOT_SERVED,
        Said(409, "checkup_completed", "the 2026 check-up is completed; its report is final"),
        Said(
            422,
            "file_type_not_allowed",
            "the check-up report must be one of: pdf; this file is png",
            field("file", "the check-up report must be one of: pdf; this file is png"),
        ),
    ),
    "completeCheckup": (
        _NOT_SERVED,
        Said(409, "checkup_completed", "the 2026 check-up is already completed"),
        Said(422, "report_missing", "file the check-up report (PDF) before completing it"),
        Said(
            422,
            "date_in_future",
            "a check-up cannot be completed in the future",
            field("completedOn", "after today"),
        ),
    ),
    "raiseEnterpriseRequest": (
        Said(422, "not_enrolled", "the enterprise's enrolment in the service package is not current"),
    ),
    "listEnterpriseRequests": (_NOT_VISIBLE,),
    "listEnterpriseRequestsOf": (_NOT_VISIBLE,),
    "getEnterpriseRequest": (_NOT_VISIBLE,),
    "respondToEnterpriseRequest": (
        Said(
            403,
            "not_your_request",
            "the request is answered by the enterprise's adviser or the supervisor of the adviser's unit",
        ),
        *step(5, "respond", state="answered", roles=None),
        Said(422, "response_required", "an answer needs its text", field("response", "required to respond")),
    ),
    "withdrawEnterpriseRequest": step(5, "withdraw", state="withdrawn", roles=None),
}
