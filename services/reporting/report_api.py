"""Routers of the report: the document (a draft live, a published one frozen), its lifecycle, the
area's comments on a draft, and the timeline of due dates."""

import base64
import hashlib
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from services.reporting import models
from services.reporting.deps import IfMatch, IntervalsDep, Now, UpstreamDep
from services.reporting.logic import comments, i18n, lifecycle, printing, render, rendering, report, timeline, upstream
from shared.auth import current_caller
from shared.concurrency import require_if_match
from shared.db import SessionDep
from shared.errors import DomainError, NotFound
from shared.idempotency import Idempotency, idempotency
from shared.pagination import PageParams, page_params
from shared.problems import problems
from shared.responses import json_response
from shared.schemas.common import Page
from shared.schemas.narrative import Lang
from shared.schemas.reports import (
    Comment,
    CommentAnswerPut,
    CommentCreate,
    MilestoneDone,
    MilestoneName,
    OverdueMilestone,
    ReportDocument,
    ReportState,
    Timeline,
)

router = APIRouter(prefix="/api/v1", tags=["report"])
Paging = Annotated[PageParams, Depends(page_params)]
IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
REPORT = "/inspections/{inspection_id}/report"


def _state(inspection_id: UUID, row: models.Report | None) -> JSONResponse:
    return JSONResponse(
        jsonable_encoder(lifecycle.state(inspection_id, row)), headers={"ETag": lifecycle.report_etag(inspection_id, row)}
    )


ReportFormat = Annotated[
    rendering.Format | None,
    Query(description="json, html or pdf: overrides Accept (a link a browser follows cannot set Accept)."),
]
ReportLang = Annotated[
    Lang | None,
    Query(description="en or cy; absent, the best of Accept-Language among the languages the report is in."),
]
_RENDERINGS = {
    "text/html": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
}
_VARY = {"Vary": "Accept, Accept-Language"}


def _served(body: bytes, media: str, headers: dict[str, str]) -> Response:
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    return Response(body, media_type=media, headers=headers | _VARY | {"Repr-Digest": f"sha-256=:{digest}:"})


async def _draft_languages(up: UpstreamDep, inspection_id: UUID) -> tuple[Lang, ...]:
    """The languages a draft is written in: Welsh and English for a Welsh area. The inspection must
    exist (404 otherwise); with cases down, both are allowed (the draft marks what is missing)."""
    try:
        found, _ = await upstream.inspection(up, inspection_id)
    except NotFound:
        raise
    except DomainError:
        return i18n.LANGS
    return i18n.languages(found.country)


@router.get(
    REPORT,
    response_model=ReportDocument,
    responses=problems(404, 406, 422) | {200: {"content": _RENDERINGS}},
    summary="The report: a draft assembled now (parts a service cannot give are marked), or the published report's "
    "frozen bytes; as JSON, HTML or PDF (Accept or ?format=), in English or Welsh (?lang= or Accept-Language)",
)
async def get_report(
    inspection_id: UUID,
    request: Request,
    session: SessionDep,
    up: UpstreamDep,
    now: Now,
    lang: ReportLang = None,
    format: ReportFormat = None,
) -> Response:
    media = rendering.media_type(format, request.headers.get("accept"))
    row = await lifecycle.get(session, inspection_id)
    headers = {"ETag": lifecycle.report_etag(inspection_id, row)}
    accept_language = request.headers.get("accept-language")
    if row is not None and report.is_published(row):
        return _served(await rendering.frozen(session, inspection_id, media, lang, accept_language), media, headers)
    caller = current_caller()
    report.require_draft_reader(caller is not None and caller.by_link, caller.principal.role if caller else None)
    chosen = i18n.choose(lang, accept_language, await _draft_languages(up, inspection_id))
    document = (await report.draft(session, up, inspection_id, chosen, now)).model_dump(mode="json")
    if media == rendering.JSON:
        return json_response(document, headers | _VARY)
    if media == rendering.HTML:
        return _served(render.html(document).encode("utf-8"), media, headers)
    return _served(await printing.draft_pdf(document), media, headers)


@router.get(
    f"{REPORT}/status", response_model=ReportState, responses=problems(422), summary="Where the report is in its lifecycle"
)
async def report_status(inspection_id: UUID, session: SessionDep) -> JSONResponse:
    return _state(inspection_id, await lifecycle.get(session, inspection_id))


@router.post(
    f"{REPORT}:send-for-comment",
    response_model=ReportState,
    responses=problems(404, 409, 412, 428, 503),
    summary="Send the draft to the area for comment (again: the next numbered draft); needs If-Match",
)
async def send_for_comment(
    inspection_id: UUID, request: Request, session: SessionDep, up: UpstreamDep, now: Now, if_match: IfMatch = None
) -> JSONResponse:
    await upstream.inspection(up, inspection_id)  # 404 for an inspection cases does not have
    require_if_match(if_match, lifecycle.report_etag(inspection_id, await lifecycle.get(session, inspection_id)))
    return _state(inspection_id, await lifecycle.send_for_comment(session, inspection_id, now))


