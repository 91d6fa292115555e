"""Routers of what inspectors write: narrative parts, criteria findings, section 4 grades, performance
data and caseload context, each with its ETag and history."""

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.reporting import models
from services.reporting.deps import Actor, IfMatch, LangQuery, Now, UpstreamDep
from services.reporting.logic import checks, narrative, parts, performance, upstream
from shared.concurrency import require_if_match
from shared.db import SessionDep
from shared.errors import NotFound
from shared.pagination import PageParams, page_params
from shared.problems import problems
from shared.schemas.common import Page
from shared.schemas.frameworks import Framework
from shared.schemas.narrative import (
    Acknowledgements,
    Caseload,
    CriterionNarrative,
    Foreword,
    GoodPractice,
    Grade,
    GradePut,
    IppfRating,
    Lang,
    NextSteps,
    PartVersion,
    PerformanceData,
    Recommendations,
    ServiceUsers,
    StoredPart,
    Summary,
)
from shared.table_bodies import json_or_csv, table_body

router = APIRouter(prefix="/api/v1", tags=["narrative"])
Paging = Annotated[PageParams, Depends(page_params)]
CriterionPath = Annotated[str, Path(max_length=32, description="A criterion id of the inspection's framework, e.g. 1.2.")]
CREATED: dict[int | str, dict[str, Any]] = {201: {"description": "The first version, created (later versions answer 200)"}}
WRITE_PROBLEMS = CREATED | problems(404, 412, 422, 428, 503)


def _answer(row: models.NarrativePart, created: bool) -> JSONResponse:
    return JSONResponse(
        jsonable_encoder(parts.as_wire(row)), status_code=201 if created else 200, headers={"ETag": parts.part_etag(row)}
    )


async def _read(session: SessionDep, inspection_id: UUID, part: str, lang: Lang, response: Response) -> StoredPart[dict]:
    row = await parts.current(session, inspection_id, part, lang)
    if row is None:
        raise NotFound(f"no {part} written for inspection {inspection_id}")
    response.headers["ETag"] = parts.part_etag(row)
    return parts.as_wire(row)


async def _write(
    request: Request,
    session: SessionDep,
    up: UpstreamDep,
    now: Now,
    where: tuple[UUID, str, Lang],
    body: BaseModel,
    check: narrative.Check,
    actor: str | None,
) -> tuple[models.NarrativePart, bool]:
    """Store a part, its If-Match checked against the stored version; the row and whether it is new."""
    inspection_id, part, lang = where
    if_match = request.headers.get("if-match")
    row, created = await narrative.write(
        session, up, inspection_id, part, lang, body, check, lambda current: require_if_match(if_match, current), actor, now
    )
    return row, created


def _fixed_part(name: str, model: type[BaseModel], check: Callable[[Framework, Any], None] | None, summary: str) -> None:
    """PUT and GET of one part written once per report."""

    async def put(
        inspection_id: UUID,
        body: model,  # type: ignore[valid-type]
        request: Request,
        session: SessionDep,
        up: UpstreamDep,
        now: Now,
        lang: LangQuery = "en",
        if_match: IfMatch = None,
        actor: Actor = None,
    ) -> JSONResponse:
        row, created = await _write(
            request,
            session,
            up,
            now,
            (inspection_id, name, lang),
            body,
            (lambda framework: check(framework, body)) if check else narrative.no_check,
            actor,
        )
        return _answer(row, created)

    async def get(inspection_id: UUID, session: SessionDep, response: Response, lang: LangQuery = "en") -> StoredPart[dict]:
        return await _read(session, inspection_id, name, lang, response)

    path = f"/inspections/{{inspection_id}}/narrative/{name}"
    stored = StoredPart[model]  # type: ignore[valid-type]
    router.add_api_route(path, put, methods=["PUT"], response_model=stored, responses=WRITE_PROBLEMS, summary=summary)
    router.add_api_route(path, get, methods=["GET"], response_model=stored, responses=problems(404, 422), summary=summary)


