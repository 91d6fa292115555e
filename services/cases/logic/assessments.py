"""Case assessments: answers per question, validated against the inspection's framework version, stored
as a new version (guarded by the version last read) and kept with their whole history."""

from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import models
from services.cases.logic import assessment_writes, cases, inspections
from services.cases.logic.answer_rules import rules_of
from shared import driver_sql
from shared.concurrency import etag, require_if_match
from shared.db import get_or_404, utcnow
from shared.errors import InvalidInput, NotFound
from shared.frameworks import FrameworkSource
from shared.pagination import PageParams, paginate
from shared.responses import to_json
from shared.schemas.cases import Assessment, AssessmentPut, AssessmentVersion
from shared.schemas.common import FieldError, Page
from shared.schemas.enums import CaseType
from shared.schemas.frameworks import Framework


def check_answers(
    framework: Framework, case_type: CaseType, answers: dict[str, Any], evidence: dict[str, Any], prefix: str = ""
) -> list[FieldError]:
    """Every entry the framework does not allow for this case, named; empty when all is well."""
    return rules_of(framework).check(case_type, answers, evidence, prefix)


def assessment_etag(row: models.Assessment) -> str:
    return etag(row.case_id, row.version)


def as_wire(row: models.Assessment) -> Assessment:
    return Assessment.model_validate(row, from_attributes=True)


def version_as_wire(row: models.AssessmentVersion, inspection_id: UUID) -> AssessmentVersion:
    return AssessmentVersion(
        case_id=row.case_id,
        inspection_id=inspection_id,
        version=row.version,
        answers=row.answers,
        evidence=row.evidence,
        assessor=row.assessor,
        reason=row.reason,
        created_at=row.created_at,
    )


async def get(session: AsyncSession, case_id: UUID) -> models.Assessment:
    return await get_or_404(session, models.Assessment, case_id, f"an assessment of case {case_id}")


# The write path in SQL Core: no ORM objects, one read of everything a PUT checks, then the writes.
_WRITE_CONTEXT = driver_sql.Statement(
    select(
        models.CASES.c.case_type,
        models.CASES.c.inspection_id,
        models.INSPECTIONS.c.status,
        models.INSPECTIONS.c.framework_id,
        models.INSPECTIONS.c.framework_version,
        models.ASSESSMENTS.c.version,
    )
    .select_from(
        models.CASES.join(models.INSPECTIONS, models.INSPECTIONS.c.id == models.CASES.c.inspection_id).outerjoin(
            models.ASSESSMENTS, models.ASSESSMENTS.c.case_id == models.CASES.c.id
        )
    )
    .where(models.CASES.c.id == bindparam("case_id"))
)


def as_json(stored: assessment_writes.Version) -> bytes:
    """The wire Assessment of a version just stored, serialised once (the route's response_model documents it)."""
    return to_json(
        {
            "case_id": stored.case_id,
            "inspection_id": stored.inspection_id,
            "version": stored.number,
            **stored.submitted,
            "framework_id": stored.framework_id,
            "framework_version": stored.framework_version,
            "updated_at": stored.at,
        }
    )


async def put(
    session: AsyncSession, frameworks: FrameworkSource, case_id: UUID, body: AssessmentPut, if_match: str | None
) -> assessment_writes.Version:
    """Store a case's assessment: the first version, or (``if_match`` naming the current one) the next."""
    await assessment_writes.prepare(session)
    found = await driver_sql.one_or_none(session, _WRITE_CONTEXT, {"case_id": case_id})
    if found is None:
        raise NotFound(f"case {case_id} does not exist")
    inspections.ensure_status_open(found["status"])
    existing: int | None = found["version"]
    if existing is not None:
        require_if_match(if_match, etag(case_id, existing))
    framework_id, framework_version = found["framework_id"], found["framework_version"]
    framework = await frameworks.of_inspection(framework_id, framework_version)
    errors = check_answers(framework, CaseType(found["case_type"]), body.answers, body.evidence)
    if errors:
        raise InvalidInput(errors)
    submitted = {"answers": body.answers, "evidence": body.evidence, "assessor": body.assessor, "reason": body.reason}
    version = assessment_writes.Version(
        case_id, found["inspection_id"], framework_id, framework_version, existing, submitted, utcnow()
    )
    await assessment_writes.store(session, version)
    return version


async def history(session: AsyncSession, case_id: UUID, params: PageParams) -> Page[AssessmentVersion]:
    """A page of every stored version of a case's assessment, oldest first."""
    case = await cases.get(session, case_id)
    column = inspect(models.AssessmentVersion).c
    statement = select(models.AssessmentVersion).where(column.case_id == case_id)
    rows, next_cursor = await paginate(session, statement, (column.version,), params)
    return Page(items=[version_as_wire(row, case.inspection_id) for row in rows], next_cursor=next_cursor)


async def version(session: AsyncSession, case_id: UUID, number: int) -> AssessmentVersion:
    case = await cases.get(session, case_id)
    row = await get_or_404(
        session, models.AssessmentVersion, (case_id, number), f"version {number} of case {case_id}'s assessment"
    )
    return version_as_wire(row, case.inspection_id)
