"""The cases of an inspection's sample one by one: adding one (a new sample revision), reading and listing them."""

from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import models
from services.cases.logic import inspections
from shared.db import get_or_404, utcnow
from shared.errors import Conflict
from shared.pagination import PageParams, paginate
from shared.schemas.cases import Case, CaseCreate


def as_wire(row: models.Case) -> Case:
    return Case.model_validate(row, from_attributes=True)


_INSERT = insert(models.CASES)  # prepared once: building its VALUES per request cost more than running it


async def create(session: AsyncSession, inspection_id: UUID, body: CaseCreate) -> Case:
    """Add a case to the sample of an inspection that is not published (SQL Core: no ORM objects)."""
    revision = await inspections.next_sample_revision(session, inspection_id)  # 404 or 409 unless open
    case = Case(id=uuid4(), inspection_id=inspection_id, created_at=utcnow(), **body.model_dump())
    try:
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
