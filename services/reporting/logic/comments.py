"""The area's comments on a draft sent for comment, each recorded against its draft number and answered."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.reporting import models
from shared.concurrency import etag
from shared.db import get_or_404
from shared.errors import Conflict, NotFound
from shared.pagination import PageParams, paginate
from shared.schemas.reports import Comment, CommentAnswerPut, CommentCreate, ReportStatus


def as_wire(row: models.ReportComment) -> Comment:
    return Comment.model_validate(row, from_attributes=True)


def comment_etag(row: models.ReportComment) -> str:
    return etag(row.id, row.version)


async def record(
    session: AsyncSession, report: models.Report | None, inspection_id: UUID, body: CommentCreate, now: datetime
) -> models.ReportComment:
    if report is None or report.status != ReportStatus.sent_for_comment or report.document is not None:
        raise Conflict("comments are recorded while a draft is out for comment", kind="status-transition")
    row = models.ReportComment(
        inspection_id=inspection_id,
        draft_number=report.draft_number,
        section=body.section,
        text=body.text,
        created_at=now,
        outcome=None,
        answered_at=None,
    )
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, inspection_id: UUID, comment_id: UUID) -> models.ReportComment:
    row = await get_or_404(session, models.ReportComment, comment_id, f"comment {comment_id}")
    if row.inspection_id != inspection_id:
        raise NotFound(f"comment {comment_id} does not exist")
    return row


async def answer(session: AsyncSession, row: models.ReportComment, body: CommentAnswerPut, now: datetime) -> models.ReportComment:
    row.outcome = body.outcome
    row.note = body.note
    row.answered_at = now
    row.version += 1
    await session.flush()
    return row


async def list_page(
    session: AsyncSession, inspection_id: UUID, draft_number: int | None, params: PageParams
) -> tuple[list[models.ReportComment], str | None]:
    statement = select(models.ReportComment).where(col(models.ReportComment.inspection_id) == inspection_id)
    if draft_number is not None:
        statement = statement.where(col(models.ReportComment.draft_number) == draft_number)
    order = [models.ordering(models.ReportComment.created_at), models.ordering(models.ReportComment.id)]
    return await paginate(session, statement, order, params)
