"""The cyclic garbage collector as a request-serving process runs it: collected less often, start-up's objects left out."""

import gc
from typing import Annotated

from pydantic import Field

# CPython collects its youngest generation after 700 allocations more than frees: a PUT's 155 parsed answers,
# their validation and the statement's parameters set it off several times, and every tenth collection goes on
# to the older objects. Most of a request's objects are freed by reference counting anyway; cycles wait a little
# longer (a few requests) to be found.
YOUNG_THRESHOLD = 20_000

# The setting, in every service's settings and the gateway's (OMI_<SERVICE>_GC_YOUNG_THRESHOLD).
YoungThreshold = Annotated[
    int,
    Field(
        ge=0,
        description="Allocations between collections of the garbage collector's youngest generation (CPython's 700 "
        "cost a PUT about 5% of its CPU); objects made at start-up are left out of collections. 0: CPython's defaults.",
    ),
]


def tune_for_serving(young_threshold: int = YOUNG_THRESHOLD) -> None:
    """Called once, at a process's start, before its app is made (never in tests, where apps come and go): what
    is alive then (the modules imported, their classes and functions) is frozen out of every later collection,
    which would otherwise scan it again each time, and the youngest generation is collected after
    ``young_threshold`` allocations; 0 keeps CPython's defaults."""
    if young_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
