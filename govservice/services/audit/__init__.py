"""The tamper-evident audit trail: append, verify, list who read an enterprise's data."""

from govservice.services.audit.chain import GENESIS, entry_hash
from govservice.services.audit.service import AuditEntry, AuditLog, ChainReport, DataAccess

__all__ = ["GENESIS", "AuditEntry", "AuditLog", "ChainReport", "DataAccess", "entry_hash"]
