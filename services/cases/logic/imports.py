"""Assessments imported in bulk, as JSON or as the inspectors' spreadsheet: every row checked on its own, the
good ones stored, a result for each."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import models
from services.cases.logic import import_store, inspections, spreadsheet
from services.cases.logic.answer_rules import rules_of
from services.cases.logic.spreadsheet import CASE_COLUMNS, LEADING_COLUMNS, question_columns
from shared.bodies import parse_json
from shared.errors import InvalidInput, field_errors
from shared.frameworks import FrameworkSource
from shared.schemas.cases import (
    AssessmentImportEnvelope,
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
from shared.table_bodies import Upload

_LEADING = frozenset(LEADING_COLUMNS)


async def import_assessments(
    session: AsyncSession,
    frameworks: FrameworkSource,
    inspection_id: UUID,
    upload: Upload,
    reason: str | None,
) -> ImportResult:
    """Import a body of assessments (a JSON envelope, or a spreadsheet) into an inspection that is not published."""
    inspection = await inspections.get(session, inspection_id)
    inspections.ensure_open(inspection)
    framework = await frameworks.of_inspection(inspection.framework_id, inspection.framework_version)
    rows, reason = read_import(await upload(), framework, reason)
    return await import_rows(session, inspection, framework, rows, reason)


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
        # Each cell goes to its column's reader, found once from the header: a 2,000-row spreadsheet has some
        # 300,000 cells, and a per-cell lookup of what its column is cost a third of the import.
        answer_columns = [(position, c) for position, c in enumerate(header) if c in questions]
        case_columns = [(position, c) for position, c in enumerate(header) if c not in questions]
        rows: list[dict[str, Any] | UnreadableRow] = []
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
            # A blank cell is unanswered (a question) or not given (a case column).
            row: dict[str, Any] = {c: spreadsheet.case_cell(c, cells[p]) for p, c in case_columns if cells[p].strip()}
            row["answers"] = {c: a.lower() for p, c in answer_columns if (a := cells[p].strip())}
            rows.append(row)
        return rows
    except SpreadsheetError as exc:
        raise InvalidInput(
            [FieldError(field=f"row {exc.row}", location="body", type="csv", message=exc.message)], "the CSV cannot be read"
        ) from exc


def read_import(body: str | bytes, framework: Framework, reason: str | None) -> tuple[list[Any], str | None]:
    """The rows (and reason) of an import body: a spreadsheet, or a JSON envelope checked whole
    (each row is checked on its own later)."""
    if isinstance(body, str):
        return csv_rows(body, framework), reason
    try:
        envelope = AssessmentImportEnvelope.model_validate(parse_json(body))
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc.errors())) from exc
    return envelope.rows, envelope.reason


def _case_differences(case: Mapping[str, Any], row: ImportRow) -> list[FieldError]:
    given = row.model_dump(include=set(CASE_COLUMNS), exclude_none=True)
    return [
        FieldError(
            field=name,
            location="body",
            type="differs",
            message=f"{name} is {case[name]!s} for case {case['reference']}, not {value!s}",
        )
        for name, value in given.items()
        if attribute_text(case[name]) != attribute_text(value)
    ]


def _new_case(inspection_id: UUID, row: ImportRow) -> tuple[dict[str, Any] | None, list[FieldError]]:
    attributes = row.model_dump(include={"reference", *CASE_COLUMNS}, exclude_none=True)
    try:
        case = CaseCreate.model_validate(attributes)
    except ValidationError as exc:
        return None, [
            FieldError(field=e.field, location="body", type=e.type, message=f"a new case needs it: {e.message}")
            for e in field_errors(exc.errors())
        ]
    return {"id": uuid4(), "inspection_id": inspection_id, **case.model_dump(mode="json")}, []


def _rejected(number: int, raw: Any, errors: list[FieldError]) -> ImportRowResult:
    reference = raw.get("reference") if isinstance(raw, dict) and isinstance(raw.get("reference"), str) else None
    return ImportRowResult(row=number, reference=reference, outcome=ImportOutcome.rejected, errors=errors)


def _error(field: str, type: str, message: str) -> list[FieldError]:
    return [FieldError(field=field, location="body", type=type, message=message)]


@dataclass(frozen=True)
class Stored:
    """The current assessment of a case, as an import compares and guards against it."""

    version: int
    answers: dict[str, Any]
    evidence: dict[str, Any]
    assessor: str | None


async def _sample(session: AsyncSession, inspection_id: UUID) -> tuple[dict[str, dict[str, Any]], dict[UUID, Stored]]:
    """The inspection's cases by reference, and their current assessments by case (read as rows, not objects)."""
    cases = models.CASES
    assessed = models.ASSESSMENTS.c
    found = await session.execute(select(cases).where(cases.c.inspection_id == inspection_id))
    by_reference = {case["reference"]: dict(case) for case in found.mappings()}
    current = await session.execute(
        select(assessed.case_id, assessed.version, assessed.answers, assessed.evidence, assessed.assessor).where(
            assessed.inspection_id == inspection_id
        )
    )
    return by_reference, {case_id: Stored(*stored) for case_id, *stored in current}


