"""The pure engine: allowed actions with reasons, what a move does, countersign, clock and timers."""

from __future__ import annotations

from datetime import date

import pytest

from govservice.bootstrap import engine_extensions
from govservice.config import PROJECT_ROOT
from govservice.domain.actor import Actor, Role
from govservice.domain.calendar import ClockStatus, load_calendar
from govservice.workflow import (
    ActionBlocked,
    ActionForbidden,
    ActionNotAvailable,
    ActionUnknown,
    CaseFacts,
    CaseState,
    Extension,
    Move,
    Process,
    available,
    compile_process,
    decide,
    decode_process,
    load_process,
    start,
)

CAL = load_calendar(PROJECT_ROOT / "workflows" / "calendars")
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "workflows"
REGISTRY = engine_extensions().registry
PERMIT = load_process(PROJECT_ROOT / "workflows" / "processes" / "permit.yaml", registry=REGISTRY)
PENALTY = load_process(FIXTURES / "countersign.yaml", registry=REGISTRY)
TIMED = load_process(FIXTURES / "timed.yaml", registry=REGISTRY)

_stamping = Extension("stamping")


@_stamping.effect("stamp", external=True)
def _stamp(ctx: object) -> None:
    """Carried out by the service."""


LICENSING = load_process(FIXTURES / "licensing.yaml", registry=REGISTRY.including(_stamping))

MON = date(2026, 3, 2)


def person(sub: str, *roles: Role) -> Actor:
    return Actor(sub=sub, roles=frozenset(roles))


APPLICANT = person("applicant-1", Role.APPLICANT)
CLERK = person("clerk-1", Role.CLERK)
SUPERVISOR = person("director-3", Role.SUPERVISOR)


def step(
    process: Process,
    case: CaseState,
    action: str,
    actor: Actor | None,
    today: date = MON,
    facts: CaseFacts | None = None,
) -> Move:
    return decide(
        process,
        case,
        action,
        actor,
        facts=facts or CaseFacts(),
        today=today,
        calendar=CAL,
        by_timer=actor is None,
    )


def walk(
    process: Process,
    *path: tuple[str, Actor],
    today: date = MON,
    facts: CaseFacts | None = None,
    limit: int = 20,
) -> CaseState:
    case = start(process, today=today, calendar=CAL, limit=limit).case
    for action, actor in path:
        case = step(process, case, action, actor, today, facts).case
    return case


def test_the_permit_path_with_a_supplement_loop() -> None:
    case = walk(
        PERMIT,
        ("submit", APPLICANT),
        ("request_supplement", CLERK),
        ("supplement", APPLICANT),
        ("accept", CLERK),
        ("recommend", CLERK),
        ("approve", SUPERVISOR),
    )
    assert case.state == "approved"
    assert case.version == 7  # start + 6 steps
    assert [s.action for s in case.data.steps] == [
        "submit",
        "request_supplement",
        "supplement",
        "accept",
        "recommend",
        "approve",
    ]
    assert case.clock.status is ClockStatus.STOPPED


def test_allowed_actions_say_why_the_others_are_not() -> None:
    case = walk(PERMIT, ("submit", APPLICANT))
    facts = CaseFacts(key_materials_missing=("site_plan",))
    options = {o.action: o for o in available(PERMIT, case, CLERK, facts, today=MON)}
    assert set(options) == {"accept", "request_supplement", "refuse_acceptance", "deem_accepted", "withdraw"}
    assert options["accept"].allowed is False
    assert options["accept"].reasons == (
        "key materials missing: site_plan (rule: every key material (主要材料) must be present)",
    )
    assert options["request_supplement"].allowed and options["refuse_acceptance"].allowed
    assert options["deem_accepted"].automatic and not options["deem_accepted"].allowed
    assert options["withdraw"].reasons == ("withdraw needs role applicant",)


def test_a_blocked_action_raises_with_the_rule() -> None:
    case = walk(PERMIT, ("submit", APPLICANT))
    with pytest.raises(ActionBlocked) as caught:
        step(PERMIT, case, "accept", CLERK, facts=CaseFacts(key_materials_missing=("site_plan",)))
    assert caught.value.code == "guard_failed"
    assert caught.value.extra["reasons"] == [
        "key materials missing: site_plan (rule: every key material (主要材料) must be present)"
    ]


def test_an_applicant_cannot_approve() -> None:
    case = walk(PERMIT, ("submit", APPLICANT), ("accept", CLERK), ("recommend", CLERK))
    with pytest.raises(ActionForbidden, match="approve needs role supervisor") as caught:
        step(PERMIT, case, "approve", APPLICANT)
    assert caught.value.status == 403 and caught.value.code == "action_not_allowed"


