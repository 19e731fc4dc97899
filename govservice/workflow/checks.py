"""Static checks of a process definition: every problem, one line each, naming the state and rule.

Rules (the name in brackets at the end of each message):

* ``unknown-state``        the start, a transition's source or target names no state
* ``unknown-role``         a state's actor, a transition's roles or a countersign's roles
* ``unknown-guard`` / ``unknown-effect``   not registered
* ``guard-parameters`` / ``effect-parameters``   missing, unknown or mistyped parameters
* ``unknown-action``       a parameter naming an action (e.g. arm_timer) that no transition has
* ``unreachable-state``    no path from the start state leads there
* ``no-way-out``           a non-terminal state with no transition out, or none that leads to an end
* ``terminal-way-out``     a terminal state with transitions out (or a deadline)
* ``deadline-without-action`` / ``deadline-action-unavailable``  a deadline fires nothing, or an
                           action that is not a transition from that state
* ``duplicate-action``     two transitions with the same action from one state
* ``no-roles``             a transition without roles from a state without an actor
* ``countersign``          a countersign action that is not a transition from its state
* ``no-terminal-state``    the process never ends
"""

from __future__ import annotations

from collections import deque
from typing import NewType

from govservice.domain.actor import Role
from govservice.workflow.definition import CallSpec, ProcessDefinition
from govservice.workflow.errors import Problem
from govservice.workflow.registry import Kind, Registry

ActionName = NewType("ActionName", str)
"""Annotate a guard or effect parameter with this when it names an action of the process."""

ROLES = frozenset(role.value for role in Role)


def check(definition: ProcessDefinition, registry: Registry, file: str) -> list[Problem]:
    problems: list[Problem] = []

    def add(rule: str, message: str, state: str | None = None) -> None:
        problems.append(Problem(file=file, rule=rule, message=message, state=state))

    states = definition.states
    start = definition.start_state
    if start not in states:
        add("unknown-state", f"start state {start!r} is not defined")
    actions = {t.action for t in definition.transitions}
    outgoing: dict[str, set[str]] = {name: set() for name in states}

    for name, state in states.items():
        if state.actor is not None and state.actor not in ROLES:
            add("unknown-role", f"actor {state.actor!r} is not a role ({', '.join(sorted(ROLES))})", name)
        if state.countersign is not None:
            for role in state.countersign.roles:
                if role not in ROLES:
                    add("unknown-role", f"countersign role {role!r} is not a role", name)

    for transition in definition.transitions:
        label = f"transition {transition.action}"
        for source in transition.sources:
            if source not in states:
                add("unknown-state", f"{label}: source state {source!r} is not defined", source)
                continue
            if transition.action in outgoing[source]:
                add(
                    "duplicate-action",
                    f"{label}: action {transition.action!r} is defined twice from this state",
                    source,
                )
            outgoing[source].add(transition.action)
            if transition.roles is None and states[source].actor is None:
                countersign = states[source].countersign
                if countersign is None or countersign.action != transition.action:
                    add("no-roles", f"{label}: no roles, and the state names no actor to default to", source)
        if transition.to not in states:
            add(
                "unknown-state",
                f"{label}: target state {transition.to!r} is not defined",
                transition.sources[0],
            )
        for role in transition.roles or ():
            if role not in ROLES:
                add("unknown-role", f"{label}: role {role!r} is not a role", transition.sources[0])
        calls: tuple[tuple[Kind, list[CallSpec]], ...] = (
            ("guard", transition.when),
            ("effect", transition.effects),
        )
        for kind, specs in calls:
            for spec in specs:
                call, errors = registry.bind(kind, spec)
                called = spec if isinstance(spec, str) else next(iter(spec), None) if len(spec) == 1 else None
                known = called is not None and registry.find(kind, called) is not None
                for error in errors:
                    add(
                        f"{kind}-parameters" if known else f"unknown-{kind}",
                        f"{label}: {error}",
                        transition.sources[0],
                    )
                if call is None:
                    continue
                entry = registry.find(kind, call.name)
                for param in entry.parameters() if entry else ():
                    value = call.params.get(param.name)
                    if param.annotation is ActionName and value is not None and value not in actions:
                        add(
                            "unknown-action",
                            f"{label}: {kind} {call.name!r} names action {value!r}, which no transition has",
                            transition.sources[0],
                        )

    for name, state in states.items():
        if state.countersign is not None and state.countersign.action not in outgoing[name]:
            add(
                "countersign",
                f"countersign action {state.countersign.action!r} is not a transition from this state",
                name,
            )
        if state.deadline is not None:
            if state.deadline.fire is None:
                add(
                    "deadline-without-action",
                    f"deadline of {state.deadline.describe()} fires no action (add `fire:`)",
                    name,
                )
            elif state.deadline.fire not in outgoing[name]:
                add(
                    "deadline-action-unavailable",
                    f"deadline fires {state.deadline.fire!r}, which is not a transition from this state",
                    name,
                )
        if state.terminal is not None:
            if outgoing[name]:
                add(
                    "terminal-way-out",
                    f"terminal state has transitions out: {', '.join(sorted(outgoing[name]))}",
                    name,
                )
            if state.deadline is not None:
                add("terminal-way-out", "terminal state has a deadline", name)
        elif not outgoing[name]:
            add("no-way-out", "non-terminal state has no transition out", name)

    if not any(state.terminal for state in states.values()):
        add("no-terminal-state", "no state is terminal: the process never ends")

    edges: dict[str, set[str]] = {name: set() for name in states}
    for transition in definition.transitions:
        for source in transition.sources:
            if source in edges and transition.to in states:
                edges[source].add(transition.to)
    if start in states:
        reached = _reach(start, edges)
        for name in states:
            if name not in reached:
                add("unreachable-state", f"no path leads here from the start state {start!r}", name)
    reverse: dict[str, set[str]] = {name: set() for name in states}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].add(source)
    ends: set[str] = set()
    for name, state in states.items():
        if state.terminal:
            ends |= _reach(name, reverse)
    for name, state in states.items():
        if not state.terminal and outgoing[name] and name not in ends:
            add("no-way-out", "no path leads from here to a terminal state", name)
    return problems


def _reach(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in edges[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen
