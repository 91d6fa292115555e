"""Inspections: plan, move through fieldwork and reporting to publication."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import CTE, ColumnElement, ScalarSelect, Update, bindparam, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.cases import models
from services.cases.logic import teams
from shared.concurrency import etag, require_if_match
from shared.db import get_or_404, update_one, utcnow
from shared.errors import Conflict, NotFound, invalid
from shared.frameworks import FrameworkNotFound, FrameworkSource
from shared.pagination import PageParams, paginate
from shared.schemas.enums import InspectionStatus
from shared.schemas.inspections import Inspection, InspectionCreate, InspectionUpdate
from shared.schemas.sampling import SampleMix
from shared.tokens import Principal

_STATUS_ORDER = list(InspectionStatus)
FIELDWORK_DAYS = 5  # one working week


def as_wire(row: models.Inspection) -> Inspection:
    return Inspection.model_validate(row, from_attributes=True)


def sample_mix(row: models.Inspection) -> SampleMix:
    return SampleMix.model_validate(row.sample_mix)


def inspection_etag(row: models.Inspection) -> str:
    return etag(row.id, row.version)


async def create(
    session: AsyncSession, body: InspectionCreate, frameworks: FrameworkSource, creator: Principal | None = None
) -> models.Inspection:
    """Plan an inspection on a framework the scoring service has (its newest version unless one is named);
    an inspector who plans it is on its team."""
    try:
        framework = await frameworks.get(body.framework_id, body.framework_version)
    except FrameworkNotFound as exc:
        raise invalid("framework_id", str(exc), type="unknown_framework") from exc
    row = models.Inspection(
        area=body.area,
        country=body.country,
        fieldwork_start=body.fieldwork_start,
        fieldwork_end=body.fieldwork_start + timedelta(days=FIELDWORK_DAYS - 1),
        framework_id=framework.id,
        framework_version=framework.version,
        status=InspectionStatus.planned,
        sample_mix=body.sample_mix.model_dump(mode="json"),
    )
    session.add(row)
    await session.flush()
    if creator is not None:
        await teams.join_as_creator(session, row.id, creator)
    return row


async def get(session: AsyncSession, inspection_id: UUID) -> models.Inspection:
    return await get_or_404(session, models.Inspection, inspection_id, f"inspection {inspection_id}")


def ensure_open(inspection: models.Inspection) -> None:
    """What a published inspection holds (its sample, its assessments) is frozen."""
    ensure_status_open(inspection.status)


def ensure_status_open(status: str) -> None:
    if status == InspectionStatus.published:
        raise published()


def published() -> Conflict:
    return Conflict("the inspection is published; its assessments are frozen", kind="published")


@dataclass(frozen=True)
class InspectionFilter:
    status: list[InspectionStatus] | None = None
    fieldwork_from: date | None = None
    fieldwork_to: date | None = None
    framework_id: str | None = None


async def list_page(
    session: AsyncSession,
    params: PageParams,
    where: InspectionFilter = InspectionFilter(),
    visible: ColumnElement[bool] | None = None,
) -> tuple[list[models.Inspection], str | None]:
    """A page of the inspections ``visible`` to the caller (teams.visible_inspections) that match ``where``."""
    column = inspect(models.Inspection).c
    statement = select(models.Inspection)
    if visible is not None:
        statement = statement.where(visible)
    if where.status:
        statement = statement.where(column.status.in_([s.value for s in where.status]))
    if where.fieldwork_from:
        statement = statement.where(column.fieldwork_start >= where.fieldwork_from)
    if where.fieldwork_to:
        statement = statement.where(column.fieldwork_start <= where.fieldwork_to)
    if where.framework_id:
        statement = statement.where(column.framework_id == where.framework_id)
    return await paginate(session, statement, (column.created_at, column.id), params)


async def change(session: AsyncSession, inspection_id: UUID, body: InspectionUpdate, if_match: str | None) -> models.Inspection:
    """Change an inspection as last read (``if_match``: the ETag the change was made on)."""
    row = await get(session, inspection_id)
    require_if_match(if_match, inspection_etag(row))
    values = body.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if not values:
        return row  # nothing to change: the version (and ETag) stay
    if "status" in values:
        current, wanted = _STATUS_ORDER.index(InspectionStatus(row.status)), _STATUS_ORDER.index(values["status"])
        if wanted < current:
            raise Conflict(f"status cannot move back from {row.status} to {values['status']}", kind="status-transition")
    if body.fieldwork_start is not None:
        values["fieldwork_start"] = body.fieldwork_start
        values["fieldwork_end"] = body.fieldwork_start + timedelta(days=FIELDWORK_DAYS - 1)
    # Guarded by version so a concurrent writer cannot be overwritten silently.
    await update_one(
        session,
        update(models.Inspection)
        .where(col(models.Inspection.id) == row.id, col(models.Inspection.version) == row.version)
        .values(**values, version=row.version + 1, updated_at=utcnow()),
        "the inspection changed while this update ran",
    )
    await session.refresh(row)
    return row


BUMP_PARAMETER = "bump_inspection"


def _bump(*conditions: ColumnElement[bool]) -> Update:
    """The sample revision's bump of the inspection named by BUMP_PARAMETER (its row lock orders the writers)."""
    table = models.INSPECTIONS
    return (
        update(table)
        .where(table.c.id == bindparam(BUMP_PARAMETER), *conditions)
        .values(sample_revision=table.c.sample_revision + 1)
    )


_BUMP_SAMPLE_REVISION = _bump().returning(models.INSPECTIONS.c.sample_revision, models.INSPECTIONS.c.status)


def bump_cte(*conditions: ColumnElement[bool]) -> CTE:
    """The bump as a writing CTE (shared.writing_ctes), if the inspection is open (its status read under the row
    lock) and ``conditions`` hold: its new revision, else no row."""
    table = models.INSPECTIONS
    open_only = table.c.status != InspectionStatus.published.value
    return _bump(open_only, *conditions).returning(table.c.sample_revision).cte("bump")


def status_subquery() -> ScalarSelect[Any]:
    """The status of the inspection named by BUMP_PARAMETER as a statement begins (None when there is none)."""
    table = models.INSPECTIONS
    return select(table.c.status).where(table.c.id == bindparam(BUMP_PARAMETER)).scalar_subquery()


async def next_sample_revision(session: AsyncSession, inspection_id: UUID) -> int:
    """Bump the revision of the inspection's sample for a write in this transaction and return it.
    The row lock it takes orders concurrent writers, so revisions commit in the order they count; the
    inspection's status is read under that lock, so no write lands once it is published."""
    found = (await session.execute(_BUMP_SAMPLE_REVISION, {BUMP_PARAMETER: inspection_id})).one_or_none()
    if found is None:
        raise NotFound(f"inspection {inspection_id} does not exist")
    ensure_status_open(found.status)
    revision: int = found.sample_revision
    return revision
