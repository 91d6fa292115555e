"""Bulk import and export of assessments, as JSON and as the inspectors' spreadsheets (CSV: one row per
case, one column per question id). An export re-imports unchanged."""

import csv
import functools
import io
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import ColumnElement, CompoundSelect, RowMapping, Table, Text, bindparam, or_, select, type_coerce, union
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.cases import models
from services.cases.logic import assessments, inspections, spreadsheet
from shared.errors import InvalidInput, field_errors
from shared.pagination import PageParams, paginate
from shared.responses import to_json
from shared.schemas.cases import (
    Assessment,
    AssessmentChangesQuery,
    AssessmentImportEnvelope,
    Case,
    CaseAssessment,
    CaseCreate,
    ImportOutcome,
    ImportResult,
    ImportRow,
    ImportRowResult,
    attribute_text,
)
from shared.schemas.common import FieldError
from shared.schemas.enums import CaseType
from shared.schemas.frameworks import Framework
from shared.spreadsheet import SpreadsheetError, table

_CASE_ASSESSMENTS = TypeAdapter(list[CaseAssessment])
CASE_COLUMNS = [name for name in CaseCreate.model_fields if name != "reference"]
LEADING_COLUMNS = ["reference", *CASE_COLUMNS, "assessor", "version"]
_LEADING = frozenset(LEADING_COLUMNS)


def question_columns(framework: Framework) -> list[str]:
    return [q.id for c in framework.criteria() if c.scored_by == "cases" for q in c.questions]


@dataclass(frozen=True)
class UnreadableRow:
    """A spreadsheet row that cannot even be read as a row; the import rejects it with these errors."""

    errors: list[FieldError]


def csv_rows(text: str, framework: Framework) -> list[dict[str, Any] | UnreadableRow]:
    """Rows of an inspectors' spreadsheet as import rows; unknown columns reject the whole file."""
    try:
        raw_header, records = table(text)
        header = [spreadsheet.column_name(c, _LEADING) for c in raw_header]
        questions = set(question_columns(framework))
        problems = [
            FieldError(
                field=c,
                location="body",
                type="unknown_column",
                message=f"{c} is neither a case column nor a question of {framework.id} v{framework.version}",
            )
            for c in header
            if c not in _LEADING and c not in questions
        ]
        if "reference" not in header:
            problems.append(
                FieldError(field="reference", location="body", type="missing", message="the reference column is required")
            )
        problems += [
            FieldError(field=c, location="body", type="duplicate_column", message=f"{c} appears twice")
            for c in sorted({c for c in header if header.count(c) > 1})
        ]
        if problems:
            raise InvalidInput(problems, "the spreadsheet's columns do not fit the framework")
        rows = []
        for number, cells in records:
            if len(cells) != len(header):
                # Kept in place so the import rejects this row with the reason and goes on.
                rows.append(
                    UnreadableRow(
                        [
                            FieldError(
                                field="row",
                                location="body",
                                type="cells",
                                message=f"row {number} has {len(cells)} cells; the header has {len(header)}",
                            )
                        ]
                    )
                )
                continue
            row: dict[str, Any] = {"answers": {}}
            for column, raw in zip(header, cells, strict=True):
                if raw.strip() == "":
                    continue  # blank cell: unanswered / not given
                if column in questions:
                    row["answers"][column] = raw.strip().lower()
                else:
                    row[column] = spreadsheet.case_cell(column, raw)
            rows.append(row)
        return rows
    except SpreadsheetError as exc:
        raise InvalidInput(
            [FieldError(field=f"row {exc.row}", location="body", type="csv", message=exc.message)], "the CSV cannot be read"
        ) from exc


def read_import(kind: str, body: bytes | str, framework: Framework, reason: str | None) -> tuple[list[Any], str | None]:
    """The rows (and reason) of an import body: a spreadsheet, or a JSON envelope checked whole
    (each row is checked on its own later)."""
    if kind == "csv":
        return csv_rows(body, framework), reason
    try:
        envelope = AssessmentImportEnvelope.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc.errors())) from exc
    return envelope.rows, envelope.reason


def _case_differences(case: models.Case, row: ImportRow) -> list[FieldError]:
    given = row.model_dump(include=set(CASE_COLUMNS), exclude_none=True)
    return [
        FieldError(
            field=name,
            location="body",
            type="differs",
            message=f"{name} is {getattr(case, name)!s} for case {case.reference}, not {value!s}",
        )
        for name, value in given.items()
        if attribute_text(getattr(case, name)) != attribute_text(value)
    ]