async def import_rows(
    session: AsyncSession,
    inspection: models.Inspection,
    framework: Framework,
    raw_rows: Sequence[Any],
    reason: str | None,
) -> ImportResult:
    """Check every row on its own, in memory; then store the good ones in a few statements of this
    transaction (import_store). A rejected row writes nothing."""
    cases, current = await _sample(session, inspection.id)
    rules = rules_of(framework)
    writes = import_store.Writes()
    results: list[ImportRowResult] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_rows, start=1):
        if isinstance(raw, UnreadableRow):
            results.append(_rejected(number, raw, raw.errors))
            continue
        try:
            row = ImportRow.model_validate(raw)
        except ValidationError as exc:
            results.append(_rejected(number, raw, field_errors(exc.errors())))
            continue
        if row.reference in seen:
            results.append(
                _rejected(number, raw, _error("reference", "duplicate", f"{row.reference} appears earlier in this import"))
            )
            continue
        seen.add(row.reference)
        known = cases.get(row.reference)
        case, errors = (known, _case_differences(known, row)) if known else _new_case(inspection.id, row)
        if case is None or errors:
            results.append(_rejected(number, raw, errors))
            continue
        errors = rules.check(CaseType(case["case_type"]), row.answers, row.evidence)
        existing = current.get(case["id"])
        if row.version is not None and (existing is None or existing.version != row.version):
            stored_version = existing.version if existing else "none"
            errors += _error("version", "stale", f"the assessment is at version {stored_version}, not {row.version}")
        if errors:
            results.append(_rejected(number, raw, errors))
            continue
        # A spreadsheet has no evidence column: keep the stored evidence unless the row brings its own.
        evidence = row.evidence or (existing.evidence if existing else {})
        unchanged = (
            (existing.answers, existing.evidence, existing.assessor) == (row.answers, evidence, row.assessor)
            if existing
            else not (row.answers or row.evidence) and known is not None  # an unassessed row stays so
        )
        if unchanged:
            version = existing.version if existing else None
            results.append(_stored(number, row, case["id"], ImportOutcome.unchanged, version))
            continue
        if existing and row.version is None:
            # As with If-Match on a PUT: a change must say which version it was made on, so two
            # assessors (or two spreadsheets) never silently overwrite each other.
            message = f"the assessment exists (version {existing.version}); give the version this row changes"
            results.append(_rejected(number, raw, _error("version", "missing", message)))
            continue
        if known is None:
            writes.cases.append(case)
            cases[row.reference] = case
        values = {"answers": row.answers, "evidence": evidence, "assessor": row.assessor, "reason": reason}
        writes.changes.append(import_store.Change(case["id"], values, existing.version if existing else None))
        outcome, version = (ImportOutcome.updated, existing.version + 1) if existing else (ImportOutcome.created, 1)
        results.append(_stored(number, row, case["id"], outcome, version))
    await import_store.store(session, inspection, writes)
    count = {outcome: sum(r.outcome == outcome for r in results) for outcome in ImportOutcome}
    return ImportResult(
        created=count[ImportOutcome.created],
        updated=count[ImportOutcome.updated],
        unchanged=count[ImportOutcome.unchanged],
        rejected=count[ImportOutcome.rejected],
        rows=results,
    )


def _stored(number: int, row: ImportRow, case_id: UUID, outcome: ImportOutcome, version: int | None) -> ImportRowResult:
    # Built from checked values: not validated again (thousands an import).
    return ImportRowResult.model_construct(
        row=number, reference=row.reference, outcome=outcome, case_id=case_id, version=version, errors=[]
    )
