"""How the report writes dates, counts, shares and intervals in each of its languages (Babel's
locale data): presentation only, never a figure the document does not already hold."""

import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from shared.percent import display_percent


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()


def filters(lang: str) -> dict[str, Callable[..., str]]:
    """Template filters for ``lang``."""

    def whole(value: float) -> str:
        return display_percent(value).removesuffix("%")

    return {
        "month": lambda value: format_date(_as_date(value), "MMMM y", locale=lang),
        "day": lambda value: format_date(_as_date(value), "d MMMM y", locale=lang),
        "number": lambda value: format_decimal(value, locale=lang),
        "share": lambda value: f"{format_decimal(value, format='0.0', locale=lang)}%",
        "percent": lambda value: "–" if value is None or not math.isfinite(value) else display_percent(value),
        "interval": lambda value: f"{whole(value[0])}–{display_percent(value[1])}",
        "weight": lambda value: display_percent(100 * value),
    }
