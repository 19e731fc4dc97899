"""Process definitions: decoding, static checks (one broken fixture per rule), the CLI, graphs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govservice.bootstrap import engine_extensions
from govservice.cli import main
from govservice.config import PROJECT_ROOT
from govservice.workflow import (
    Extension,
    InvalidDefinition,
    Registry,
    Situation,
    compile_process,
    content_hash,
    decode_process,
    load_directory,
    load_process,
    mermaid,
)

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "workflows"
BROKEN = FIXTURES / "broken"
PROCESSES = PROJECT_ROOT / "workflows" / "processes"


REGISTRY = engine_extensions().registry


def _test_registry() -> Registry:
    stamping = Extension("stamping")

    @stamping.effect("stamp", external=True)
    def stamp(ctx: object) -> None:
        """Recorded by the service's handler (see the integration tests)."""

    return REGISTRY.including(stamping)


TEST_REGISTRY = _test_registry()


@pytest.mark.parametrize(
    ("fixture", "state", "rule", "words"),
    [
        ("unknown_state.yaml", "open", "unknown-state", "target state 'archived' is not defined"),
        ("unknown_role.yaml", "open", "unknown-role", "role 'janitor' is not a role"),
        ("unknown_guard.yaml", "open", "unknown-guard", "unknown guard 'moon_is_full'"),
        ("unknown_effect.yaml", "open", "unknown-effect", "unknown effect 'launch_rocket'"),
        ("guard_parameters.yaml", "open", "guard-parameters", "parameter 'limit': Expected `int`"),
        ("unreachable_state.yaml", "forgotten", "unreachable-state", "no path leads here"),
        ("no_way_out.yaml", "stuck", "no-way-out", "non-terminal state has no transition out"),
        ("deadline_without_action.yaml", "open", "deadline-without-action", "fires no action"),
        (
            "deadline_action_unavailable.yaml",
            "open",
            "deadline-action-unavailable",
            "deadline fires 'expire', which is not a transition from this state",
        ),
        ("duplicate_action.yaml", "open", "duplicate-action", "action 'close' is defined twice"),
        ("terminal_way_out.yaml", "closed", "terminal-way-out", "transitions out: reopen"),
    ],
)
def test_each_static_check_names_file_state_and_rule(fixture: str, state: str, rule: str, words: str) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        load_process(BROKEN / fixture, registry=REGISTRY)
    lines = str(caught.value).splitlines()
    assert len(lines) == 1, lines  # one problem, one line
    assert lines[0].startswith(f"{fixture}: state {state}: ")
    assert words in lines[0]
    assert lines[0].endswith(f"[{rule}]")
    assert caught.value.problems[0].rule == rule


def test_an_unquoted_yaml_boolean_is_explained() -> None:
    with pytest.raises(
        InvalidDefinition, match=r"unquoted_no.yaml: .*transitions\[0\].action.*quote the value"
    ):
        load_process(BROKEN / "unquoted_no.yaml", registry=REGISTRY)


def test_every_problem_of_a_definition_is_reported_at_once() -> None:
    text = b"""
id: many
version: 1
states:
  open: {actor: janitor, deadline: {workingDays: 3}}
  lost: {actor: clerk}
transitions:
  - {action: go, from: open, to: nowhere, when: [nonsense]}
"""
    with pytest.raises(InvalidDefinition) as caught:
        compile_process(decode_process(text, "many.yaml"), registry=REGISTRY, file="many.yaml")
    rules = sorted(p.rule for p in caught.value.problems)
    assert rules == [
        "deadline-without-action",
        "no-terminal-state",
        "no-way-out",
        "no-way-out",
        "unknown-guard",
        "unknown-role",
        "unknown-state",
        "unreachable-state",
    ]


def test_guard_parameters_are_bound_from_the_file() -> None:
    text = b"""
id: routes
version: 1
states:
  open: {actor: clerk}
  closed: {terminal: closed}
transitions:
  - {action: close, from: open, to: closed,
     when: [{route_is: commitment}, {counter_below: {counter: n, limit: 2}}]}
"""
    process = compile_process(decode_process(text, "routes.yaml"), registry=REGISTRY)
    (transition,) = process.transitions_from("open")
    assert [str(call) for call, _ in transition.guards] == [
        "route_is(route=commitment)",
        "counter_below(counter=n, limit=2)",
    ]


def test_missing_and_unknown_parameters_are_named() -> None:
    text = b"""
id: params
version: 1
states:
  open: {actor: clerk}
  closed: {terminal: closed}
transitions:
  - {action: close, from: open, to: closed, when: [route_is, {flag: {nam: x}}],
     effects: [{arm_timer: {action: reopen, workingDays: 2, key: k}}]}
"""
    with pytest.raises(InvalidDefinition) as caught:
        compile_process(decode_process(text, "params.yaml"), registry=REGISTRY, file="params.yaml")
    message = str(caught.value)
    assert "guard 'route_is' needs parameter 'route' [guard-parameters]" in message
    assert "guard 'flag' has no parameter 'nam'" in message
    assert "names action 'reopen', which no transition has [unknown-action]" in message


