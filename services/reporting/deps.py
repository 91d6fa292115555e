"""What the reporting routers take from the app and the request: the service clients, the clock,
the timeline's intervals, the language asked for and who is writing."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from services.reporting.logic.timeline import Intervals
from services.reporting.logic.upstream import Upstream
from shared.schemas.narrative import Lang

Clock = Callable[[], datetime]


def upstream(request: Request) -> Upstream:
    return request.app.state.upstream


def now(request: Request) -> datetime:
    """The time by the app's clock (app.state.clock): replaceable, so due dates are tested on fixed clocks."""
    clock: Clock = request.app.state.clock
    return clock()


def intervals(request: Request) -> Intervals:
    settings = request.app.state.settings
    return Intervals(
        draft_from_weeks=settings.draft_from_weeks,
        draft_due_weeks=settings.draft_due_weeks,
        publication_weeks=settings.publication_weeks,
        improvement_plan_weeks=settings.improvement_plan_weeks,
        reinspection_months=settings.reinspection_months,
        reinspection_below=settings.reinspection_below,
    )


UpstreamDep = Annotated[Upstream, Depends(upstream)]
Now = Annotated[datetime, Depends(now)]
IntervalsDep = Annotated[Intervals, Depends(intervals)]
LangQuery = Annotated[Lang, Query(description="The language of the text: en (default) or cy.")]
Actor = Annotated[
    str | None,
    Header(alias="X-Actor", max_length=200, description="Who is writing, kept in the part's history."),
]
IfMatch = Annotated[str | None, Header(description="The ETag last read; required once the resource exists.")]