_fixed_part(parts.SUMMARY, Summary, checks.summary, "The Summary: a paragraph per section and one on Risk of Harm")
_fixed_part(parts.FOREWORD, Foreword, None, "The foreword (optional)")
_fixed_part(parts.ACKNOWLEDGEMENTS, Acknowledgements, None, "The acknowledgements (optional)")
_fixed_part(parts.RECOMMENDATIONS, Recommendations, None, "Recommendations for improvement, in order")
_fixed_part(parts.NEXT_STEPS, NextSteps, None, "Next steps")
_fixed_part(parts.GOOD_PRACTICE, GoodPractice, checks.good_practice, "Good practice examples")
_fixed_part(
    parts.SERVICE_USERS, ServiceUsers, lambda _, body: checks.service_users(body), "Service users' perspective, per group"
)


@router.get(
    "/inspections/{inspection_id}/narrative",
    response_model=list[StoredPart[dict]],
    responses=problems(422),
    summary="Every part written for the inspection, in one language (and the figures)",
)
async def list_parts(inspection_id: UUID, session: SessionDep, lang: LangQuery = "en") -> list[StoredPart[dict]]:
    return [parts.as_wire(row) for row in await parts.listed(session, inspection_id, lang)]


@router.get(
    "/inspections/{inspection_id}/narrative/{part}/history",
    response_model=Page[PartVersion],
    responses=problems(422),
    summary="Every version of a part, oldest first (who, when, the text as it was)",
)
async def part_history(
    inspection_id: UUID,
    part: Annotated[
        str,
        Path(max_length=64, description="summary, foreword, ..., performance, caseload, criteria:<id> or grades:<id>."),
    ],
    session: SessionDep,
    paging: Paging,
    lang: LangQuery = "en",
) -> Page[PartVersion]:
    items, next_cursor = await parts.history_page(session, inspection_id, part.replace(":", "/", 1), lang, paging)
    return Page(items=items, next_cursor=next_cursor)


@router.put(
    "/inspections/{inspection_id}/narrative/criteria/{criterion_id}",
    response_model=StoredPart[CriterionNarrative],
    responses=WRITE_PROBLEMS,
    summary="A criterion's strengths, areas for improvement and the inspectors' conclusion (sections 1-3)",
)
async def put_criterion(
    inspection_id: UUID,
    criterion_id: CriterionPath,
    body: CriterionNarrative,
    request: Request,
    session: SessionDep,
    up: UpstreamDep,
    now: Now,
    lang: LangQuery = "en",
    if_match: IfMatch = None,
    actor: Actor = None,
) -> JSONResponse:
    def check(framework: Framework) -> None:
        checks.criterion(framework, criterion_id, "cases")
        checks.criterion_narrative(framework, body)

    row, created = await _write(
        request, session, up, now, (inspection_id, parts.criterion_part(criterion_id), lang), body, check, actor
    )
    return _answer(row, created)


@router.get(
    "/inspections/{inspection_id}/narrative/criteria/{criterion_id}",
    response_model=StoredPart[CriterionNarrative],
    responses=problems(404, 422),
)
async def get_criterion(
    inspection_id: UUID, criterion_id: CriterionPath, session: SessionDep, response: Response, lang: LangQuery = "en"
) -> StoredPart[dict]:
    return await _read(session, inspection_id, parts.criterion_part(criterion_id), lang, response)


def _grade(row: models.NarrativePart, title: str) -> Grade:
    body = GradePut.model_validate(row.content)
    return Grade(
        criterion_id=row.part.removeprefix("grades/"),
        title=title,
        lang=row.lang,
        version=row.version,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        **body.model_dump(),
    )


@router.put(
    "/inspections/{inspection_id}/grades/{criterion_id}",
    response_model=Grade,
    tags=["grades"],
    responses=WRITE_PROBLEMS,
    summary="Grade a section 4 criterion on the framework's grade scale, with its narrative",
)
async def put_grade(
    inspection_id: UUID,
    criterion_id: CriterionPath,
    body: GradePut,
    request: Request,
    session: SessionDep,
    up: UpstreamDep,
    now: Now,
    lang: LangQuery = "en",
    if_match: IfMatch = None,
    actor: Actor = None,
) -> JSONResponse:
    titles: dict[str, str] = {}

    def check(framework: Framework) -> None:
        titles[criterion_id] = checks.criterion(framework, criterion_id, "grade").title
        checks.grade(framework, body)

    row, created = await _write(
        request, session, up, now, (inspection_id, parts.grade_part(criterion_id), lang), body, check, actor
    )
    grade = _grade(row, titles[criterion_id])
    return JSONResponse(jsonable_encoder(grade), status_code=201 if created else 200, headers={"ETag": parts.part_etag(row)})


