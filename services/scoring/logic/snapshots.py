"""Score snapshots: frozen scores, only ever inserted."""

from uuid import UUID

import httpx
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.scoring import models
from services.scoring.logic import assessed
from services.scoring.logic.results import Document
from services.scoring.logic.scoring import ScoreWithInterval
from shared.errors import NotFound
from shared.pagination import PageParams, paginate
from shared.schemas.scores import InspectionScores, ScoreSnapshot


def as_wire(row: models.ScoreSnapshotRecord) -> ScoreSnapshot:
    return ScoreSnapshot(
        id=row.id,
        inspection_id=row.inspection_id,
        label=row.label,
        framework_id=row.framework_id,
        framework_version=row.framework_version,
        taken_at=row.taken_at,
        assessments_sha256=row.assessments_sha256,
        scores=InspectionScores.model_validate(row.scores),
    )


def criterion_scores(row: models.ScoreSnapshotRecord) -> dict[str, ScoreWithInterval]:
    """Each criterion's frozen score and interval, read straight from the stored document (which
    was validated when it was frozen), without parsing the rest of it."""
    return {c["id"]: (c["score"], tuple(c["interval"]) if c["interval"] else None) for c in row.scores["criteria"]}


async def take(session: AsyncSession, scores: Document, assessments_sha256: str, label: str | None) -> models.ScoreSnapshotRecord:
    """Freeze an InspectionScores document."""
    row = models.ScoreSnapshotRecord(
        inspection_id=scores["inspection_id"],
        label=label,
        framework_id=scores["framework_id"],
        framework_version=scores["framework_version"],
        assessments_sha256=assessments_sha256,
        scores=InspectionScores.model_validate(scores).model_dump(mode="json"),
    )
    session.add(row)
    await session.flush()
    return row


async def list_page(
    session: AsyncSession, cases: httpx.AsyncClient, inspection_id: UUID, params: PageParams
) -> tuple[list[models.ScoreSnapshotRecord], str | None]:
    await assessed.inspection(cases, inspection_id)  # an inspection that does not exist has no snapshots page
    column = inspect(models.ScoreSnapshotRecord).c
    statement = select(models.ScoreSnapshotRecord).where(column.inspection_id == inspection_id)
    return await paginate(session, statement, (column.taken_at, column.id), params)


async def get(session: AsyncSession, inspection_id: UUID, snapshot_id: UUID) -> models.ScoreSnapshotRecord:
    row = await session.get(models.ScoreSnapshotRecord, snapshot_id)
    if row is None or row.inspection_id != inspection_id:
        raise NotFound(f"no snapshot {snapshot_id} of inspection {inspection_id}")
    return row


async def latest(session: AsyncSession, inspection_ids: list[UUID]) -> dict[UUID, models.ScoreSnapshotRecord]:
    """The newest snapshot of each inspection that has one."""
    if not inspection_ids:
        return {}
    snapshot = models.ScoreSnapshotRecord
    snapshot_id, inspection_id = col(snapshot.id), col(snapshot.inspection_id)
    newest_first = func.row_number().over(
        partition_by=inspection_id, order_by=(col(snapshot.taken_at).desc(), snapshot_id.desc())
    )
    ranked = select(snapshot_id, newest_first.label("rank")).where(inspection_id.in_(inspection_ids)).subquery()
    rows = (await session.scalars(select(snapshot).join(ranked, snapshot_id == ranked.c.id).where(ranked.c.rank == 1))).all()
    return {row.inspection_id: row for row in rows}
