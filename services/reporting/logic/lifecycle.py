"""The report from draft to published: sending a numbered draft for comment, publishing all or nothing.

Publishing runs in three steps, each safe to repeat: (1) a score snapshot (its Idempotency-Key is the
inspection and draft number, so a retry gets the same one) and the assembled document frozen with its
SHA-256 and its renderings (JSON, HTML and PDF in each language it is published in), stored as
*pending*; (2) the inspection moved to published in cases; (3) the report marked
published. A failure anywhere leaves the report unpublished; publishing again resumes where it stopped,
reusing the frozen document and its snapshot."""

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.reporting import models
from services.reporting.logic import i18n, printing, rendering, upstream
from services.reporting.logic.gather import Gathered, gather
from services.reporting.logic.upstream import Upstream
from shared.concurrency import etag
from shared.errors import Conflict, UpstreamUnavailable
from shared.responses import to_json
from shared.schemas.inspections import Inspection
from shared.schemas.narrative import Lang
from shared.schemas.reports import ReportDocument, ReportState, ReportStatus

# Assembles the document from what was gathered (the narrative is read in the caller's session).
Assemble = Callable[[AsyncSession, Gathered, datetime, UUID, Lang], Awaitable[ReportDocument]]


def report_etag(inspection_id: UUID, row: models.Report | None) -> str:
    return etag(f"report-{inspection_id}", row.version if row else 1)


def new(inspection_id: UUID, now: datetime) -> models.Report:
    """A report not yet stored: a first draft."""
    return models.Report(
        inspection_id=inspection_id,
        status=ReportStatus.draft,
        sent_for_comment_at=None,
        published_at=None,
        document=None,
        sha256=None,
        improvement_plan_at=None,
        reinspection_at=None,
        updated_at=now,
    )


def state(inspection_id: UUID, row: models.Report | None) -> ReportState:
    report = row or new(inspection_id, datetime.now(UTC))
    published = report.status == ReportStatus.published
    return ReportState(
        inspection_id=inspection_id,
        status=ReportStatus(report.status),
        draft_number=report.draft_number,
        version=report.version,
        sent_for_comment_at=report.sent_for_comment_at,
        published_at=report.published_at if published else None,
        publication_pending=report.document is not None and not published,
        snapshot_id=report.snapshot_id if published else None,
        sha256=report.sha256 if published else None,
    )


async def get(session: AsyncSession, inspection_id: UUID) -> models.Report | None:
    return await session.get(models.Report, inspection_id)


async def get_or_new(session: AsyncSession, inspection_id: UUID, now: datetime) -> models.Report:
    row = await get(session, inspection_id)
    if row is None:
        row = new(inspection_id, now)
        session.add(row)
        await session.flush()
    return row


def ensure_not_published(row: models.Report | None) -> None:
    if row is not None and (row.status == ReportStatus.published or row.document is not None):
        raise Conflict("the report is published (or being published): it is frozen", kind="published")


async def send_for_comment(session: AsyncSession, inspection_id: UUID, now: datetime) -> models.Report:
    """Send the draft to the area; sending again sends the next numbered draft."""
    row = await get_or_new(session, inspection_id, now)
    ensure_not_published(row)
    if row.status == ReportStatus.sent_for_comment:
        row.draft_number += 1
    row.status = ReportStatus.sent_for_comment
    row.sent_for_comment_at = row.sent_for_comment_at or now
    row.version += 1
    row.updated_at = now
    await session.flush()
    return row


def snapshot_key(inspection_id: UUID, draft_number: int) -> str:
    return f"report-{inspection_id}-draft-{draft_number}"


async def _freeze(
    sessions: async_sessionmaker[AsyncSession], up: Upstream, row: models.Report, assemble: Assemble, now: datetime
) -> None:
    """Step 1: the snapshot and the frozen document, stored as pending (nothing published yet)."""
    snapshot = await upstream.take_snapshot(
        up, row.inspection_id, snapshot_key(row.inspection_id, row.draft_number), f"published report, draft {row.draft_number}"
    )
    gathered = await gather(up, row.inspection_id, frozen=snapshot.scores)
    if not gathered.complete():
        missing = ", ".join(w.service for w in gathered.warnings)
        raise UpstreamUnavailable(f"a report is published only whole; not available now: {missing}")
    # Every language the inspection publishes in, each rendered as JSON, HTML and PDF from its frozen bytes.
    country = gathered.inspection.country if isinstance(gathered.inspection, Inspection) else "england"
    async with sessions() as session:
        bodies = {
            lang: to_json((await assemble(session, gathered, now, snapshot.id, lang)).model_dump(mode="json"))
            for lang in i18n.languages(country)
        }
    renderings = await printing.in_worker(rendering.render_all, bodies)
    body = bodies["en"]
    async with sessions.begin() as session:
        thread = snapshot.scores.roh_thread.score
        # Only the first of two racing publications freezes; the other goes on with what it froze.
        frozen = await session.execute(
            update(models.Report)
            .where(col(models.Report.inspection_id) == row.inspection_id, col(models.Report.document).is_(None))
            .values(
                document=body,
                sha256=hashlib.sha256(body).hexdigest(),
                snapshot_id=snapshot.id,
                published_at=now,
                roh_thread_score=thread,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if frozen.rowcount == 1:  # type: ignore[attr-defined]
            session.add_all(rendering.rows(row.inspection_id, renderings))


async def publish(
    sessions: async_sessionmaker[AsyncSession], up: Upstream, inspection_id: UUID, assemble: Assemble, now: datetime
) -> models.Report:
    """Publish the draft sent for comment, all or nothing; publishing a published report answers it again."""
    async with sessions() as session:
        row = await get(session, inspection_id)
    if row is not None and row.status == ReportStatus.published:
        return row
    if row is None or row.status != ReportStatus.sent_for_comment:
        raise Conflict("only a draft sent for comment is published", kind="status-transition")
    if row.document is None:
        await _freeze(sessions, up, row, assemble, now)
    await upstream.mark_published(up, inspection_id)
    async with sessions.begin() as session:
        await session.execute(
            update(models.Report)
            .where(col(models.Report.inspection_id) == inspection_id, col(models.Report.status) != ReportStatus.published)
            .values(status=ReportStatus.published, version=models.Report.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    async with sessions() as session:
        return await get_or_new(session, inspection_id, now)
