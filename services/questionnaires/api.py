"""Routers of the questionnaires service: thin, the domain is in logic/."""

from typing import Annotated, Literal
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from services.questionnaires.logic import questionnaires, returns, sample, transfer
from services.questionnaires.logic.templates import Templates
from shared.case_filters import case_filters
from shared.concurrency import require_if_match
from shared.db import SessionDep
from shared.errors import InvalidInput, NotFound
from shared.idempotency import REPLAYED_HEADER, Idempotency, idempotency
from shared.metrics import count_writes
from shared.pagination import PageParams, page_params
from shared.problems import problems
from shared.schemas.common import Page
from shared.schemas.questionnaires import (
    Distribution,
    DistributionPut,
    QuestionnaireReturn,
    QuestionnaireSplit,
    QuestionnaireSummary,
    QuestionnaireTemplate,
    Respondent,
    ReturnCreate,
    ReturnImportResult,
)
from shared.table_bodies import json_or_csv, table_body

router = APIRouter(prefix="/api/v1")
IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
Paging = Annotated[PageParams, Depends(page_params)]
Filters = Annotated[dict[str, list[str]], Depends(case_filters)]
QUESTIONNAIRE = "/inspections/{inspection_id}/questionnaires/{respondent}"


def _templates(request: Request) -> Templates:
    return request.app.state.templates


def _cases(request: Request) -> httpx.AsyncClient:
    return request.app.state.clients["cases"]


@router.get("/questionnaires/templates", response_model=list[QuestionnaireTemplate], tags=["questionnaires"])
async def list_templates(request: Request, session: SessionDep) -> list[QuestionnaireTemplate]:
    return await _templates(request).all_current(session)


@router.get(
    "/questionnaires/templates/{respondent}",
    response_model=QuestionnaireTemplate,
    tags=["questionnaires"],
    responses=problems(404, 422),
    summary="A respondent group's template: the current version, or a stored one",
)
async def get_template(
    respondent: Respondent,
    request: Request,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="A stored version; the newest by default.")] = None,
) -> QuestionnaireTemplate:
    return await _templates(request).version(session, respondent, version)


@router.get(QUESTIONNAIRE + "/distribution", response_model=Distribution, tags=["questionnaires"], responses=problems(404))
async def get_distribution(inspection_id: UUID, respondent: Respondent, session: SessionDep, response: Response) -> Distribution:
    row = await questionnaires.find(session, inspection_id, respondent)
    if row is None:
        raise NotFound(f"no {respondent.value} questionnaire is recorded for this inspection")
    response.headers["ETag"] = questionnaires.distribution_etag(row)
    return questionnaires.as_wire(row)


@router.put(
    QUESTIONNAIRE,
    response_model=Distribution,
    tags=["questionnaires"],
    responses=problems(404, 409, 412, 422, 428, 503) | {201: {"model": Distribution, "description": "First recorded"}},
    summary="Record how many questionnaires were sent (If-Match needed once recorded)",
)
async def put_distribution(
    inspection_id: UUID,
    respondent: Respondent,
    body: DistributionPut,
    request: Request,
    session: SessionDep,
    if_match: Annotated[str | None, Header(description="The ETag last read; required once a distribution is recorded.")] = None,
) -> JSONResponse:
    row = await questionnaires.pinned(session, _cases(request), _templates(request), inspection_id, respondent)
    first = row.version == 0
    if not first:
        require_if_match(if_match, questionnaires.distribution_etag(row))
    cases = None
    if body.cases is not None:
        cases = await sample.cases_of(_cases(request), inspection_id, set(body.cases))
        if errors := questionnaires.unknown_cases(body.cases, cases):
            raise InvalidInput(errors)
        cases = {case_id: cases[case_id] for case_id in body.cases}
    row = await questionnaires.record_distribution(session, row, body.sent, cases)
    return JSONResponse(
        jsonable_encoder(questionnaires.as_wire(row)),
        status_code=201 if first else 200,
        headers={"ETag": questionnaires.distribution_etag(row)},
    )


@router.get(
    QUESTIONNAIRE,
    response_model=QuestionnaireSummary | QuestionnaireSplit,
    tags=["questionnaires"],
    responses=problems(404, 422, 503),
    summary="What the returns add up to (free text only counted); ?split_by= for the same side by side per value",
)
async def get_summary(
    inspection_id: UUID,
    respondent: Respondent,
    request: Request,
    session: SessionDep,
    filters: Filters,
    split_by: Annotated[
        str | None, Query(max_length=64, description="A one-option question's id or a case attribute: a summary per value.")
    ] = None,
) -> Response:
    row = await questionnaires.recorded(session, _cases(request), inspection_id, respondent)
    template = await questionnaires.template_of(session, _templates(request), row, respondent)
    document, timing = await request.app.state.kept.summary_json(session, row, template, filters, split_by)
    # Where the time goes, for operations staff and `make bench` (W3C Server-Timing).
    return Response(document, media_type="application/json", headers={"Server-Timing": timing})


