"""One use case for every action on a subject that has a case: an application, a violation, a
work order, a key enterprise's request, a review file's rectification.

An action is one unit of work, always in this order, and it commits as a whole or not at all:

1. ``load``: the subject as the actor may see it (404 when not: its existence is not disclosed);
2. ``check``: who may take this action on this subject (403) and what it needs (400, 422);
3. the step of the subject's case (the engine's own rules: 403, 404, 409, 412, 422), unless the
   action is ``stepless`` (a record of the subject's own): then the case as it stands;
4. the action's effect, if it has one, on the same session;
5. the audit entry;
6. the view.

Each context says what its subject is with an :class:`ActionSubject`; its service's ``act``
hands it to the one :class:`ActionUseCase` the composition root builds.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any, Generic, NamedTuple, TypeAlias, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from govservice.domain.actor import Actor
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.engine import CaseView, EngineService
from govservice.workflow import ActionOption

L = TypeVar("L")  # the subject as loaded (a row, or the rows it is made of)
V = TypeVar("V")  # the subject's view, the action's answer

# An action's side effect, run on the action's session after its step: (session, actor, subject,
# case after the step, payload). It returns the case after a step of its own, if it took one.
Effect: TypeAlias = Callable[
    [AsyncSession, Actor, L, CaseView, Mapping[str, Any]], Awaitable[CaseView | None]
]


class AuditRecord(NamedTuple):
    """What the action's audit entry says (the actor is the use case's)."""

    kind: Kind
    action: str
    subject: str
    enterprise: str | None
    unit: str | None
    detail: Mapping[str, Any] | None = None


class ActionSubject(abc.ABC, Generic[L, V]):
    """A kind of subject, as the action use case needs it."""

    effects: Mapping[str, Effect[L]] = MappingProxyType({})  # by action
    stepless: frozenset[str] = frozenset()  # actions that are no step of the case: their effect is all

    def validate(self, action: str, payload: Mapping[str, Any]) -> None:
        """The payload's shape, before anything is read (400)."""

    @abc.abstractmethod
    async def load(self, session: AsyncSession, actor: Actor, subject_id: int) -> L: ...

    @abc.abstractmethod
    def case_id(self, loaded: L) -> int: ...

    @abc.abstractmethod
    async def check(
        self, session: AsyncSession, actor: Actor, loaded: L, action: str, payload: Mapping[str, Any]
    ) -> None: ...

    @abc.abstractmethod
    def audit(self, loaded: L, action: str, payload: Mapping[str, Any], case: CaseView) -> AuditRecord: ...

    @abc.abstractmethod
    async def view(self, session: AsyncSession, actor: Actor, loaded: L, case: CaseView) -> V: ...

    def option(self, actor: Actor, loaded: L, option: ActionOption) -> ActionOption:
        """An option as the engine gives it, narrowed by what only the subject knows."""
        return option


class ActionUseCase:
    def __init__(self, ctx: ServiceContext, engine: EngineService, audit: AuditLog) -> None:
        self._ctx = ctx
        self._engine = engine
        self._audit = audit

    async def options(
        self, subject: ActionSubject[L, Any], actor: Actor, subject_id: int
    ) -> list[ActionOption]:
        """Every action of the case's current state, and for each one the actor may not take, why."""
        async with self._ctx.sessions() as session:
            loaded = await subject.load(session, actor, subject_id)
            options = await self._engine.available(subject.case_id(loaded), actor, session)
        return [subject.option(actor, loaded, option) for option in options]

    async def act(
        self,
        subject: ActionSubject[L, V],
        actor: Actor,
        subject_id: int,
        action: str,
        payload: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> V:
        subject.validate(action, payload)
        async with self._ctx.transaction() as session:
            loaded = await subject.load(session, actor, subject_id)
            return await self.act_on(session, subject, actor, loaded, action, payload, expected_version)

    async def act_on(
        self,
        session: AsyncSession,
        subject: ActionSubject[L, V],
        actor: Actor,
        loaded: L,
        action: str,
        payload: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> V:
        """The action on a subject already loaded in the caller's unit of work (one that has just
        created it)."""
        await subject.check(session, actor, loaded, action, payload)
        case_id = subject.case_id(loaded)
        if action in subject.stepless:
            case = await self._engine.get_case(case_id, session)
        else:
            fired = await self._engine.fire(
                case_id, action, actor, session=session, expected_version=expected_version, payload=payload
            )
            case = fired.case
        effect = subject.effects.get(action)
        if effect is not None:
            case = await effect(session, actor, loaded, case, payload) or case
        record = subject.audit(loaded, action, payload, case)
        self._audit.add(
            session,
            actor,
            record.kind,
            record.action,
            record.subject,
            enterprise=record.enterprise,
            unit=record.unit,
            detail=record.detail,
        )
        return await subject.view(session, actor, loaded, case)
