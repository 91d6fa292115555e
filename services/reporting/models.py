"""Tables of this service. Its own domain tables arrive with its feature issue; until then it holds
only the idempotency records and the audit trail every service keeps (shared.idempotency, shared.audit)."""

from shared.audit import AuditRecord
from shared.idempotency import IdempotencyRecord
from shared.migrations import tables_of

__all__ = ["TABLES", "AuditRecord", "IdempotencyRecord"]

# What this service's migrations must create (tests/test_migrations.py compares them).
TABLES = tables_of(IdempotencyRecord, AuditRecord)
