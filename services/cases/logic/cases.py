"""The cases of an inspection's sample one by one: adding one (a new sample revision), reading and listing them."""

from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, bindparam, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import models
from services.cases.logic import inspections
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, NotFound
from shared.pagination import PageParams, paginate
from shared.schemas.cases import Case, CaseCreate


def as_wire(row: models.Case) -> Case:
    return Case.model_validate(row, from_attributes=True)


_STATUS = select(models.INSPECTIONS.c.status).where(models.INSPECTIONS.c.id == bindparam("inspection_id"))


async def create(session: AsyncSession, inspection_id: UUID, body: CaseCreate) -> Case:
    """Add a case to the sample of an inspection that is not published (SQL Core: no ORM objects)."""
    status = (await session.execute(_STATUS, {"inspection_id": inspection_id})).scalar_one_or_none()
    if status is None:
        raise NotFound(f"inspection {inspection_id} does not exist")
    inspections.ensure_status_open(status)
    revision = await inspections.next_sample_revision(session, inspection_id)
    case = Case(id=uuid4(), inspection_id=inspection_id, created_at=utcnow(), **body.model_dump())
    try:
        await session.execute(insert(models.CASES).values(revision=revision, **case.model_dump()))
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