@router.get(
    "/inspections/{inspection_id}/grades",
    response_model=list[Grade],
    tags=["grades"],
    responses=problems(404, 422, 503),
    summary="The section 4 grades given so far, in the framework's order",
)
async def list_grades(inspection_id: UUID, session: SessionDep, up: UpstreamDep, lang: LangQuery = "en") -> list[Grade]:
    _, framework = await upstream.framework_of(up, inspection_id)
    graded = []
    for criterion in (c for c in framework.criteria() if c.scored_by == "grade"):
        row = await parts.current(session, inspection_id, parts.grade_part(criterion.id), lang)
        if row is not None:
            graded.append(_grade(row, criterion.title))
    return graded


@router.get(
    "/inspections/{inspection_id}/grades/{criterion_id}",
    response_model=Grade,
    tags=["grades"],
    responses=problems(404, 422, 503),
)
async def get_grade(
    inspection_id: UUID,
    criterion_id: CriterionPath,
    session: SessionDep,
    up: UpstreamDep,
    response: Response,
    lang: LangQuery = "en",
) -> Grade:
    _, framework = await upstream.framework_of(up, inspection_id)
    criterion = checks.criterion(framework, criterion_id, "grade")
    row = await parts.current(session, inspection_id, parts.grade_part(criterion_id), lang)
    if row is None:
        raise NotFound(f"criterion {criterion_id} is not graded yet")
    response.headers["ETag"] = parts.part_etag(row)
    return _grade(row, criterion.title)


def _figures_part(name: str, model: type[BaseModel], summary: str) -> None:
    """GET of a part of figures (its PUT reads its own body)."""

    async def get(inspection_id: UUID, session: SessionDep, response: Response) -> StoredPart[dict]:
        return await _read(session, inspection_id, name, "en", response)

    router.add_api_route(
        f"/inspections/{{inspection_id}}/{name}",
        get,
        methods=["GET"],
        response_model=StoredPart[model],  # type: ignore[valid-type]
        tags=["figures"],
        responses=problems(404, 422),
        summary=summary,
    )


_figures_part(parts.PERFORMANCE, PerformanceData, "The area's performance data (Appendix 1)")
_figures_part(parts.CASELOAD, Caseload, "The caseload context (Appendix 2)")


@router.put(
    "/inspections/{inspection_id}/performance",
    response_model=StoredPart[PerformanceData],
    tags=["figures"],
    responses=CREATED | problems(404, 412, 415, 422, 428, 503),
    openapi_extra=json_or_csv(
        "PerformanceData",
        "Header: domain, metric, actual, target, national, previous_year, grade (and kind, predicted, "
        "difference, significant, domain_rating); a row per metric.",
    ),
    summary="The area's performance data (IPPF) as JSON or CSV; every bad row is named",
)
async def put_performance(
    inspection_id: UUID,
    request: Request,
    session: SessionDep,
    up: UpstreamDep,
    now: Now,
    period: Annotated[str | None, Query(max_length=200, description="CSV: the period the figures cover.")] = None,
    area_rating: Annotated[IppfRating | None, Query(description="CSV: the area's overall rating.")] = None,
    if_match: IfMatch = None,
    actor: Actor = None,
) -> JSONResponse:
    body = performance.read(await table_body(request), period, area_rating)
    row, created = await _write(
        request, session, up, now, (inspection_id, parts.PERFORMANCE, "en"), body, lambda _: checks.performance(body), actor
    )
    return _answer(row, created)


@router.put(
    "/inspections/{inspection_id}/caseload",
    response_model=StoredPart[Caseload],
    tags=["figures"],
    responses=WRITE_PROBLEMS,
    summary="The caseload context (Appendix 2): totals, shares, MAPPA levels, PPO cases, budget",
)
async def put_caseload(
    inspection_id: UUID,
    body: Caseload,
    request: Request,
    session: SessionDep,
    up: UpstreamDep,
    now: Now,
    if_match: IfMatch = None,
    actor: Actor = None,
) -> JSONResponse:
    row, created = await _write(request, session, up, now, (inspection_id, parts.CASELOAD, "en"), body, narrative.no_check, actor)
    return _answer(row, created)
