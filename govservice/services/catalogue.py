"""The matter catalogue: read the current guides, publish versions, cancel or adjust matters."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import MatterVersionRow
from govservice.domain.actor import Actor
from govservice.domain.catalogue import (
    CatalogueError,
    MatterGuide,
    MatterStatus,
    StatusChange,
    check_guide,
    decode_guide,
)
from govservice.errors import Conflict, Gone, NotFound, RuleViolation
from govservice.services.context import ServiceContext


@dataclass(frozen=True, slots=True)
class PublishedMatter:
    guide: MatterGuide
    version: int
    published_at: datetime
    published_by: str
    content_hash: str
    note: str | None


def content_hash(guide: MatterGuide) -> str:
    return hashlib.sha256(msgspec.json.encode(guide)).hexdigest()


def _from_row(row: MatterVersionRow) -> PublishedMatter:
    return PublishedMatter(
        guide=msgspec.convert(row.guide, MatterGuide),
        version=row.version,
        published_at=row.published_at,
        published_by=row.published_by,
        content_hash=row.content_hash,
        note=row.note,
    )


class CatalogueService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._cache: tuple[float, list[PublishedMatter]] | None = None

    # -- reading -------------------------------------------------------------------------

    async def current(self) -> list[PublishedMatter]:
        """Every matter's current version, ordered by code. Cached for a few seconds
        (GOVSERVICE_CATALOGUE_CACHE_SECONDS): the catalogue changes a few times a year and is
        read on every page view; a publication through this process invalidates at once."""
        ttl = self._ctx.settings.catalogue_cache_seconds
        now = time.monotonic()
        if self._cache is not None and now < self._cache[0]:
            return self._cache[1]
        async with self._ctx.sessions() as session:
            rows = await session.scalars(
                select(MatterVersionRow)
                .where(MatterVersionRow.is_current.is_(True))
                .order_by(MatterVersionRow.code)
            )
            matters = [_from_row(row) for row in rows]
        if ttl > 0:
            self._cache = (now + ttl, matters)
        return matters

    def invalidate(self) -> None:
        self._cache = None

    async def get(
        self, code: str, version: int | None = None, *, session: AsyncSession | None = None
    ) -> PublishedMatter:
        """``session``: the caller's unit of work, to read in (else a read of its own)."""
        async with self._ctx.reading(session) as session:
            query = select(MatterVersionRow).where(MatterVersionRow.code == code)
            query = (
                query.where(MatterVersionRow.version == version)
                if version is not None
                else query.where(MatterVersionRow.is_current.is_(True))
            )
            row = await session.scalar(query)
        if row is None:
            what = f"matter {code}" + (f" version {version}" if version is not None else "")
            raise NotFound(f"{what} is not in the catalogue", code="matter_not_found")
        return _from_row(row)

    async def history(self, code: str) -> list[PublishedMatter]:
        async with self._ctx.sessions() as session:
            rows = list(
                await session.scalars(
                    select(MatterVersionRow)
                    .where(MatterVersionRow.code == code)
                    .order_by(MatterVersionRow.version)
                )
            )
        if not rows:
            raise NotFound(f"matter {code} is not in the catalogue", code="matter_not_found")
        return [_from_row(row) for row in rows]

    async def for_filing(self, code: str, session: AsyncSession) -> PublishedMatter:
        """The version an application is filed against, read in the filing's unit of work; a
        cancelled matter is 410 naming its replacement."""
        matter = await self.get(code, session=session)
        change = matter.guide.status_change
        if matter.guide.status is MatterStatus.CANCELLED and change is not None:
            replacement = change.replacement
            raise Gone(
                f"matter {code} was cancelled on {change.effective.isoformat()} ({change.reason}); "
                f"use instead: {replacement.description if replacement else 'nothing replaces it'}",
                replacement=msgspec.to_builtins(replacement) if replacement else None,
            )
        return matter

    # -- writing -------------------------------------------------------------------------

    async def publish(self, guide: MatterGuide, actor: Actor, note: str | None = None) -> PublishedMatter:
        """Publish a new version of a matter (or its first). Applications already filed keep theirs."""
        try:
            check_guide(guide)
        except CatalogueError as exc:
            raise RuleViolation(str(exc), code="invalid_matter") from exc
        async with self._ctx.transaction() as session:
            await self._check_replacement(session, guide)
            published = await self._insert_version(session, guide, actor, note)
        self.invalidate()
        return published

    async def change_status(
        self, code: str, status: MatterStatus, change: StatusChange, actor: Actor
    ) -> PublishedMatter:
        """Cancel or adjust a matter: a new version that carries the status, reason and replacement."""
        if status is MatterStatus.ACTIVE:
            raise RuleViolation("use publish to make a matter active again", code="invalid_status_change")
        current = await self.get(code)
        if current.guide.status is MatterStatus.CANCELLED:
            raise Conflict(f"matter {code} is already cancelled", code="already_cancelled")
        guide = msgspec.structs.replace(current.guide, status=status, status_change=change)
        return await self.publish(guide, actor, note=f"{status}: {change.reason}")

    async def _check_replacement(self, session: AsyncSession, guide: MatterGuide) -> None:
        change = guide.status_change
        target = change.replacement.matter_code if change and change.replacement else None
        if target is None:
            return
        if target == guide.code:
            raise RuleViolation("a matter cannot replace itself", code="invalid_matter")
        exists = await session.scalar(
            select(MatterVersionRow.id).where(
                MatterVersionRow.code == target, MatterVersionRow.is_current.is_(True)
            )
        )
        if exists is None:
            raise RuleViolation(f"replacement matter {target} is not in the catalogue", code="invalid_matter")

    async def _insert_version(
        self, session: AsyncSession, guide: MatterGuide, actor: Actor, note: str | None
    ) -> PublishedMatter:
        digest = content_hash(guide)
        latest = await session.scalar(
            select(MatterVersionRow)
            .where(MatterVersionRow.code == guide.code, MatterVersionRow.is_current.is_(True))
            .with_for_update()
        )
        if latest is not None and latest.content_hash == digest:
            raise Conflict(
                f"matter {guide.code} version {latest.version} already has exactly this content",
                code="unchanged",
            )
        previous = await session.scalar(
            select(func.coalesce(func.max(MatterVersionRow.version), 0)).where(
                MatterVersionRow.code == guide.code
            )
        )
        if latest is not None:
            await session.execute(
                update(MatterVersionRow).where(MatterVersionRow.id == latest.id).values(is_current=False)
            )
        row = MatterVersionRow(
            code=guide.code,
            version=(previous or 0) + 1,
            is_current=True,
            status=guide.status.value,
            name=guide.name,
            unit=guide.unit,
            guide=msgspec.to_builtins(guide),
            content_hash=digest,
            published_at=self._ctx.clock.now(),
            published_by=actor.sub,
            note=note,
        )
        session.add(row)
        try:
            await session.flush()
        except IntegrityError as exc:
            raise Conflict(
                f"matter {guide.code} was published by someone else at the same moment; retry",
                code="concurrent_publication",
            ) from exc
        return _from_row(row)

    # -- seeding -------------------------------------------------------------------------

    async def seed(self, files: Iterable[Path], actor: Actor) -> list[str]:
        """Load seed files, inserting only matters the catalogue does not have yet (idempotent).
        Replacements may point at matters in the same seed, so active ones go in first."""
        guides = [decode_guide(path.read_bytes(), source=path.name) for path in sorted(files)]
        guides.sort(key=lambda guide: guide.status is not MatterStatus.ACTIVE)
        added: list[str] = []
        async with self._ctx.transaction() as session:
            existing = set(await session.scalars(select(MatterVersionRow.code).distinct()))
            for guide in guides:
                if guide.code in existing:
                    continue
                await self._check_replacement(session, guide)
                await self._insert_version(session, guide, actor, note="seeded from workflows/catalog")
                existing.add(guide.code)
                added.append(guide.code)
        self.invalidate()
        return added
