"""Audit records of rows written in bulk by statement (shared.bulk_insert), which the session events of
shared.audit cannot see row by row: one record per written row, in the same shape, the caller, request and
trace as there (read once for all the rows)."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shared.audit import of_request, record


def created(
    entity: str,
    rows: Iterable[Mapping[str, Any]],
    key: Sequence[str],
    inspection: str | None,
    request: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The audit records of inserted rows: every field given a value, the id from the ``key`` columns (joined by
    "/" when more than one), the inspection from the ``inspection`` column; ``request`` as shared.audit.of_request
    gives it (read here when not given)."""
    shared = of_request() if request is None else request
    return [
        record(
            entity,
            row[key[0]] if len(key) == 1 else "/".join(str(row[k]) for k in key),
            "create",
            [name for name, value in row.items() if value is not None],
            row[inspection] if inspection else None,
            shared,
        )
        for row in rows
    ]
