"""Routers of the cases service for access: inspection teams, case allocation, a caller's standing (for the
other services) and the audit trail of every service, merged."""

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from services.cases.logic import audit_trail, teams
from shared.audit import AuditQuery
from shared.audit_api import audit_query, position
from shared.auth import current_caller
from shared.db import SessionDep
from shared.errors import Unauthenticated, invalid
from shared.pagination import PageParams, page_params
from shared.problems import problems
from shared.schemas.access import Allocation, AllocationPut, AuditEntry, StandingOut, Subject, TeamMember, TeamMemberPut
from shared.schemas.common import Page
from shared.tokens import Principal

router = APIRouter()
Paging = Annotated[PageParams, Depends(page_params)]
SubjectPath = Annotated[Subject, Path(description="The token subject (`sub`) of the team member.")]
_PROTECTED = (401, 403, 404)


def _principal() -> Principal:
    caller = current_caller()
    if caller is None:
        raise Unauthenticated("send Authorization: Bearer <token>")
    return caller.principal


@router.put(
    "/api/v1/inspections/{inspection_id}/team/{subject}",
    response_model=TeamMember,
    tags=["teams"],
    responses={201: {"model": TeamMember, "description": "Added to the team"}} | problems(*_PROTECTED, 422),
    summary="Put a subject on the inspection's team (or change their role)",
)
async def put_team_member(inspection_id: UUID, subject: SubjectPath, body: TeamMemberPut, session: SessionDep) -> JSONResponse:
    row, created = await teams.put_member(session, inspection_id, subject, body.role)
    return JSONResponse(teams.member_as_wire(row).model_dump(mode="json"), status_code=201 if created else 200)


@router.get(
    "/api/v1/inspections/{inspection_id}/team",
    response_model=Page[TeamMember],
    tags=["teams"],
    responses=problems(*_PROTECTED, 422),
)
async def list_team(inspection_id: UUID, session: SessionDep, paging: Paging) -> Page[TeamMember]:
    await teams.standing(session, _principal(), "inspection", inspection_id)  # 404 for no such inspection
    rows, next_cursor = await teams.list_members(session, inspection_id, paging)
    return Page(items=[teams.member_as_wire(r) for r in rows], next_cursor=next_cursor)


@router.delete(
    "/api/v1/inspections/{inspection_id}/team/{subject}",
    status_code=204,
    tags=["teams"],
    responses=problems(*_PROTECTED, 422),
    summary="Take a subject off the team (their case allocations there go too)",
)
async def delete_team_member(inspection_id: UUID, subject: SubjectPath, session: SessionDep) -> Response:
    await teams.remove_member(session, inspection_id, subject)
    return Response(status_code=204)


@router.put(
    "/api/v1/cases/{case_id}/allocation",
    response_model=Allocation,
    tags=["teams"],
    responses={201: {"model": Allocation, "description": "Allocated"}} | problems(*_PROTECTED, 422),
    summary="Allocate the case to an area assessor of its inspection's team",
)
async def put_allocation(case_id: UUID, body: AllocationPut, session: SessionDep) -> JSONResponse:
    row, created = await teams.allocate(session, case_id, body.assessor)
    return JSONResponse(teams.allocation_as_wire(row).model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/internal/standing", response_model=StandingOut, responses=problems(*_PROTECTED, 422))
async def caller_standing(session: SessionDep, inspection_id: UUID | None = None, case_id: UUID | None = None) -> StandingOut:
    """The calling token's standing on an inspection or a case (for the other services' access checks)."""
    if (inspection_id is None) == (case_id is None):
        raise invalid("inspection_id", "give exactly one of inspection_id and case_id", location="query")
    target: Literal["inspection", "case"] = "case" if case_id else "inspection"
    found = await teams.standing(session, _principal(), target, case_id or inspection_id)  # type: ignore[arg-type]
    return StandingOut.model_validate(found, from_attributes=True)


@router.get(
    "/api/v1/audit",
    response_model=Page[AuditEntry],
    tags=["audit"],
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}} | problems(*_PROTECTED, 422, 502, 503, 504),
    summary="The audit trail of every service, merged in time order (admin; inspectors for their inspections)",
)
async def audit(
    request: Request,
    session: SessionDep,
    query: Annotated[AuditQuery, Depends(audit_query)],
    paging: Paging,
    format: Annotated[Literal["json", "csv"], Query(description="csv: the whole trail from the cursor on")] = "json",
) -> Response:
    state = request.app.state
    others = state.clients  # every service this one calls keeps a trail: scoring, questionnaires, reporting
    after = position(paging.cursor)
    if format == "csv":
        return StreamingResponse(
            audit_trail.csv_rows(state.sessionmaker, state.service_name, others, query, after),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )
    items, next_cursor = await audit_trail.page(session, state.service_name, others, query, after, paging.limit)
    return JSONResponse(Page(items=items, next_cursor=next_cursor).model_dump(mode="json"))
