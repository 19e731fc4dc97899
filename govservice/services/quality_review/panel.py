"""The review panel: which reviewers (token ``sub``) sit on it, of which kind, from which unit."""

from __future__ import annotations

from sqlalchemy import select

from govservice.db.models import PanelMemberRow
from govservice.domain.actor import Actor
from govservice.services.audit import AuditLog
from govservice.services.audit.service import Kind
from govservice.services.context import ServiceContext
from govservice.services.quality_review.views import PanelMemberView


def _view(row: PanelMemberRow) -> PanelMemberView:
    return PanelMemberView(
        sub=row.sub, name=row.name, kind=row.kind, unit=row.unit, chair=row.chair, active=row.active
    )


class PanelService:
    def __init__(self, ctx: ServiceContext, audit: AuditLog) -> None:
        self._ctx = ctx
        self._audit = audit

    async def put(
        self, actor: Actor, sub: str, *, name: str, kind: str, unit: str | None, chair: bool, active: bool
    ) -> PanelMemberView:
        """Add a member or change one (idempotent: the same body twice changes nothing)."""
        async with self._ctx.transaction() as session:
            row = await session.get(PanelMemberRow, sub)
            if row is None:
                row = PanelMemberRow(sub=sub)
                session.add(row)
            row.name, row.kind, row.unit, row.chair, row.active = name, kind, unit, chair, active
            row.updated_at = self._ctx.clock.now()
            row.updated_by = actor.sub
            self._audit.add(
                session,
                actor,
                Kind.CHANGE,
                "put_panel_member",
                f"panel_member:{sub}",
                unit=unit,
                detail={"kind": kind, "chair": chair, "active": active},
            )
            return _view(row)

    async def list(self) -> list[PanelMemberView]:
        async with self._ctx.sessions() as session:
            rows = await session.scalars(select(PanelMemberRow).order_by(PanelMemberRow.sub))
            return [_view(r) for r in rows]
