"""An inspection's case sample as a whole, as the API asks for it: its composition against the inspection's
mix, a draw from the area's caseload (JSON or CSV) with its problems, and the drawn cases stored.

The draw and the composition count with numpy, imported on their first use: it is about 20 MB resident
that every other request of the service does without."""

from uuid import UUID

from pydantic import ValidationError
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import models
from services.cases.logic import inspections
from services.cases.logic.caseload import CaseloadError
from services.cases.logic.spreadsheet import parse_caseload_csv
from shared.bodies import parse_json
from shared.errors import Conflict, InvalidInput, field_errors
from shared.schemas.cases import CaseAttributes
from shared.schemas.common import FieldError
from shared.schemas.enums import AssessorRole
from shared.schemas.sampling import DrawnSample, SampleComposition, SampleDraw, SampleMix
from shared.table_bodies import Upload


async def composition(session: AsyncSession, inspection_id: UUID) -> SampleComposition:
    from services.cases.logic.composition import composition as composition_of

    inspection = await inspections.get(session, inspection_id)
    in_inspection = inspect(models.Case).c.inspection_id == inspection.id
    cases = (await session.scalars(select(models.Case).where(in_inspection))).all()
    return composition_of(cases, inspections.sample_mix(inspection))


async def draw_for(session: AsyncSession, inspection_id: UUID, upload: Upload, seed: int | None, add: bool) -> DrawnSample:
    """Draw a sample for an inspection from the caseload uploaded (a JSON SampleDraw, or a CSV caseload with
    ``seed`` and ``add`` from the query); added to its (empty) sample when the request says so."""
    inspection = await inspections.get(session, inspection_id)
    request = read_draw(await upload(), seed, add)
    drawn = draw(request.caseload, inspections.sample_mix(inspection), request.seed)
    if request.add_to_inspection:
        inspections.ensure_open(inspection)
        await add_to_inspection(session, inspection_id, drawn, request.area_assessor_share)
    return drawn


def draw(caseload: list[CaseAttributes], mix: SampleMix, seed: int) -> DrawnSample:
    from services.cases.logic.draw import SampleInfeasible, draw_sample

    try:
        return draw_sample(caseload, mix, seed)
    except SampleInfeasible as exc:
        raise InvalidInput(
            [FieldError(field=p.quota, location="body", type="quota", message=p.message) for p in exc.problems],
            "the caseload cannot meet the sample mix",
        ) from exc
    except CaseloadError as exc:
        raise caseload_problem(exc) from exc


def read_draw(body: str | bytes, seed: int | None, add_to_inspection: bool) -> SampleDraw:
    """A draw request: a JSON SampleDraw, or a CSV caseload with the seed in the query."""
    try:
        if isinstance(body, str):
            if seed is None:
                raise InvalidInput(
                    [FieldError(field="seed", location="query", type="missing", message="a CSV caseload needs ?seed=")]
                )
            return SampleDraw(seed=seed, caseload=parse_caseload_csv(body), add_to_inspection=add_to_inspection)
        return SampleDraw.model_validate(parse_json(body))
    except CaseloadError as exc:
        raise caseload_problem(exc) from exc
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc.errors())) from exc


def caseload_problem(exc: CaseloadError) -> InvalidInput:
    return InvalidInput(
        [
            FieldError(
                field=".".join(["caseload", *(str(part) for part in (e.row, e.field) if part)]),
                location="body",
                type="caseload",
                message=e.message,
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
        select(func.count()).select_from(models.Case).where(inspect(models.Case).c.inspection_id == inspection_id)
    )
    if existing:
        raise Conflict(f"the inspection already has {existing} cases", kind="sample-not-empty")
    import numpy as np

    count = len(drawn.selected)
    by_area = set(
        np.random.default_rng(drawn.seed).choice(count, size=round(count * area_assessor_share), replace=False).tolist()
    )
    for index, case in enumerate(drawn.selected):
        role = AssessorRole.area_assessor if index in by_area else AssessorRole.inspector
        session.add(models.Case(inspection_id=inspection_id, assessor_role=role, revision=revision, **case.model_dump()))
    await session.flush()
