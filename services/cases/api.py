"""Routers of the cases service: request in, one logic call, response out (the domain is in logic/)."""

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from services.cases.logic import assessments, bulk_read, case_sample, export, imports, inspections, teams
from services.cases.logic import cases as case_logic
from shared.access import CallerDep
from shared.db import SessionDep
from shared.frameworks import FrameworkSource
from shared.idempotency import Idempotency, idempotency
from shared.metrics import count_writes
from shared.pagination import PageParams, page_params
from shared.problems import problems
from shared.responses import json_response
from shared.schemas.cases import (
    Assessment,
    AssessmentChanges,
    AssessmentChangesQuery,
    AssessmentPut,
    AssessmentVersion,
    Case,
    CaseAssessment,
    CaseCreate,
    ImportResult,
)
from shared.schemas.common import IsoDate, Page, Text
from shared.schemas.enums import InspectionStatus
from shared.schemas.inspections import Inspection, InspectionCreate, InspectionUpdate
from shared.schemas.sampling import DrawnSample, SampleComposition
from shared.table_bodies import json_or_csv, upload

router = APIRouter(prefix="/api/v1")
SAMPLE_REVISION = "Sample-Revision"
IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
Paging = Annotated[PageParams, Depends(page_params)]


def _frameworks(request: Request) -> FrameworkSource:
    return request.app.state.frameworks


@router.post(
    "/inspections",
    status_code=201,
    response_model=Inspection,
    tags=["inspections"],
    responses=problems(409, 422, 502, 503, 504),
    summary="Plan an inspection",
)
async def create_inspection(body: InspectionCreate, request: Request, session: SessionDep, idem: IdempotencyDep, who: CallerDep):
    if (replay := await idem.replay()) is not None:
        return replay
    row = await inspections.create(session, body, _frameworks(request), who.principal)
    return await idem.respond(
        inspections.as_wire(row),
        201,
        {"Location": f"/api/v1/inspections/{row.id}", "ETag": inspections.inspection_etag(row)},
    )


