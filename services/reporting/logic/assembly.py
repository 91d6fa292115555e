"""The report document put together from what was gathered and what inspectors wrote, in the
reference report's order; every figure is taken as the services gave it (none derived here)."""

from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel

from services.reporting.logic import checks, parts
from services.reporting.logic.gather import Gathered, national_period
from shared.percent import display_percent
from shared.schemas import narrative as written
from shared.schemas.frameworks import Criterion, Framework
from shared.schemas.inspections import Inspection
from shared.schemas.questionnaires import QuestionnaireSummary, Respondent
from shared.schemas.reports import (
    AcknowledgementsPart,
    Appendices,
    Bar,
    CriterionScoreFigure,
    Finding,
    ForewordPart,
    FrameworkRef,
    GoodPracticeEntry,
    GradeRow,
    InspectionFacts,
    MethodCriterion,
    Methodology,
    MethodSection,
    NationalComparison,
    NextStepsPart,
    Recommendation,
    RecommendationsPart,
    ReportCriterion,
    ReportDocument,
    ReportSection,
    ReportStatus,
    SuggestedConclusion,
    SummaryEntry,
    SummaryOfScores,
    ThreadFigure,
    Unavailable,
    UserPerspectivePart,
)
from shared.schemas.scores import InspectionScores, NationalView

M = TypeVar("M", bound=BaseModel)
RESPONDENT_OF = {
    written.UserGroup.offenders: Respondent.offender,
    written.UserGroup.victims: Respondent.victim,
    written.UserGroup.courts: Respondent.sentencer,
}
ROH_TITLE = "Risk of Harm"


