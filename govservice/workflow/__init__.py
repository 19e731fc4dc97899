"""The workflow engine, pure: definitions, static checks, and transition logic.

Imports neither Litestar nor SQLAlchemy. The runtime that persists cases, events and timers is
:mod:`govservice.services.engine`.

Public API:

* definitions — :class:`ProcessDefinition` (the YAML, as frozen Structs), :func:`load_process`,
  :func:`load_directory`, :func:`compile_process` → :class:`Process`; :class:`InvalidDefinition`
  carries one :class:`Problem` per broken rule (see :mod:`govservice.workflow.checks`).
* named guards and effects — each context declares its own on an :class:`Extension`
  (``@EXT.guard("name")``, ``@EXT.effect("name", external=True)``); a :class:`Registry` is built
  from the extensions (the engine's by :func:`govservice.bootstrap.engine_extensions`); builtins
  in :mod:`govservice.workflow.builtins`.
* the core — :func:`available` (every action of the state, with the reasons it is not allowed),
  :func:`decide` (the :class:`Move` an action makes, or ActionUnknown / ActionNotAvailable /
  ActionForbidden / ActionBlocked), :func:`start` (a new case).
* data — :class:`CaseState` (what the engine stores), :class:`CaseFacts` (what the owning
  service knows, for guards), :class:`Situation` (what a guard sees).
* :func:`mermaid` — a process as a Mermaid state diagram.

    process = load_process(Path("workflows/processes/permit.yaml"), registry=engine_extensions().registry)
    move = start(process, today=today, calendar=calendar, limit=20)
    case = move.case
    for option in available(process, case, clerk, facts, today=today):
        print(option.action, option.allowed, option.reasons)
    move = decide(process, case, "submit", applicant, facts=facts, today=today, calendar=calendar)
"""

from govservice.workflow.builtins import BUILTINS
from govservice.workflow.case import CaseData, CaseFacts, CaseState, Situation
from govservice.workflow.checks import ActionName, check
from govservice.workflow.definition import ClockMode, ProcessDefinition
from govservice.workflow.engine import ActionOption, EffectContext, Move, TimerSpec, available, decide, start
from govservice.workflow.errors import (
    ActionBlocked,
    ActionForbidden,
    ActionNotAvailable,
    ActionUnknown,
    InvalidDefinition,
    Problem,
)
from govservice.workflow.graph import mermaid
from govservice.workflow.loader import Catalogue, decode_process, load_directory, load_process
from govservice.workflow.process import Process, Transition, compile_process, content_hash
from govservice.workflow.registry import Call, Extension, Registry

__all__ = [
    "BUILTINS",
    "ActionBlocked",
    "ActionForbidden",
    "ActionName",
    "ActionNotAvailable",
    "ActionOption",
    "ActionUnknown",
    "Call",
    "CaseData",
    "CaseFacts",
    "CaseState",
    "Catalogue",
    "ClockMode",
    "EffectContext",
    "Extension",
    "InvalidDefinition",
    "Move",
    "Problem",
    "Process",
    "ProcessDefinition",
    "Registry",
    "Situation",
    "TimerSpec",
    "Transition",
    "available",
    "check",
    "compile_process",
    "content_hash",
    "decide",
    "decode_process",
    "load_directory",
    "load_process",
    "mermaid",
    "start",
]
