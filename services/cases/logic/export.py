"""The inspectors' spreadsheet of an inspection's assessments (CSV: one row per case, one column per question
id), streamed; it re-imports unchanged."""

import csv
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.cases.logic import inspections
from services.cases.logic.bulk_read import export_page
from services.cases.logic.spreadsheet import CASE_COLUMNS, LEADING_COLUMNS, question_columns
from shared.frameworks import FrameworkSource
from shared.pagination import PageParams
from shared.schemas.cases import attribute_text
from shared.schemas.frameworks import Framework


def _cell(value: Any) -> str:
    return "" if value is None else attribute_text(value)


def _csv_line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


async def spreadsheet(
    session: AsyncSession, sessions: async_sessionmaker[AsyncSession], frameworks: FrameworkSource, inspection_id: UUID
) -> AsyncIterator[str]:
    """The inspection's spreadsheet, as lines to stream: the inspection and its framework are read first,
    so that a failure is answered before the first line goes out."""
    inspection = await inspections.get(session, inspection_id)
    framework = await frameworks.of_inspection(inspection.framework_id, inspection.framework_version)
    return export_csv(sessions, inspection_id, framework)


async def export_csv(
    sessions: async_sessionmaker[AsyncSession], inspection_id: UUID, framework: Framework, batch: int = 500
) -> AsyncIterator[str]:
    """The spreadsheet, streamed a batch of cases at a time, in a session of its own (it outlives the request's)."""
    questions = question_columns(framework)
    yield _csv_line(LEADING_COLUMNS + questions)
    cursor = None
    async with sessions() as session:
        while True:
            items, cursor = await export_page(session, inspection_id, PageParams(limit=batch, cursor=cursor))
            for item in items:
                case, assessment = item.case, item.assessment
                answers = assessment.answers if assessment else {}
                yield _csv_line(
                    [case.reference, *(_cell(getattr(case, c)) for c in CASE_COLUMNS)]
                    + [_cell(assessment.assessor) if assessment else "", assessment.version if assessment else ""]
                    + [_cell(answers.get(q)) for q in questions]
                )
            if cursor is None:
                return
