"""The bulk reads of inspections' samples: every case with its current assessment in pages (optionally only
what was written after a sample revision), and what changed in many samples at once, in a few indexed
statements, answered as the stored JSON."""

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from pydantic import TypeAdapter
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    FromClause,
    RowMapping,
    Text,
    bindparam,
    inspect,
    or_,
    select,
    type_coerce,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import models
from services.cases.logic import inspections
from shared.concurrency import none_match
from shared.pagination import PageParams, paginate
from shared.responses import to_json
from shared.schemas.cases import Assessment, AssessmentChangesQuery, Case, CaseAssessment

_CASE_ASSESSMENTS = TypeAdapter(list[CaseAssessment])


def revision_etag(inspection_id: UUID, revision: int) -> str:
    return f'W/"{inspection_id}-{revision}"'


_INSPECTIONS = inspect(models.Inspection).local_table
_CASES = inspect(models.Case).local_table
_ASSESSMENTS = inspect(models.Assessment).local_table
_CASE_FIELDS = list(Case.model_fields)
_ASSESSMENT_FIELDS = list(Assessment.model_fields)
_RAW_JSON = ("answers", "evidence")


def _as_stored(value: object) -> object:
    # SQLite hands back the stored JSON text; asyncpg decodes json columns itself.
    return orjson.Fragment(value) if isinstance(value, str | bytes) else value


def _changed_case_ids(since: Sequence[tuple[Any, Any]]) -> CompoundSelect[Any]:
    """Ids of the cases written (or whose assessment was written) after a sample revision, for each
    (inspection id, revision) given: values, or bind parameters. Each pair is one range of an
    (inspection_id, revision) index on either table."""
    cases, stored = _CASES, _ASSESSMENTS

    def written(table: FromClause) -> ColumnElement[bool]:
        return or_(*((table.c.inspection_id == i) & (table.c.revision > revision) for i, revision in since))

    return union(select(cases.c.id).where(written(cases)), select(stored.c.case_id).where(written(stored)))


@functools.lru_cache(maxsize=128)
def _changed_case_ids_of(inspections: int) -> CompoundSelect[Any]:
    """:func:`_changed_case_ids` for that many inspections, as bind parameters ``inspection_<k>`` and
    ``since_<k>``: built once per size, not once per read (building it for a hundred inspections
    costs more than running it)."""
    return _changed_case_ids([(bindparam(f"inspection_{k}"), bindparam(f"since_{k}")) for k in range(inspections)])


def _since_parameters(since: Mapping[UUID, int | None]) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for k, (inspection_id, revision) in enumerate(since.items()):
        parameters[f"inspection_{k}"] = inspection_id
        parameters[f"since_{k}"] = -1 if revision is None else revision  # revisions start at 0
    return parameters


async def _with_assessments(session: AsyncSession, page: Sequence[RowMapping], stored_json: bool) -> list[dict[str, Any]]:
    """{"case", "assessment"} rows in wire field order for these cases. ``stored_json``: answers and
    evidence as the stored JSON, not decoded."""
    if not page:
        return []
    stored = _ASSESSMENTS
    columns = [
        type_coerce(stored.c[f], Text).label(f) if stored_json and f in _RAW_JSON else stored.c[f] for f in _ASSESSMENT_FIELDS
    ]
    rows = (await session.execute(select(*columns).where(stored.c.case_id.in_([c["id"] for c in page])))).mappings()
    found = {row["case_id"]: {**row, **{f: _as_stored(row[f]) for f in _RAW_JSON}} if stored_json else dict(row) for row in rows}
    return [{"case": dict(c), "assessment": found.get(c["id"])} for c in page]


def _case_columns() -> list[ColumnElement[Any]]:
    return [_CASES.c[f] for f in _CASE_FIELDS]


