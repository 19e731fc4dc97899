"""The quality review's pure rules: the draw, the panel's conflicts, scoring, reconciliation, results."""

from __future__ import annotations

from pathlib import Path

import pytest

from govservice.domain.quality_review import (
    Candidate,
    Deduction,
    DoneCheck,
    FileParties,
    InvalidChecklist,
    ScoredFile,
    ScoreRefused,
    draw_files,
    load_checklists,
    pick_reviewers,
    reconcile,
    refusal,
    score_of,
    unit_results,
)

CHECKLISTS = Path(__file__).resolve().parents[2] / "workflows" / "checklists"
POPULATION = {
    "licensing": {"U1": [f"application:{n}" for n in range(1, 30)], "U2": ["application:40"]},
    "penalties": {"U1": ["violation:1", "violation:2", "violation:3"]},
}


def test_the_same_seed_and_population_draw_the_same_files_whatever_their_order() -> None:
    first = draw_files("s", POPULATION, 3)
    shuffled = {c: {u: list(reversed(refs)) for u, refs in by.items()} for c, by in POPULATION.items()}
    assert draw_files("s", shuffled, 3).drawn == first.drawn
    assert len(first.drawn["licensing"]["U1"]) == 3 and first.drawn["licensing"]["U2"] == ["application:40"]
    assert draw_files("t", POPULATION, 3).drawn["licensing"]["U1"] != first.drawn["licensing"]["U1"]


def test_a_stratum_draws_independently_of_the_others() -> None:
    alone = draw_files("s", {"penalties": POPULATION["penalties"]}, 2)
    assert alone.drawn["penalties"] == draw_files("s", POPULATION, 2).drawn["penalties"]


def test_excluded_files_leave_the_population_and_are_recorded() -> None:
    drawn = draw_files("s", POPULATION, 3, exclude=["violation:1", "application:99"])
    assert drawn.excluded == ["violation:1"]
    assert drawn.drawn["penalties"]["U1"] == ["violation:2", "violation:3"]
    assert drawn.population["penalties"]["U1"] == ["violation:2", "violation:3"]


LAWYER = Candidate("lawyer", "lawyer", None)
ADVISER = Candidate("adviser", "adviser", None)
STAFF_U1 = Candidate("staff1", "staff", "U1")
STAFF_U2 = Candidate("staff2", "staff", "U2")


def test_conflicts_of_interest_and_pairing_rules() -> None:
    file = FileParties("U1", frozenset({"staff2"}))
    assert refusal(STAFF_U1, file) == ("conflict_own_unit", "staff1 belongs to the file's unit U1")
    assert refusal(STAFF_U2, file)[0] == "conflict_took_part"  # type: ignore[index]
    assert refusal(LAWYER, file) is None
    with_lawyer = FileParties("U1", frozenset(), (LAWYER,))
    assert refusal(Candidate("lawyer2", "lawyer", None), with_lawyer)[0] == "same_kind"  # type: ignore[index]
    assert refusal(LAWYER, with_lawyer)[0] == "already_assigned"  # type: ignore[index]
    pair = FileParties("U1", frozenset(), (LAWYER, ADVISER))
    assert refusal(STAFF_U2, pair)[0] == "file_fully_assigned"  # type: ignore[index]
    assert refusal(STAFF_U2, pair, third=True) is None
    assert refusal(STAFF_U1, pair, third=True)[0] == "conflict_own_unit"  # type: ignore[index]


def test_random_pairs_are_reproducible_of_two_kinds_and_avoid_conflicts() -> None:
    panel = [LAWYER, ADVISER, STAFF_U1, STAFF_U2]
    file = FileParties("U1", frozenset({"adviser"}))
    picked = pick_reviewers("seed", "application:1", file, panel)
    assert picked == pick_reviewers("seed", "application:1", file, list(reversed(panel)))
    assert {p.sub for p in picked} == {"lawyer", "staff2"}
    assert (
        pick_reviewers("seed", "x", FileParties("U1", frozenset({"lawyer", "adviser", "staff2"})), panel)
        == []
    )


