"""A caseload that cannot be used: every bad row and field of it named, all collected in one error."""

from dataclasses import dataclass

_SHOWN = 10  # problems named in the error's message; all of them are in ``errors``


@dataclass(frozen=True)
class CaseloadProblem:
    """One problem of a caseload.

    ``row``: for a CSV, the row number as a spreadsheet shows it (the header is row 1); for a
    caseload given as a list, the case's 1-based position. ``field``: a column name, or None for
    the whole row. ``value``: the raw value, when there is one.
    """

    row: int | None
    field: str | None
    message: str
    value: str | None = None

    def __str__(self) -> str:
        where = [f"row {self.row}"] if self.row is not None else []
        where += [self.field] if self.field else []
        return f"{', '.join(where) or 'caseload'}: {self.message}"


class CaseloadError(ValueError):
    """A caseload that cannot be used, with every problem found in it."""

    def __init__(self, errors: list[CaseloadProblem]) -> None:
        self.errors = errors
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = "; ".join(str(problem) for problem in self.errors[:_SHOWN])
        more = f"; and {len(self.errors) - _SHOWN} more" if len(self.errors) > _SHOWN else ""
        return f"{len(self.errors)} error(s) in the caseload: {shown}{more}"
