"""The audit hash chain, pure."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from govservice.services.audit.chain import GENESIS, canonical, entry_hash

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_canonical_encoding_is_independent_of_key_order_and_zone() -> None:
    from zoneinfo import ZoneInfo

    local = AT.astimezone(ZoneInfo("Asia/Shanghai"))
    assert canonical({"b": 1, "a": "办件", "at": AT}) == canonical({"at": local, "a": "办件", "b": 1})
    assert canonical({"at": AT}) == b'{"at":"2026-03-02T02:00:00.000000Z"}'


def test_each_hash_covers_the_previous_one_and_the_entry() -> None:
    first = entry_hash(GENESIS, {"id": 1, "action": "approve"})
    assert first == hashlib.sha256(GENESIS.encode() + b"\n" + b'{"action":"approve","id":1}').hexdigest()
    assert entry_hash(first, {"id": 2}) != entry_hash(GENESIS, {"id": 2})
    assert entry_hash(GENESIS, {"id": 1, "action": "deny"}) != first


def test_an_entry_hashes_the_same_fields_as_before_it_had_a_chain_position() -> None:
    """Entries chained before ``seq`` existed must still verify: the position is not hashed."""
    from govservice.db.models import AuditEntryRow
    from govservice.services.audit.sealer import hashed_fields

    row = AuditEntryRow(
        id=7,
        at=AT,
        kind="decision",
        action="approve",
        actor_sub="head-1",
        actor_roles="supervisor",
        unit="FR-APPROVAL",
        enterprise_uscc="91350100M000100Y43",
        subject="application:3",
        detail={"to": "approved"},
        source=None,
    )
    fields = hashed_fields(row)
    assert sorted(fields) == [
        "action",
        "actorRoles",
        "actorSub",
        "at",
        "detail",
        "enterprise",
        "id",
        "kind",
        "source",
        "subject",
        "unit",
    ]
    before = entry_hash(GENESIS, fields)
    row.seq, row.prev_hash, row.hash = 12, GENESIS, before
    assert entry_hash(GENESIS, hashed_fields(row)) == before
