"""An inspection's case sample against its mix, and drawing one from the area's caseload."""

from uuid import UUID

import numpy as np
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import models
from services.cases.logic import inspections, sampling
from shared.bodies import parse_json
from shared.errors import Conflict, InvalidInput, field_errors
from shared.schemas.cases import CaseAttributes
from shared.schemas.common import FieldError
from shared.schemas.enums import AssessorRole
from shared.schemas.sampling import DrawnSample, SampleComposition, SampleDraw, SampleMix


async def composition(session: AsyncSession, inspection: models.Inspection) -> SampleComposition:
    cases = (await session.scalars(select(models.Case).where(models.Case.inspection_id == inspection.id))).all()
    return sampling.composition(cases, SampleMix.model_validate(inspection.sample_mix))


def draw(caseload: list[CaseAttributes], mix: SampleMix, seed: int) -> DrawnSample:
    try:
        return sampling.draw_sample(caseload, mix, seed)
    except sampling.SampleInfeasible as exc:
        raise InvalidInput(
            [FieldError(field=p.quota, location="body", type="quota", message=p.message) for p in exc.problems],
            "the caseload cannot meet the sample mix",
        ) from exc
    except sampling.CaseloadError as exc:
        raise caseload_problem(exc) from exc


def read_draw(kind: str, body: bytes | str, seed: int | None, add_to_inspection: bool) -> SampleDraw:
    """A draw request: a JSON SampleDraw, or a CSV caseload with the seed in the query."""
    try:
        if kind == "csv":
            if seed is None:
                raise InvalidInput(
                    [FieldError(field="seed", location="query", type="missing", message="a CSV caseload needs ?seed=")]
                )
            return SampleDraw(seed=seed, caseload=sampling.parse_caseload_csv(body), add_to_inspection=add_to_inspection)
        return SampleDraw.model_validate(parse_json(body))
    except sampling.CaseloadError as exc:
        raise caseload_problem(exc) from exc
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc.errors())) from exc


def caseload_problem(exc: sampling.CaseloadError) -> InvalidInput:
    return InvalidInput(
        [
            FieldError(
                field=f"caseload.{e['row']}.{e['field']}"
                if e.get("row") and e.get("field")
                else f"caseload.{e.get('row') or e.get('field') or ''}".rstrip("."),
                location="body",
                type="caseload",
                message=e["message"],
            )
            for e in exc.errors
        ],
        "the caseload has bad rows",
    )


async def add_to_inspection(session: AsyncSession, inspection_id: UUID, drawn: DrawnSample, area_assessor_share: float) -> None:
    """Put the drawn cases in the (empty) sample; a seeded share goes to area assessors."""
    # The revision is taken first: its row lock makes a concurrent draw wait, then see these cases.
    revision = await inspections.next_sample_revision(session, inspection_id)
    existing = await session.scalar(
        select(func.count()).select_from(models.Case).where(models.Case.inspection_id == inspection_id)
    )
    if existing:
        raise Conflict(f"the inspection already has {existing} cases", kind="sample-not-empty")
    count = len(drawn.selected)
    by_area = set(
        np.random.default_rng(drawn.seed).choice(count, size=round(count * area_assessor_share), replace=False).tolist()
    )
    for index, case in enumerate(drawn.selected):
        role = AssessorRole.area_assessor if index in by_area else AssessorRole.inspector
        session.add(models.Case(inspection_id=inspection_id, assessor_role=role, revision=revision, **case.model_dump()))
    await session.flush()
