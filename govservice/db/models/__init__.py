"""Every model module is imported here so that alembic's autogenerate sees the whole schema."""

from govservice.db.models.catalogue import MatterVersionRow
from govservice.db.models.idempotency import IdempotencyRecord

__all__ = ["IdempotencyRecord", "MatterVersionRow"]
