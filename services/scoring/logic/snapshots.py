"""Score snapshots: frozen scores, only ever inserted."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring import models
from shared.pagination import PageParams, paginate
from shared.problems import ProblemError
from shared.schemas.scores import InspectionScores, ScoreSnapshot


def as_wire(row: models.ScoreSnapshotRecord) -> ScoreSnapshot:
    return ScoreSnapshot(
        id=row.id, inspection_id=row.inspection_id, label=row.label, framework_id=row.framework_id,
        framework_version=row.framework_version, taken_at=row.taken_at, assessments_sha256=row.assessments_sha256,
        scores=InspectionScores.model_validate(row.scores),
    )


async def take(
    session: AsyncSession, scores: InspectionScores, assessments_sha256: str, label: str | None
) -> models.ScoreSnapshotRecord:
    row = models.ScoreSnapshotRecord(
        inspection_id=scores.inspection_id, label=label, framework_id=scores.framework_id,
        framework_version=scores.framework_version, assessments_sha256=assessments_sha256,
        scores=scores.model_dump(mode="json"),
    )
    session.add(row)
    await session.flush()
    return row


async def list_page(
    session: AsyncSession, inspection_id: UUID, params: PageParams
) -> tuple[list[models.ScoreSnapshotRecord], str | None]:
    statement = select(models.ScoreSnapshotRecord).where(models.ScoreSnapshotRecord.inspection_id == inspection_id)
    return await paginate(session, statement, (models.ScoreSnapshotRecord.taken_at, models.ScoreSnapshotRecord.id), params)


async def get(session: AsyncSession, inspection_id: UUID, snapshot_id: UUID) -> models.ScoreSnapshotRecord:
    row = await session.get(models.ScoreSnapshotRecord, snapshot_id)
    if row is None or row.inspection_id != inspection_id:
        raise ProblemError(404, "Not Found", f"no snapshot {snapshot_id} of inspection {inspection_id}", kind="not-found")
    return row


async def latest(session: AsyncSession, inspection_ids: list[UUID]) -> dict[UUID, models.ScoreSnapshotRecord]:
    """The newest snapshot of each inspection that has one."""
    rows = (await session.scalars(
        select(models.ScoreSnapshotRecord)
        .where(models.ScoreSnapshotRecord.inspection_id.in_(inspection_ids))
        .order_by(models.ScoreSnapshotRecord.taken_at, models.ScoreSnapshotRecord.id)
    )).all() if inspection_ids else []
    return {row.inspection_id: row for row in rows}
