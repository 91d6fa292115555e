"""Scores of an inspection as its assessments stand now (whole, by group, frozen into a snapshot), and the
national view across inspections."""

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring import models
from services.scoring.logic import assessed, frameworks, results, scoring, snapshots
from services.scoring.logic.kept import KeptCase
from shared.cache import LruCache
from shared.errors import invalid
from shared.schemas.common import Page
from shared.schemas.frameworks import Framework
from shared.schemas.inspections import Inspection
from shared.schemas.scores import AreaScore, NationalCriterion, NationalView


@dataclass(frozen=True)
class LiveSample:
    inspection: Inspection
    framework: Framework
    sample: assessed.Sample

    @property
    def cases(self) -> list[KeptCase]:
        return self.sample.cases


# Scores are of use only while their sample is kept, so they are bounded by the kept samples: a few
# filtered scores of each. (Encoded answers are kept with their cases: KeptCase.row.)
SCORES_PER_SAMPLE = 4


@dataclass
class Caches:
    """What the scoring service keeps between requests: samples by inspection and the scores of their newest
    revisions."""

    samples: LruCache[assessed.KnownSample]  # bounded by the kept_samples setting
    # By inspection, filters and resamples: the newest sample revision (and whole read) scored, and its scores.
    scores: LruCache[tuple[tuple[int, float], scoring.InspectionScore]]
    inspections: LruCache[Inspection] = field(default_factory=lambda: LruCache(4096))
    parsed_frameworks: frameworks.Parsed = field(default_factory=dict)
    plans: dict[tuple[str, int], scoring.Plan] = field(default_factory=dict)

    @classmethod
    def keeping(cls, samples: int) -> "Caches":
        """Caches that keep up to ``samples`` samples (the kept_samples setting), and what goes with them."""
        return cls(LruCache(samples), LruCache(SCORES_PER_SAMPLE * samples))

    def plan(self, framework: Framework) -> scoring.Plan:
        key = (framework.id, framework.version)
        return self.plans.get(key) or self.plans.setdefault(key, scoring.Plan(framework))

    def encoded(self, framework: Framework, cases: Sequence[KeptCase]) -> tuple[scoring.Plan, list[bytes]]:
        """The cases' encoded answers under the framework's plan (each case encoded once: KeptCase.row)."""
        plan = self.plan(framework)
        return plan, [item.row(plan) for item in cases]


@dataclass(frozen=True)
class Scorer:
    """What live scoring needs besides the session: the cases service, what is kept between requests,
    and the bootstrap resamples (the service's setting)."""

    cases: httpx.AsyncClient
    caches: Caches
    resamples: int


@dataclass(frozen=True)
class Timed:
    """A scores document and where its time went, in seconds: reading the sample, scoring it."""

    document: results.Document
    fetch: float
    score: float


def _score(live: LiveSample, cases: Sequence[KeptCase], resamples: int, caches: Caches | None) -> scoring.InspectionScore:
    if caches is None:
        return scoring.score_inspection(live.framework, assessed.answers(cases), resamples=resamples)
    plan, rows = caches.encoded(live.framework, cases)
    return scoring.score_rows(plan, rows, resamples=resamples)


async def _inspection(client: httpx.AsyncClient, inspection_id: UUID, caches: Caches) -> Inspection:
    # Only the framework an inspection was planned against is used here, and that never changes.
    known = caches.inspections.get(inspection_id)
    return known or caches.inspections.put(inspection_id, await assessed.inspection(client, inspection_id))


async def sample(client: httpx.AsyncClient, session: AsyncSession, inspection_id: UUID, caches: Caches) -> LiveSample:
    inspection, read = await asyncio.gather(
        _inspection(client, inspection_id, caches), assessed.assessed_cases(client, inspection_id, caches.samples)
    )
    framework = await frameworks.get(session, inspection.framework_id, inspection.framework_version, caches.parsed_frameworks)
    return LiveSample(inspection, framework, read)


def score(
    live: LiveSample, filters: Mapping[str, Sequence[str]], resamples: int, caches: Caches | None
) -> scoring.InspectionScore:
    """The engine's scores of the (filtered) sample; with caches, the same revision, filters and
    resamples are scored once. Without (snapshots), scored from exactly these cases."""
    key = (live.inspection.id, tuple(sorted((k, tuple(v)) for k, v in filters.items())), resamples)
    # A sample's revision only grows (and a whole read is a new read_at): an older one is not asked for again.
    stamp = (live.sample.revision, live.sample.read_at)
    if caches is not None and (known := caches.scores.get(key)) is not None and known[0] == stamp:
        return known[1]
    result = _score(live, assessed.select(live.cases, filters), resamples, caches)
    return caches.scores.put(key, (stamp, result))[1] if caches is not None else result


def document(live: LiveSample, filters: Mapping[str, Sequence[str]], resamples: int, caches: Caches | None) -> results.Document:
    """:func:`score` as an InspectionScores document, with the framework's titles."""
    result = score(live, filters, resamples, caches)
    return results.inspection_scores(live.framework, result, live.inspection.id, {k: list(v) for k, v in filters.items()})


