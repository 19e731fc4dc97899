"""Sealing: chaining the entries that were inserted unsealed.

Requests insert their entries with no chain position, in their own transaction and with no lock.
The sealer (the worker, each round) gives a batch of them, in id order, the next positions ``seq``
and their hashes, in one transaction that starts by updating the single ``audit_head`` row: on
SQLite that first write takes the database's write lock at once (a transaction that reads first
and writes later can fail with "database is locked" instead of waiting), on PostgreSQL it is a row
lock, so concurrent sealers queue and extend one chain. It looks for ``seq IS NULL``, never past an
id cursor, so an entry whose transaction commits after entries with higher ids were sealed is
sealed in a later round instead of being skipped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.db.models import AuditEntryRow, AuditHeadRow
from govservice.services.audit.chain import GENESIS, entry_hash

HEAD_ID = 1
E = AuditEntryRow
# What an entry's hash covers (the chain position is not part of it: entries chained before
# ``seq`` existed still verify).
HASHED = (
    E.id,
    E.at,
    E.kind,
    E.action,
    E.actor_sub,
    E.actor_roles,
    E.unit,
    E.enterprise_uscc,
    E.subject,
    E.detail,
    E.source,
)


def hashed_fields(row: Any) -> dict[str, Any]:
    """The hashed fields of an entry: an ``AuditEntryRow`` or a row selected with ``HASHED``."""
    return {
        "id": row.id,
        "at": row.at,
        "kind": row.kind,
        "action": row.action,
        "actorSub": row.actor_sub,
        "actorRoles": row.actor_roles,
        "unit": row.unit,
        "enterprise": row.enterprise_uscc,
        "subject": row.subject,
        "detail": row.detail,
        "source": row.source,
    }


async def claim_head(session: AsyncSession) -> tuple[int, str]:
    """The chain's last position and hash, claimed for this transaction: the first statement is an
    UPDATE of the head row (created if missing), held until the transaction ends."""
    claim = (
        update(AuditHeadRow)
        .where(AuditHeadRow.id == HEAD_ID)
        .values(last_id=AuditHeadRow.last_id)
        .returning(AuditHeadRow.last_id, AuditHeadRow.last_hash)
        .execution_options(synchronize_session=False)
    )
    head = (await session.execute(claim)).one_or_none()
    if head is None:
        postgres = session.get_bind().dialect.name == "postgresql"
        create = (pg_insert if postgres else sqlite_insert)(AuditHeadRow).values(
            id=HEAD_ID, last_id=0, last_hash=GENESIS
        )
        await session.execute(create.on_conflict_do_nothing(index_elements=["id"]))
        head = (await session.execute(claim)).one()
    return head.last_id, head.last_hash


async def seal_batch(session: AsyncSession, limit: int) -> int:
    """Chain up to ``limit`` unsealed entries after the head, in id order; returns how many. The
    caller owns the transaction (and must not have written anything in it before)."""
    last_seq, last_hash = await claim_head(session)
    rows = (await session.execute(select(*HASHED).where(E.seq.is_(None)).order_by(E.id).limit(limit))).all()
    if not rows:
        return 0
    sealed = []
    for row in rows:
        last_seq += 1
        digest = entry_hash(last_hash, hashed_fields(row))
        sealed.append({"id": row.id, "seq": last_seq, "prev_hash": last_hash, "hash": digest})
        last_hash = digest
    # ORM bulk UPDATE by primary key: one executemany, not a round trip per entry.
    await session.execute(update(AuditEntryRow), sealed)
    await session.execute(
        update(AuditHeadRow)
        .where(AuditHeadRow.id == HEAD_ID)
        .values(last_id=last_seq, last_hash=last_hash)
        .execution_options(synchronize_session=False)
    )
    return len(sealed)
