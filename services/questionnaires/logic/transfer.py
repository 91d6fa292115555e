"""Returns in bulk: imported as JSON or as a spreadsheet (CSV: one row per return, one column per question,
multiple choice as ``;``-separated options), with a result per row; exported in the same shape, so
re-importing an export changes nothing (every exported row carries its return_key)."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.questionnaires import models
from services.questionnaires.logic import returns, sample
from services.questionnaires.logic.questionnaires import Pinned
from shared.bodies import parse_json
from shared.errors import InvalidInput, field_errors
from shared.schemas.common import FieldError
from shared.schemas.questionnaires import (
    MULTIPLE_CHOICE_SEPARATOR,
    QuestionnaireTemplate,
    QuestionType,
    ReturnCreate,
    ReturnImport,
    ReturnImportOutcome,
    ReturnImportResult,
    ReturnImportRow,
)

LEADING_COLUMNS = ["return_key", "case_id"]


@dataclass(frozen=True)
class Unreadable:
    """A row that is not a return at all; the import refuses it with these errors."""

    errors: list[FieldError]


def _csv_error(field: str, type_: str, message: str) -> FieldError:
    return FieldError(field=field, location="body", type=type_, message=message)


def _cell(question_type: QuestionType, raw: str) -> Any:
    """A spreadsheet cell as an answer; what cannot be read as one is kept as written, for checking to name."""
    value = raw.strip()
    if question_type == QuestionType.multiple_choice:
        return [part.strip() for part in value.split(MULTIPLE_CHOICE_SEPARATOR) if part.strip()]
    if question_type == QuestionType.number:
        try:
            return int(value)
        except ValueError:
            return value
    if question_type == QuestionType.free_text:
        return raw  # as written: spaces may matter to the writer
    return value.lower() if question_type == QuestionType.yes_no else value


def csv_rows(text: str, template: QuestionnaireTemplate) -> list[dict[str, Any] | Unreadable]:
    """The rows of a returns spreadsheet; columns that are neither leading columns nor questions refuse the file."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        types = {q.id: q.type for q in template.questions}
        problems = [
            _csv_error(
                c,
                "unknown_column",
                f"neither {' nor '.join(LEADING_COLUMNS)} nor a question of {template.id} v{template.version}",
            )
            for c in header
            if c not in LEADING_COLUMNS and c not in types
        ]
        problems += [
            _csv_error(c, "duplicate_column", "appears twice") for c in sorted({c for c in header if header.count(c) > 1})
        ]
        if not header:
            problems.append(_csv_error("header", "missing", "the first row must name the columns"))
        if problems:
            raise InvalidInput(problems, "the spreadsheet's columns do not fit the template")
        rows: list[dict[str, Any] | Unreadable] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                rows.append(Unreadable([_csv_error("row", "cells", f"{len(cells)} cells; the header has {len(header)}")]))
                continue
            row: dict[str, Any] = {"answers": {}}
            for column, raw in zip(header, cells, strict=True):
                if raw.strip() == "":
                    continue  # a blank cell: not answered (or no key, no case)
                if column in types:
                    row["answers"][column] = _cell(types[column], raw)
                else:
                    row[column] = raw.strip()
            rows.append(row)
        return rows
    except csv.Error as exc:
        raise InvalidInput([_csv_error(f"line {reader.line_num}", "csv", str(exc))], "the CSV cannot be read") from exc


def read_import(body: bytes | str, template: QuestionnaireTemplate) -> list[Any]:
    """The rows of an import body: a spreadsheet's text, or a JSON envelope's bytes checked whole (each
    row on its own later)."""
    if isinstance(body, str):
        return list(csv_rows(body, template))
    try:
        return ReturnImport.model_validate(parse_json(body)).rows
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc.errors())) from exc


def _key_of(raw: Any) -> str | None:
    key = raw.get("return_key") if isinstance(raw, dict) else None
    return key if isinstance(key, str) else None


async def import_rows(
    session: AsyncSession,
    client: httpx.AsyncClient,
    questionnaire: Pinned,
    template: QuestionnaireTemplate,
    raw_rows: Sequence[Any],
) -> ReturnImportResult:
    """A result per row; the good rows stored together, nothing of a bad one."""
    results: dict[int, ReturnImportRow] = {}
    bodies: dict[int, ReturnCreate] = {}
    for number, raw in enumerate(raw_rows, start=1):
        if isinstance(raw, Unreadable):
            results[number] = ReturnImportRow(row=number, return_key=None, outcome=ReturnImportOutcome.error, errors=raw.errors)
            continue
        try:
            bodies[number] = ReturnCreate.model_validate(raw)
        except ValidationError as exc:
            errors = field_errors(exc.errors())
            results[number] = ReturnImportRow(
                row=number, return_key=_key_of(raw), outcome=ReturnImportOutcome.error, errors=errors
            )
    wanted: set[UUID] = {b.case_id for b in bodies.values() if b.case_id is not None} if template.names_cases else set()
    cases = await sample.cases_of(client, questionnaire.inspection_id, wanted)
    plans = await returns.store(session, questionnaire, template, list(bodies.values()), cases)
    for number, plan in zip(bodies, plans, strict=True):
        outcome = (
            ReturnImportOutcome.error
            if plan.errors
            else ReturnImportOutcome.replayed
            if plan.replayed
            else ReturnImportOutcome.created
        )
        results[number] = ReturnImportRow(
            row=number, return_key=plan.return_key, outcome=outcome, return_id=plan.id, errors=plan.errors
        )
    rows = [results[n] for n in sorted(results)]
    return ReturnImportResult(
        created=sum(r.outcome == ReturnImportOutcome.created for r in rows),
        replayed=sum(r.outcome == ReturnImportOutcome.replayed for r in rows),
        errors=sum(r.outcome == ReturnImportOutcome.error for r in rows),
        rows=rows,
    )


def _export_cell(value: Any) -> str:
    if isinstance(value, list):
        return MULTIPLE_CHOICE_SEPARATOR.join(value)
    return "" if value is None else str(value)


def export_csv(template: QuestionnaireTemplate, rows: Sequence[models.QuestionnaireReturn]) -> str:
    """The counted returns as the import's spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    questions = [q.id for q in template.questions]
    writer.writerow(LEADING_COLUMNS + questions)
    for row in rows:
        writer.writerow([row.return_key, _export_cell(row.case_id)] + [_export_cell(row.answers.get(q)) for q in questions])
    return buffer.getvalue()
