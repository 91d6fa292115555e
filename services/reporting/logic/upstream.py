"""What reporting reads from (and asks of) the other services, each call through call_service, as wire models."""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import httpx

from shared.clients import call_service
from shared.errors import NotFound
from shared.frameworks import FrameworkSource
from shared.schemas.frameworks import Framework
from shared.schemas.inspections import Inspection
from shared.schemas.questionnaires import QuestionnaireSummary, Respondent
from shared.schemas.sampling import SampleComposition
from shared.schemas.scores import InspectionScores, NationalView, ScoreSnapshot


@dataclass(frozen=True)
class Upstream:
    """The clients of the services reporting reads, and the framework documents it has read."""

    cases: httpx.AsyncClient
    scoring: httpx.AsyncClient
    questionnaires: httpx.AsyncClient
    frameworks: FrameworkSource


async def inspection(up: Upstream, inspection_id: UUID) -> tuple[Inspection, str]:
    """The inspection and its ETag (for If-Match on a change); 404 when cases has no such inspection."""
    response = await call_service(up.cases, "cases", "GET", f"/api/v1/inspections/{inspection_id}")
    return Inspection.model_validate_json(response.content), response.headers.get("etag", "")


async def framework_of(up: Upstream, inspection_id: UUID) -> tuple[Inspection, Framework]:
    """The inspection and the framework version it is run against."""
    found, _ = await inspection(up, inspection_id)
    return found, await up.frameworks.of_inspection(found.framework_id, found.framework_version)


async def sample(up: Upstream, inspection_id: UUID) -> SampleComposition:
    response = await call_service(up.cases, "cases", "GET", f"/api/v1/inspections/{inspection_id}/sample")
    return SampleComposition.model_validate_json(response.content)


async def scores(up: Upstream, inspection_id: UUID) -> InspectionScores:
    response = await call_service(up.scoring, "scoring", "GET", f"/api/v1/inspections/{inspection_id}/scores")
    return InspectionScores.model_validate_json(response.content)


async def national(up: Upstream, framework_id: str, period_from: date, period_to: date) -> NationalView:
    params = {"framework_id": framework_id, "from": period_from.isoformat(), "to": period_to.isoformat()}
    response = await call_service(up.scoring, "scoring", "GET", "/api/v1/scores/national", params=params)
    return NationalView.model_validate_json(response.content)


async def questionnaire(up: Upstream, inspection_id: UUID, respondent: Respondent) -> QuestionnaireSummary | None:
    """The summary of one respondent group's returns; None where none is recorded for it."""
    try:
        response = await call_service(
            up.questionnaires, "questionnaires", "GET", f"/api/v1/inspections/{inspection_id}/questionnaires/{respondent}"
        )
    except NotFound:
        return None
    return QuestionnaireSummary.model_validate_json(response.content)


async def take_snapshot(up: Upstream, inspection_id: UUID, key: str, label: str) -> ScoreSnapshot:
    """A score snapshot; the same key returns the same snapshot, so a retried publication reuses it."""
    response = await call_service(
        up.scoring,
        "scoring",
        "POST",
        f"/api/v1/inspections/{inspection_id}/scores/snapshots",
        json={"label": label},
        headers={"Idempotency-Key": key},
        expect=(201,),
    )
    return ScoreSnapshot.model_validate_json(response.content)


async def mark_published(up: Upstream, inspection_id: UUID) -> None:
    """Move the inspection to published in cases (a no-op where it is published already)."""
    found, current = await inspection(up, inspection_id)
    if found.status == "published":
        return
    await call_service(
        up.cases,
        "cases",
        "PATCH",
        f"/api/v1/inspections/{inspection_id}",
        json={"status": "published"},
        headers={"If-Match": current},
    )


async def inspections_page(up: Upstream, limit: int, cursor: str | None) -> tuple[list[Inspection], str | None]:
    params: dict[str, str | int] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
    response = await call_service(up.cases, "cases", "GET", "/api/v1/inspections", params=params)
    body = response.json()
    return [Inspection.model_validate(item) for item in body["items"]], body.get("next_cursor")
