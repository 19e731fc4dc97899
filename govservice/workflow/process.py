"""A checked definition, compiled for the engine: transitions indexed by (state, action),
guards and effects bound to their registered functions. Immutable; safe to cache forever
(a published (id, version) never changes)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec

from govservice.workflow.checks import check
from govservice.workflow.definition import CallSpec, Countersign, ProcessDefinition, StateDef
from govservice.workflow.errors import InvalidDefinition
from govservice.workflow.registry import Call, Entry, Kind, Registry


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    source: str
    target: str
    roles: frozenset[str]  # empty: only the system (a timer) takes it
    guards: tuple[tuple[Call, Entry], ...]
    effects: tuple[tuple[Call, Entry], ...]
    countersign: Countersign | None  # the source state's countersign, when it gates this action
    description: str | None = None


def content_hash(definition: ProcessDefinition) -> str:
    """SHA-256 of the decoded definition: comments, layout and key order of the file do not count."""
    return hashlib.sha256(msgspec.json.encode(definition, order="deterministic")).hexdigest()


class Process:
    def __init__(self, definition: ProcessDefinition, transitions: list[Transition]) -> None:
        self.definition = definition
        self.id = definition.id
        self.version = definition.version
        self.content_hash = content_hash(definition)
        self.start = definition.start_state
        self.states: Mapping[str, StateDef] = definition.states
        self._by_state: dict[str, dict[str, Transition]] = {name: {} for name in definition.states}
        for transition in transitions:
            self._by_state[transition.source][transition.action] = transition
        self.actions = frozenset(t.action for t in transitions)
        self.timed_states = frozenset(name for name, s in definition.states.items() if s.deadline is not None)

    def __repr__(self) -> str:
        return f"Process({self.id!r}, version={self.version})"

    def transitions_from(self, state: str) -> list[Transition]:
        return list(self._by_state.get(state, {}).values())

    def transition(self, state: str, action: str) -> Transition | None:
        return self._by_state.get(state, {}).get(action)

    def external_effects(self) -> frozenset[str]:
        return frozenset(
            call.name
            for by_action in self._by_state.values()
            for t in by_action.values()
            for call, entry in t.effects
            if entry.external
        )


def compile_process(definition: ProcessDefinition, *, registry: Registry, file: str | None = None) -> Process:
    """Check and compile; raises :class:`InvalidDefinition` listing every problem. Names come from
    ``registry`` (the engine's is :func:`govservice.bootstrap.engine_extensions`'s)."""
    if definition.start is None:  # pin the default (the first state) before anything reorders the states
        definition = msgspec.structs.replace(definition, start=definition.start_state)
    problems = check(definition, registry, file or f"{definition.id} v{definition.version}")
    if problems:
        raise InvalidDefinition(problems)
    transitions: list[Transition] = []
    for t in definition.transitions:
        guards = tuple(_bound(registry, "guard", spec) for spec in t.when)
        effects = tuple(_bound(registry, "effect", spec) for spec in t.effects)
        for source in t.sources:
            state = definition.states[source]
            countersign = (
                state.countersign if state.countersign and state.countersign.action == t.action else None
            )
            if t.roles is not None:
                roles = frozenset(t.roles)
            elif countersign is not None:
                roles = frozenset(countersign.roles)
            else:
                roles = frozenset([state.actor]) if state.actor else frozenset()
            transitions.append(
                Transition(t.action, source, t.to, roles, guards, effects, countersign, t.description)
            )
    return Process(definition, transitions)


def _bound(registry: Registry, kind: Kind, spec: CallSpec) -> tuple[Call, Entry]:
    call, _ = registry.bind(kind, spec)
    assert call is not None  # checked above
    entry = registry.find(kind, call.name)
    assert entry is not None
    return call, entry
