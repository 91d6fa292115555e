"""Scores of an inspection as its assessments stand now, and the national view across inspections."""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.logic import assessed, frameworks, results, scoring, snapshots
from services.scoring.logic.cache import LruCache
from shared.schemas.cases import CaseAssessment
from shared.schemas.common import Page
from shared.schemas.frameworks import Framework
from shared.schemas.inspections import Inspection
from shared.schemas.scores import AreaScore, InspectionScores, NationalCriterion, NationalView, ScoreBreakdown

_CONCURRENT_READS = 8


@dataclass(frozen=True)
class LiveSample:
    inspection: Inspection
    framework: Framework
    revision: str  # the state of the sample as read (assessed.Sample key): scores are kept under it
    cases: list[CaseAssessment]


@dataclass
class Caches:
    """What the scoring service keeps between requests: samples by inspection, scores by sample revision."""

    samples: LruCache[assessed.KnownSample] = field(default_factory=lambda: LruCache(256))
    inspections: LruCache[Inspection] = field(default_factory=lambda: LruCache(4096))
    scores: LruCache[InspectionScores] = field(default_factory=lambda: LruCache(1024))
    parsed_frameworks: frameworks.Parsed = field(default_factory=dict)


async def _inspection(client: httpx.AsyncClient, inspection_id: UUID, caches: Caches) -> Inspection:
    # Only the framework an inspection was planned against is used here, and that never changes.
    known = caches.inspections.get(inspection_id)
    return known or caches.inspections.put(inspection_id, await assessed.inspection(client, inspection_id))


async def sample(client: httpx.AsyncClient, session: AsyncSession, inspection_id: UUID, caches: Caches) -> LiveSample:
    inspection, (revision, cases) = await asyncio.gather(
        _inspection(client, inspection_id, caches), assessed.assessed_cases(client, inspection_id, caches.samples)
    )
    framework = await frameworks.get(session, inspection.framework_id, inspection.framework_version, caches.parsed_frameworks)
    return LiveSample(inspection, framework, revision, cases)


def score(
    live: LiveSample, filters: Mapping[str, Sequence[str]], resamples: int, caches: Caches | None
) -> InspectionScores:
    """Scores of the (filtered) sample; with caches, the same revision, filters and resamples are
    scored once. Without (snapshots), scored from exactly these cases."""
    key = (live.inspection.id, live.revision, tuple(sorted((k, tuple(v)) for k, v in filters.items())), resamples)
    if caches and live.revision and (known := caches.scores.get(key)) is not None:
        return known
    chosen = assessed.select(live.cases, filters)
    result = scoring.score_inspection(live.framework, assessed.answers(chosen), resamples=resamples)
    scores = results.inspection_scores(live.framework, result, live.inspection.id, {k: list(v) for k, v in filters.items()})
    return caches.scores.put(key, scores) if caches and live.revision else scores


def breakdown(live: LiveSample, by: str, filters: Mapping[str, Sequence[str]], resamples: int) -> ScoreBreakdown:
    groups = assessed.group(assessed.select(live.cases, filters), by)
    return ScoreBreakdown(
        inspection_id=live.inspection.id, framework_id=live.framework.id, framework_version=live.framework.version,
        by=by,
        groups=[
            results.group_scores(
                live.framework, value, scoring.score_inspection(live.framework, assessed.answers(cases), resamples=resamples)
            )
            for value, cases in groups.items()
        ],
    )


async def _inspections(client: httpx.AsyncClient, params: dict) -> list[Inspection]:
    found: list[Inspection] = []
    cursor = None
    while True:
        response = await assessed.read(client, "/api/v1/inspections", params | ({"cursor": cursor} if cursor else {}))
        page = Page[Inspection].model_validate_json(response.content)
        found += page.items
        cursor = page.next_cursor
        if cursor is None:
            return found


async def national(
    client: httpx.AsyncClient,
    session: AsyncSession,
    framework_id: str,
    period_from: date | None,
    period_to: date | None,
    statuses: list[str],
    resamples: int,
    caches: Caches,
) -> NationalView:
    framework = await frameworks.get(session, framework_id, parsed=caches.parsed_frameworks)
    params = {"limit": 500, "framework_id": framework_id, "status": statuses}
    params |= {"fieldwork_from": period_from.isoformat()} if period_from else {}
    params |= {"fieldwork_to": period_to.isoformat()} if period_to else {}
    inspections = await _inspections(client, params)
    frozen = await snapshots.latest(session, [i.id for i in inspections])
    gate = asyncio.Semaphore(_CONCURRENT_READS)

    async def scores_of(inspection: Inspection) -> tuple[InspectionScores, str]:
        if inspection.id in frozen:
            return snapshots.as_wire(frozen[inspection.id]).scores, "snapshot"
        async with gate:
            revision, cases = await assessed.assessed_cases(client, inspection.id, caches.samples)
        framework_used = await frameworks.get(session, inspection.framework_id, inspection.framework_version, caches.parsed_frameworks)
        return score(LiveSample(inspection, framework_used, revision, cases), {}, resamples, caches), "live"

    scored = await asyncio.gather(*(scores_of(i) for i in inspections))
    criteria = []
    for criterion in (c for c in framework.criteria() if c.scored_by == "cases"):
        per_area = {}
        for inspection, (scores, _) in zip(inspections, scored):
            found = next((c for c in scores.criteria if c.id == criterion.id), None)
            per_area[str(inspection.id)] = (found.score, found.interval) if found else (None, None)
        mean, comparisons = scoring.compare_with_mean(per_area)
        criteria.append(NationalCriterion(
            id=criterion.id, title=criterion.title, national_mean=mean,
            areas=[
                AreaScore(
                    inspection_id=inspection.id, area=inspection.area, fieldwork_start=inspection.fieldwork_start,
                    score=comparison.score, interval=comparison.interval, differs=comparison.differs, source=source,
                )
                for inspection, (_, source), comparison in zip(inspections, scored, comparisons)
            ],
        ))
    return NationalView(
        framework_id=framework.id, framework_version=framework.version, period_from=period_from, period_to=period_to,
        statuses=statuses, inspections=len(inspections), criteria=criteria,
    )
