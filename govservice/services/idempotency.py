"""Idempotency-Key bookkeeping: claim a key, store the first response, replay it later.

Records are kept for the configured TTL (``GOVSERVICE_IDEMPOTENCY_TTL_HOURS``, 24 h by default),
counted from the first request: an older one counts as absent (the key may be used afresh, even one
whose first request never finished), and :meth:`IdempotencyService.purge_expired` deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from govservice.db.models.idempotency import IdempotencyRecord
from govservice.db.results import rowcount
from govservice.db.upsert import insert_if_absent
from govservice.errors import Conflict, RuleViolation
from govservice.services.context import ServiceContext


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    headers: list[tuple[str, str]]
    body: bytes


class IdempotencyService:
    PURGE_BATCH = 500  # records deleted per worker round: one short transaction

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def _expired_before(self, now: datetime) -> datetime:
        return now - timedelta(hours=self._ctx.settings.idempotency_ttl_hours)

    async def claim(self, owner: str, key: str, fingerprint: str) -> StoredResponse | None:
        """None: the key is ours, go ahead. A response: replay it. Raises when the key was used
        for another request (422) or the first request is still running (409)."""
        now = self._ctx.clock.now()
        async with self._ctx.transaction() as session:

            async def insert() -> bool:
                return await insert_if_absent(
                    session,
                    IdempotencyRecord,
                    ["owner", "key"],
                    owner=owner,
                    key=key,
                    fingerprint=fingerprint,
                    created_at=now,
                )

            if await insert():
                return None
            # An expired record is absent: drop it and claim the key afresh (if another request
            # got there between the two statements, its fresh record is read below as usual).
            expired = await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.owner == owner,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.created_at < self._expired_before(now),
                )
            )
            if rowcount(expired) and await insert():
                return None
            record = await session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
                )
            )
        if record is None:  # released between our insert and our read: the caller may retry
            raise Conflict(
                "the first request with this Idempotency-Key failed just now; retry",
                code="idempotency_in_progress",
            )
        if record.fingerprint != fingerprint:
            raise RuleViolation(
                "this Idempotency-Key was already used for a different request", code="idempotency_key_reused"
            )
        if record.status_code is None:
            raise Conflict(
                "the first request with this Idempotency-Key is still being processed",
                code="idempotency_in_progress",
            )
        return StoredResponse(
            record.status_code, [tuple(h) for h in record.headers or []], record.body or b""
        )

    async def complete(self, owner: str, key: str, response: StoredResponse) -> None:
        async with self._ctx.transaction() as session:
            await session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
                .values(
                    status_code=response.status_code,
                    headers=[list(h) for h in response.headers],
                    body=response.body,
                )
            )

    async def release(self, owner: str, key: str) -> None:
        """The request failed on our side: forget the key so that a retry runs afresh."""
        async with self._ctx.transaction() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
                )
            )

    async def purge_expired(self) -> int:
        """Delete up to :attr:`PURGE_BATCH` expired records (oldest first, by the ``created_at``
        index) in one short transaction; the number deleted (the worker calls it every round)."""
        cutoff = self._expired_before(self._ctx.clock.now())
        async with self._ctx.transaction() as session:
            ids = (
                select(IdempotencyRecord.id)
                .where(IdempotencyRecord.created_at < cutoff)
                .order_by(IdempotencyRecord.created_at)
                .limit(self.PURGE_BATCH)
                .scalar_subquery()
            )
            result = await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(ids)))
        return rowcount(result)