async def _page(
    session: AsyncSession, inspection_id: UUID, params: PageParams, since: int | None, stored_json: bool
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the inspection's cases with their assessments; ``since``: only those written after it."""
    cases = _CASES
    statement = select(*_case_columns()).where(cases.c.inspection_id == inspection_id)
    if since is not None:
        statement = statement.where(cases.c.id.in_(_changed_case_ids([(inspection_id, since)])))
    page, next_cursor = await paginate(session, statement, (cases.c.created_at, cases.c.id), params, as_mappings=True)
    return await _with_assessments(session, page, stored_json), next_cursor


async def changes_json(session: AsyncSession, query: AssessmentChangesQuery) -> bytes:
    """What changed in each asked inspection's sample since its revision, as AssessmentChanges JSON.

    Each inspection is answered whole or deferred: the changed cases are found first, then
    inspections are answered in the order asked, each that fits within ``query.limit`` after those
    before it, and exactly the cases found are read."""
    inspection_table, cases = _INSPECTIONS, _CASES
    wanted = {entry.inspection_id: entry.since for entry in query.inspections}
    # The revisions are read before the rows: a row written in between shows up now and again
    # next time, none can be missed.
    revisions: dict[UUID, int] = dict(
        (
            await session.execute(
                select(inspection_table.c.id, inspection_table.c.sample_revision).where(inspection_table.c.id.in_(wanted))
            )
        ).all()
    )
    since = {i: wanted[i] for i in wanted if i in revisions}
    changed: dict[UUID, list[UUID]] = {i: [] for i in since}
    if since:
        found = select(cases.c.inspection_id, cases.c.id).where(cases.c.id.in_(_changed_case_ids_of(len(since))))
        for inspection_id, case_id in await session.execute(found, _since_parameters(since)):
            changed[inspection_id].append(case_id)
    answered, deferred, total = [], [], 0
    for inspection_id, case_ids in changed.items():
        if total + len(case_ids) > query.limit:
            deferred.append(inspection_id)
        else:
            answered.append(inspection_id)
            total += len(case_ids)
    items: dict[UUID, list[dict[str, Any]]] = {i: [] for i in answered}
    if chosen := [case_id for i in answered for case_id in changed[i]]:
        statement = select(*_case_columns()).where(cases.c.id.in_(chosen)).order_by(cases.c.created_at, cases.c.id)
        page = (await session.execute(statement)).mappings().all()
        for item in await _with_assessments(session, page, stored_json=True):
            items[item["case"]["inspection_id"]].append(item)
    body = {
        "samples": [{"inspection_id": i, "sample_revision": revisions[i], "items": items[i]} for i in answered],
        "deferred": deferred,
        "missing": [i for i in wanted if i not in revisions],
    }
    return to_json(body)


@dataclass(frozen=True)
class PageRead:
    """A page of the bulk read as JSON (None when the reader holds it already) and the sample revision it is at."""

    body: bytes | None
    revision: int
    etag: str


async def read_page(
    session: AsyncSession, inspection_id: UUID, params: PageParams, since: int | None, if_none_match: str | None
) -> PageRead:
    """A page of the inspection's cases with their assessments, as a Page[CaseAssessment] in JSON bytes:
    stored answers were validated when written, so they go out as stored, without being decoded,
    validated and encoded again. Readers that keep the sample ask with ``if_none_match`` (the ETag of
    the revision they hold) and get no body until it changes."""
    # The revision is read (with the inspection) before the rows: a row written in between shows up
    # now and again next time, none can be missed.
    revision = (await inspections.get(session, inspection_id)).sample_revision
    etag = revision_etag(inspection_id, revision)
    if none_match(if_none_match, etag):
        return PageRead(None, revision, etag)
    items, next_cursor = await _page(session, inspection_id, params, since, stored_json=True)
    return PageRead(to_json({"items": items, "next_cursor": next_cursor}), revision, etag)


async def export_page(session: AsyncSession, inspection_id: UUID, params: PageParams) -> tuple[list[CaseAssessment], str | None]:
    """A page of cases with their current assessments, as wire models (the spreadsheet export)."""
    items, next_cursor = await _page(session, inspection_id, params, None, stored_json=False)
    return _CASE_ASSESSMENTS.validate_python(items), next_cursor
