"""Wire shapes every service shares: pages and problem details."""

from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, Field

T = TypeVar("T")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Free text that databases can store: PostgreSQL refuses NUL characters in text.
Text = Annotated[str, AfterValidator(_no_nul)]


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
