"""The engine's results as the wire shapes, with the framework's titles and the report's rounding.

Built as plain dicts and validated once per document: a model per question (hundreds of them) costs
more than the scoring itself."""

from typing import Any
from uuid import UUID

from services.scoring.logic import scoring
from shared.schemas import scores as wire
from shared.schemas.frameworks import Framework


def _criteria(framework: Framework, result: scoring.InspectionScore) -> list[dict[str, Any]]:
    titles = {c.id: c.title for c in framework.criteria()}
    return [
        {
            "id": c.id, "title": titles[c.id], "score": c.score, "display": scoring.display_percent(c.score),
            "interval": c.interval, "rating": c.rating, "suggested_conclusion": c.suggested_conclusion,
            "questions": [vars(q) for q in c.questions],
        }
        for c in result.criteria
    ]


def _sections(framework: Framework, result: scoring.InspectionScore) -> list[dict[str, Any]]:
    titles = {s.id: s.title for s in framework.sections}
    return [
        {"id": s.id, "title": titles[s.id], "score": s.score, "display": scoring.display_percent(s.score), "interval": s.interval}
        for s in result.sections
    ]


def _thread(result: scoring.InspectionScore) -> dict[str, Any]:
    thread = result.roh_thread
    return {"score": thread.score, "display": scoring.display_percent(thread.score), "interval": thread.interval}


def _parts(framework: Framework, result: scoring.InspectionScore) -> dict[str, Any]:
    return {
        "cases_assessed": result.cases_assessed, "criteria": _criteria(framework, result),
        "sections": _sections(framework, result), "roh_thread": _thread(result),
    }


def inspection_scores(
    framework: Framework, result: scoring.InspectionScore, inspection_id: UUID, filters: dict[str, list[str]]
) -> wire.InspectionScores:
    return wire.InspectionScores.model_validate(
        {"inspection_id": inspection_id, "framework_id": framework.id, "framework_version": framework.version,
         "filters": filters, **_parts(framework, result)}
    )


def group_scores(framework: Framework, value: str, result: scoring.InspectionScore) -> wire.GroupScores:
    return wire.GroupScores.model_validate({"value": value, **_parts(framework, result)})
