"""The business-environment indicators (DOMAIN.md), each with the text of how it is counted.

Every indicator carries its numerator and denominator; ``value`` is numerator / denominator
rounded to 4 decimal places (None when the denominator is 0), except where the definition says
otherwise (counts, the median). Each definition names the date that puts a record in the period,
so an assessor can recompute every figure from the pseudonymised records
(``GET /api/v1/assessment/applications`` and ``/violations``) and the public catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from govservice.domain.catalogue import MatterGuide, MatterStatus
from govservice.services.assessment.periods import Period, share
from govservice.services.assessment.tallies import ApplicationTally, WaiverTally, WorkOrderTally, lower_median

RATE, COUNT = "ratio", "count"
CONCLUDED = (
    "Applications whose conclusion (any outcome: approved, denied, refused, withdrawn, terminated, "
    "completed, revoked) fell in the period, by the local date of `concludedAt` (`concludedOn`)"
)
DECIDED = (
    "Applications decided (approved, denied, completed, or permitted on the commitment route) in the "
    "period, by `decidedOn`"
)
ACCEPTED = (
    "Applications accepted in the period (accepted, deemed accepted, or granted on commitment), by "
    "`acceptedOn`"
)
DAYS = (
    "`decisionWorkingDays`: the working days the case clock ran from acceptance to the decision, paused time "
    "(inspection, testing, expert review, hearing, waiting on the applicant) excluded; the day of acceptance "
    "and the day of each pause's end are not counted"
)


class Indicator(msgspec.Struct, kw_only=True, rename="camel"):
    code: str
    name: str
    value: float | None
    numerator: int | None
    denominator: int | None
    unit_of_measure: str
    definition: str


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything one set of indicators is computed from."""

    applications: ApplicationTally
    work_orders: WorkOrderTally
    waivers: WaiverTally | None  # None: not applicable (a matter filter or grouping)
    matters: list[MatterGuide]  # current catalogue entries in scope
    period: Period


Figure = tuple[float | None, int | None, int | None]  # value, numerator, denominator


@dataclass(frozen=True, slots=True)
class Definition:
    code: str
    name: str
    unit_of_measure: str
    definition: str
    compute: Callable[[Inputs], Figure]

    def indicator(self, inputs: Inputs) -> Indicator:
        value, numerator, denominator = self.compute(inputs)
        return Indicator(
            code=self.code,
            name=self.name,
            value=value,
            numerator=numerator,
            denominator=denominator,
            unit_of_measure=self.unit_of_measure,
            definition=self.definition,
        )


def _rate(numerator: int, denominator: int) -> Figure:
    return share(numerator, denominator), numerator, denominator


def _count(n: int | None) -> Figure:
    return (None, None, None) if n is None else (n, n, None)


def _waivers(inputs: Inputs, field: str) -> Figure:
    return _count(None if inputs.waivers is None else getattr(inputs.waivers, field))


def _median(inputs: Inputs) -> Figure:
    days = inputs.applications.days
    return lower_median(days), None, sum(days.values())


def _compression(inputs: Inputs) -> Figure:
    a = inputs.applications
    return _rate(a.statutory_days - a.promised_days, a.statutory_days)


def _cancelled_or_adjusted(inputs: Inputs) -> Figure:
    return _count(sum(1 for m in inputs.matters if changed_in(m, inputs.period)))


def changed_in(guide: MatterGuide, period: Period) -> bool:
    return (
        guide.status in (MatterStatus.CANCELLED, MatterStatus.ADJUSTED)
        and guide.status_change is not None
        and period.start <= guide.status_change.effective <= period.end
    )


def offers_commitment(guide: MatterGuide) -> bool:
    return "commitment" in guide.routes


NOT_BY_MATTER = (
    " Violations belong to no matter: with a `matter` filter or `groupBy=matter` the value, numerator and "
    "denominator are null."
)
VIOLATIONS = (
    "Violation cases decided in the period with the decision `no_penalty` (a first-offense waiver), by "
    "`decidedOn`; the `unit` filter is the inspecting unit (`departmentUnit`)."
)

DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "online_application_rate",
        "Online-application rate (网上办)",
        RATE,
        f"Numerator: those filed online (`channel` = online). Denominator: {CONCLUDED}.",
        lambda i: _rate(i.applications.online, i.applications.concluded),
    ),
    Definition(
        "zero_visit_rate",
        "Zero-visit rate (零跑动)",
        RATE,
        f"Numerator: those with no recorded visit to the window (`visits` = 0). Denominator: {CONCLUDED}.",
        lambda i: _rate(i.applications.zero_visit, i.applications.concluded),
    ),
    Definition(
        "one_visit_rate",
        "At-most-one-visit rate (最多跑一次)",
        RATE,
        f"Numerator: those with at most one recorded visit (`visits` <= 1). Denominator: {CONCLUDED}.",
        lambda i: _rate(i.applications.at_most_one_visit, i.applications.concluded),
    ),
    Definition(
        "average_visits",
        "Average visits per application",
        "visits per application",
        f"Numerator: the sum of `visits`. Denominator: {CONCLUDED}.",
        lambda i: _rate(i.applications.visits, i.applications.concluded),
    ),
    Definition(
        "average_materials",
        "Average materials per application",
        "materials per application",
        "Numerator: the sum of `materials`, the materials uploaded (each material once, the current file) "
        "when the application concluded; data the department obtains itself is never uploaded. "
        f"Denominator: {CONCLUDED}.",
        lambda i: _rate(i.applications.materials, i.applications.concluded),
    ),
    Definition(
        "average_decision_working_days",
        "Average working days from acceptance to decision",
        "working days",
        f"Numerator: the sum of {DAYS}. Denominator: {DECIDED}.",
        lambda i: _rate(i.applications.decision_days, i.applications.decided),
    ),
    Definition(
        "median_decision_working_days",
        "Median working days from acceptance to decision",
        "working days",
        f"Value: the lower median of {DAYS}, over the {DECIDED} (the denominator): sorted ascending, the "
        "value at position ceil(n/2) (percentile_disc 0.5). Numerator: null.",
        _median,
    ),
    Definition(
        "decisions_on_time_promised",
        "Decisions on time against the promised limit",
        RATE,
        f"Numerator: those whose `decisionWorkingDays` <= `promisedLimit` (the matter's promised limit, "
        f"halved on the green channel). Denominator: {DECIDED}.",
        lambda i: _rate(i.applications.on_time_promised, i.applications.decided),
    ),
    Definition(
        "decisions_on_time_statutory",
        "Decisions on time against the statutory limit",
        RATE,
        "Numerator: those whose `decisionWorkingDays` <= `decisionLimit` (the statutory limit in force at "
        f"the decision, with an approved 10-working-day extension included). Denominator: {DECIDED}.",
        lambda i: _rate(i.applications.on_time_statutory, i.applications.decided),
    ),
    Definition(
        "time_limit_compression",
        "Time-limit compression (承诺时限压缩率)",
        RATE,
        "1 - sum(promisedLimit) / sum(statutoryLimit) over the applications decided in the period (by "
        "`decidedOn`), each with the limits of its own filing. Numerator: sum(statutoryLimit) - "
        "sum(promisedLimit). Denominator: sum(statutoryLimit).",
        _compression,
    ),
    Definition(
        "same_day_share",
        "Same-day (即办) share",
        RATE,
        f"Numerator: those decided on the day they were accepted (`decidedOn` = `acceptedOn`). "
        f"Denominator: {DECIDED}.",
        lambda i: _rate(i.applications.same_day, i.applications.decided),
    ),
    Definition(
        "tolerant_acceptances",
        "Tolerant acceptances (容缺受理)",
        COUNT,
        f"Count of the {ACCEPTED}, accepted with tolerable materials outstanding (`tolerantDueOn` set).",
        lambda i: _count(i.applications.tolerant),
    ),
    Definition(
        "supplement_on_time_rate",
        "Tolerant supplements on time",
        RATE,
        "Denominator: tolerant acceptances whose supplement deadline (`tolerantDueOn`) lies in the period "
        "and whose supplement is settled: supplements accepted (`supplementedOn` set) or the application "
        "concluded. Numerator: those with `supplementedOn` <= `tolerantDueOn`.",
        lambda i: _rate(i.applications.supplements_on_time, i.applications.supplements_settled),
    ),
    Definition(
        "commitment_route_share",
        "Commitment-route share (告知承诺)",
        RATE,
        f"Denominator: the {ACCEPTED}, for matters whose current catalogue entry offers the commitment "
        "route. Numerator: those on the commitment route (`route` = commitment).",
        lambda i: _rate(i.applications.commitment, i.applications.accepted_commitment_matters),
    ),
    Definition(
        "post_check_on_time_rate",
        "Post-checks within 20 working days of the permit",
        RATE,
        "Denominator: commitment-route permits granted in the period (by `decidedOn`, with "
        "`postCheckDueOn`, the 20th working day after the permit) whose post-check is done "
        "(`postCheckedOn` set, passed or failed) or overdue (`postCheckDueOn` before the local date of "
        "`asOf`). Numerator: those with `postCheckedOn` <= `postCheckDueOn`.",
        lambda i: _rate(i.applications.post_checks_on_time, i.applications.post_checks_counted),
    ),
    Definition(
        "first_offense_waivers",
        "First-offense waivers (首违不罚)",
        COUNT,
        f"Count of the {VIOLATIONS}{NOT_BY_MATTER}",
        lambda i: _waivers(i, "waivers"),
    ),
    Definition(
        "enterprises_spared",
        "Enterprises spared a fine",
        COUNT,
        f"Count of distinct enterprises (`enterprise`) among the {VIOLATIONS}{NOT_BY_MATTER}",
        lambda i: _waivers(i, "enterprises"),
    ),
    Definition(
        "fines_spared",
        "Fines spared",
        "yuan",
        f"Sum of `fineSparedYuan` (the fine the discretion tiers would have set) over the {VIOLATIONS}"
        f"{NOT_BY_MATTER}",
        lambda i: _waivers(i, "fines_spared_yuan"),
    ),
    Definition(
        "satisfaction_rate",
        "Satisfaction rate (好差评)",
        RATE,
        f"Denominator: {CONCLUDED}, except those whose rating was taken out by an upheld appeal "
        "(`ratingExcluded`) and those unrated whose rating window (`ratingWindowEndsAt`) has not ended "
        "by `asOf`; unrated after the window, an application counts as 3 stars. Numerator: those rated "
        "3 stars or more. The public board's satisfaction figure, per unit.",
        lambda i: _rate(i.applications.satisfied, i.applications.rated),
    ),
    Definition(
        "bad_review_rectification_rate",
        "Bad reviews rectified",
        RATE,
        "Denominator: bad-review work orders opened in the period (by the local date of "
        "`workOrderOpenedAt`), except those whose appeal was upheld (a malicious review). Numerator: "
        "those that ended rectified (`workOrderOutcome` = rectified). The public board's figure.",
        lambda i: _rate(i.work_orders.rectified, i.work_orders.counted),
    ),
    Definition(
        "matters_cancelled_or_adjusted",
        "Matters cancelled or adjusted",
        COUNT,
        "Count of catalogue matters (`GET /api/v1/matters`, current entries) with the status cancelled "
        "or adjusted whose change took effect in the period (by `statusChange.effective`).",
        _cancelled_or_adjusted,
    ),
)


def indicators(inputs: Inputs) -> list[Indicator]:
    return [d.indicator(inputs) for d in DEFINITIONS]
