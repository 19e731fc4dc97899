"""The enforcement quality review: rounds, files, appeals, rectifications and checks."""

from __future__ import annotations

from govservice.api.problem_examples.said import Said, step

_NOT_ON_PANEL = Said(403, "not_on_panel", "the caller is not an active member of the review panel")

QUALITY_REVIEW: dict[str, tuple[Said, ...]] = {
    # -- quality review ---------------------------------------------------------------------------------
    "drawReviewFiles": (
        Said(409, "already_drawn", "the round's files are already drawn"),
        Said(
            409,
            "concurrent_transition",
            "case 40 was changed by another step while draw was being taken; reload it and try again",
        ),
        Said(412, "precondition_failed", "case 40 is at version 2, not 1", {"extra": {"version": 2}}),
    ),
    "getReviewDraw": (Said(409, "not_drawn", "the round's files are not drawn yet"),),
    "assignReviewers": (Said(409, "not_drawn", "the round's files are not drawn yet"),),
    "advanceReviewRound": step(
        40,
        "close_scoring",
        state="drawing",
        roles=None,
        blocked="files_scored is not set (rule: files_scored must be set)",
    ),
    "assignReviewer": (
        Said(422, "conflict_own_unit", "reviewer-lawyer-2 belongs to the file's unit FR-APPROVAL"),
        Said(422, "conflict_took_part", "reviewer-staff-1 took part in the case under review"),
        Said(422, "same_kind", "the file already has a reviewer of kind lawyer"),
    ),
    "scoreReviewFile": (
        _NOT_ON_PANEL,
        Said(409, "already_scored", "this reviewer has already scored the file"),
        Said(422, "round_not_scoring", "the round is reconciling: scores are not taken"),
    ),
    "appealReviewScore": (
        Said(403, "role_required", "the head of the file's unit appeals its score"),
        Said(409, "already_appealed", "the file's score has already been appealed (once per file)"),
    ),
    "decideReviewAppeal": (
        _NOT_ON_PANEL,
        Said(403, "chair_required", "the panel chair decides appeals"),
        Said(409, "appeal_decided", "the appeal has already been decided"),
        Said(422, "no_appeal", "the file's score has not been appealed"),
    ),
    "actOnReviewRectification": (
        Said(403, "other_unit", "the file's unit reports its fix"),
        Said(403, "conflict_own_unit", "a reviewer does not check their own unit's fix"),
        *step(52, "accept_fix", state="fixing", roles="admin or reviewer"),
        Said(422, "no_rectification", "the file has no rectification"),
    ),
    "listReviewChecks": (_NOT_ON_PANEL,),
    "recordReviewCheck": (
        _NOT_ON_PANEL,
        Said(409, "check_done", "this check has been recorded already"),
    ),
}