@router.post(
    f"{REPORT}:publish",
    response_model=ReportState,
    responses=problems(404, 409, 412, 428, 502, 503, 504),
    summary="Publish the draft sent for comment, all or nothing (scores snapshotted, the document frozen, the "
    "inspection published); safe to retry; needs If-Match",
)
async def publish(inspection_id: UUID, request: Request, up: UpstreamDep, now: Now, if_match: IfMatch = None) -> JSONResponse:
    sessions = request.app.state.sessionmaker
    async with sessions() as session:
        row = await lifecycle.get(session, inspection_id)
    if row is None or row.status != "published":  # publishing a published report answers it again
        require_if_match(if_match, lifecycle.report_etag(inspection_id, row))
    draft_number = row.draft_number if row else 1
    published = await lifecycle.publish(
        sessions, up, inspection_id, report.publication_assembler(inspection_id, draft_number), now
    )
    return _state(inspection_id, published)


@router.post(
    f"{REPORT}/comments",
    status_code=201,
    response_model=Comment,
    tags=["comments"],
    responses=problems(409, 422),
    summary="Record the area's comment on the draft out for comment",
)
async def create_comment(inspection_id: UUID, body: CommentCreate, session: SessionDep, idem: IdempotencyDep, now: Now):
    if (replay := await idem.replay()) is not None:
        return replay
    row = await comments.record(session, await lifecycle.get(session, inspection_id), inspection_id, body, now)
    return await idem.respond(
        comments.as_wire(row),
        201,
        {"Location": f"/api/v1/inspections/{inspection_id}/report/comments/{row.id}", "ETag": comments.comment_etag(row)},
    )


@router.get(f"{REPORT}/comments", response_model=Page[Comment], tags=["comments"], responses=problems(422))
async def list_comments(
    inspection_id: UUID,
    session: SessionDep,
    paging: Paging,
    draft: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Only the comments on this draft.")] = None,
) -> Page[Comment]:
    rows, next_cursor = await comments.list_page(session, inspection_id, draft, paging)
    return Page(items=[comments.as_wire(r) for r in rows], next_cursor=next_cursor)


@router.put(
    f"{REPORT}/comments/{{comment_id}}/answer",
    response_model=Comment,
    tags=["comments"],
    responses=problems(404, 412, 422, 428),
    summary="Answer a comment: accepted or not accepted, with a note (If-Match once answered)",
)
async def answer_comment(
    inspection_id: UUID,
    comment_id: UUID,
    body: CommentAnswerPut,
    request: Request,
    session: SessionDep,
    now: Now,
    if_match: IfMatch = None,
) -> JSONResponse:
    row = await comments.get(session, inspection_id, comment_id)
    if row.outcome is not None:
        require_if_match(if_match, comments.comment_etag(row))
    row = await comments.answer(session, row, body, now)
    return JSONResponse(jsonable_encoder(comments.as_wire(row)), headers={"ETag": comments.comment_etag(row)})


async def _timeline(session: SessionDep, up: UpstreamDep, inspection_id: UUID, intervals: IntervalsDep, now: Now) -> Timeline:
    found, _ = await upstream.inspection(up, inspection_id)
    row = await lifecycle.get(session, inspection_id)
    return timeline.timeline(inspection_id, found.fieldwork_start, found.fieldwork_end, row, intervals, now)


@router.get(
    "/inspections/{inspection_id}/timeline",
    response_model=Timeline,
    tags=["timeline"],
    responses=problems(404, 422, 503),
    summary="Every due date from the fieldwork week, each with done_at and overdue",
)
async def get_timeline(inspection_id: UUID, session: SessionDep, up: UpstreamDep, intervals: IntervalsDep, now: Now) -> Timeline:
    return await _timeline(session, up, inspection_id, intervals, now)


@router.put(
    "/inspections/{inspection_id}/timeline/{milestone}",
    response_model=Timeline,
    tags=["timeline"],
    responses=problems(404, 422, 503),
    summary="Record when the improvement plan arrived, or the focused re-inspection took place",
)
async def milestone_done(
    inspection_id: UUID,
    milestone: Annotated[MilestoneName, Path()],
    body: MilestoneDone,
    session: SessionDep,
    up: UpstreamDep,
    intervals: IntervalsDep,
    now: Now,
) -> Timeline:
    await upstream.inspection(up, inspection_id)
    timeline.record_done(await lifecycle.get_or_new(session, inspection_id, now), milestone, body.done_at, intervals)
    await session.flush()
    return await _timeline(session, up, inspection_id, intervals, now)


@router.get(
    "/reports/overdue",
    response_model=Page[OverdueMilestone],
    tags=["timeline"],
    responses=problems(422, 503),
    summary="What is overdue, a page of inspections at a time (a page may hold none; follow next_cursor)",
)
async def overdue(
    session: SessionDep, up: UpstreamDep, intervals: IntervalsDep, now: Now, paging: Paging
) -> Page[OverdueMilestone]:
    items, next_cursor = await report.overdue_page(session, up, intervals, now, paging.limit, paging.cursor)
    return Page(items=items, next_cursor=next_cursor)
