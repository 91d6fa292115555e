"""Audit records of rows written in bulk by statement (shared.bulk_insert), which the session events of
shared.audit cannot see row by row: one record per written row, in the same shape, the caller, request and
trace read once for them all."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from opentelemetry import trace

from shared.auth import current_caller
from shared.context import request_id_var
from shared.db import utcnow


@dataclass(frozen=True)
class Written:
    """One row written: its entity (table), id, the action and the names of the fields it set."""

    entity: str
    entity_id: object
    action: str
    fields: Iterable[str]
    inspection_id: UUID | None = None


def created(entity: str, rows: Iterable[Mapping[str, Any]], key: Sequence[str], inspection: str | None) -> list[Written]:
    """The records of inserted rows: every field given a value, the id from the ``key`` columns (joined by
    "/" when more than one), the inspection from the ``inspection`` column."""
    return [
        Written(
            entity,
            row[key[0]] if len(key) == 1 else "/".join(str(row[k]) for k in key),
            "create",
            [name for name, value in row.items() if value is not None],
            row[inspection] if inspection else None,
        )
        for row in rows
    ]


def records(written: Iterable[Written]) -> list[dict[str, Any]]:
    """Rows of the audit table for ``written``, as shared.audit's session events would record them."""
    caller = current_caller()
    context = trace.get_current_span().get_span_context()
    common = {
        "at": utcnow(),
        "actor": caller.principal.subject if caller else None,
        "role": caller.principal.role if caller and caller.principal.role else None,
        "operation": caller.action if caller else None,
        "request_id": request_id_var.get(),
        "trace_id": format(context.trace_id, "032x") if context.is_valid else None,
    }
    return [
        common
        | {
            "entity": w.entity,
            "entity_id": None if w.entity_id is None else str(w.entity_id),
            "action": w.action,
            "fields": sorted(w.fields),
            "inspection_id": w.inspection_id,
        }
        for w in written
    ]
