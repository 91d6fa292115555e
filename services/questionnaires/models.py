"""Tables of this service. Its own domain tables arrive with its feature issue; until then it holds
only the idempotency records every service keeps (shared.idempotency)."""

from shared.idempotency import IdempotencyRecord

__all__ = ["IdempotencyRecord"]
