"""The audit trail every service keeps: one append-only table, a record per written row, gathered by session
events as the rows are written and inserted in their transaction as it commits, so no write can go unrecorded. A record
names who, when, what entity and id, the action, the names of the fields changed (never their values),
the matrix action of the request, the request id and the trace id."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from opentelemetry import trace
from sqlalchemy import JSON, BinaryExpression, BindParameter, ColumnElement, and_, event, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.sql import operators, visitors
from sqlmodel import Column, Field, SQLModel, col

from shared.auth import current_caller
from shared.context import request_id_var
from shared.db import UtcDateTime, table_of, utcnow

TABLE = "audit_records"
# Bookkeeping tables, and fields bumped by every write (an update touching only these is not a change).
UNAUDITED_TABLES = frozenset({TABLE, "idempotency_records", "alembic_version"})
BOOKKEEPING_FIELDS = frozenset({"version", "revision", "sample_revision", "updated_at"})
# Tables whose own id is the inspection's; others name it in their inspection_id column.
_INSPECTION_TABLES = frozenset({"inspections"})


class AuditRecord(SQLModel, table=True):
    __tablename__ = TABLE

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    actor: str | None = Field(None, max_length=255, index=True)
    role: str | None = Field(None, max_length=32)
    entity: str = Field(max_length=64, index=True)
    entity_id: str | None = Field(None, max_length=255)
    action: str = Field(max_length=16)
    operation: str | None = Field(None, max_length=64)
    fields: list[str] = Field(sa_column=Column(JSON, nullable=False))
    inspection_id: UUID | None = Field(None, index=True)
    request_id: str | None = Field(None, max_length=128)
    trace_id: str | None = Field(None, max_length=32)


RECORDS = table_of(AuditRecord)


def of_request() -> dict[str, Any]:
    """What every record written for the current request shares: when, who, the matrix action, its inspection,
    the request and the trace (computed once for the many records of a bulk write)."""
    caller = current_caller()
    context = trace.get_current_span().get_span_context()
    return {
        "at": utcnow(),
        "actor": caller.principal.subject if caller else None,
        "role": caller.principal.role if caller and caller.principal.role else None,
        "operation": caller.action if caller else None,
        "inspection_id": caller.inspection_id if caller else None,
        "request_id": request_id_var.get(),
        "trace_id": format(context.trace_id, "032x") if context.is_valid else None,
    }


def record(
    entity: str, entity_id: object, action: str, fields: list[str], inspection_id: object, request: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A row naming no inspection of its own (an assessment's version) is the request's inspection's."""
    shared = of_request() if request is None else request
    return shared | {
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "action": action,
        "fields": sorted(fields),
        "inspection_id": inspection_id if isinstance(inspection_id, UUID) else shared["inspection_id"],
    }


_PENDING = "audit_records"  # the session's records not yet written (session.info)
# Set (session.info) by shared.writing_ctes on a session whose statements run without a transaction.
WITHOUT_TRANSACTION = "omi.statements_alone"


def _pend(session: Session, records: list[dict[str, Any]]) -> None:
    if records and session.info.get(WITHOUT_TRANSACTION):
        # Its write would commit at once and its record only with the request: a failure after would keep the
        # write and drop the record. A request that writes through the session holds its transaction first.
        raise RuntimeError("an audited write on a session without a transaction: call writing_ctes.hold_transaction first")
    session.info.setdefault(_PENDING, []).extend(records)


def _before_commit(session: Session) -> None:
    """A transaction's records, written by one Core INSERT just before it commits (so in it): one statement
    however many writes the request made, no ORM objects to flush. A record naming no inspection of its own
    takes the one the others name, when they name one only: the request's."""
    session.flush()  # the last ORM changes' records join the pending ones (before_flush)
    records = session.info.pop(_PENDING, None)
    if not records:
        return
    named = {r["inspection_id"] for r in records if r["inspection_id"] is not None}
    if len(named) == 1:
        (inspection,) = named
        for r in records:
            r["inspection_id"] = r["inspection_id"] or inspection
    session.connection().execute(sa.insert(RECORDS), records[0] if len(records) == 1 else records)


def _after_rollback(session: Session) -> None:
    # Also on a savepoint's rollback, where it would drop the outer transaction's records too: no service uses
    # savepoints (session.begin_nested); one that does needs a list of records per savepoint first.
    session.info.pop(_PENDING, None)
    _after_commit(session)


def _after_commit(session: Session) -> None:
    # The connection that ran without a transaction is given back: the session's next statement begins one.
    session.info.pop(WITHOUT_TRANSACTION, None)


def _identity(instance: Any) -> tuple[str, object, object]:
    mapper = sa.inspect(instance).mapper
    table = mapper.local_table.name
    keys = [getattr(instance, column.key) for column in mapper.primary_key]
    entity_id = keys[0] if len(keys) == 1 else "/".join(str(k) for k in keys)
    inspection = instance.id if table in _INSPECTION_TABLES else getattr(instance, "inspection_id", None)
    return table, entity_id, inspection


