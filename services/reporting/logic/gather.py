"""Gathering what the report needs from cases, scoring and questionnaires, concurrently; a part a
service cannot give becomes an `Unavailable` marker with a warning, never a guess and never a 500."""

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar
from uuid import UUID

from services.reporting.logic import upstream
from services.reporting.logic.upstream import Upstream
from shared.errors import DomainError, NotFound
from shared.schemas.frameworks import Framework
from shared.schemas.inspections import Inspection
from shared.schemas.questionnaires import QuestionnaireSummary, Respondent
from shared.schemas.reports import ReportWarning, Unavailable
from shared.schemas.sampling import SampleComposition
from shared.schemas.scores import InspectionScores, NationalView

T = TypeVar("T")


@dataclass
class Gathered:
    inspection: Inspection | Unavailable
    framework: Framework | Unavailable
    sample: SampleComposition | Unavailable
    scores: InspectionScores | Unavailable
    national: NationalView | Unavailable
    questionnaires: dict[Respondent, QuestionnaireSummary | Unavailable | None]
    warnings: list[ReportWarning] = field(default_factory=list)

    def complete(self) -> bool:
        return not self.warnings


class _Warnings:
    def __init__(self) -> None:
        self.parts: dict[str, tuple[list[str], str]] = {}

    def add(self, service: str, part: str, detail: str) -> None:
        self.parts.setdefault(service, ([], detail))[0].append(part)

    def listed(self) -> list[ReportWarning]:
        return [ReportWarning(service=s, parts=parts, detail=detail) for s, (parts, detail) in self.parts.items()]


async def _part(warnings: _Warnings, service: str, part: str, call: Awaitable[T], *, required: bool = False) -> T | Unavailable:
    """The call's answer, or a marker naming the service. ``required``: a 404 is the caller's (no such inspection)."""
    try:
        return await call
    except NotFound:
        if required:
            raise
        warnings.add(service, part, "not found")
        return Unavailable(unavailable=service)
    except DomainError as exc:
        warnings.add(service, part, f"{exc.problem.title}: {exc.detail or exc.problem.meaning}")
        return Unavailable(unavailable=service)


def national_period(fieldwork_start: date) -> tuple[date, date]:
    """The period a report's national comparison is taken over: the calendar year of its fieldwork."""
    return date(fieldwork_start.year, 1, 1), date(fieldwork_start.year, 12, 31)


async def gather(up: Upstream, inspection_id: UUID, frozen: InspectionScores | None = None) -> Gathered:
    """Everything the report reads from other services. ``frozen``: the snapshot's scores, used
    instead of live ones. An inspection cases does not have is 404."""
    warnings = _Warnings()

    async def found_inspection() -> Inspection:
        found, _ = await upstream.inspection(up, inspection_id)
        return found

    async def scores() -> InspectionScores:
        return frozen if frozen is not None else await upstream.scores(up, inspection_id)

    respondents = list(Respondent)
    from_cases_and_scoring = asyncio.gather(
        _part(warnings, "cases", "inspection", found_inspection(), required=True),
        _part(warnings, "cases", "appendices.sample", upstream.sample(up, inspection_id)),
        _part(warnings, "scoring", "summary_of_scores", scores()),
    )
    from_questionnaires = asyncio.gather(
        *(
            _part(warnings, "questionnaires", f"service_users.{r}", upstream.questionnaire(up, inspection_id, r))
            for r in respondents
        )
    )
    try:
        (inspection, sample, live), answers = await asyncio.gather(from_cases_and_scoring, from_questionnaires)
    except NotFound:
        raise NotFound(f"inspection {inspection_id} does not exist") from None
    framework: Framework | Unavailable
    national: NationalView | Unavailable
    if isinstance(inspection, Inspection):
        framework = await _part(
            warnings, "scoring", "framework", up.frameworks.of_inspection(inspection.framework_id, inspection.framework_version)
        )
        national = await _part(
            warnings,
            "scoring",
            "summary_of_scores.national",
            upstream.national(up, inspection.framework_id, *national_period(inspection.fieldwork_start)),
        )
    else:
        framework = (
            await _part(warnings, "scoring", "framework", up.frameworks.of_inspection(live.framework_id, live.framework_version))
            if isinstance(live, InspectionScores)
            else Unavailable(unavailable="cases")
        )
        if isinstance(framework, Unavailable) and framework.unavailable == "cases":
            warnings.add("cases", "framework", "the inspection's framework version is unknown")
        national = Unavailable(unavailable="cases")
        warnings.add("cases", "summary_of_scores.national", "the inspection's fieldwork period is unknown")
    return Gathered(
        inspection=inspection,
        framework=framework,
        sample=sample,
        scores=live,
        national=national,
        questionnaires=dict(zip(respondents, answers, strict=True)),
        warnings=warnings.listed(),
    )
