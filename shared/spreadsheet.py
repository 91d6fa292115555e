"""Reading a CSV spreadsheet as a header and numbered rows, the one way every service reads tables
(caseloads, assessment imports, performance data)."""

import csv
import io
from collections.abc import Iterator


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
