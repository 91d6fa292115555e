"""Routers of the scoring service: request in, one logic call, response out."""

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from services.scoring.logic import frameworks, live, snapshots
from shared.case_filters import CASE_ATTRIBUTES, case_filters
from shared.db import SessionDep
from shared.idempotency import Idempotency, idempotency
from shared.pagination import PageParams, page_params
from shared.problems import problems
from shared.responses import json_response
from shared.schemas.common import Page
from shared.schemas.enums import InspectionStatus
from shared.schemas.frameworks import Framework, FrameworkSummary
from shared.schemas.scores import InspectionScores, NationalView, ScoreBreakdown, ScoreSnapshot, SnapshotCreate

router = APIRouter(prefix="/api/v1")
IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/frameworks", response_model=list[FrameworkSummary], tags=["frameworks"])
async def list_frameworks(session: SessionDep) -> list[FrameworkSummary]:
    return [FrameworkSummary(id=r.id, version=r.version, title=r.title) for r in await frameworks.list_latest(session)]


@router.get("/frameworks/{framework_id}", response_model=Framework, tags=["frameworks"], responses=problems(404))
async def get_framework(
    framework_id: str,
    request: Request,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="A stored version; the newest by default.")] = None,
) -> Framework:
    return await frameworks.get(session, framework_id, version, _caches(request).parsed_frameworks)


def _caches(request: Request) -> live.Caches:
    return request.app.state.caches


def _scorer(request: Request) -> live.Scorer:
    state = request.app.state
    return live.Scorer(state.clients["cases"], state.caches, state.settings.bootstrap_resamples)


Filters = Annotated[dict[str, list[str]], Depends(case_filters)]


@router.get(
    "/inspections/{inspection_id}/scores",
    response_model=InspectionScores,
    tags=["scores"],
    responses=problems(404, 422, 503),
    summary="Live scores of an inspection, optionally of a subset of its cases",
)
async def inspection_scores(inspection_id: UUID, request: Request, session: SessionDep, filters: Filters) -> Response:
    scores = await live.scores(_scorer(request), session, inspection_id, filters)
    # Where the time goes, for operations staff and `make bench` (W3C Server-Timing).
    timing = f"fetch;dur={scores.fetch * 1000:.2f}, score;dur={scores.score * 1000:.2f}"
    return json_response(scores.document, headers={"Server-Timing": timing})


@router.get(
    "/inspections/{inspection_id}/scores/breakdown",
    response_model=ScoreBreakdown,
    tags=["scores"],
    responses=problems(404, 422, 503),
    summary="Scores of each group of cases side by side (e.g. by=roh_level)",
)
async def score_breakdown(
    inspection_id: UUID,
    request: Request,
    session: SessionDep,
    filters: Filters,
    by: Annotated[Literal[CASE_ATTRIBUTES], Query(description="The case attribute to group on.")],
) -> Response:
    return json_response(await live.scores_by(_scorer(request), session, inspection_id, by, filters))


@router.post(
    "/inspections/{inspection_id}/scores/snapshots",
    status_code=201,
    response_model=ScoreSnapshot,
    tags=["scores"],
    responses=problems(404, 409, 422, 503),
    summary="Freeze the current scores (the report publishes from a snapshot)",
)
async def take_snapshot(
    inspection_id: UUID,
    request: Request,
    session: SessionDep,
    idem: IdempotencyDep,
    body: Annotated[SnapshotCreate, Body()] = SnapshotCreate(),
):
    if (replay := await idem.replay()) is not None:
        return replay
    row = await live.freeze(_scorer(request), session, inspection_id, body.label)
    return await idem.respond(
        snapshots.as_wire(row), 201, {"Location": f"/api/v1/inspections/{inspection_id}/scores/snapshots/{row.id}"}
    )


@router.get(
    "/inspections/{inspection_id}/scores/snapshots",
    response_model=Page[ScoreSnapshot],
    tags=["scores"],
    responses=problems(404, 422, 503),
)
async def list_snapshots(inspection_id: UUID, request: Request, session: SessionDep, paging: Paging) -> Page[ScoreSnapshot]:
    rows, next_cursor = await snapshots.list_page(session, request.app.state.clients["cases"], inspection_id, paging)
    return Page(items=[snapshots.as_wire(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/inspections/{inspection_id}/scores/snapshots/{snapshot_id}",
    response_model=ScoreSnapshot,
    tags=["scores"],
    responses=problems(404),
)
async def get_snapshot(inspection_id: UUID, snapshot_id: UUID, session: SessionDep) -> ScoreSnapshot:
    return snapshots.as_wire(await snapshots.get(session, inspection_id, snapshot_id))


@router.get(
    "/scores/national",
    response_model=NationalView,
    tags=["scores"],
    responses=problems(404, 422, 503),
    summary="Every criterion's score in each inspection of a period, against the national mean",
)
async def national_view(
    request: Request,
    session: SessionDep,
    period_from: Annotated[date | None, Query(alias="from", description="Fieldwork starting on or after.")] = None,
    period_to: Annotated[date | None, Query(alias="to", description="Fieldwork starting on or before.")] = None,
    status: Annotated[
        list[InspectionStatus] | None, Query(description="Inspections with these statuses (default: published).")
    ] = None,
    framework_id: Annotated[str, Query(max_length=64)] = "omi-2008",
) -> NationalView:
    statuses = [s.value for s in status] if status else [InspectionStatus.published.value]
    return await live.national(_scorer(request), session, framework_id, period_from, period_to, statuses)
