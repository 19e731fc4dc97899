"""Extension points of the engine service: facts for the guards, and handlers of external effects.

Register at import time of your module (and list that module in
``govservice.workflow.registry.PLUGIN_MODULES`` so that every process sees it):

    @facts_builder("application")
    async def application_facts(session: AsyncSession, case: CaseView) -> CaseFacts: ...

    @effect_handler("issue_licence")          # declared with @REGISTRY.effect("issue_licence", external=True)
    async def issue_licence(run: EffectRun) -> None:
        run.session.add(...)                  # commits or rolls back with the step

Plugin code may call the engine service back (``start_case``, ``fire``) with ``session=run.session``:
those steps join the transaction of the step in progress (opening another session there raises
``NestedUnitOfWork``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govservice.domain.actor import Actor
from govservice.domain.calendar import WorkingCalendar
from govservice.services.context import ServiceContext
from govservice.services.engine_views import CaseView
from govservice.workflow import Call, CaseFacts, Move


@dataclass(frozen=True, slots=True)
class EffectRun:
    """What an external effect's handler gets: the session of the step's transaction, and the step."""

    session: AsyncSession
    call: Call
    case: CaseView  # after the step
    move: Move
    actor: Actor | None  # None when a timer fired the step
    now: datetime
    today: date  # the department's local date of the step
    calendar: WorkingCalendar  # the calendar the case pinned
    payload: Mapping[str, Any]  # what the actor sent with the action (comment, reasons, defects...)
    ctx: ServiceContext

    @property
    def params(self) -> Mapping[str, Any]:
        return self.call.params


EffectHandler = Callable[[EffectRun], Awaitable[None]]
FactsBuilder = Callable[[AsyncSession, CaseView], Awaitable[CaseFacts]]


@dataclass
class Plugins:
    effect_handlers: dict[str, EffectHandler] = field(default_factory=dict)
    facts_builders: dict[str, FactsBuilder] = field(default_factory=dict)

    def effect_handler(self, name: str) -> Callable[[EffectHandler], EffectHandler]:
        def register(fn: EffectHandler) -> EffectHandler:
            self.effect_handlers[name] = fn
            return fn

        return register

    def facts_builder(self, subject_kind: str) -> Callable[[FactsBuilder], FactsBuilder]:
        def register(fn: FactsBuilder) -> FactsBuilder:
            self.facts_builders[subject_kind] = fn
            return fn

        return register


PLUGINS = Plugins()
effect_handler = PLUGINS.effect_handler
facts_builder = PLUGINS.facts_builder
