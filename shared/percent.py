"""Percentages as a report shows them: one rounding for every figure (scores, national means, rates)."""

import math
from decimal import ROUND_HALF_UP, Decimal


def display_percent(value: float | None) -> str:
    """Whole percent, rounded half up on the value's shortest repr: 72.5 -> "73%"; None -> "n/a"."""
    if value is None:
        return "n/a"
    value = float(value)  # numpy scalars: repr(np.float64(1.5)) is "np.float64(1.5)"
    if not math.isfinite(value):
        raise ValueError(f"cannot display {value!r} as a percentage")
    whole = Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{int(whole)}%"
