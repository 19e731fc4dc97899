"""The violation's proposal follows every step that stores the waiver evaluation: the steps the
action use case gives that effect are exactly the process's transitions into ``evaluated``."""

from __future__ import annotations

from govservice.config import PROJECT_ROOT
from govservice.services.enforcement.violations import EVALUATING, PROPOSALS
from govservice.workflow import decode_process

VIOLATION = PROJECT_ROOT / "workflows" / "processes" / "violation.yaml"


def test_the_proposal_follows_each_step_into_evaluated_and_nothing_else() -> None:
    process = decode_process(VIOLATION.read_bytes(), VIOLATION.name)
    into_evaluated = {t.action for t in process.transitions if t.to == "evaluated"}
    out_of_evaluated = {t.action for t in process.transitions if "evaluated" in t.sources}
    assert into_evaluated == set(EVALUATING)
    assert out_of_evaluated == set(PROPOSALS)
