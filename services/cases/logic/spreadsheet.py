"""Reading the inspectorate's spreadsheets (CSV): one reader for caseloads and assessment imports,
so both accept the same cells."""

import csv
import io
from collections.abc import Iterator

TRUE = frozenset({"true", "yes", "y", "1"})
FALSE = frozenset({"false", "no", "n", "0"})
BOOLEAN_COLUMNS = frozenset({"ppo", "approved_premises", "statutory_victim_contact"})
ENUM_COLUMNS = frozenset({"case_type", "roh_level", "gender", "ethnicity", "assessor_role"})
INTEGER_COLUMNS = frozenset({"tier", "version"})


class SpreadsheetError(ValueError):
    """The file is not a readable CSV table; ``row`` as a spreadsheet shows it (header = 1)."""

    def __init__(self, row: int, message: str) -> None:
        super().__init__(f"row {row}: {message}")
        self.row = row
        self.message = message


def table(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header (cells stripped) and the data rows numbered as a spreadsheet shows them; blank
    rows are skipped. A byte-order mark is dropped."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SpreadsheetError(1, str(exc)) from exc
    if header is None or not any(cell.strip() for cell in header):
        raise SpreadsheetError(1, "no header row")

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        try:
            for number, cells in enumerate(reader, start=2):
                if any(cell.strip() for cell in cells):
                    yield number, cells
        except csv.Error as exc:
            raise SpreadsheetError(number + 1, str(exc)) from exc

    return [cell.strip() for cell in header], rows()


def column_name(header_cell: str, known: frozenset[str] | set[str]) -> str:
    """Case columns match in any letter case; other columns (question ids) exactly."""
    lowered = header_cell.lower()
    return lowered if lowered in known else header_cell


def case_cell(column: str, raw: str) -> object:
    """A case attribute cell as its value: booleans from true/false, yes/no, y/n, 1/0 in any case;
    enum values in any case with spaces or hyphens read as underscores ("Very High" is very_high);
    integers from their digits (the wire types are strict; a cell is always text).
    Anything else is returned as written, for validation to judge."""
    value = raw.strip()
    if column in BOOLEAN_COLUMNS:
        low = value.lower()
        return True if low in TRUE else False if low in FALSE else value
    if column in INTEGER_COLUMNS and value.isascii() and value.isdigit():
        return int(value)
    if column in ENUM_COLUMNS:
        return value.lower().replace(" ", "_").replace("-", "_")
    return value
