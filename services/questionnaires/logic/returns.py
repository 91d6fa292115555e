"""Returns of a questionnaire: checked against the pinned template version, keyed so a re-sent return is
never counted twice, stored in one multi-row INSERT however many come at once, withdrawn but kept."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import orjson
from sqlalchemy import Select, Text, bindparam, func, select, type_coerce, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.questionnaires import models
from services.questionnaires.logic.answers import check_answers, check_case_link
from services.questionnaires.logic.questionnaires import Pinned
from services.questionnaires.logic.sample import CaseAttributes
from services.questionnaires.logic.summary import Counted
from shared import audit, audit_bulk, driver_sql, writing_ctes
from shared.bulk_insert import insert_rows
from shared.canonical import canonical_sha256
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.pagination import PageParams, paginate
from shared.schemas.common import FieldError
from shared.schemas.questionnaires import RETURN_KEY_PATTERN, QuestionnaireReturn, QuestionnaireTemplate, Respondent, ReturnCreate
from shared.writing_ctes import bound, prefixed

KEY_BATCH = 500  # return keys looked up per statement (well under every driver's parameter limit)


def _key_reused() -> FieldError:
    message = "a return with this key is stored with other answers"
    return FieldError(field="return_key", location="body", type="return_key_reused", message=message)


def as_wire(row: models.QuestionnaireReturn) -> QuestionnaireReturn:
    return QuestionnaireReturn.model_validate(row, from_attributes=True)


def key_from_header(idempotency_key: str | None) -> str | None:
    """An Idempotency-Key as the return's key, when it could be one (else the return's id is)."""
    return idempotency_key if idempotency_key is not None and re.fullmatch(RETURN_KEY_PATTERN, idempotency_key) else None


def content_sha256(answers: Mapping[str, Any], case_id: UUID | None) -> str:
    return canonical_sha256({"answers": answers, "case_id": str(case_id) if case_id else None})


@dataclass(frozen=True)
class Stored:
    id: UUID
    content_sha256: str


@dataclass
class Planned:
    """One return as checked: to be created, already stored (replayed), or refused with its errors."""

    return_key: str | None
    errors: list[FieldError]
    id: UUID | None = None
    replayed: bool = False
    row: dict[str, Any] | None = None  # the stored row, when this return was stored now


def check(template: QuestionnaireTemplate, body: ReturnCreate, cases: Mapping[UUID, CaseAttributes]) -> list[FieldError]:
    """Every error of one return: its answers, and its case (named only where allowed, and of this inspection)."""
    errors = check_answers(template, body.answers) + check_case_link(template, body.case_id is not None)
    if template.names_cases and body.case_id is not None and body.case_id not in cases:
        errors.append(
            FieldError(field="case_id", location="body", type="not_in_inspection", message="not a case of this inspection")
        )
    return errors


# Prepared once (building a statement per request cost about as much as running it).
_STORED_KEYS = select(models.RETURNS.c.return_key, models.RETURNS.c.id, models.RETURNS.c.content_sha256).where(
    models.RETURNS.c.inspection_id == bindparam("inspection_id"),
    models.RETURNS.c.respondent == bindparam("respondent"),
    models.RETURNS.c.return_key.in_(bindparam("keys", expanding=True)),
)


async def stored_keys(session: AsyncSession, questionnaire: Pinned, keys: Sequence[str]) -> dict[str, Stored]:
    found: dict[str, Stored] = {}
    unique = list(dict.fromkeys(keys))
    where = {"inspection_id": questionnaire.inspection_id, "respondent": questionnaire.respondent}
    for start in range(0, len(unique), KEY_BATCH):
        for key, return_id, digest in await session.execute(_STORED_KEYS, where | {"keys": unique[start : start + KEY_BATCH]}):
            found[key] = Stored(return_id, digest)
    return found


async def store(
    session: AsyncSession,
    questionnaire: Pinned,
    template: QuestionnaireTemplate,
    bodies: Sequence[ReturnCreate],
    cases: Mapping[UUID, CaseAttributes],
    default_key: str | None = None,
) -> list[Planned]:
    """Check each return and store the good ones in one INSERT; a key stored already (or earlier in
    ``bodies``) with the same content is replayed, with other content refused. Nothing is stored for
    a refused return. ``default_key``: the key of a single return that names none (its Idempotency-Key)."""
    keys = [body.return_key or default_key for body in bodies]
    # One return on PostgreSQL is written in one statement that checks its key itself (ON CONFLICT), with no read
    # before it: on a table grown from empty faster than its statistics, that read's plan scanned every return of
    # the questionnaire (2 ms each at 2,400 returns, and growing with them).
    alone = len(bodies) == 1 and writing_ctes.available(session)
    known = {} if alone else await stored_keys(session, questionnaire, [k for k in keys if k is not None])
    plans: list[Planned] = []
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for body, key in zip(bodies, keys, strict=True):
        errors = check(template, body, cases)
        digest = content_sha256(body.answers, body.case_id)
        previous = known.get(key) if key is not None else None
        if not errors and previous is not None:
            if previous.content_sha256 == digest:
                plans.append(Planned(key, [], previous.id, replayed=True))
                continue
            errors.append(_key_reused())
        if errors:
            plans.append(Planned(key, errors))
            continue
        return_id = uuid4()
        key = key or str(return_id)
        known[key] = Stored(return_id, digest)
        rows.append(
            {
                "id": return_id,
                "inspection_id": questionnaire.inspection_id,
                "respondent": questionnaire.respondent,
                "template_id": questionnaire.template_id,
                "template_version": questionnaire.template_version,
                "return_key": key,
                "content_sha256": digest,
                "case_id": body.case_id,
                "case_attributes": cases.get(body.case_id) if body.case_id is not None else None,
                "answers": body.answers,
                "received_at": now,
                "withdrawn_at": None,
            }
        )
        plans.append(Planned(key, [], return_id))
    if alone and rows:
        await writing_ctes.on_its_own(session)
        stored = await _store_in_one_statement(session, questionnaire, rows[0])
        if stored is None:
            return [await _stored_already(session, questionnaire, rows[0])]
        rows = [stored]
    elif rows:
        revision = await _next_revision(session, questionnaire.inspection_id, questionnaire.respondent)
        rows = [row | {"revision": revision} for row in rows]
        # On the connection (COPY for many), so past the session's audit event: a record per return instead.
        connection = await session.connection()
        await insert_rows(connection, models.RETURNS, rows)
        await insert_rows(connection, audit.RECORDS, audit_bulk.created(models.RETURNS.name, rows, ["id"], "inspection_id"))
    for plan, row in zip((p for p in plans if p.id is not None and not p.replayed), rows, strict=True):
        plan.row = row  # the answer is the row as stored, not read back
    return plans


_BUMP_REVISION = (
    update(models.QUESTIONNAIRES)
    .where(
        models.QUESTIONNAIRES.c.inspection_id == bindparam("of_inspection"),
        models.QUESTIONNAIRES.c.respondent == bindparam("of_respondent"),
    )
    .values(revision=models.QUESTIONNAIRES.c.revision + 1)
    .returning(models.QUESTIONNAIRES.c.revision)
)


_COLUMNS = tuple(c.name for c in models.RETURNS.c if c.name != "revision")


def _in_one_statement() -> Select[Any]:
    """On PostgreSQL (shared.writing_ctes): the questionnaire's revision bump, the return unless its key is stored,
    and its audit record; the revision, and whether the return was written. A replayed or refused key still bumps
    (and briefly locks) the questionnaire: a revision with no change, as a lost race leaves, which readers of
    changes since a revision see as nothing new."""
    bump = _BUMP_REVISION.cte("bump")
    row = select(*bound(models.RETURNS, _COLUMNS, "q_").values(), bump.c.revision)
    new = postgresql.insert(models.RETURNS).from_select([*_COLUMNS, "revision"], row)
    stored = new.on_conflict_do_nothing(constraint="uq_returns_key").returning(models.RETURNS.c.id).cte("new_return")
    written = select(func.count()).select_from(stored).scalar_subquery()
    return select(bump.c.revision, written.label("written")).add_cte(*writing_ctes.audit_records(1, after=stored))


_ONE_STATEMENT = driver_sql.Statement(_in_one_statement())


async def _store_in_one_statement(session: AsyncSession, questionnaire: Pinned, row: dict[str, Any]) -> dict[str, Any] | None:
    """One return written with its revision and audit record in one round trip: the row as stored, or None when
    a return with its key is stored already."""
    records = audit_bulk.created(models.RETURNS.name, [row | {"revision": 0}], ["id"], "inspection_id")
    params = prefixed(row, "q_") | writing_ctes.audit_params(records)
    params |= {"of_inspection": questionnaire.inspection_id, "of_respondent": questionnaire.respondent}
    found = await driver_sql.one(session, _ONE_STATEMENT, params)
    return (row | {"revision": int(found["revision"])}) if found["written"] else None


async def _stored_already(session: AsyncSession, questionnaire: Pinned, row: dict[str, Any]) -> Planned:
    """A return whose key the write found stored: replayed when stored with the same content, else refused."""
    key = row["return_key"]
    previous = (await stored_keys(session, questionnaire, [key])).get(key)
    if previous is None:  # not seen even now (returns are never deleted): say so rather than guess
        raise Conflict("a return with this return_key was being stored meanwhile; retry", kind="return-key-reused")
    if previous.content_sha256 == row["content_sha256"]:
        return Planned(key, [], previous.id, replayed=True)
    return Planned(key, [_key_reused()])


async def _next_revision(session: AsyncSession, inspection_id: UUID, respondent: str) -> int:
    """Bump the questionnaire's revision for a write in this transaction and return it; the row lock
    it takes orders concurrent writers, so revisions commit in the order they count."""
    bumped = await session.execute(_BUMP_REVISION, {"of_inspection": inspection_id, "of_respondent": respondent})
    return int(bumped.scalar_one())


async def prepare_one(session: AsyncSession) -> None:
    """Before a single return's first statement: its write is one statement (on PostgreSQL), so its reads need no
    transaction either (unless an Idempotency-Key holds one; a questionnaire made on first use begins one)."""
    await writing_ctes.reads_alone(session)


async def store_one(
    session: AsyncSession,
    questionnaire: Pinned,
    template: QuestionnaireTemplate,
    body: ReturnCreate,
    cases: Mapping[UUID, CaseAttributes],
    default_key: str | None,
) -> tuple[QuestionnaireReturn, bool]:
    """One return stored, or the one stored already under its key with the same content (True: replayed)."""
    (plan,) = await store(session, questionnaire, template, [body], cases, default_key)
    if any(error.type == "return_key_reused" for error in plan.errors):
        raise Conflict("a return with this return_key is stored with other answers", kind="return-key-reused")
    if plan.errors or plan.id is None:
        raise InvalidInput(plan.errors)
    if plan.row is not None:
        return QuestionnaireReturn.model_validate(plan.row), False  # as stored, without reading it back
    row = await session.get(models.QuestionnaireReturn, plan.id)
    if row is None:
        raise NotFound(f"return {plan.id} does not exist")
    return as_wire(row), plan.replayed


async def get(session: AsyncSession, inspection_id: UUID, respondent: Respondent, return_id: UUID) -> models.QuestionnaireReturn:
    row = await get_or_404(session, models.QuestionnaireReturn, return_id, f"return {return_id}")
    if row.inspection_id != inspection_id or row.respondent != respondent.value:
        raise NotFound(f"return {return_id} does not exist")
    return row


async def list_page(
    session: AsyncSession, inspection_id: UUID, respondent: Respondent, params: PageParams
) -> tuple[list[models.QuestionnaireReturn], str | None]:
    table = models.QuestionnaireReturn
    statement = select(table).where(col(table.inspection_id) == inspection_id, col(table.respondent) == respondent.value)
    columns = table.__table__.c  # type: ignore[attr-defined]
    return await paginate(session, statement, (columns.received_at, columns.id), params)


async def withdraw(session: AsyncSession, row: models.QuestionnaireReturn) -> models.QuestionnaireReturn:
    """Withdrawn once: kept in the history, no longer counted. Withdrawing again changes nothing."""
    if row.withdrawn_at is None:
        await session.execute(
            update(models.QuestionnaireReturn)
            .where(col(models.QuestionnaireReturn.id) == row.id, col(models.QuestionnaireReturn.withdrawn_at).is_(None))
            .values(withdrawn_at=utcnow(), revision=await _next_revision(session, row.inspection_id, row.respondent))
            .execution_options(synchronize_session=False)
        )
        await session.refresh(row)
    return row


@dataclass(frozen=True)
class Changes:
    """Counted returns by id, and the ids of returns withdrawn (in a read since a revision)."""

    counted: dict[UUID, Counted]
    withdrawn: set[UUID]


async def counted(session: AsyncSession, inspection_id: UUID, respondent: str, since: int | None = None) -> Changes:
    """The returns that count (not withdrawn), by id: only their answers and case attributes are read, as
    the stored JSON decoded here in one go (the summary's read of thousands of rows). ``since``: only
    those written after that revision, and the ids of those withdrawn after it."""
    table = models.QuestionnaireReturn
    statement = select(
        col(table.id),
        col(table.withdrawn_at).is_not(None),
        type_coerce(col(table.answers), Text),
        type_coerce(col(table.case_attributes), Text),
    ).where(col(table.inspection_id) == inspection_id, col(table.respondent) == respondent)
    if since is None:
        statement = statement.where(col(table.withdrawn_at).is_(None))
    else:
        statement = statement.where(col(table.revision) > since)
    changes = Changes({}, set())
    for return_id, withdrawn, answers, attributes in await session.execute(statement):
        if withdrawn:
            changes.withdrawn.add(return_id)
        else:
            changes.counted[return_id] = Counted(_decoded(answers), _decoded(attributes))
    return changes


def _decoded(stored: Any) -> Any:
    # SQLite hands back the stored JSON text; asyncpg may decode json columns itself.
    return orjson.loads(stored) if isinstance(stored, str | bytes) else stored


async def counted_rows(session: AsyncSession, inspection_id: UUID, respondent: Respondent) -> list[models.QuestionnaireReturn]:
    """The counted returns whole, oldest first (the spreadsheet export)."""
    table = models.QuestionnaireReturn
    statement = (
        select(table)
        .where(
            col(table.inspection_id) == inspection_id,
            col(table.respondent) == respondent.value,
            col(table.withdrawn_at).is_(None),
        )
        .order_by(col(table.received_at), col(table.id))
    )
    return list((await session.scalars(statement)).all())