def breakdown(
    live: LiveSample, by: str, filters: Mapping[str, Sequence[str]], resamples: int, caches: Caches
) -> results.Document:
    """A ScoreBreakdown document: the (filtered) sample scored group by group."""
    groups = assessed.group(assessed.select(live.cases, filters), by)
    return results.breakdown(
        live.framework,
        live.inspection.id,
        by,
        [(value, _score(live, cases, resamples, caches)) for value, cases in groups.items()],
    )


async def scores(scorer: Scorer, session: AsyncSession, inspection_id: UUID, filters: Mapping[str, Sequence[str]]) -> Timed:
    """The InspectionScores document of the (filtered) sample as it stands."""
    started = time.perf_counter()
    live = await sample(scorer.cases, session, inspection_id, scorer.caches)
    fetched = time.perf_counter()
    # The engine is CPU-bound: it runs in a worker thread, so that the service goes on answering meanwhile.
    scored = await asyncio.to_thread(document, live, filters, scorer.resamples, scorer.caches)
    return Timed(scored, fetched - started, time.perf_counter() - fetched)


async def scores_by(
    scorer: Scorer, session: AsyncSession, inspection_id: UUID, by: str, filters: Mapping[str, Sequence[str]]
) -> results.Document:
    """The ScoreBreakdown document of the (filtered) sample, grouped on the case attribute ``by``."""
    live = await sample(scorer.cases, session, inspection_id, scorer.caches)
    return await asyncio.to_thread(breakdown, live, by, filters, scorer.resamples, scorer.caches)


async def freeze(scorer: Scorer, session: AsyncSession, inspection_id: UUID, label: str | None) -> models.ScoreSnapshotRecord:
    """A snapshot of the scores as they stand."""
    live = await sample(scorer.cases, session, inspection_id, scorer.caches)
    # Scored afresh from the very cases fingerprinted: a snapshot's scores and hash always agree.
    scored = await asyncio.to_thread(document, live, {}, scorer.resamples, None)
    return await snapshots.take(session, scored, assessed.fingerprint(live.cases), label)


async def national(
    scorer: Scorer,
    session: AsyncSession,
    framework_id: str,
    period_from: date | None,
    period_to: date | None,
    statuses: list[str],
) -> NationalView:
    """Every criterion's score in each inspection of the period with one of ``statuses``, against the
    national mean: from the newest snapshot where there is one, live otherwise."""
    if period_from and period_to and period_from > period_to:
        raise invalid("from", "from is after to", location="query", type="range")
    client, caches, resamples = scorer.cases, scorer.caches, scorer.resamples
    framework = await frameworks.get(session, framework_id, parsed=caches.parsed_frameworks)
    params: dict[str, Any] = {"limit": 500, "framework_id": framework_id, "status": statuses}
    params |= {"fieldwork_from": period_from.isoformat()} if period_from else {}
    params |= {"fieldwork_to": period_to.isoformat()} if period_to else {}
    inspections = await assessed.read_pages(client, "/api/v1/inspections", params, Page[Inspection])
    frozen = await snapshots.latest(session, [i.id for i in inspections])
    unfrozen = [i for i in inspections if i.id not in frozen]
    samples = await assessed.assessed_samples(client, unfrozen, caches.samples)
    live = [
        LiveSample(i, await frameworks.get(session, i.framework_id, i.framework_version, caches.parsed_frameworks), samples[i.id])
        for i in unfrozen
    ]
    # The engine is CPU-bound: it runs in a worker thread, so that the service goes on answering meanwhile.
    live_scores = await asyncio.to_thread(lambda: {s.inspection.id: score(s, {}, resamples, caches) for s in live})
    scored: list[tuple[dict[str, scoring.ScoreWithInterval], Literal["snapshot", "live"]]] = [
        (snapshots.criterion_scores(frozen[i.id]), "snapshot")
        if i.id in frozen
        else ({c.id: (c.score, c.interval) for c in live_scores[i.id].criteria}, "live")
        for i in inspections
    ]
    criteria = []
    for criterion in (c for c in framework.criteria() if c.scored_by == "cases"):
        per_area = {str(i.id): by_id.get(criterion.id, (None, None)) for i, (by_id, _) in zip(inspections, scored, strict=True)}
        mean, comparisons = scoring.compare_with_mean(per_area)
        criteria.append(
            NationalCriterion(
                id=criterion.id,
                title=criterion.title,
                national_mean=mean,
                areas=[
                    AreaScore(
                        inspection_id=inspection.id,
                        area=inspection.area,
                        fieldwork_start=inspection.fieldwork_start,
                        score=comparison.score,
                        interval=comparison.interval,
                        differs=comparison.differs,
                        source=source,
                    )
                    for inspection, (_, source), comparison in zip(inspections, scored, comparisons, strict=True)
                ],
            )
        )
    return NationalView(
        framework_id=framework.id,
        framework_version=framework.version,
        period_from=period_from,
        period_to=period_to,
        statuses=statuses,
        inspections=len(inspections),
        criteria=criteria,
    )
