"""What the cases service knows that questionnaires need: whether an inspection exists, and its sample
cases with their attributes (a return's case must be a case of the return's inspection)."""

from collections.abc import Collection
from typing import Any
from uuid import UUID

import httpx

from shared.case_filters import CASE_ATTRIBUTES
from shared.clients import call_service
from shared.errors import NotFound
from shared.schemas.cases import Case
from shared.schemas.common import Page

PAGE_SIZE = 500
CaseAttributes = dict[str, Any]


def attributes_of(case: Case) -> CaseAttributes:
    return case.model_dump(mode="json", include=set(CASE_ATTRIBUTES))


async def ensure_inspection(client: httpx.AsyncClient, inspection_id: UUID) -> None:
    """NotFound unless the cases service holds this inspection."""
    await call_service(client, "cases", "GET", f"/api/v1/inspections/{inspection_id}")


async def case_in_inspection(client: httpx.AsyncClient, inspection_id: UUID, case_id: UUID) -> CaseAttributes | None:
    """The case's attributes when it is a case of this inspection; None when it is not (or is no case)."""
    try:
        response = await call_service(client, "cases", "GET", f"/api/v1/cases/{case_id}")
    except NotFound:
        return None
    case = Case.model_validate_json(response.content)
    return attributes_of(case) if case.inspection_id == inspection_id else None


async def cases_of(client: httpx.AsyncClient, inspection_id: UUID, wanted: Collection[UUID]) -> dict[UUID, CaseAttributes]:
    """Attributes of those ``wanted`` cases that are cases of the inspection: one for a single case,
    otherwise the inspection's sample read in pages (never a call per case)."""
    if not wanted:
        return {}
    if len(wanted) == 1:
        (case_id,) = wanted
        found = await case_in_inspection(client, inspection_id, case_id)
        return {case_id: found} if found is not None else {}
    url = f"/api/v1/inspections/{inspection_id}/cases"
    params: dict[str, Any] = {"limit": PAGE_SIZE}
    cases: dict[UUID, CaseAttributes] = {}
    while True:
        page = Page[Case].model_validate_json((await call_service(client, "cases", "GET", url, params=params)).content)
        cases.update({c.id: attributes_of(c) for c in page.items if c.id in wanted})
        if page.next_cursor is None:
            return cases
        params["cursor"] = page.next_cursor
