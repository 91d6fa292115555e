"""The audit trail of one service, read by the service that merges every service's trail (internal path)."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from shared.audit import AuditQuery, AuditRecord, Position, read_after
from shared.db import SessionDep
from shared.errors import invalid
from shared.pagination import decode_cursor, encode_cursor
from shared.problems import problems
from shared.schemas.access import AuditEntry

router = APIRouter()


def audit_query(
    entity: Annotated[str | None, Query(max_length=64, description="A table, e.g. cases.")] = None,
    id: Annotated[str | None, Query(max_length=255, description="A row's key.")] = None,
    actor: Annotated[str | None, Query(max_length=255, description="A token subject.")] = None,
    inspection: Annotated[UUID | None, Query(description="Records of one inspection.")] = None,
    at_from: Annotated[datetime | None, Query(alias="from", description="At or after (ISO 8601 with offset).")] = None,
    at_to: Annotated[datetime | None, Query(alias="to", description="At or before.")] = None,
) -> AuditQuery:
    for name, value in (("from", at_from), ("to", at_to)):
        if value is not None and value.tzinfo is None:
            raise invalid(name, "give a time zone offset (e.g. Z)", location="query", type="timezone")
    return AuditQuery(entity, id, actor, inspection, at_from, at_to)


def position(cursor: str | None) -> Position | None:
    if cursor is None:
        return None
    at, service, seq = decode_cursor(cursor, 3)
    if not (isinstance(at, datetime) and isinstance(service, str) and isinstance(seq, int)):
        raise invalid("cursor", "invalid cursor", location="query", type="cursor")
    return Position(at, service, seq)


def cursor_of(entry: AuditEntry) -> str:
    return encode_cursor(entry.at, entry.service, entry.seq)


def as_entry(record: AuditRecord, service: str) -> AuditEntry:
    return AuditEntry(
        at=record.at,
        actor=record.actor,
        role=record.role,
        service=service,
        entity=record.entity,
        id=record.entity_id,
        action=record.action,
        operation=record.operation,
        fields=record.fields,
        inspection_id=record.inspection_id,
        request_id=record.request_id,
        trace_id=record.trace_id,
        seq=record.seq or 0,
    )


@router.get("/internal/audit", response_model=list[AuditEntry], responses=problems(401, 403, 404, 422))
async def service_audit(
    request: Request,
    session: SessionDep,
    query: Annotated[AuditQuery, Depends(audit_query)],
    after: Annotated[str | None, Query(description="A merged-trail cursor.")] = None,
    limit: Annotated[int, Query(ge=1, le=501)] = 50,
) -> list[AuditEntry]:
    service = request.app.state.service_name
    return [as_entry(r, service) for r in await read_after(session, service, query, position(after), limit)]
