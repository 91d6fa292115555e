"""The report as served: a draft assembled live, a published one as its frozen bytes; and what is
overdue across inspections."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.reporting import models
from services.reporting.logic import assembly, lifecycle, parts, timeline, upstream
from services.reporting.logic.gather import Gathered, gather
from services.reporting.logic.upstream import Upstream
from shared.errors import NotFound
from shared.schemas.narrative import Lang
from shared.schemas.reports import OverdueMilestone, ReportDocument, ReportStatus


async def draft(session: AsyncSession, up: Upstream, inspection_id: UUID, lang: Lang, now: datetime) -> ReportDocument:
    """The report as it stands now, assembled from every service (parts one cannot give are marked)."""
    row = await lifecycle.get(session, inspection_id)
    gathered = await gather(up, inspection_id)
    texts = await parts.of_inspection(session, inspection_id, lang)
    state = lifecycle.state(inspection_id, row)
    return assembly.document(inspection_id, gathered, texts, lang, status=state.status, draft_number=state.draft_number, now=now)


def is_published(row: models.Report | None) -> bool:
    return row is not None and row.status == ReportStatus.published and row.document is not None


def require_draft_reader(by_link: bool, role: str | None) -> None:
    """A reader, or a link, reads published reports only: while publication is under way (the inspection is
    published before its report is frozen) there is nothing for them yet, never the draft."""
    if by_link or role == "reader":
        raise NotFound("this inspection's report is not published yet")


def publication_assembler(inspection_id: UUID, draft_number: int) -> lifecycle.Assemble:
    """How publication assembles the document it freezes: the snapshot's scores, marked published."""

    async def assemble(session: AsyncSession, gathered: Gathered, now: datetime, snapshot_id: UUID, lang: Lang) -> ReportDocument:
        texts = await parts.of_inspection(session, inspection_id, lang)
        return assembly.document(
            inspection_id,
            gathered,
            texts,
            lang,
            status=ReportStatus.published,
            draft_number=draft_number,
            now=now,
            published_at=now,
            snapshot_id=snapshot_id,
        )

    return assemble


async def overdue_page(
    session: AsyncSession, up: Upstream, intervals: timeline.Intervals, now: datetime, limit: int, cursor: str | None
) -> tuple[list[OverdueMilestone], str | None]:
    """What is overdue in a page of inspections (cases' page and cursor): a page may hold none, or
    several milestones of one inspection."""
    inspections, next_cursor = await upstream.inspections_page(up, limit, cursor)
    reports = {
        r.inspection_id: r
        for r in await session.scalars(
            select(models.Report).where(col(models.Report.inspection_id).in_([i.id for i in inspections]))
        )
    }
    items = []
    for inspection in inspections:
        line = timeline.timeline(
            inspection.id, inspection.fieldwork_start, inspection.fieldwork_end, reports.get(inspection.id), intervals, now
        )
        items += [
            OverdueMilestone(inspection_id=inspection.id, area=inspection.area, milestone=m) for m in line.milestones if m.overdue
        ]
    return items, next_cursor
