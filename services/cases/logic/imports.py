"""Assessments imported in bulk, as JSON or as the inspectors' spreadsheet: every row checked on its own, the
good ones stored, a result for each."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases import models
from services.cases.logic import assessments, inspections, spreadsheet
from services.cases.logic.spreadsheet import CASE_COLUMNS, LEADING_COLUMNS, question_columns
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


def read_import(body: str | bytes, framework: Framework, reason: str | None) -> tuple[list[Any], str | None]:
    """The rows (and reason) of an import body: a spreadsheet, or a JSON envelope checked whole
    (each row is checked on its own later)."""
    if isinstance(body, str):
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


def _stored(number: int, row: ImportRow, case: models.Case, outcome: ImportOutcome, version: int | None) -> ImportRowResult:
    return ImportRowResult(row=number, reference=row.reference, outcome=outcome, case_id=case.id, version=version)


async def import_rows(
    session: AsyncSession,
    inspection: models.Inspection,
    framework: Framework,
    raw_rows: Sequence[Any],
    reason: str | None,
) -> ImportResult:
    """Check every row on its own; store the good ones in this transaction. A rejected row writes nothing."""
    in_inspection = inspect(models.Case).c.inspection_id == inspection.id
    cases = {c.reference: c for c in (await session.scalars(select(models.Case).where(in_inspection))).all()}
    assessed = inspect(models.Assessment).c.inspection_id == inspection.id
    current = {a.case_id: a for a in (await session.scalars(select(models.Assessment).where(assessed))).all()}
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
        known = cases.get(row.reference)
        case, errors = (known, _case_differences(known, row)) if known else _new_case(inspection.id, row)
        if case is None or errors:
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
            results.append(_stored(number, row, case, ImportOutcome.unchanged, existing.version if existing else None))
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
        outcome = ImportOutcome.updated if existing else ImportOutcome.created
        results.append(_stored(number, row, case, outcome, stored.version))
    count = {outcome: sum(r.outcome == outcome for r in results) for outcome in ImportOutcome}
    return ImportResult(
        created=count[ImportOutcome.created],
        updated=count[ImportOutcome.updated],
        unchanged=count[ImportOutcome.unchanged],
        rejected=count[ImportOutcome.rejected],
        rows=results,
    )