def _new_case(inspection_id: UUID, row: ImportRow) -> tuple[models.Case | None, list[FieldError]]:
    attributes = row.model_dump(include={"reference", *CASE_COLUMNS}, exclude_none=True)
    try:
        case = CaseCreate.model_validate(attributes)
    except ValidationError as exc:
        return None, [
            FieldError(field=e.field, location="body", type=e.type, message=f"a new case needs it: {e.message}")
            for e in field_errors(exc.errors())
        ]
    return models.Case(inspection_id=inspection_id, **case.model_dump()), []


async def import_rows(
    session: AsyncSession,
    inspection: models.Inspection,
    framework: Framework,
    raw_rows: Sequence[Any],
    reason: str | None,
) -> ImportResult:
    """Check every row on its own; store the good ones in this transaction. A rejected row writes nothing."""
    cases = {
        c.reference: c
        for c in (await session.scalars(select(models.Case).where(models.Case.inspection_id == inspection.id))).all()
    }
    current = {
        a.case_id: a
        for a in (await session.scalars(select(models.Assessment).where(models.Assessment.inspection_id == inspection.id))).all()
    }
    results: list[ImportRowResult] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_rows, start=1):
        reference = raw.get("reference") if isinstance(raw, dict) and isinstance(raw.get("reference"), str) else None

        def rejected(errors: list[FieldError], number: int = number, reference: str | None = reference) -> ImportRowResult:
            return ImportRowResult(row=number, reference=reference, outcome=ImportOutcome.rejected, errors=errors)

        if isinstance(raw, UnreadableRow):
            results.append(rejected(raw.errors))
            continue
        try:
            row = ImportRow.model_validate(raw)
        except ValidationError as exc:
            results.append(rejected(field_errors(exc.errors())))
            continue
        if row.reference in seen:
            results.append(
                rejected(
                    [
                        FieldError(
                            field="reference",
                            location="body",
                            type="duplicate",
                            message=f"{row.reference} appears earlier in this import",
                        )
                    ]
                )
            )
            continue
        seen.add(row.reference)
        case = cases.get(row.reference)
        errors = _case_differences(case, row) if case else []
        if case is None:
            case, errors = _new_case(inspection.id, row)
        if errors:
            results.append(rejected(errors))
            continue
        errors = assessments.check_answers(framework, CaseType(case.case_type), row.answers, row.evidence)
        existing = current.get(case.id)
        if row.version is not None and (existing is None or existing.version != row.version):
            errors.append(
                FieldError(
                    field="version",
                    location="body",
                    type="stale",
                    message=f"the assessment is at version {existing.version if existing else 'none'}, not {row.version}",
                )
            )
        if errors:
            results.append(rejected(errors))
            continue
        # A spreadsheet has no evidence column: keep the stored evidence unless the row brings its own.
        evidence = row.evidence or (existing.evidence if existing else {})
        submission = assessments.Submission(dict(row.answers), evidence, row.assessor, reason)
        unchanged = (
            (existing.answers, existing.evidence, existing.assessor) == (submission.answers, evidence, row.assessor)
            if existing
            else not (row.answers or row.evidence) and case.reference in cases  # an unassessed row stays so
        )
        if unchanged:
            results.append(
                ImportRowResult(
                    row=number,
                    reference=row.reference,
                    outcome=ImportOutcome.unchanged,
                    case_id=case.id,
                    version=existing.version if existing else None,
                )
            )
            continue
        if existing and row.version is None:
            # As with If-Match on a PUT: a change must say which version it was made on, so two
            # assessors (or two spreadsheets) never silently overwrite each other.
            results.append(
                rejected(
                    [
                        FieldError(
                            field="version",
                            location="body",
                            type="missing",
                            message=f"the assessment exists (version {existing.version}); give the version this row changes",
                        )
                    ]
                )
            )
            continue
        if case.reference not in cases:
            case.revision = await inspections.next_sample_revision(session, inspection.id)
            session.add(case)
            await session.flush()
            cases[case.reference] = case
        stored = await assessments.store(session, case, inspection, submission, existing)
        results.append(
            ImportRowResult(
                row=number,
                reference=row.reference,
                case_id=case.id,
                version=stored.version,
                outcome=ImportOutcome.updated if existing else ImportOutcome.created,
            )
        )
    count = {outcome: sum(r.outcome == outcome for r in results) for outcome in ImportOutcome}
    return ImportResult(
        created=count[ImportOutcome.created],
        updated=count[ImportOutcome.updated],
        unchanged=count[ImportOutcome.unchanged],
        rejected=count[ImportOutcome.rejected],
        rows=results,
    )