def test_unknown_and_unavailable_actions() -> None:
    case = walk(PERMIT)
    with pytest.raises(ActionUnknown):
        step(PERMIT, case, "teleport", CLERK)
    with pytest.raises(ActionNotAvailable, match="approve is not an action of state draft"):
        step(PERMIT, case, "approve", SUPERVISOR)


def test_only_a_timer_takes_a_system_action() -> None:
    case = walk(PERMIT, ("submit", APPLICANT))
    with pytest.raises(ActionForbidden, match="only the system"):
        step(PERMIT, case, "deem_accepted", SUPERVISOR)
    move = step(PERMIT, case, "deem_accepted", None)
    assert move.target == "reviewing"
    assert [s.action for s in move.case.data.steps] == ["submit"]  # a timer is not a person's step


def test_one_deficiency_notice_only() -> None:
    case = walk(PERMIT, ("submit", APPLICANT), ("request_supplement", CLERK), ("supplement", APPLICANT))
    assert case.data.counters == {"deficiency_notices": 1}
    with pytest.raises(ActionBlocked, match="only one is allowed"):
        step(PERMIT, case, "request_supplement", CLERK)


def test_entering_a_state_with_a_deadline_arms_its_timer_in_working_days() -> None:
    thursday = date(2026, 9, 24)
    case = start(PERMIT, today=thursday, calendar=CAL).case
    move = step(PERMIT, case, "submit", APPLICANT, today=thursday)
    (timer,) = move.arm
    assert (timer.key, timer.action, timer.state) == ("deadline:pre_review", "deem_accepted", "pre_review")
    assert timer.due_on == date(2026, 10, 9)  # 5 WD, across Mid-Autumn and National Day
    leave = step(PERMIT, move.case, "accept", CLERK, today=thursday)
    assert leave.cancel_state_timers == "pre_review" and not leave.arm


def test_the_clock_starts_pauses_and_resumes_with_the_states() -> None:
    case = walk(LICENSING, today=MON)
    assert case.clock.status is ClockStatus.IDLE
    case = step(LICENSING, case, "accept", CLERK).case  # reviewing: clock running
    assert case.clock.status is ClockStatus.RUNNING and case.clock.started_on == MON
    case = step(LICENSING, case, "forward", CLERK).case
    assert case.clock.due(CAL) == CAL.add_working_days(MON, 20)


def test_a_pause_moves_the_due_date() -> None:
    timed = walk(TIMED, ("take", CLERK), today=MON, limit=10)  # working: clock running from MON
    paused = step(TIMED, timed, "submit", CLERK, today=date(2026, 3, 4)).case  # 2 WD used
    assert paused.clock.status is ClockStatus.PAUSED
    resumed = step(TIMED, paused, "reopen", SUPERVISOR, today=date(2026, 3, 11)).case
    assert resumed.clock.elapsed(CAL, date(2026, 3, 11)) == 2
    assert resumed.clock.due(CAL) == CAL.add_working_days(date(2026, 3, 11), 8)


def test_one_extension_of_ten_working_days() -> None:
    case = walk(LICENSING, ("accept", CLERK), ("forward", CLERK))
    extended = step(LICENSING, case, "extend", SUPERVISOR)
    assert extended.case.clock.limit == 30
    assert extended.notes == {"extendedBy": 10}
    with pytest.raises(ActionBlocked, match="already extended once"):
        step(LICENSING, extended.case, "extend", SUPERVISOR)


def test_tolerant_acceptance_needs_every_rule() -> None:
    case = walk(LICENSING)
    facts = CaseFacts(
        route="tolerant",
        tolerable_materials_missing=("fire_plan",),
        tolerance_allowed=True,
        flags=frozenset({"commitment_signed"}),
    )
    with pytest.raises(ActionBlocked) as caught:
        step(LICENSING, case, "accept_tolerant", CLERK, facts=facts)
    (reason,) = caught.value.extra["reasons"]
    assert (
        reason.startswith("the enterprise has a dishonesty record") and "until credit is repaired)" in reason
    )
    assert "creditworthy" not in reason  # the rule in words, not the guard's internal name
    ok = CaseFacts(
        route="tolerant",
        tolerable_materials_missing=("fire_plan",),
        tolerance_allowed=True,
        flags=frozenset({"commitment_signed", "creditworthy"}),
    )
    assert step(LICENSING, case, "accept_tolerant", CLERK, facts=ok).target == "reviewing"
    with pytest.raises(ActionBlocked, match="not on the tolerant route"):
        step(
            LICENSING,
            case,
            "accept_tolerant",
            CLERK,
            facts=CaseFacts(
                route="standard",
                tolerance_allowed=True,
                flags=frozenset({"commitment_signed", "creditworthy"}),
            ),
        )


