"""Deadline timers: claim the due ones (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and fire each in its
own transaction, exactly once; a timer whose case has left the state it was armed in is dropped."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from govservice.errors import Conflict
from govservice.services import engine_store as store
from govservice.services.aggregates import seconds_since
from govservice.services.context import ServiceContext
from govservice.services.engine_rows import FAILED, PENDING, TIMERS
from govservice.services.engine_views import TimerRun

if TYPE_CHECKING:
    from govservice.services.engine import EngineService

log = logging.getLogger("govservice.engine")


class TimerGone(Exception):
    """Another worker fired or ended this timer first."""


class TimerBacklog(msgspec.Struct, frozen=True, kw_only=True):
    pending: int
    overdue: int
    oldest_overdue_seconds: float


class TimerRunner:
    def __init__(self, ctx: ServiceContext, engine: EngineService) -> None:
        self._ctx = ctx
        self._engine = engine

    async def backlog(self) -> TimerBacklog:
        """Pending timers, and those past due that no worker has fired yet (a stalled worker shows here)."""
        now = self._ctx.clock.now()
        async with self._ctx.sessions() as session:
            pending = await session.scalar(
                select(func.count()).select_from(TIMERS).where(TIMERS.c.status == PENDING)
            )
            overdue, oldest = (
                await session.execute(
                    select(func.count(), func.min(TIMERS.c.due_at)).where(
                        TIMERS.c.status == PENDING, TIMERS.c.due_at <= now
                    )
                )
            ).one()
        lag = seconds_since(oldest, now)
        return TimerBacklog(pending=int(pending or 0), overdue=int(overdue or 0), oldest_overdue_seconds=lag)

    async def run_due(self, worker: str, *, limit: int, lease: timedelta) -> TimerRun:
        run = TimerRun()
        for timer in await self.claim(worker, limit, lease):
            run.claimed += 1
            outcome = await self.fire(timer)
            setattr(run, outcome, getattr(run, outcome) + 1)
        return run

    async def claim(self, worker: str, limit: int, lease: timedelta) -> list[Any]:
        """Lease up to ``limit`` due timers to ``worker`` (one short transaction)."""
        async with self._ctx.transaction() as session:
            return list(await store.claim_due(session, worker, limit, lease, self._ctx.clock.now()))

    async def fire(self, timer: Any) -> str:
        """Fire one claimed timer in a transaction of its own: fired, dropped, retry or failed."""
        try:
            async with self._ctx.transaction() as session:
                fired = await self._engine.step(
                    session, timer.case_id, timer.action, None, None, {}, timer=timer
                )
                if fired is not None:
                    for hook in self._engine.system_step_hooks:  # the audit entry, in the step's transaction
                        await hook(session, fired.case.id, fired.event.seq)
            if fired is None:
                log.info("timer %s dropped: case %s left the state it was armed in", timer.id, timer.case_id)
                return "dropped"
            log.info("timer %s fired: case %s, action %s", timer.id, timer.case_id, timer.action)
            return "fired"
        except TimerGone:
            return "dropped"
        except Conflict:
            log.warning(
                "timer %s (case %s): the case changed meanwhile; it will be retried", timer.id, timer.case_id
            )
            async with self._ctx.transaction() as session:
                await store.release_timer(session, timer.id)
            return "retry"
        except DBAPIError:
            log.warning(
                "timer %s: database error; it will be retried after its lease", timer.id, exc_info=True
            )
            return "retry"
        except Exception as exc:  # a bug in an effect handler or a facts builder: park it, visibly
            log.exception("timer %s (case %s, action %s) failed", timer.id, timer.case_id, timer.action)
            async with self._ctx.transaction() as session:
                await store.end_timer(
                    session, timer.id, FAILED, self._ctx.clock.now(), f"{type(exc).__name__}: {exc}"
                )
            return "failed"
