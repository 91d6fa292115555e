"""Tables of this service. Its own domain tables arrive with its feature issue; until then it holds
only the idempotency records and the audit trail every service keeps (shared.idempotency, shared.audit)."""

from shared.audit import AuditRecord
from shared.idempotency import IdempotencyRecord

__all__ = ["AuditRecord", "IdempotencyRecord"]
