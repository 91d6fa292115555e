"""The cases of an inspection's sample one by one: adding one (a new sample revision), reading and listing them."""

from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, Select, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import models
from services.cases.logic import inspections
from shared import audit, driver_sql, writing_ctes
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, NotFound
from shared.pagination import PageParams, paginate
from shared.schemas.cases import Case, CaseCreate
from shared.writing_ctes import bound, prefixed


def as_wire(row: models.Case) -> Case:
    return Case.model_validate(row, from_attributes=True)


_INSERT = insert(models.CASES)  # prepared once: building its VALUES per request cost more than running it
_COLUMNS = tuple(c.name for c in models.CASES.c if c.name != "revision")


def _in_one_statement() -> Select[Any]:
    """On PostgreSQL (shared.writing_ctes): the sample revision's bump, the case and its audit record."""
    bump = inspections.bump_cte()
    row = select(*bound(models.CASES, _COLUMNS, "c_").values(), bump.c.sample_revision)
    case = insert(models.CASES).from_select([*_COLUMNS, "revision"], row).returning(models.CASES.c.id).cte("new_case")
    written = select(func.count()).select_from(case).scalar_subquery()
    status = inspections.status_subquery()
    return select(status.label("status"), written.label("written")).add_cte(*writing_ctes.audit_records(1, after=case))


_ONE_STATEMENT = driver_sql.Statement(_in_one_statement())


async def create(session: AsyncSession, inspection_id: UUID, body: CaseCreate) -> Case:
    """Add a case to the sample of an inspection that is not published (SQL Core: no ORM objects)."""
    case = Case(id=uuid4(), inspection_id=inspection_id, created_at=utcnow(), **body.model_dump())
    try:
        if writing_ctes.available(session):
            await writing_ctes.on_its_own(session)
            fields = [*_COLUMNS, "revision"]
            record = audit.record(models.CASES.name, case.id, "create", fields, inspection_id)
            params = prefixed(case.model_dump(), "c_") | writing_ctes.audit_params([record])
            found = await driver_sql.one(session, _ONE_STATEMENT, params | {inspections.BUMP_PARAMETER: inspection_id})
            if found["status"] is None:
                raise NotFound(f"inspection {inspection_id} does not exist")
            if found["written"] != 1:
                raise inspections.published()  # the bump refused, under the row lock
        else:
            revision = await inspections.next_sample_revision(session, inspection_id)  # 404 or 409 unless open
            await session.execute(_INSERT, {"revision": revision, **case.model_dump()})
    except IntegrityError as exc:  # the request's transaction rolls back whole
        raise Conflict(f"case reference {body.reference!r} is already in this inspection", kind="duplicate-reference") from exc
    return case


async def get(session: AsyncSession, case_id: UUID) -> models.Case:
    return await get_or_404(session, models.Case, case_id, f"case {case_id}")


async def list_page(
    session: AsyncSession, inspection_id: UUID, params: PageParams, visible: ColumnElement[bool] | None = None
) -> tuple[list[models.Case], str | None]:
    """A page of the inspection's cases ``visible`` to the caller (teams.visible_cases)."""
    await inspections.get(session, inspection_id)  # an inspection that does not exist has no page, not an empty one
    column = inspect(models.Case).c
    statement = select(models.Case).where(column.inspection_id == inspection_id)
    if visible is not None:
        statement = statement.where(visible)
    return await paginate(session, statement, (column.created_at, column.id), params)
