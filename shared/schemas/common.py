"""Wire shapes every service shares: strict scalar types, pages and problem details."""

import re
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, GetJsonSchemaHandler, Strict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

T = TypeVar("T")

# Wire types are strict: a JSON integer or boolean and nothing that happens to convert to one
# (`true`, `"4"` and `4.0` are not integers; `"yes"`, `"on"` and `1` are not booleans). Query
# parameters arrive as text and keep the lax types.
Integer = Annotated[int, Strict()]
Boolean = Annotated[bool, Strict()]
Number = Annotated[float, Strict()]

_NO_NUL = r"^[^\u0000]*$"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Documented:
    """Adds constraints a validator enforces to the published JSON schema, so generated clients know them."""

    def __init__(self, **constraints: Any) -> None:
        self.constraints = constraints

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return handler(core_schema) | self.constraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _iso_date(value: object) -> object:
    # Lax dates would take 1212364800, "1212364800" or a datetime; the wire carries YYYY-MM-DD only.
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    if isinstance(value, date) and type(value) is date:
        return value
    raise ValueError("must be an ISO date, YYYY-MM-DD")


# Free text that databases can store: PostgreSQL refuses NUL characters in text.
Text = Annotated[str, AfterValidator(_no_nul), _Documented(pattern=_NO_NUL)]
# Calendar dates from 1990 to 2999, as YYYY-MM-DD (query parameters too).
IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    Field(ge=date(1990, 1, 1), le=date(2999, 12, 31)),
    _Documented(pattern=r"^(199[0-9]|2[0-9]{3})-[0-9]{2}-[0-9]{2}$", description="A date from 1990-01-01 to 2999-12-31."),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Opaque; pass as ?cursor= for the next page. null on the last page.")


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the bad field, e.g. `answers.1.2.01`.")
    location: str = Field(description="Where the field was: body, query, path or header.")
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
