"""Extension points of the engine service: facts for the guards, and handlers of external effects.

Each context hands the engine one :class:`EngineExtension`: its guards and effects (the pure
part, a :class:`~govservice.workflow.Extension`), a facts builder per subject kind it owns, and a
handler per external effect it declares. Nothing registers globally: the module defines and
exports its extension, and the composition root (:func:`govservice.bootstrap.engine_extensions`)
composes every context's into the engine's :class:`Plugins` (a name given twice is an error there).

    APPLICATIONS = EngineExtension("applications")

    @APPLICATIONS.facts_builder("application")
    async def application_facts(session: AsyncSession, case: CaseView) -> CaseFacts: ...

    @APPLICATIONS.effect("issue_licence", external=True)
    def issue_licence_declared(ctx: EffectContext, *, kind: str = "permit") -> None: ...

    @APPLICATIONS.effect_handler("issue_licence")
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
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from govservice.domain.actor import Actor
from govservice.domain.calendar import WorkingCalendar
from govservice.services.context import ServiceContext
from govservice.services.engine_views import CaseView
from govservice.workflow import Call, CaseFacts, Extension, Move, Registry

if TYPE_CHECKING:
    from govservice.services.engine import EngineService


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
    engine: EngineService  # to start another case inside the same step (its session, its transaction)

    @property
    def params(self) -> Mapping[str, Any]:
        return self.call.params


EffectHandler = Callable[[EffectRun], Awaitable[None]]
FactsBuilder = Callable[[AsyncSession, CaseView], Awaitable[CaseFacts]]


class EngineExtension:
    """What one context hands the engine, as one object: guards and effects, facts builders (by
    subject kind) and external effects' handlers (by effect name), each name once."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.workflow = Extension(name)
        self.guard = self.workflow.guard
        self.effect = self.workflow.effect
        self.externals = self.workflow.externals
        self.effect_handlers: dict[str, EffectHandler] = {}
        self.facts_builders: dict[str, FactsBuilder] = {}

    @classmethod
    def combine(cls, name: str, *parts: EngineExtension | Extension) -> EngineExtension:
        """One extension with every part's names (a pure :class:`Extension` brings guards and
        effects only); a name two parts give is a ValueError."""
        combined = cls(name)
        for part in parts:
            pure = part if isinstance(part, Extension) else part.workflow
            for entry in pure.entries():
                combined.workflow.add(entry, by=pure.name)
            if isinstance(part, EngineExtension):
                for effect, handler in part.effect_handlers.items():
                    _put(combined.effect_handlers, "handler of effect", effect, handler, part.name)
                for kind, builder in part.facts_builders.items():
                    _put(combined.facts_builders, "facts builder for", kind, builder, part.name)
        return combined

    def effect_handler(self, name: str) -> Callable[[EffectHandler], EffectHandler]:
        def register(fn: EffectHandler) -> EffectHandler:
            _put(self.effect_handlers, "handler of effect", name, fn, self.name)
            return fn

        return register

    def facts_builder(self, subject_kind: str) -> Callable[[FactsBuilder], FactsBuilder]:
        def register(fn: FactsBuilder) -> FactsBuilder:
            _put(self.facts_builders, "facts builder for", subject_kind, fn, self.name)
            return fn

        return register


@dataclass(frozen=True, slots=True)
class Plugins:
    """The engine's table: every name a definition may use, and the service code behind them."""

    registry: Registry
    effect_handlers: Mapping[str, EffectHandler] = field(default_factory=dict)
    facts_builders: Mapping[str, FactsBuilder] = field(default_factory=dict)

    @classmethod
    def compose(cls, *extensions: EngineExtension | Extension) -> Plugins:
        """The table of the contexts given; a name two of them give is a ValueError."""
        combined = EngineExtension.combine("engine", *extensions)
        return cls(Registry(combined.workflow), combined.effect_handlers, combined.facts_builders)


def _put(table: dict[str, Any], what: str, key: str, fn: Any, by: str) -> None:
    existing = table.get(key)
    if existing is not None and existing is not fn:
        raise ValueError(
            f"{what} {key!r} by {by} is already registered ({existing.__module__}.{existing.__qualname__})"
        )
    table[key] = fn