def revision_etag(inspection_id: UUID, revision: int) -> str:
    return f'W/"{inspection_id}-{revision}"'


_CASE_FIELDS = list(Case.model_fields)
_ASSESSMENT_FIELDS = list(Assessment.model_fields)
_RAW_JSON = ("answers", "evidence")


def _as_stored(value: object) -> object:
    # SQLite hands back the stored JSON text; asyncpg decodes json columns itself.
    return orjson.Fragment(value) if isinstance(value, str | bytes) else value


def _changed_case_ids(since: Sequence[tuple[Any, Any]]) -> CompoundSelect:
    """Ids of the cases written (or whose assessment was written) after a sample revision, for each
    (inspection id, revision) given: values, or bind parameters. Each pair is one range of an
    (inspection_id, revision) index on either table."""
    cases, stored = models.Case.__table__, models.Assessment.__table__

    def written(table: Table) -> ColumnElement[bool]:
        return or_(*((table.c.inspection_id == i) & (table.c.revision > revision) for i, revision in since))

    return union(select(cases.c.id).where(written(cases)), select(stored.c.case_id).where(written(stored)))


@functools.lru_cache(maxsize=128)
def _changed_case_ids_of(inspections: int) -> CompoundSelect:
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
    stored = models.Assessment.__table__
    columns = [
        type_coerce(stored.c[f], Text).label(f) if stored_json and f in _RAW_JSON else stored.c[f] for f in _ASSESSMENT_FIELDS
    ]
    rows = (await session.execute(select(*columns).where(stored.c.case_id.in_([c["id"] for c in page])))).mappings()
    found = {row["case_id"]: {**row, **{f: _as_stored(row[f]) for f in _RAW_JSON}} if stored_json else dict(row) for row in rows}
    return [{"case": dict(c), "assessment": found.get(c["id"])} for c in page]


def _case_columns() -> list[ColumnElement]:
    cases = models.Case.__table__
    return [cases.c[f] for f in _CASE_FIELDS]


async def _page(
    session: AsyncSession, inspection_id: UUID, params: PageParams, since: int | None, stored_json: bool
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the inspection's cases with their assessments; ``since``: only those written after it."""
    cases = models.Case.__table__
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
    inspection_table, cases = models.Inspection.__table__, models.Case.__table__
    wanted = {entry.inspection_id: entry.since for entry in query.inspections}
    # The revisions are read before the rows: a row written in between shows up now and again
    # next time, none can be missed.
    revisions = dict(
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


async def export_page_json(
    session: AsyncSession, inspection_id: UUID, params: PageParams, since: int | None = None
) -> tuple[bytes, str | None]:
    """The bulk read as JSON bytes, a Page[CaseAssessment]: stored answers were validated when written,
    so they go out as stored, without being decoded, validated and encoded again."""
    items, next_cursor = await _page(session, inspection_id, params, since, stored_json=True)
    return to_json({"items": items, "next_cursor": next_cursor}), next_cursor


async def export_page(session: AsyncSession, inspection_id: UUID, params: PageParams) -> tuple[list[CaseAssessment], str | None]:
    """A page of cases with their current assessments, as wire models (the spreadsheet export)."""
    items, next_cursor = await _page(session, inspection_id, params, None, stored_json=False)
    return _CASE_ASSESSMENTS.validate_python(items), next_cursor


def _cell(value: Any) -> str:
    return "" if value is None else attribute_text(value)


def _csv_line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


async def export_csv(
    sessions: async_sessionmaker[AsyncSession], inspection_id: UUID, framework: Framework, batch: int = 500
) -> AsyncIterator[str]:
    """The spreadsheet, streamed a batch of cases at a time, in a session of its own (it outlives the request's)."""
    questions = question_columns(framework)
    yield _csv_line(LEADING_COLUMNS + questions)
    cursor = None
    async with sessions() as session:
        while True:
            items, cursor = await export_page(session, inspection_id, PageParams(limit=batch, cursor=cursor))
            for item in items:
                case, assessment = item.case, item.assessment
                answers = assessment.answers if assessment else {}
                yield _csv_line(
                    [case.reference, *(_cell(getattr(case, c)) for c in CASE_COLUMNS)]
                    + [_cell(assessment.assessor) if assessment else "", assessment.version if assessment else ""]
                    + [_cell(answers.get(q)) for q in questions]
                )
            if cursor is None:
                return
