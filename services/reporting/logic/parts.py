"""Storing what inspectors write, one part at a time: versioned (the ETag), every version kept."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.reporting import models
from shared.concurrency import etag
from shared.errors import PreconditionFailed
from shared.pagination import PageParams, paginate
from shared.schemas.narrative import Lang, PartVersion, StoredPart

# Parts written once per report; criteria and grades are `criteria/<id>` and `grades/<id>`.
SUMMARY, FOREWORD, ACKNOWLEDGEMENTS = "summary", "foreword", "acknowledgements"
RECOMMENDATIONS, NEXT_STEPS, GOOD_PRACTICE, SERVICE_USERS = "recommendations", "next_steps", "good_practice", "service_users"
PERFORMANCE, CASELOAD = "performance", "caseload"
FIGURES = frozenset({PERFORMANCE, CASELOAD})  # language-neutral parts


def criterion_part(criterion_id: str) -> str:
    return f"criteria/{criterion_id}"


def grade_part(criterion_id: str) -> str:
    return f"grades/{criterion_id}"


def stored_lang(part: str, lang: Lang) -> str:
    return models.NEUTRAL if part in FIGURES else lang


def part_etag(row: models.NarrativePart) -> str:
    return etag(f"{row.inspection_id}/{row.part}/{row.lang or '-'}", row.version)


def as_wire(row: models.NarrativePart) -> StoredPart[dict[str, Any]]:
    lang: Lang | None = None if row.lang == models.NEUTRAL else row.lang  # type: ignore[assignment]
    return StoredPart[dict[str, Any]](
        inspection_id=row.inspection_id,
        part=row.part,
        lang=lang,
        version=row.version,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        content=row.content,
    )


async def current(session: AsyncSession, inspection_id: UUID, part: str, lang: Lang) -> models.NarrativePart | None:
    return await session.get(models.NarrativePart, (inspection_id, part, stored_lang(part, lang)))


async def store(
    session: AsyncSession,
    inspection_id: UUID,
    part: str,
    lang: Lang,
    content: Mapping[str, Any],
    author: str | None,
    existing: models.NarrativePart | None,
    now: datetime,
) -> models.NarrativePart:
    """The part's next version (the first where ``existing`` is None), its earlier text kept in history."""
    text = dict(content)
    if existing is None:
        row = models.NarrativePart(
            inspection_id=inspection_id,
            part=part,
            lang=stored_lang(part, lang),
            version=1,
            content=text,
            updated_by=author,
            updated_at=now,
        )
        session.add(row)
    else:
        # Guarded by version: a concurrent writer that passed the same If-Match loses with 412.
        result = await session.execute(
            update(models.NarrativePart)
            .where(
                col(models.NarrativePart.inspection_id) == inspection_id,
                col(models.NarrativePart.part) == part,
                col(models.NarrativePart.lang) == existing.lang,
                col(models.NarrativePart.version) == existing.version,
            )
            .values(version=existing.version + 1, content=text, updated_by=author, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise PreconditionFailed("the part changed while this update ran")
        await session.refresh(existing)
        row = existing
    session.add(
        models.NarrativeVersion(
            inspection_id=inspection_id,
            part=part,
            lang=row.lang,
            version=row.version,
            content=text,
            updated_by=author,
            updated_at=now,
        )
    )
    await session.flush()
    return row


async def of_inspection(session: AsyncSession, inspection_id: UUID, lang: Lang) -> dict[str, dict[str, Any]]:
    """Every part's current content in ``lang`` (and the figures), by part."""
    rows = await session.scalars(
        select(models.NarrativePart).where(
            col(models.NarrativePart.inspection_id) == inspection_id, col(models.NarrativePart.lang).in_([lang, models.NEUTRAL])
        )
    )
    return {row.part: row.content for row in rows}


async def listed(session: AsyncSession, inspection_id: UUID, lang: Lang) -> list[models.NarrativePart]:
    rows = await session.scalars(
        select(models.NarrativePart)
        .where(
            col(models.NarrativePart.inspection_id) == inspection_id, col(models.NarrativePart.lang).in_([lang, models.NEUTRAL])
        )
        .order_by(models.NarrativePart.part)
    )
    return list(rows)


async def history_page(
    session: AsyncSession, inspection_id: UUID, part: str, lang: Lang, params: PageParams
) -> tuple[list[PartVersion], str | None]:
    statement = select(models.NarrativeVersion).where(
        col(models.NarrativeVersion.inspection_id) == inspection_id,
        col(models.NarrativeVersion.part) == part,
        col(models.NarrativeVersion.lang) == stored_lang(part, lang),
    )
    rows, next_cursor = await paginate(session, statement, [models.ordering(models.NarrativeVersion.version)], params)
    versions = [PartVersion(version=r.version, updated_by=r.updated_by, updated_at=r.updated_at, content=r.content) for r in rows]
    return versions, next_cursor
