"""The engine's results as wire documents, with the framework's titles and the report's rounding.

The documents have the shapes of ``shared/schemas/scores.py`` (a test validates them against those
models) but are built as plain JSON-ready dicts and serialised once with orjson: a score document
holds hundreds of question entries, and constructing a pydantic model for each cost a third as much
as scoring. The engine's output is typed and checked by its own tests."""

from typing import Any
from uuid import UUID

from services.scoring.logic import scoring
from shared.schemas.frameworks import Framework

Document = dict[str, Any]


def _criteria(framework: Framework, result: scoring.InspectionScore) -> list[Document]:
    titles = {c.id: c.title for c in framework.criteria()}
    return [
        {
            "id": c.id,
            "title": titles[c.id],
            "score": c.score,
            "display": scoring.display_percent(c.score),
            "interval": c.interval,
            "rating": c.rating,
            "suggested_conclusion": c.suggested_conclusion,
            "questions": [
                {
                    "id": q.id,
                    "relevant": q.relevant,
                    "above_line": q.above_line,
                    "proportion": q.proportion,
                    "interval": q.interval,
                }
                for q in c.questions
            ],
        }
        for c in result.criteria
    ]


def _sections(framework: Framework, result: scoring.InspectionScore) -> list[Document]:
    titles = {s.id: s.title for s in framework.sections}
    return [
        {"id": s.id, "title": titles[s.id], "score": s.score, "display": scoring.display_percent(s.score), "interval": s.interval}
        for s in result.sections
    ]


def _thread(result: scoring.InspectionScore) -> Document:
    thread = result.roh_thread
    return {"score": thread.score, "display": scoring.display_percent(thread.score), "interval": thread.interval}


def inspection_scores(
    framework: Framework, result: scoring.InspectionScore, inspection_id: UUID, filters: dict[str, list[str]]
) -> Document:
    """An InspectionScores document."""
    return {
        "inspection_id": inspection_id,
        "framework_id": framework.id,
        "framework_version": framework.version,
        "cases_assessed": result.cases_assessed,
        "filters": filters,
        "criteria": _criteria(framework, result),
        "sections": _sections(framework, result),
        "roh_thread": _thread(result),
    }


def group_scores(framework: Framework, value: str, result: scoring.InspectionScore) -> Document:
    """A GroupScores document."""
    return {
        "value": value,
        "cases_assessed": result.cases_assessed,
        "criteria": _criteria(framework, result),
        "sections": _sections(framework, result),
        "roh_thread": _thread(result),
    }


def breakdown(framework: Framework, inspection_id: UUID, by: str, groups: list[tuple[str, scoring.InspectionScore]]) -> Document:
    """A ScoreBreakdown document."""
    return {
        "inspection_id": inspection_id,
        "framework_id": framework.id,
        "framework_version": framework.version,
        "by": by,
        "groups": [group_scores(framework, value, result) for value, result in groups],
    }