@router.get("/inspections", response_model=Page[Inspection], tags=["inspections"], responses=problems(422))
async def list_inspections(
    session: SessionDep,
    paging: Paging,
    who: CallerDep,
    status: Annotated[list[InspectionStatus] | None, Query(description="Any of these statuses.")] = None,
    fieldwork_from: Annotated[IsoDate | None, Query(description="Fieldwork starting on or after.")] = None,
    fieldwork_to: Annotated[IsoDate | None, Query(description="Fieldwork starting on or before.")] = None,
    framework_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[Inspection]:
    where = inspections.InspectionFilter(status, fieldwork_from, fieldwork_to, framework_id)
    visible = teams.visible_inspections(who.principal, who.scope)
    rows, next_cursor = await inspections.list_page(session, paging, where, visible)
    return Page(items=[inspections.as_wire(r) for r in rows], next_cursor=next_cursor)


@router.get("/inspections/{inspection_id}", response_model=Inspection, tags=["inspections"], responses=problems(404))
async def get_inspection(inspection_id: UUID, session: SessionDep, response: Response) -> Inspection:
    row = await inspections.get(session, inspection_id)
    response.headers["ETag"] = inspections.inspection_etag(row)
    return inspections.as_wire(row)


@router.patch(
    "/inspections/{inspection_id}",
    response_model=Inspection,
    tags=["inspections"],
    responses=problems(404, 409, 412, 422, 428),
    summary="Change an inspection (needs If-Match)",
)
async def update_inspection(
    inspection_id: UUID,
    body: InspectionUpdate,
    session: SessionDep,
    response: Response,
    if_match: Annotated[str | None, Header(description="The ETag last read; required.")] = None,
) -> Inspection:
    row = await inspections.change(session, inspection_id, body, if_match)
    response.headers["ETag"] = inspections.inspection_etag(row)
    return inspections.as_wire(row)


@router.post(
    "/inspections/{inspection_id}/cases",
    status_code=201,
    response_model=Case,
    tags=["cases"],
    responses=problems(404, 409, 422),
    summary="Add a case to the sample",
)
async def create_case(inspection_id: UUID, body: CaseCreate, session: SessionDep, idem: IdempotencyDep):
    if (replay := await idem.replay()) is not None:
        return replay
    case = await case_logic.create(session, inspection_id, body)
    return await idem.respond(case, 201, {"Location": f"/api/v1/cases/{case.id}"})


@router.get("/inspections/{inspection_id}/cases", response_model=Page[Case], tags=["cases"], responses=problems(404, 422))
async def list_cases(inspection_id: UUID, session: SessionDep, paging: Paging, who: CallerDep) -> Page[Case]:
    visible = teams.visible_cases(who.principal, who.scope)
    rows, next_cursor = await case_logic.list_page(session, inspection_id, paging, visible)
    return Page(items=[case_logic.as_wire(r) for r in rows], next_cursor=next_cursor)


@router.get("/cases/{case_id}", response_model=Case, tags=["cases"], responses=problems(404))
async def get_case(case_id: UUID, session: SessionDep) -> Case:
    return case_logic.as_wire(await case_logic.get(session, case_id))


@router.put(
    "/cases/{case_id}/assessment",
    response_model=Assessment,
    tags=["assessments"],
    responses={201: {"model": Assessment, "description": "First version created"}}
    | problems(404, 409, 412, 422, 428, 502, 503, 504),
    summary="Store a case's assessment (If-Match needed once one exists)",
)
async def put_assessment(
    case_id: UUID,
    body: AssessmentPut,
    request: Request,
    session: SessionDep,
    if_match: Annotated[str | None, Header(description="The ETag last read; required once an assessment exists.")] = None,
) -> Response:
    stored = await assessments.put(session, _frameworks(request), case_id, body, if_match)
    count_writes(request.app, "assessment", "created" if stored.first else "updated")
    return Response(
        assessments.as_json(stored),
        status_code=201 if stored.first else 200,
        media_type="application/json",
        headers={"ETag": stored.etag},
    )


@router.get("/cases/{case_id}/assessment", response_model=Assessment, tags=["assessments"], responses=problems(404))
async def get_assessment(case_id: UUID, session: SessionDep, response: Response) -> Assessment:
    row = await assessments.get(session, case_id)
    response.headers["ETag"] = assessments.assessment_etag(row)
    return assessments.as_wire(row)


@router.get(
    "/cases/{case_id}/assessment/history",
    response_model=Page[AssessmentVersion],
    tags=["assessments"],
    responses=problems(404, 422),
    summary="Every stored version of a case's assessment, oldest first",
)
async def assessment_history(case_id: UUID, session: SessionDep, paging: Paging) -> Page[AssessmentVersion]:
    return await assessments.history(session, case_id, paging)


@router.get(
    "/cases/{case_id}/assessment/history/{version}",
    response_model=AssessmentVersion,
    tags=["assessments"],
    responses=problems(404),
)
async def assessment_version(
    case_id: UUID, version: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep
) -> AssessmentVersion:
    return await assessments.version(session, case_id, version)


_IMPORT_BODY = json_or_csv("AssessmentImport", "Header: reference, case columns, assessor, version, question ids.")


@router.post(
    "/inspections/{inspection_id}/assessments:import",
    response_model=ImportResult,
    tags=["assessments"],
    responses=problems(404, 409, 415, 422, 502, 503, 504),
    openapi_extra=_IMPORT_BODY,
    summary="Import many cases' assessments (JSON or CSV); a result per row",
)
async def import_assessments(
    inspection_id: UUID,
    request: Request,
    session: SessionDep,
    idem: IdempotencyDep,
    reason: Annotated[Text | None, Query(max_length=2000, description="Why (CSV; JSON bodies carry their own).")] = None,
):
    if (replay := await idem.replay()) is not None:
        return replay
    result = await imports.import_assessments(session, _frameworks(request), inspection_id, upload(request), reason)
    count_writes(request.app, "assessment", "created", result.created)
    count_writes(request.app, "assessment", "updated", result.updated)
    return await idem.respond(result, 200)


@router.get(
    "/inspections/{inspection_id}/assessments",
    response_model=Page[CaseAssessment],
    tags=["assessments"],
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}} | problems(404, 422, 502, 503, 504),
    summary="Every case with its current assessment: JSON pages, or the CSV spreadsheet (?format=csv or Accept: text/csv)",
)
async def export_assessments(
    inspection_id: UUID,
    request: Request,
    session: SessionDep,
    paging: Paging,
    format: Annotated[Literal["json", "csv"] | None, Query(description="csv streams the whole spreadsheet")] = None,
    since: Annotated[
        int | None,
        Query(
            ge=0,
            le=2**31 - 1,
            description=(
                "JSON: only the cases (and assessments) written after this sample revision, as given by the "
                "Sample-Revision header of an earlier read."
            ),
        ),
    ] = None,
):
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return StreamingResponse(
            await export.spreadsheet(session, request.app.state.sessionmaker, _frameworks(request), inspection_id),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="assessments-{inspection_id}.csv"'},
        )
    read = await bulk_read.read_page(session, inspection_id, paging, since, request.headers.get("if-none-match"))
    headers = {"ETag": read.etag, SAMPLE_REVISION: str(read.revision)}
    return Response(status_code=304, headers=headers) if read.body is None else json_response(read.body, headers)


@router.post(
    "/assessments:changes",
    response_model=AssessmentChanges,
    tags=["assessments"],
    responses=problems(422),
    summary="What changed in several inspections' samples, each since its own revision, in one read",
)
async def assessment_changes(query: AssessmentChangesQuery, session: SessionDep) -> Response:
    return json_response(await bulk_read.changes_json(session, query))


@router.get(
    "/inspections/{inspection_id}/sample",
    response_model=SampleComposition,
    tags=["sample"],
    responses=problems(404),
    summary="The sample's composition against the inspection's mix, with a warning per shortfall",
)
async def sample_composition(inspection_id: UUID, session: SessionDep) -> SampleComposition:
    return await case_sample.composition(session, inspection_id)


_DRAW_BODY = json_or_csv("SampleDraw", "The caseload: a header of case attributes, a row per case.")


@router.post(
    "/inspections/{inspection_id}/sample:draw",
    response_model=DrawnSample,
    tags=["sample"],
    responses=problems(404, 409, 415, 422),
    openapi_extra=_DRAW_BODY,
    summary="Draw a reproducible stratified random sample from the area's caseload (JSON or CSV)",
)
async def draw_sample(
    inspection_id: UUID,
    request: Request,
    session: SessionDep,
    idem: IdempotencyDep,
    seed: Annotated[int | None, Query(ge=0, le=2**32 - 1, description="CSV caseloads: the seed.")] = None,
    add_to_inspection: Annotated[bool, Query(description="CSV caseloads: add the drawn cases to the sample.")] = False,
):
    if (replay := await idem.replay()) is not None:
        return replay
    drawn = await case_sample.draw_for(session, inspection_id, upload(request), seed, add_to_inspection)
    return await idem.respond(drawn, 200)