def letters(index: int) -> str:
    """(a), (b), ... (z), (aa), ...: the report's lettering of findings."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("a") + rest) + text
    return text


def _findings(texts: list[str]) -> list[Finding]:
    return [Finding(letter=letters(n), text=t) for n, t in enumerate(texts)]


def _read(texts: dict[str, dict[str, Any]], part: str, model: type[M]) -> M | None:
    return model.model_validate(texts[part]) if part in texts else None


def _national_means(national: NationalView | Unavailable) -> dict[str, float | None] | Unavailable:
    if isinstance(national, Unavailable):
        return national
    return {c.id: c.national_mean for c in national.criteria}


def _display(value: float | Unavailable | None) -> str | Unavailable | None:
    return value if isinstance(value, Unavailable) or value is None else display_percent(value)


def _chart(scores: InspectionScores, means: dict[str, float | None] | Unavailable) -> list[Bar]:
    bars = []
    for c in scores.criteria:
        mean = means if isinstance(means, Unavailable) else means.get(c.id)
        bars.append(
            Bar(
                kind="criterion",
                id=c.id,
                title=c.title,
                score=c.score,
                display=c.display,
                interval=c.interval,
                national_mean=mean,
                national_display=_display(mean),
            )
        )
    bars += [
        Bar(
            kind="section",
            id=s.id,
            title=s.title,
            score=s.score,
            display=s.display,
            interval=s.interval,
            national_mean=None,
            national_display=None,
        )
        for s in scores.sections
    ]
    return bars


def _summary_of_scores(gathered: Gathered, texts: dict[str, dict[str, Any]]) -> SummaryOfScores:
    scores, framework = gathered.scores, gathered.framework
    means = _national_means(gathered.national)
    national: NationalComparison | Unavailable = Unavailable(unavailable="cases")
    if isinstance(gathered.national, Unavailable):
        national = gathered.national
    elif isinstance(gathered.inspection, Inspection):
        period_from, period_to = national_period(gathered.inspection.fieldwork_start)
        national = NationalComparison(period_from=period_from, period_to=period_to, inspections=gathered.national.inspections)
    grades: list[GradeRow] | Unavailable = (
        framework
        if isinstance(framework, Unavailable)
        else [
            GradeRow(criterion_id=c.id, title=c.title, grade=texts.get(parts.grade_part(c.id), {}).get("grade"))
            for c in framework.criteria()
            if c.scored_by == "grade"
        ]
    )
    if isinstance(scores, Unavailable):
        return SummaryOfScores(cases_assessed=scores, chart=scores, section_grades=grades, roh_thread=scores, national=national)
    thread = ThreadFigure(score=scores.roh_thread.score, display=scores.roh_thread.display, interval=scores.roh_thread.interval)
    return SummaryOfScores(
        cases_assessed=scores.cases_assessed,
        chart=_chart(scores, means),
        section_grades=grades,
        roh_thread=thread,
        national=national,
    )


def _criterion(criterion: Criterion, gathered: Gathered, texts: dict[str, dict[str, Any]], lang: written.Lang) -> ReportCriterion:
    if criterion.scored_by == "grade":
        graded = _read(texts, parts.grade_part(criterion.id), written.GradePut)
        return ReportCriterion(
            id=criterion.id,
            title=criterion.title,
            statement=criterion.statement,
            scored_by="grade",
            lang=lang if graded else None,
            score=None,
            strengths=_findings(graded.strengths if graded else []),
            areas_for_improvement=_findings(graded.areas_for_improvement if graded else []),
            conclusion=None,
            suggested_conclusion=None,
            grade=graded.grade if graded else None,
            narrative=graded.narrative if graded else None,
        )
    told = _read(texts, parts.criterion_part(criterion.id), written.CriterionNarrative)
    score: CriterionScoreFigure | Unavailable | None = gathered.scores if isinstance(gathered.scores, Unavailable) else None
    suggested: SuggestedConclusion | Unavailable | None = score if isinstance(score, Unavailable) else None
    if isinstance(gathered.scores, InspectionScores):
        found = next((c for c in gathered.scores.criteria if c.id == criterion.id), None)
        means = _national_means(gathered.national)
        mean = means if isinstance(means, Unavailable) else means.get(criterion.id)
        if found is not None:
            score = CriterionScoreFigure(
                score=found.score,
                display=found.display,
                interval=found.interval,
                national_mean=mean,
                national_display=_display(mean),
            )
            suggested = SuggestedConclusion(label=found.suggested_conclusion) if found.suggested_conclusion else None
    return ReportCriterion(
        id=criterion.id,
        title=criterion.title,
        statement=criterion.statement,
        scored_by="cases",
        lang=lang if told else None,
        score=score,
        strengths=_findings(told.strengths if told else []),
        areas_for_improvement=_findings(told.areas_for_improvement if told else []),
        conclusion=told.conclusion if told else None,
        suggested_conclusion=suggested,
        grade=None,
        narrative=None,
    )


def _sections(gathered: Gathered, texts: dict[str, dict[str, Any]], lang: written.Lang) -> list[ReportSection] | Unavailable:
    framework, scores = gathered.framework, gathered.scores
    if isinstance(framework, Unavailable):
        return framework
    result = []
    for section in framework.sections:
        score: ThreadFigure | Unavailable | None = None
        if any(c.scored_by == "cases" for c in section.criteria):
            score = scores if isinstance(scores, Unavailable) else None
            found = (
                next((s for s in scores.sections if s.id == section.id), None) if isinstance(scores, InspectionScores) else None
            )
            if found is not None:
                score = ThreadFigure(score=found.score, display=found.display, interval=found.interval)
        criteria = [_criterion(c, gathered, texts, lang) for c in section.criteria]
        result.append(ReportSection(id=section.id, title=section.title, score=score, criteria=criteria))
    return result


def methodology(framework: Framework) -> Methodology:
    """Appendix 4, the scoring approach, from the framework document: weights, summary and RoH questions."""
    return Methodology(
        framework=FrameworkRef(id=framework.id, version=framework.version, title=framework.title),
        scoring_rule=framework.scoring.kind,
        question_weight=framework.weights.questions,
        summary_weight=framework.weights.summary,
        grade_scale=list(framework.grade_scale),
        conclusion_scale=checks.conclusion_scale(framework),
        roh_thread_sections=framework.roh_thread_sections,
        sections=[
            MethodSection(
                id=s.id,
                title=s.title,
                criteria=[
                    MethodCriterion(
                        id=c.id,
                        title=c.title,
                        scored_by=c.scored_by,
                        questions=len(c.questions),
                        summary_question=next((q.id for q in c.questions if q.summary), None),
                        roh_questions=[q.id for q in c.questions if q.roh],
                    )
                    for c in s.criteria
                ],
            )
            for s in framework.sections
        ],
    )


def _summary(framework: Framework | Unavailable, texts: dict[str, dict[str, Any]], lang: written.Lang) -> list[SummaryEntry]:
    told = _read(texts, parts.SUMMARY, written.Summary)
    if told is None:
        return []
    titles = {s.id: s.title for s in framework.sections} if isinstance(framework, Framework) else {}
    order = [*titles, checks.ROH]
    by_section = sorted(told.paragraphs, key=lambda p: order.index(p.section) if p.section in order else len(order))
    return [
        SummaryEntry(
            lang=lang,
            section=p.section,
            title=ROH_TITLE if p.section == checks.ROH else titles.get(p.section),
            text=p.text,
        )
        for p in by_section
    ]


def _service_users(gathered: Gathered, texts: dict[str, dict[str, Any]], lang: written.Lang) -> list[UserPerspectivePart]:
    told = _read(texts, parts.SERVICE_USERS, written.ServiceUsers)
    paragraphs = {g.group: g.paragraphs for g in told.groups} if told else {}
    result = []
    for group, respondent in RESPONDENT_OF.items():
        figures = gathered.questionnaires[respondent]
        rate: str | Unavailable | None = figures if isinstance(figures, Unavailable) else None
        if isinstance(figures, QuestionnaireSummary) and figures.response_rate is not None:
            rate = display_percent(figures.response_rate)
        result.append(
            UserPerspectivePart(
                group=group,
                respondent=respondent,
                lang=lang if group in paragraphs else None,
                paragraphs=paragraphs.get(group, []),
                figures=figures,
                response_rate_display=rate,
            )
        )
    return result


def _good_practice(
    framework: Framework | Unavailable, texts: dict[str, dict[str, Any]], lang: written.Lang
) -> list[GoodPracticeEntry]:
    told = _read(texts, parts.GOOD_PRACTICE, written.GoodPractice)
    titles = {c.id: c.title for c in framework.criteria()} if isinstance(framework, Framework) else {}
    return [
        GoodPracticeEntry(lang=lang, criterion_title=titles.get(e.criterion_id), **e.model_dump())
        for e in (told.examples if told else [])
    ]


def document(
    inspection_id: UUID,
    gathered: Gathered,
    texts: dict[str, dict[str, Any]],
    lang: written.Lang,
    *,
    status: ReportStatus,
    draft_number: int,
    now: datetime,
    published_at: datetime | None = None,
    snapshot_id: UUID | None = None,
) -> ReportDocument:
    inspection, framework = gathered.inspection, gathered.framework
    foreword = _read(texts, parts.FOREWORD, written.Foreword)
    thanks = _read(texts, parts.ACKNOWLEDGEMENTS, written.Acknowledgements)
    recommendations = _read(texts, parts.RECOMMENDATIONS, written.Recommendations)
    next_steps = _read(texts, parts.NEXT_STEPS, written.NextSteps)
    return ReportDocument(
        inspection_id=inspection_id,
        lang=lang,
        status=status,
        draft_number=draft_number,
        generated_at=now,
        published_at=published_at,
        snapshot_id=snapshot_id,
        warnings=gathered.warnings,
        inspection=inspection
        if isinstance(inspection, Unavailable)
        else InspectionFacts(
            area=inspection.area,
            country=inspection.country,
            fieldwork_start=inspection.fieldwork_start,
            fieldwork_end=inspection.fieldwork_end,
        ),
        framework=framework
        if isinstance(framework, Unavailable)
        else FrameworkRef(id=framework.id, version=framework.version, title=framework.title),
        foreword=ForewordPart(lang=lang, **foreword.model_dump()) if foreword else None,
        acknowledgements=AcknowledgementsPart(lang=lang, **thanks.model_dump()) if thanks else None,
        summary=_summary(framework, texts, lang),
        summary_of_scores=_summary_of_scores(gathered, texts),
        recommendations=RecommendationsPart(
            lang=lang, items=[Recommendation(number=n, text=t) for n, t in enumerate(recommendations.items, start=1)]
        )
        if recommendations
        else None,
        next_steps=NextStepsPart(lang=lang, **next_steps.model_dump()) if next_steps else None,
        good_practice=_good_practice(framework, texts, lang),
        service_users=_service_users(gathered, texts, lang),
        sections=_sections(gathered, texts, lang),
        appendices=Appendices(
            performance=_read(texts, parts.PERFORMANCE, written.PerformanceData),
            caseload=_read(texts, parts.CASELOAD, written.Caseload),
            sample=gathered.sample,
            methodology=framework if isinstance(framework, Unavailable) else methodology(framework),
        ),
    )