def test_external_effects_are_left_to_the_service() -> None:
    case = walk(LICENSING, ("accept", CLERK), ("forward", CLERK))
    move = step(LICENSING, case, "approve", SUPERVISOR)
    assert [str(call) for call in move.external_effects] == ["stamp"]
    assert move.outcome == "approved" and move.cancel_all_timers


def test_an_effect_arms_a_case_wide_timer_and_another_cancels_it() -> None:
    move = step(TIMED, start(TIMED, today=MON, calendar=CAL).case, "take", CLERK)
    (window,) = move.arm
    assert (window.key, window.action, window.state, window.due_on) == (
        "window",
        "terminate",
        None,
        date(2026, 3, 5),
    )
    case = step(TIMED, move.case, "submit", CLERK).case
    assert step(TIMED, case, "finish", SUPERVISOR).cancel_keys == ("window",)


# -- countersign --------------------------------------------------------------------------------

INSPECTOR = person("inspector-1", Role.INSPECTOR, Role.LEGAL)
LEGAL_A = person("legal-a", Role.LEGAL)
LEGAL_B = person("legal-b", Role.LEGAL)
HEAD = person("head-1", Role.SUPERVISOR)


def test_countersign_needs_distinct_people_who_took_no_earlier_step() -> None:
    case = walk(PENALTY, ("submit_for_review", INSPECTOR))
    # the inspector holds the legal role too, but drafted the case: no self-approval
    with pytest.raises(
        ActionForbidden, match=r"took no earlier step of this case \(you took: submit_for_review\)"
    ):
        step(PENALTY, case, "sign_off", INSPECTOR)
    first = step(PENALTY, case, "sign_off", LEGAL_A)
    assert first.moved is False and first.target == "legal_review" and first.approvals == (1, 2)
    assert first.case.version == case.version + 1
    with pytest.raises(ActionForbidden, match="already approved"):
        step(PENALTY, first.case, "sign_off", LEGAL_A)
    with pytest.raises(ActionForbidden, match="needs role legal or supervisor"):
        step(PENALTY, first.case, "sign_off", CLERK)
    options = {o.action: o for o in available(PENALTY, first.case, HEAD, today=MON)}
    assert (options["sign_off"].approvals_given, options["sign_off"].approvals_needed) == (1, 2)
    assert options["sign_off"].allowed
    second = step(PENALTY, first.case, "sign_off", HEAD)
    assert second.moved and second.target == "decided" and second.approvals == (2, 2)
    assert second.case.data.approvals == ()


def test_countersign_approvals_reset_when_the_case_goes_back() -> None:
    case = walk(PENALTY, ("submit_for_review", INSPECTOR), ("sign_off", LEGAL_A))
    back = step(PENALTY, case, "send_back", LEGAL_B).case
    assert back.state == "drafting" and back.data.approvals == ()
    again = step(PENALTY, back, "submit_for_review", INSPECTOR).case
    # legal-a and legal-b both took earlier steps now: neither may sign the second round
    with pytest.raises(ActionForbidden, match="took no earlier step"):
        step(PENALTY, again, "sign_off", LEGAL_A)
    assert step(PENALTY, again, "sign_off", HEAD).approvals == (1, 2)


RESPONSE_LINE = compile_process(
    decode_process(
        b"""
id: response_line
version: 1
title: A promise counted in hours
start: open
states:
  open:      {actor: adviser, deadline: {hours: 24, fire: escalate}}
  escalated: {actor: supervisor}
  answered:  {terminal: answered}
transitions:
  - {action: escalate, from: open, to: escalated, roles: []}
  - {action: respond, from: [open, escalated], to: answered, roles: [adviser, supervisor]}
""",
        "response_line.yaml",
    ),
    registry=REGISTRY,
)


def test_a_deadline_in_hours_is_left_to_the_runtime_and_its_length_can_be_set_at_start() -> None:
    (default,) = start(RESPONSE_LINE, today=MON, calendar=CAL).arm
    assert (default.action, default.hours, default.state) == ("escalate", 24, "open")
    (promised,) = start(RESPONSE_LINE, today=MON, calendar=CAL, deadline_hours=4).arm
    assert promised.hours == 4
    # a working-day deadline ignores the hours given at start
    (timer,) = step(
        PERMIT, start(PERMIT, today=MON, calendar=CAL, deadline_hours=4).case, "submit", APPLICANT
    ).arm
    assert timer.hours is None and timer.due_on == CAL.add_working_days(MON, 5)