def _before_flush(session: Session, _context: UOWTransaction, _instances: object) -> None:
    records = []
    for instance in list(session.new):
        table, entity_id, inspection = _identity(instance)
        if table not in UNAUDITED_TABLES:
            state = sa.inspect(instance)
            fields = [a.key for a in state.mapper.column_attrs if getattr(instance, a.key) is not None]
            records.append(record(table, entity_id, "create", fields, inspection))
    for instance in list(session.dirty):
        table, entity_id, inspection = _identity(instance)
        if table in UNAUDITED_TABLES or not session.is_modified(instance):
            continue
        state = sa.inspect(instance)
        changed = [a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()]
        if set(changed) - BOOKKEEPING_FIELDS:
            records.append(record(table, entity_id, "update", changed, inspection))
    for instance in list(session.deleted):
        table, entity_id, inspection = _identity(instance)
        if table not in UNAUDITED_TABLES:
            records.append(record(table, entity_id, "delete", [], inspection))
    _pend(session, records)


def _where_values(statement: Any) -> dict[str, object]:
    """Column = literal comparisons of a statement's WHERE clause (its key and inspection)."""
    found: dict[str, object] = {}
    clause = getattr(statement, "whereclause", None)
    if clause is None:
        return found
    for element in visitors.iterate(clause):
        if (
            isinstance(element, BinaryExpression)
            and element.operator is operators.eq
            and isinstance(element.right, BindParameter)
            and isinstance(element.left, ColumnElement)
        ):
            found[str(getattr(element.left, "key", ""))] = element.right.effective_value
    return found


def _on_execute(state: ORMExecuteState) -> None:
    """Writes by statement (guarded updates, bulk deletes) bypass the flush: recorded here, in their transaction."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = state.statement.table  # type: ignore[attr-defined]
    if table.name in UNAUDITED_TABLES:
        return
    values = getattr(state.statement, "_values", None) or {}
    if not values and state.is_insert and isinstance(state.parameters, dict):
        values = state.parameters  # a prepared insert, its row given with the call
    fields = [str(getattr(column, "key", column)) for column in values]
    if state.is_update and not set(fields) - BOOKKEEPING_FIELDS:
        return
    where = _where_values(state.statement)
    if state.is_insert:  # a single-row insert names its key and inspection in its values
        where = {key: getattr(value, "effective_value", value) for key, value in zip(fields, values.values(), strict=True)}
    keys = [column.key for column in table.primary_key]
    entity_id = (
        where.get(keys[0]) if len(keys) == 1 else "/".join(str(where[k]) for k in keys) if set(keys) <= where.keys() else None
    )
    inspection = where.get("id") if table.name in _INSPECTION_TABLES else where.get("inspection_id")
    action = "create" if state.is_insert else "update" if state.is_update else "delete"
    _pend(state.session, [record(table.name, entity_id, action, fields, inspection)])


class AuditedSession(Session):
    """The session class every service uses (shared.service): writes carry their audit records."""


event.listen(AuditedSession, "before_flush", _before_flush)
event.listen(AuditedSession, "do_orm_execute", _on_execute)
event.listen(AuditedSession, "before_commit", _before_commit)
event.listen(AuditedSession, "after_rollback", _after_rollback)
event.listen(AuditedSession, "after_commit", _after_commit)


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditQuery:
    entity: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    inspection: UUID | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


@dataclass(frozen=True)
class Position:
    """Where a merged page ended: the last record's time, service and sequence number."""

    at: datetime
    service: str
    seq: int


async def read_after(
    session: AsyncSession, service: str, query: AuditQuery, after: Position | None, limit: int
) -> list[AuditRecord]:
    """This service's records matching the query, after a position of the merged order (at, service, seq)."""
    statement = select(AuditRecord)
    at, seq = col(AuditRecord.at), col(AuditRecord.seq)
    if query.entity is not None:
        statement = statement.where(col(AuditRecord.entity) == query.entity)
    if query.entity_id is not None:
        statement = statement.where(col(AuditRecord.entity_id) == query.entity_id)
    if query.actor is not None:
        statement = statement.where(col(AuditRecord.actor) == query.actor)
    if query.inspection is not None:
        statement = statement.where(col(AuditRecord.inspection_id) == query.inspection)
    if query.at_from is not None:
        statement = statement.where(at >= query.at_from)
    if query.at_to is not None:
        statement = statement.where(at <= query.at_to)
    if after is not None:
        later, same_time = at > after.at, at == after.at
        if service > after.service:
            statement = statement.where(or_(later, same_time))
        elif service == after.service:
            statement = statement.where(or_(later, and_(same_time, seq > after.seq)))
        else:
            statement = statement.where(later)
    statement = statement.order_by(at, seq).limit(limit)
    return list((await session.scalars(statement)).all())
