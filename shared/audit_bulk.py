"""Audit records of rows written in bulk by statement (shared.bulk_insert), which the session events of
shared.audit cannot see row by row: one record per written row, in the same shape, the caller, request and
trace as there."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from shared.audit import record


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
    """Rows of the audit table for ``written``, as shared.audit's session events record them."""
    return [record(w.entity, w.entity_id, w.action, list(w.fields), w.inspection_id) for w in written]
