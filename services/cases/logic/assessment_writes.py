"""The writes that store one assessment version, with their audit records: on PostgreSQL one statement (writing
CTEs: the sample revision's bump, the current row, the history row, the records), atomic by itself, so the request
runs without a transaction (no BEGIN and COMMIT round trips) and a refused write writes nothing; elsewhere a
statement each in the request's transaction (SQLite has no writing CTEs; the session's audit events record them)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Insert, Select, bindparam, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import models
from services.cases.logic import inspections
from shared import audit, driver_sql, writing_ctes
from shared.concurrency import etag
from shared.db import update_one
from shared.errors import NotFound, PreconditionFailed
from shared.schemas.enums import InspectionStatus
from shared.writing_ctes import bound, prefixed

CHANGED_MEANWHILE = "the assessment changed while this update ran"
# The columns the request gives (the rest are the case's, the version's and the clock's).
SUBMITTED = ("answers", "evidence", "assessor", "reason")
_HISTORY = ("case_id", "version", *SUBMITTED, "created_at")
_CURRENT = ("case_id", "inspection_id", "framework_id", "framework_version", "version", *SUBMITTED, "created_at", "updated_at")
_UPDATED = ("version", "revision", "updated_at", *SUBMITTED)


@dataclass(frozen=True)
class Version:
    """One version to store: ``existing`` the current version number (None for a case's first assessment)."""

    case_id: UUID
    inspection_id: UUID
    framework_id: str
    framework_version: int
    existing: int | None
    submitted: dict[str, Any]
    at: datetime

    @property
    def number(self) -> int:
        return 1 if self.existing is None else self.existing + 1

    @property
    def first(self) -> bool:
        return self.existing is None

    @property
    def etag(self) -> str:
        return etag(self.case_id, self.number)

    def history_row(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "version": self.number, **self.submitted, "created_at": self.at}

    def current_row(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "inspection_id": self.inspection_id,
            "framework_id": self.framework_id,
            "framework_version": self.framework_version,
            "version": self.number,
            **self.submitted,
            "created_at": self.at,
            "updated_at": self.at,
        }


async def prepare(session: AsyncSession) -> None:
    """Before the request's first statement: where the write is one statement, no transaction around it."""
    await writing_ctes.reads_alone(session)


async def store(session: AsyncSession, version: Version) -> None:
    """Write the version (a unique violation, a concurrent first write, answers 409; a concurrent update 412)."""
    if writing_ctes.available(session):
        await _in_one_statement(session, version)
    else:
        await _statement_by_statement(session, version)


async def _statement_by_statement(session: AsyncSession, version: Version) -> None:
    if version.existing is not None:
        # Guarded by version: of two concurrent writers one wins, the other's matches no row. (The inspection in
        # the WHERE names it in the update's audit record.)
        revision = await inspections.next_sample_revision(session, version.inspection_id)
        current = models.ASSESSMENTS.c
        guarded = update(models.ASSESSMENTS).where(
            current.case_id == version.case_id,
            current.version == version.existing,
            current.inspection_id == version.inspection_id,
        )
        changes = {"version": version.number, "revision": revision, "updated_at": version.at, **version.submitted}
        await update_one(session, guarded.values(**changes), CHANGED_MEANWHILE)
    await session.execute(_INSERT_HISTORY, version.history_row())
    if version.existing is None:
        # The revision last, so the inspection's row lock (which orders its writers) is held the least time.
        revision = await inspections.next_sample_revision(session, version.inspection_id)
        await session.execute(_INSERT_CURRENT, version.current_row() | {"revision": revision})


async def _in_one_statement(session: AsyncSession, version: Version) -> None:
    first = version.first
    history_id = f"{version.case_id}/{version.number}"
    records = [
        audit.record(models.ASSESSMENT_VERSIONS.name, history_id, "create", list(_HISTORY), version.inspection_id),
        audit.record(
            models.ASSESSMENTS.name,
            version.case_id,
            "create" if first else "update",
            [*_CURRENT, "revision"] if first else list(_UPDATED),
            version.inspection_id,
        ),
    ]
    params = prefixed(version.current_row(), "c_") | writing_ctes.audit_params(records)
    params[inspections.BUMP_PARAMETER] = version.inspection_id
    if not first:
        params["c_existing"] = version.existing
    found = await driver_sql.one(session, _FIRST if first else _NEXT, params)
    if found["written"] == 1:
        return
    if found["status"] is None:
        raise NotFound(f"inspection {version.inspection_id} does not exist")
    if first or found["status"] == InspectionStatus.published:
        raise inspections.published()  # the bump refused, under the row lock (published meanwhile)
    # The version changed meanwhile (or a publication committed while the statement waited for the row lock,
    # which its snapshot does not show: the re-read then says published).
    raise PreconditionFailed(CHANGED_MEANWHILE)


# Prepared once: building an INSERT's VALUES clause per request cost more than running it.
_INSERT_CURRENT = insert(models.ASSESSMENTS)
_INSERT_HISTORY = insert(models.ASSESSMENT_VERSIONS)


def _one_statement(first: bool) -> Select[Any]:
    """bump: the sample revision, of an open inspection only (its row lock orders the inspection's writers);
    current: the assessment's row, with that revision, the guarded update matching the version last read;
    history and the records: only after current was written (they read its output; so a concurrent update is a
    412 there, not a unique violation of the history row), the history row copied from current's (the answers
    are sent, encoded and read by the database once, not twice). The answer: the inspection's status as the
    statement began, and whether current was written."""
    a, h = models.ASSESSMENTS, models.ASSESSMENT_VERSIONS
    case, existing = bindparam("c_case_id", type_=a.c.case_id.type), bindparam("c_existing", type_=a.c.version.type)
    # An update bumps only if the version it follows is current. A writer that loses a race for the same version
    # can still leave its bump (the EXISTS reads the statement's snapshot): a revision with no change, which
    # readers of changes since a revision see as nothing new.
    bump = inspections.bump_cte() if first else inspections.bump_cte(exists().where(a.c.case_id == case, a.c.version == existing))
    if first:
        given = bound(a, _CURRENT, "c_")
        row = select(*given.values(), bump.c.sample_revision)
        current: Any = insert(a).from_select([*_CURRENT, "revision"], row).returning(*_AS_HISTORY).cte("current")
    else:
        changes = bound(a, tuple(c for c in _UPDATED if c != "revision"), "c_")
        revision = select(bump.c.sample_revision).scalar_subquery()
        current = (
            update(a)
            .where(a.c.case_id == case, a.c.version == existing, exists(bump.select()))
            .values(**changes, revision=revision)
            .returning(*_AS_HISTORY)
            .cte("current")
        )
    history_row = select(*(current.c[c.name] for c in _AS_HISTORY))
    history: Insert = insert(h).from_select(list(_HISTORY), history_row)
    written = select(func.count()).select_from(current).scalar_subquery()
    status = inspections.status_subquery()
    records = writing_ctes.audit_records(2, after=current)
    return select(status.label("status"), written.label("written")).add_cte(history.cte("history"), *records)


# The current row's columns that make the history row (the history's created_at is when the version was written).
_AS_HISTORY = (*(models.ASSESSMENTS.c[name] for name in _HISTORY[:-1]), models.ASSESSMENTS.c.updated_at)
_FIRST, _NEXT = driver_sql.Statement(_one_statement(first=True)), driver_sql.Statement(_one_statement(first=False))