@router.post(
    QUESTIONNAIRE + "/returns",
    status_code=201,
    response_model=QuestionnaireReturn,
    tags=["questionnaires"],
    responses=problems(404, 409, 422, 503)
    | {200: {"model": QuestionnaireReturn, "description": "Stored already under this return_key"}},
    summary="Store one return, checked against the questionnaire's template version",
)
async def create_return(
    inspection_id: UUID, respondent: Respondent, body: ReturnCreate, request: Request, session: SessionDep, idem: IdempotencyDep
):
    if (replay := await idem.replay()) is not None:
        return replay
    await returns.prepare_one(session)
    row = await questionnaires.pinned_version(session, _cases(request), _templates(request), inspection_id, respondent)
    template = await _templates(request).pinned(session, row.template_id, row.template_version)
    wanted = {body.case_id} if body.case_id is not None and template.names_cases else set()
    cases = await sample.cases_of(_cases(request), inspection_id, wanted)
    stored, replayed = await returns.store_one(session, row, template, body, cases, returns.key_from_header(idem.key))
    path = QUESTIONNAIRE.format(inspection_id=inspection_id, respondent=respondent.value)
    location = {"Location": f"/api/v1{path}/returns/{stored.id}"}
    if replayed:
        return JSONResponse(jsonable_encoder(stored), status_code=200, headers=location | {REPLAYED_HEADER: "true"})
    count_writes(request.app, "questionnaire", "created")
    return await idem.respond(stored, 201, location)


_IMPORT_BODY = json_or_csv("ReturnImport", "Header: return_key, case_id and question ids; multiple choice as a;b;c.")


@router.post(
    QUESTIONNAIRE + "/returns:import",
    response_model=ReturnImportResult,
    tags=["questionnaires"],
    responses=problems(404, 409, 415, 422, 503),
    openapi_extra=_IMPORT_BODY,
    summary="Import many returns (JSON or CSV): created, replayed or error, per row",
)
async def import_returns(
    inspection_id: UUID, respondent: Respondent, request: Request, session: SessionDep, idem: IdempotencyDep
):
    if (replay := await idem.replay()) is not None:
        return replay
    row = await questionnaires.pinned_version(session, _cases(request), _templates(request), inspection_id, respondent)
    template = await _templates(request).pinned(session, row.template_id, row.template_version)
    rows = transfer.read_import(await table_body(request), template)
    result = await transfer.import_rows(session, _cases(request), row, template, rows)
    count_writes(request.app, "questionnaire", "created", result.created)
    return await idem.respond(result, 200)


@router.get(
    QUESTIONNAIRE + "/returns",
    response_model=Page[QuestionnaireReturn],
    tags=["questionnaires"],
    responses=problems(404, 422, 503) | {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    summary="The raw returns, free text included, withdrawn ones flagged; ?format=csv: the counted ones as a spreadsheet",
)
async def list_returns(
    inspection_id: UUID,
    respondent: Respondent,
    request: Request,
    session: SessionDep,
    paging: Paging,
    format: Annotated[Literal["json", "csv"] | None, Query(description="csv: the whole spreadsheet")] = None,
):
    row = await questionnaires.recorded(session, _cases(request), inspection_id, respondent)
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        template = await questionnaires.template_of(session, _templates(request), row, respondent)
        stored = await returns.counted_rows(session, inspection_id, respondent) if row is not None else []
        return Response(
            transfer.export_csv(template, stored),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="returns-{inspection_id}-{respondent.value}.csv"'},
        )
    if row is None:
        return Page[QuestionnaireReturn](items=[], next_cursor=None)
    page, next_cursor = await returns.list_page(session, inspection_id, respondent, paging)
    return Page(items=[returns.as_wire(r) for r in page], next_cursor=next_cursor)


@router.get(
    QUESTIONNAIRE + "/returns/{return_id}", response_model=QuestionnaireReturn, tags=["questionnaires"], responses=problems(404)
)
async def get_return(inspection_id: UUID, respondent: Respondent, return_id: UUID, session: SessionDep) -> QuestionnaireReturn:
    return returns.as_wire(await returns.get(session, inspection_id, respondent, return_id))


@router.delete(
    QUESTIONNAIRE + "/returns/{return_id}",
    response_model=QuestionnaireReturn,
    tags=["questionnaires"],
    responses=problems(404),
    summary="Withdraw a return: kept in the history, no longer counted",
)
async def withdraw_return(
    inspection_id: UUID, respondent: Respondent, return_id: UUID, session: SessionDep
) -> QuestionnaireReturn:
    row = await returns.get(session, inspection_id, respondent, return_id)
    return returns.as_wire(await returns.withdraw(session, row))