def test_every_shipped_process_is_valid() -> None:
    catalogue = load_directory(PROCESSES, registry=REGISTRY)
    assert [str(p) for p in catalogue.problems] == []
    assert ("permit", 1) in catalogue.processes


def test_the_permit_process_and_the_test_fixtures_are_valid() -> None:
    assert load_process(PROCESSES / "permit.yaml", registry=REGISTRY).id == "permit"
    fixtures = load_directory(FIXTURES, registry=TEST_REGISTRY)
    assert fixtures.problems == []
    assert {key[0] for key in fixtures.processes} == {"penalty", "timed", "licensing"}


def test_the_content_hash_ignores_comments_and_layout() -> None:
    original = (PROCESSES / "permit.yaml").read_bytes()
    reformatted = b"# another comment\n" + original.replace(
        b"{action: submit, from: draft, to: pre_review}", b"{to: pre_review, action: submit,   from: draft}"
    )
    assert content_hash(decode_process(original, "a")) == content_hash(decode_process(reformatted, "b"))
    changed = original.replace(b"workingDays: 5", b"workingDays: 6")
    assert content_hash(decode_process(original, "a")) != content_hash(decode_process(changed, "c"))


def test_a_name_two_extensions_declare_is_refused_when_they_are_composed() -> None:
    other = Extension("other")

    @other.guard("creditworthy")
    def also_creditworthy(s: Situation) -> str | None:
        return None

    with pytest.raises(ValueError, match="guard 'creditworthy' by other is already registered"):
        REGISTRY.including(other)
    with pytest.raises(ValueError, match="already registered"):

        @other.guard("creditworthy")
        def again(s: Situation) -> str | None:
            return None

    with pytest.raises(TypeError, match="keyword-only"):

        @other.guard("positional")
        def positional(s: Situation, route: str) -> str | None:
            return None


def test_mermaid_draws_every_transition_and_the_end_states() -> None:
    text = mermaid(load_process(PROCESSES / "permit.yaml", registry=REGISTRY))
    assert text.splitlines()[3] == "stateDiagram-v2"
    assert "    [*] --> draft" in text
    assert "    pre_review --> reviewing: deem_accepted (system) after 5 WD" in text
    assert "    deciding --> approved: approve (supervisor) [no_outstanding_supplements]" in text
    assert "    approved --> [*]" in text
    assert "note right of supplementing: actor applicant, clock paused" in text


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def workflows_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(PROJECT_ROOT / "workflows" / "calendars", tmp_path / "calendars")
    (tmp_path / "processes").mkdir()
    shutil.copy(PROCESSES / "permit.yaml", tmp_path / "processes")
    monkeypatch.setenv("GOVSERVICE_WORKFLOWS_DIR", str(tmp_path))
    monkeypatch.setenv("GOVSERVICE_VAR_DIR", str(tmp_path / "var"))
    return tmp_path


def test_workflows_check_passes_on_good_files(
    workflows_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["workflows", "check"]) == 0
    assert "ok: 1 process(es) (permit v1)" in capsys.readouterr().out


def test_workflows_check_fails_with_one_line_per_problem(
    workflows_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("no_way_out.yaml", "unknown_role.yaml"):
        shutil.copy(BROKEN / name, workflows_dir / "processes")
    (workflows_dir / "calendars" / "2027.yaml").write_text(
        "year: 2027\nholidays: []\nmakeUpWorkingDays: [2027-03-03]\n"
    )
    assert main(["workflows", "check"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "no_way_out.yaml: state stuck: non-terminal state has no transition out [no-way-out]",
        "unknown_role.yaml: state open: transition close: role 'janitor' is not a role [unknown-role]",
        "2027.yaml: make-up working day 2027-03-03 is a weekday, not a weekend day",
    ]


def test_workflows_graph_prints_mermaid(workflows_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workflows", "graph", "permit"]) == 0
    assert "stateDiagram-v2" in capsys.readouterr().out
    assert main(["workflows", "graph", "nope"]) == 1
    assert "no valid process 'nope'" in capsys.readouterr().err


def test_a_deadline_gives_working_days_or_hours_not_both() -> None:
    with pytest.raises(
        InvalidDefinition, match="deadline_days_and_hours.yaml: .*either workingDays or hours"
    ):
        load_process(BROKEN / "deadline_days_and_hours.yaml", registry=REGISTRY)
