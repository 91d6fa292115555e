"""Routers of the cases service: thin, the domain is in logic/."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from services.cases.logic import cases as case_logic
from services.cases.logic import inspections
from shared.concurrency import require_if_match
from shared.db import SessionDep
from shared.frameworks import FrameworkNotFound, FrameworkSource
from shared.idempotency import Idempotency, idempotency
from shared.pagination import PageParams, page_params
from shared.problems import problems, validation_problem
from shared.schemas.cases import Case, CaseCreate
from shared.schemas.common import FieldError, Page
from shared.schemas.enums import InspectionStatus
from shared.schemas.inspections import Inspection, InspectionCreate, InspectionUpdate

router = APIRouter(prefix="/api/v1")
IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
Paging = Annotated[PageParams, Depends(page_params)]


def _frameworks(request: Request) -> FrameworkSource:
    return request.app.state.frameworks


@router.post(
    "/inspections", status_code=201, response_model=Inspection, tags=["inspections"],
    responses=problems(409, 422, 503), summary="Plan an inspection",
)
async def create_inspection(body: InspectionCreate, request: Request, session: SessionDep, idem: IdempotencyDep):
    if (replay := await idem.replay()) is not None:
        return replay
    try:
        framework = await _frameworks(request).get(body.framework_id, body.framework_version)
    except FrameworkNotFound as exc:
        raise validation_problem(
            [FieldError(field="framework_id", location="body", message=f"no framework {exc}", type="unknown_framework")]
        ) from exc
    row = await inspections.create(session, body, framework)
    return await idem.respond(
        inspections.as_wire(row), 201,
        {"Location": f"/api/v1/inspections/{row.id}", "ETag": inspections.inspection_etag(row)},
    )


@router.get("/inspections", response_model=Page[Inspection], tags=["inspections"], responses=problems(422))
async def list_inspections(
    session: SessionDep, paging: Paging, status: Annotated[list[InspectionStatus] | None, Query()] = None
) -> Page[Inspection]:
    rows, next_cursor = await inspections.list_page(session, paging, status)
    return Page(items=[inspections.as_wire(r) for r in rows], next_cursor=next_cursor)


@router.get("/inspections/{inspection_id}", response_model=Inspection, tags=["inspections"], responses=problems(404))
async def get_inspection(inspection_id: UUID, session: SessionDep, response: Response) -> Inspection:
    row = await inspections.get(session, inspection_id)
    response.headers["ETag"] = inspections.inspection_etag(row)
    return inspections.as_wire(row)


@router.patch(
    "/inspections/{inspection_id}", response_model=Inspection, tags=["inspections"],
    responses=problems(404, 409, 412, 422, 428), summary="Change an inspection (needs If-Match)",
)
async def update_inspection(
    inspection_id: UUID, body: InspectionUpdate, request: Request, session: SessionDep, response: Response
) -> Inspection:
    row = await inspections.get(session, inspection_id)
    require_if_match(request, inspections.inspection_etag(row))
    row = await inspections.change(session, row, body)
    response.headers["ETag"] = inspections.inspection_etag(row)
    return inspections.as_wire(row)


@router.post(
    "/inspections/{inspection_id}/cases", status_code=201, response_model=Case, tags=["cases"],
    responses=problems(404, 409, 422), summary="Add a case to the sample",
)
async def create_case(inspection_id: UUID, body: CaseCreate, session: SessionDep, idem: IdempotencyDep):
    if (replay := await idem.replay()) is not None:
        return replay
    await inspections.get(session, inspection_id)
    row = await case_logic.create(session, inspection_id, body)
    return await idem.respond(case_logic.as_wire(row), 201, {"Location": f"/api/v1/cases/{row.id}"})


@router.get("/inspections/{inspection_id}/cases", response_model=Page[Case], tags=["cases"], responses=problems(404, 422))
async def list_cases(inspection_id: UUID, session: SessionDep, paging: Paging) -> Page[Case]:
    await inspections.get(session, inspection_id)
    rows, next_cursor = await case_logic.list_page(session, inspection_id, paging)
    return Page(items=[case_logic.as_wire(r) for r in rows], next_cursor=next_cursor)


@router.get("/cases/{case_id}", response_model=Case, tags=["cases"], responses=problems(404))
async def get_case(case_id: UUID, session: SessionDep) -> Case:
    return case_logic.as_wire(await case_logic.get(session, case_id))
