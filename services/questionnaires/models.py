"""Tables of this service. Its own domain tables arrive with its feature issue; until then it holds
only the idempotency records every service keeps (shared.idempotency)."""

from shared.idempotency import IdempotencyRecord
from shared.migrations import tables_of

__all__ = ["TABLES", "IdempotencyRecord"]

# What this service's migrations must create (tests/test_migrations.py compares them).
TABLES = tables_of(IdempotencyRecord)
