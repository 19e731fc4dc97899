"""Verifying the chain: walk the sealed entries in chain order and check each link and hash.

The walk reads in batches while the sealer may be extending the chain; the head is read after
the walk, so every entry walked is covered by it, and entries sealed during the walk are walked
up to the head before the two are compared.
"""

from __future__ import annotations

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import AuditEntryRow, AuditHeadRow
from govservice.services.audit.chain import GENESIS, entry_hash
from govservice.services.audit.sealer import HASHED, HEAD_ID, hashed_fields

E = AuditEntryRow
VERIFY_BATCH = 2000


class ChainReport(msgspec.Struct, kw_only=True, rename="camel"):
    intact: bool
    entries: int  # sealed entries verified (up to the first broken one)
    unsealed: int  # entries recorded but not chained yet (the worker seals them each round)
    first_broken_id: int | None = None
    first_broken_seq: int | None = None  # the chain position that is broken (or missing)
    problem: str | None = None
    head_hash: str | None = None


class _Break(Exception):
    def __init__(self, seq: int, entry_id: int | None, problem: str) -> None:
        super().__init__(problem)
        self.seq, self.entry_id, self.problem = seq, entry_id, problem


class _Walk:
    """Where the walk is: the last position checked, its entry and its hash."""

    def __init__(self) -> None:
        self.seq, self.entry_id, self.hash = 0, None, GENESIS

    async def run(self, session: AsyncSession, upto: int | None = None) -> None:
        while True:
            query = select(*HASHED, E.seq, E.prev_hash, E.hash).where(E.seq > self.seq)
            if upto is not None:
                query = query.where(E.seq <= upto)
            rows = (await session.execute(query.order_by(E.seq).limit(VERIFY_BATCH))).all()
            for row in rows:
                expected = self.seq + 1
                if row.seq != expected:
                    raise _Break(expected, row.id, f"the entry at chain position {expected} is missing")
                if row.prev_hash != self.hash:
                    raise _Break(expected, row.id, "its previous hash does not match the entry before it")
                if entry_hash(row.prev_hash, hashed_fields(row)) != row.hash:
                    raise _Break(expected, row.id, "its content does not match its hash")
                self.seq, self.entry_id, self.hash = row.seq, row.id, row.hash
            if len(rows) < VERIFY_BATCH:
                return


async def verify_chain(session: AsyncSession) -> ChainReport:
    walk = _Walk()
    try:
        await walk.run(session)
        await _check_head(session, walk)
    except _Break as broken:
        report = ChainReport(
            intact=False,
            entries=broken.seq - 1,
            unsealed=0,
            first_broken_id=broken.entry_id,
            first_broken_seq=broken.seq,
            problem=broken.problem,
        )
    else:
        report = ChainReport(
            intact=True, entries=walk.seq, unsealed=0, head_hash=walk.hash if walk.seq else None
        )
    report.unsealed = await session.scalar(select(func.count()).select_from(E).where(E.seq.is_(None))) or 0
    return report


async def _check_head(session: AsyncSession, walk: _Walk) -> None:
    head = (
        await session.execute(
            select(AuditHeadRow.last_id, AuditHeadRow.last_hash).where(AuditHeadRow.id == HEAD_ID)
        )
    ).one_or_none()
    if head is None:
        if walk.seq:
            raise _Break(walk.seq, walk.entry_id, "the chain head is missing")
        return
    if head.last_id > walk.seq:  # sealed while we walked
        await walk.run(session, upto=head.last_id)
    if head.last_id > walk.seq:
        raise _Break(
            walk.seq + 1,
            None,
            f"the chain head names position {head.last_id}; entries after {walk.seq} are missing",
        )
    if head.last_id < walk.seq:
        first_after = await session.scalar(select(E.id).where(E.seq == head.last_id + 1))
        raise _Break(
            head.last_id + 1,
            first_after,
            f"entries after position {head.last_id} are not covered by the chain head",
        )
    if head.last_hash != walk.hash:
        raise _Break(walk.seq, walk.entry_id, "the chain head's hash does not match the last entry")
