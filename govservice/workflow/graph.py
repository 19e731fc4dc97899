"""A process as a Mermaid ``stateDiagram-v2`` (``govservice workflows graph ID``)."""

from __future__ import annotations

from govservice.workflow.definition import ClockMode
from govservice.workflow.process import Process


def mermaid(process: Process) -> str:
    title = process.definition.title or process.id
    lines = [
        "---",
        f"title: {title} (v{process.version})",
        "---",
        "stateDiagram-v2",
        f"    [*] --> {process.start}",
    ]
    for name, state in process.states.items():
        for transition in process.transitions_from(name):
            who = ", ".join(sorted(transition.roles)) or "system"
            label = f"{transition.action} ({who})"
            if transition.guards:
                label += " [" + ", ".join(str(call) for call, _ in transition.guards) + "]"
            if state.deadline is not None and state.deadline.fire == transition.action:
                label += f" after {state.deadline.describe()}"
            lines.append(f"    {name} --> {transition.target}: {_escape(label)}")
        if state.terminal is not None:
            lines.append(f"    {name} --> [*]")
    for name, state in process.states.items():
        notes = []
        if state.actor:
            notes.append(f"actor {state.actor}")
        if state.clock is ClockMode.PAUSED:
            notes.append("clock paused")
        elif state.clock is ClockMode.RUNNING:
            notes.append("clock running")
        if state.countersign is not None:
            cs = state.countersign
            notes.append(f"{cs.action} needs {cs.approvals} approvals of {' or '.join(cs.roles)}")
        if state.terminal is not None:
            notes.append(f"outcome {state.terminal}")
        if notes:
            lines.append(f"    note right of {name}: {_escape(', '.join(notes))}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    # ':' ends a Mermaid label and ';' ends a statement; '#' starts an entity code
    return text.replace("#", "#35;").replace(";", "#59;").replace(":", "#58;")
