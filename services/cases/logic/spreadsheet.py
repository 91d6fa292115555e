"""The inspectorate's spreadsheets (CSV): the one table and cell reader for caseloads and assessment
imports (so both accept the same cells), the assessment spreadsheet's columns, a caseload read as cases."""

from pydantic import ValidationError

from services.cases.logic.caseload import CaseloadError, CaseloadProblem
from shared.schemas.cases import CaseAttributes, CaseCreate
from shared.schemas.frameworks import Framework
from shared.spreadsheet import SpreadsheetError, table

TRUE = frozenset({"true", "yes", "y", "1"})
FALSE = frozenset({"false", "no", "n", "0"})
BOOLEAN_COLUMNS = frozenset({"ppo", "approved_premises", "statutory_victim_contact"})
ENUM_COLUMNS = frozenset({"case_type", "roh_level", "gender", "ethnicity", "assessor_role"})
# The assessment spreadsheet: these columns, then one per question the cases answer.
CASE_COLUMNS = [name for name in CaseCreate.model_fields if name != "reference"]
LEADING_COLUMNS = ["reference", *CASE_COLUMNS, "assessor", "version"]


def question_columns(framework: Framework) -> list[str]:
    return [q.id for c in framework.criteria() if c.scored_by == "cases" for q in c.questions]


def column_name(header_cell: str, known: frozenset[str] | set[str]) -> str:
    """Case columns match in any letter case; other columns (question ids) exactly."""
    lowered = header_cell.lower()
    return lowered if lowered in known else header_cell


def case_cell(column: str, raw: str) -> object:
    """A case attribute cell as its value: booleans from true/false, yes/no, y/n, 1/0 in any case;
    enum values in any case with spaces or hyphens read as underscores ("Very High" is very_high).
    Anything else is returned as written, for validation to judge."""
    value = raw.strip()
    if column in BOOLEAN_COLUMNS:
        low = value.lower()
        return True if low in TRUE else False if low in FALSE else value
    if column in ENUM_COLUMNS:
        return value.lower().replace(" ", "_").replace("-", "_")
    return value


_FIELDS: tuple[str, ...] = tuple(CaseAttributes.model_fields)
_REQUIRED: tuple[str, ...] = tuple(name for name, f in CaseAttributes.model_fields.items() if f.is_required())


def parse_caseload_csv(text: str) -> list[CaseAttributes]:
    """Read a caseload export: a header row naming ``CaseAttributes`` fields, one case a row.

    Column names are matched without regard to case or surrounding spaces; columns of fields
    with a default may be left out, and an empty cell takes the default. Cells are read as
    :func:`case_cell` reads them. Every problem is collected and raised as one ``CaseloadError``:
    unknown, duplicate or missing columns (row 1), and for each bad row each bad field, rows with
    the wrong number of cells, and repeated references. Row numbers are as a spreadsheet shows
    them (the header is row 1). Blank rows are skipped.
    """
    try:
        header, records = table(text)
        columns = [cell.lower() for cell in header]
        _check_columns(header, columns)
        numbered = list(records)
    except SpreadsheetError as exc:
        raise CaseloadError([CaseloadProblem(row=exc.row, field=None, message=exc.message)]) from exc
    cases: list[CaseAttributes] = []
    errors: list[CaseloadProblem] = []
    first_row: dict[str, int] = {}
    for row, cells in numbered:
        case, row_errors = _case(row, columns, cells)
        if case is not None and case.reference in first_row:
            row_errors.append(
                CaseloadProblem(row, "reference", f"reference repeats row {first_row[case.reference]}", case.reference)
            )
        elif case is not None:
            first_row[case.reference] = row
            cases.append(case)
        errors += row_errors
    if errors:
        raise CaseloadError(errors)
    return cases


def _check_columns(header: list[str], columns: list[str]) -> None:
    unknown = [cell for cell, column in zip(header, columns, strict=True) if column not in _FIELDS]
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    missing = [name for name in _REQUIRED if name not in columns]
    errors = [
        CaseloadProblem(1, ", ".join(names), message)
        for names, message in (
            (unknown, f"unknown column(s) {', '.join(map(repr, unknown))}; the columns are {', '.join(_FIELDS)}"),
            (repeated, f"repeated column(s): {', '.join(repeated)}"),
            (missing, f"missing required column(s): {', '.join(missing)}"),
        )
        if names
    ]
    if errors:
        raise CaseloadError(errors)


def _case(row: int, columns: list[str], cells: list[str]) -> tuple[CaseAttributes | None, list[CaseloadProblem]]:
    """One row as a case, or the problems of its fields (a case only when it has none)."""
    if len(cells) != len(columns):
        return None, [CaseloadProblem(row, None, f"expected {len(columns)} cells, found {len(cells)}")]
    data: dict[str, object] = {}
    errors: list[CaseloadProblem] = []
    for column, raw in zip(columns, cells, strict=True):
        value = raw.strip()
        if value == "":
            continue  # the default, or (required) reported missing by validation
        read = case_cell(column, value)
        if column in BOOLEAN_COLUMNS and not isinstance(read, bool):
            errors.append(CaseloadProblem(row, column, "expected true/false, yes/no, y/n or 1/0", raw))
        else:
            data[column] = read
    try:
        case = CaseAttributes.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else None
            errors.append(CaseloadProblem(row, field, error["msg"], cells[columns.index(field)] if field in columns else None))
        return None, errors
    return (case, []) if not errors else (None, errors)
