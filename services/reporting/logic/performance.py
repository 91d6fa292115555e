"""The area's performance data (IPPF) read from JSON or from a CSV spreadsheet, every bad row named."""

from typing import Any

from pydantic import ValidationError

from shared.errors import InvalidInput, field_errors, invalid
from shared.schemas.common import FieldError
from shared.schemas.narrative import DomainRating, IppfRating, PerformanceData, PerformanceRow
from shared.spreadsheet import SpreadsheetError, table

DOMAIN_RATING = "domain_rating"  # a CSV column: the rating of the row's domain
COLUMNS = frozenset(PerformanceRow.model_fields) | {DOMAIN_RATING}


def read(body: bytes | str, period: str | None, area_rating: IppfRating | None) -> PerformanceData:
    """The performance data of a request body; a CSV has a row per metric (its header names the columns),
    ``period`` and ``area_rating`` come with it as query parameters."""
    if isinstance(body, str):
        return _from_csv(body, period, area_rating)
    try:
        return PerformanceData.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc.errors())) from exc


def _from_csv(text: str, period: str | None, area_rating: IppfRating | None) -> PerformanceData:
    try:
        header, records = table(text)
        unknown = [c for c in header if c.lower() not in COLUMNS]
        if unknown:
            raise invalid(
                "body",
                f"unknown columns: {', '.join(unknown)}; the columns are {', '.join(sorted(COLUMNS))}",
                type="unknown_column",
            )
        columns = [c.lower() for c in header]
        rows: list[PerformanceRow] = []
        ratings: dict[str, tuple[int, IppfRating]] = {}
        errors: list[FieldError] = []
        for number, cells in records:
            cells_by_column = {c: v.strip() for c, v in zip(columns, cells, strict=False) if v.strip()}
            row_errors = _row(number, cells_by_column, rows, ratings)
            errors += row_errors
    except SpreadsheetError as exc:
        raise invalid("body", str(exc), type="csv") from exc
    if errors:
        raise InvalidInput(errors, f"{len({e.field.split('.')[1] for e in errors})} rows are invalid")
    try:
        return PerformanceData(
            period=period,
            area_rating=area_rating,
            domain_ratings=[DomainRating(domain=d, rating=r) for d, (_, r) in ratings.items()],
            rows=rows,
        )
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc.errors())) from exc


def _row(
    number: int, cells: dict[str, str], rows: list[PerformanceRow], ratings: dict[str, tuple[int, IppfRating]]
) -> list[FieldError]:
    """Reads one spreadsheet row into ``rows`` (and its domain's rating into ``ratings``); its errors."""
    rating_text = cells.pop(DOMAIN_RATING, None)
    values: dict[str, Any] = dict(cells)
    if "grade" in values:
        values["grade"] = int(values["grade"]) if values["grade"].isdigit() else values["grade"]
    try:
        row = PerformanceRow.model_validate(values)
    except ValidationError as exc:
        return [
            FieldError(field=f"rows.{number}.{e.field}", location="body", message=f"row {number}: {e.message}", type=e.type)
            for e in field_errors(exc.errors())
        ]
    if rating_text is not None:
        try:
            rating = IppfRating(rating_text.lower())
        except ValueError:
            choices = ", ".join(IppfRating)
            return [
                FieldError(
                    field=f"rows.{number}.{DOMAIN_RATING}",
                    location="body",
                    message=f"row {number}: not one of {choices}",
                    type="enum",
                )
            ]
        earlier = ratings.setdefault(row.domain, (number, rating))
        if earlier[1] != rating:
            return [
                FieldError(
                    field=f"rows.{number}.{DOMAIN_RATING}",
                    location="body",
                    message=f"row {number}: row {earlier[0]} rates {row.domain} {earlier[1]}",
                    type="conflict",
                )
            ]
    rows.append(row)
    return []
