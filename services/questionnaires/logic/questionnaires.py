"""An inspection's questionnaire for one respondent group: the template version its returns are checked
against (pinned when the distribution or the first return is recorded) and how many were sent."""

from dataclasses import dataclass
from uuid import UUID

import httpx
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.questionnaires import models
from services.questionnaires.logic import sample
from services.questionnaires.logic.sample import CaseAttributes
from services.questionnaires.logic.templates import Templates
from shared import driver_sql, writing_ctes
from shared.concurrency import etag
from shared.db import utcnow
from shared.errors import PreconditionFailed
from shared.schemas.common import FieldError
from shared.schemas.questionnaires import Distribution, QuestionnaireTemplate, Respondent


def distribution_etag(row: models.Questionnaire) -> str:
    return etag(f"{row.inspection_id}.{row.respondent}", row.version)


def as_wire(row: models.Questionnaire) -> Distribution:
    return Distribution(
        inspection_id=row.inspection_id,
        respondent=Respondent(row.respondent),
        template_id=row.template_id,
        template_version=row.template_version,
        sent=row.sent,
        cases=[UUID(c) for c in row.cases] if row.cases is not None else None,
        version=row.version,
        updated_at=row.updated_at,
    )


async def find(session: AsyncSession, inspection_id: UUID, respondent: Respondent) -> models.Questionnaire | None:
    return await session.get(models.Questionnaire, (inspection_id, respondent.value))


async def pinned(
    session: AsyncSession, client: httpx.AsyncClient, templates: Templates, inspection_id: UUID, respondent: Respondent
) -> models.Questionnaire:
    """The inspection's questionnaire, created (with the current template version pinned) on first use."""
    row = await find(session, inspection_id, respondent)
    if row is not None:
        return row
    await sample.ensure_inspection(client, inspection_id)
    template = await templates.current(session, respondent)
    now = utcnow()
    row = models.Questionnaire(
        inspection_id=inspection_id,
        respondent=respondent.value,
        template_id=template.id,
        template_version=template.version,
        cases=None,
        created_at=now,
        updated_at=now,
    )
    # Created on first use: it commits with what the request writes next, or goes when that write fails.
    await writing_ctes.hold_transaction(session)
    session.add(row)
    await session.flush()  # a concurrent first use fails here on the primary key: 409, retry
    return row


@dataclass(frozen=True)
class Pinned:
    """What a questionnaire's returns are stored against: which one it is and its pinned template version (a
    version, once pinned, never changes)."""

    inspection_id: UUID
    respondent: str
    template_id: str
    template_version: int


_Q = models.QUESTIONNAIRES.c
# Only the columns a return needs, in SQL Core: the ORM's load of the whole row (its distribution's cases among
# them) was a tenth of a return's CPU.
_PINNED = driver_sql.Statement(
    select(_Q.inspection_id, _Q.respondent, _Q.template_id, _Q.template_version).where(
        _Q.inspection_id == bindparam("inspection_id"), _Q.respondent == bindparam("respondent")
    )
)


async def pinned_version(
    session: AsyncSession, client: httpx.AsyncClient, templates: Templates, inspection_id: UUID, respondent: Respondent
) -> Pinned:
    """The questionnaire as its returns need it, created (``pinned``) on first use."""
    found = await driver_sql.one_or_none(session, _PINNED, {"inspection_id": inspection_id, "respondent": respondent.value})
    if found is not None:
        return Pinned(found["inspection_id"], found["respondent"], found["template_id"], found["template_version"])
    row = await pinned(session, client, templates, inspection_id, respondent)
    return Pinned(row.inspection_id, row.respondent, row.template_id, row.template_version)


async def template_of(
    session: AsyncSession, templates: Templates, row: models.Questionnaire | None, respondent: Respondent
) -> QuestionnaireTemplate:
    """The questionnaire's pinned template version; the current one while nothing is recorded."""
    if row is None:
        return await templates.current(session, respondent)
    return await templates.pinned(session, row.template_id, row.template_version)


async def recorded(
    session: AsyncSession, client: httpx.AsyncClient, inspection_id: UUID, respondent: Respondent
) -> models.Questionnaire | None:
    """The questionnaire, or None when nothing is recorded yet for an inspection that exists (NotFound if it does not)."""
    row = await find(session, inspection_id, respondent)
    if row is None:
        await sample.ensure_inspection(client, inspection_id)
    return row


def unknown_cases(wanted: list[UUID], found: dict[UUID, CaseAttributes]) -> list[FieldError]:
    return [
        FieldError(
            field=f"cases.{n}", location="body", type="not_in_inspection", message=f"{case_id} is not a case of this inspection"
        )
        for n, case_id in enumerate(wanted)
        if case_id not in found
    ]


async def record_distribution(
    session: AsyncSession, row: models.Questionnaire, sent: int | None, cases: dict[UUID, CaseAttributes] | None
) -> models.Questionnaire:
    """Store how many were sent (and to which cases); guarded by version, so of two writers one gets 412."""
    result = await session.execute(
        update(models.Questionnaire)
        .where(
            col(models.Questionnaire.inspection_id) == row.inspection_id,
            col(models.Questionnaire.respondent) == row.respondent,
            col(models.Questionnaire.version) == row.version,
        )
        .values(
            sent=sent,
            cases={str(case_id): attributes for case_id, attributes in cases.items()} if cases is not None else None,
            version=row.version + 1,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PreconditionFailed("the distribution changed while this update ran")
    await session.refresh(row)
    return row