def test_the_load_is_spread_over_the_panel() -> None:
    panel = [LAWYER, Candidate("lawyer2", "lawyer", None), ADVISER]
    picked = pick_reviewers("seed", "f", FileParties("U1", frozenset()), panel, load=["lawyer", "lawyer"])
    assert {p.sub for p in picked} == {"lawyer2", "adviser"}


def _checklists() -> dict:  # type: ignore[type-arg]
    return load_checklists(CHECKLISTS.glob("*.yaml"))[0]


def test_the_checklists_in_workflows_load_and_add_up_to_100() -> None:
    checklists, callback = load_checklists(CHECKLISTS.glob("*.yaml"))
    assert set(checklists) == {"licensing", "inspections", "penalties", "post_checks", "fire_investigations"}
    assert all(c.total == 100 for c in checklists.values())
    assert callback is not None and len(callback.questions) >= 3


def test_a_checklist_that_does_not_add_up_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "kind: checklist\nid: x\nversion: 1\ncategory: licensing\ntitle: x\n"
        "grades: {excellent: 90, qualified: 60}\nitems:\n  - {id: a, title: a, points: 50, deduction: d}\n"
    )
    with pytest.raises(InvalidChecklist, match="50 points"):
        load_checklists([bad])


def test_deductions_are_checked_against_the_checklist() -> None:
    penalties = _checklists()["penalties"]
    ok = [Deduction(item="procedure", points=10, comment="c", pointer="event:2")]
    assert score_of(penalties, ok) == 90
    with pytest.raises(ScoreRefused) as unknown:
        score_of(penalties, [Deduction(item="nope", points=1, comment="c", pointer="event:1")])
    assert unknown.value.field == "deductions[0].item"
    twice = ok + [Deduction(item="procedure", points=20, comment="c", pointer="event:3")]
    with pytest.raises(ScoreRefused, match="worth 25"):
        score_of(penalties, twice)
    assert [penalties.grades.grade(s) for s in (95, 90, 60, 59.5)] == [
        "excellent",
        "excellent",
        "qualified",
        "unqualified",
    ]


def test_reconciliation_averages_close_scores_and_takes_the_median_with_a_third() -> None:
    assert reconcile([90], 10).final is None
    close = reconcile([90, 81], 10)
    assert (close.final, close.needs_third) == (85.5, False)
    apart = reconcile([90, 60], 10)
    assert (apart.final, apart.needs_third) == (None, True)
    assert reconcile([90, 60, 70], 10).final == 70.0


def test_unit_results_weigh_files_callbacks_and_on_site_checks() -> None:
    files = [
        ScoredFile("U1", 90.0, "excellent", False),
        ScoredFile("U1", 50.0, "unqualified", True),
        ScoredFile("U1", None, None, False),
    ]
    checks = [
        DoneCheck("U1", "callback", (5, 5, 4, 2)),
        DoneCheck("U1", "onsite", passed=True),
        DoneCheck("U1", "callback"),
    ]
    [u1, u2] = unit_results(["U1", "U2"], files, checks)
    assert (u1.files_drawn, u1.files_reviewed, u1.average_score) == (3, 2, 70.0)
    assert (u1.unqualified, u1.rectified, u1.callbacks_answered, u1.callback_satisfaction) == (1, 1, 1, 4.0)
    assert u1.overall == round(0.8 * 70 + 0.1 * 75 + 0.1 * 100, 1)
    assert (u2.unit, u2.files_drawn, u2.overall) == ("U2", 0, None)
    only_files = unit_results(["U3"], [ScoredFile("U3", 80.0, "qualified", False)], [])[0]
    assert only_files.overall == 80.0


def test_a_third_reviewer_is_of_any_kind_outside_the_pair_and_the_unit() -> None:
    pair = FileParties("U1", frozenset(), (LAWYER, ADVISER))
    panel = [LAWYER, ADVISER, STAFF_U1, STAFF_U2]
    assert pick_reviewers("s", "f", pair, panel, third=True) == [STAFF_U2]
    assert pick_reviewers("s", "f", pair, panel) == []
