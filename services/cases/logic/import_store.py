"""The writes of a bulk import in a few statements whatever its size: the new cases, the new and changed
assessments, a history row for each, and an audit record for every row written, all in the request's
transaction and at one sample revision (the ORM's flush and audit events would cost round trips per row)."""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import models
from services.cases.logic import inspections
from shared import audit, audit_bulk
from shared.bulk_insert import insert_rows
from shared.db import utcnow
from shared.errors import PreconditionFailed


@dataclass(frozen=True)
class Change:
    """One case's assessment to store: its first version (``after`` None) or the one after ``after``."""

    case_id: UUID
    values: dict[str, Any]  # answers, evidence, assessor, reason
    after: int | None


@dataclass
class Writes:
    cases: list[dict[str, Any]] = field(default_factory=list)  # new cases, every column but revision and created_at
    changes: list[Change] = field(default_factory=list)


async def store(session: AsyncSession, inspection: models.Inspection, writes: Writes) -> None:
    """Write ``writes`` in the session's transaction; an assessment changed meanwhile fails the whole import
    (PreconditionFailed), a case or first assessment created meanwhile too (IntegrityError: 409)."""
    if not writes.cases and not writes.changes:
        return  # nothing changes: the sample's revision stays
    revision = await inspections.next_sample_revision(session, inspection.id)
    now = utcnow()
    connection = await session.connection()
    cases = [case | {"revision": revision, "created_at": now} for case in writes.cases]
    first = [
        {
            "case_id": change.case_id,
            "inspection_id": inspection.id,
            "framework_id": inspection.framework_id,
            "framework_version": inspection.framework_version,
            "version": 1,
            **change.values,
            "revision": revision,
            "created_at": now,
            "updated_at": now,
        }
        for change in writes.changes
        if change.after is None
    ]
    request = audit.of_request()
    records = audit_bulk.created("cases", cases, ["id"], "inspection_id", request)
    records += audit_bulk.created("assessments", first, ["case_id"], "inspection_id", request)
    for change in writes.changes:
        if change.after is None:
            continue
        values = change.values | {"version": change.after + 1, "revision": revision, "updated_at": now}
        # Guarded by version, as a PUT's If-Match: of two concurrent writers one wins.
        # On the connection, past the session's audit event: recorded below with the rest.
        guarded = update(models.ASSESSMENTS).where(
            models.ASSESSMENTS.c.case_id == change.case_id, models.ASSESSMENTS.c.version == change.after
        )
        if (await connection.execute(guarded.values(values))).rowcount != 1:
            raise PreconditionFailed("an assessment changed while this import ran")
        records.append(audit.record("assessments", change.case_id, "update", list(values), inspection.id, request))
    versions = [
        {"case_id": c.case_id, "version": 1 if c.after is None else c.after + 1, **c.values, "created_at": now}
        for c in writes.changes
    ]
    records += audit_bulk.created("assessment_versions", versions, ["case_id", "version"], None, request)
    await insert_rows(connection, models.CASES, cases)
    await insert_rows(connection, models.ASSESSMENTS, first)
    await insert_rows(connection, models.ASSESSMENT_VERSIONS, versions)
    await insert_rows(connection, audit.RECORDS, records)
