"""The engine's results as the wire shapes, with the framework's titles and the report's rounding.

The engine's output is typed and checked by its own tests, so the wire models are constructed
without validating hundreds of question entries again on every score (that cost more than scoring)."""

from uuid import UUID

from services.scoring.logic import scoring
from shared.schemas import scores as wire
from shared.schemas.frameworks import Framework


def _criteria(framework: Framework, result: scoring.InspectionScore) -> list[wire.CriterionScore]:
    titles = {c.id: c.title for c in framework.criteria()}
    return [
        wire.CriterionScore.model_construct(
            id=c.id, title=titles[c.id], score=c.score, display=scoring.display_percent(c.score), interval=c.interval,
            rating=c.rating, suggested_conclusion=c.suggested_conclusion,
            questions=[wire.QuestionScore.model_construct(**vars(q)) for q in c.questions],
        )
        for c in result.criteria
    ]


def _sections(framework: Framework, result: scoring.InspectionScore) -> list[wire.SectionScore]:
    titles = {s.id: s.title for s in framework.sections}
    return [
        wire.SectionScore.model_construct(
            id=s.id, title=titles[s.id], score=s.score, display=scoring.display_percent(s.score), interval=s.interval
        )
        for s in result.sections
    ]


def _thread(result: scoring.InspectionScore) -> wire.ThreadScore:
    thread = result.roh_thread
    return wire.ThreadScore.model_construct(score=thread.score, display=scoring.display_percent(thread.score), interval=thread.interval)


def inspection_scores(
    framework: Framework, result: scoring.InspectionScore, inspection_id: UUID, filters: dict[str, list[str]]
) -> wire.InspectionScores:
    return wire.InspectionScores.model_construct(
        inspection_id=inspection_id, framework_id=framework.id, framework_version=framework.version,
        cases_assessed=result.cases_assessed, filters=filters, criteria=_criteria(framework, result),
        sections=_sections(framework, result), roh_thread=_thread(result),
    )


def group_scores(framework: Framework, value: str, result: scoring.InspectionScore) -> wire.GroupScores:
    return wire.GroupScores.model_construct(
        value=value, cases_assessed=result.cases_assessed, criteria=_criteria(framework, result),
        sections=_sections(framework, result), roh_thread=_thread(result),
    )
