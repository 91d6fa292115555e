"""The report as a document (in the reference report's order), its lifecycle, the area's comments and
the timeline. Every figure a reader sees is in the document already formatted (`display`), so a
template renders it without deriving any; a part another service could not give is `Unavailable`."""

from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.schemas.common import Text
from shared.schemas.enums import Country
from shared.schemas.narrative import (
    Acknowledgements,
    Caseload,
    Foreword,
    Lang,
    NextSteps,
    PerformanceData,
    UserGroup,
)
from shared.schemas.questionnaires import QuestionnaireSummary, Respondent
from shared.schemas.sampling import SampleComposition
from shared.schemas.scores import Interval

COMPARISON_CAVEAT = (
    "We advise readers of reports against attempting to compare scores area by area. Such comparisons are not "
    "entirely valid as the sizes of samples vary slightly, as does the profile of cases included in each area's "
    "sample. The intervals show how far each score could move with another sample of the same area."
)


class Unavailable(BaseModel):
    """Stands in for a part a service could not give while the draft was assembled (never a guess)."""

    unavailable: str = Field(description="The service that could not be reached or answered wrongly.")


class ReportWarning(BaseModel):
    service: str
    parts: list[str] = Field(description="The document's parts left `unavailable`.")
    detail: str


class ReportStatus(StrEnum):
    draft = "draft"
    sent_for_comment = "sent_for_comment"
    published = "published"


class InspectionFacts(BaseModel):
    area: str
    country: Country
    fieldwork_start: date
    fieldwork_end: date


class FrameworkRef(BaseModel):
    id: str
    version: int
    title: str


class Narrative(BaseModel):
    lang: Lang


class ForewordPart(Foreword, Narrative):
    pass


class AcknowledgementsPart(Acknowledgements, Narrative):
    pass


class NextStepsPart(NextSteps, Narrative):
    pass


class SummaryEntry(Narrative):
    section: str = Field(description="The section id, or `roh`.")
    title: str | None = Field(
        description="The section's title from the framework ('Risk of Harm' for `roh`); null where the framework was unavailable."
    )
    text: str


class Bar(BaseModel):
    """A bar of Chart 1: a criterion's or a section's score, with its interval and the national mean."""

    kind: Literal["criterion", "section"]
    id: str
    title: str
    score: float | None
    display: str
    interval: Interval | None
    national_mean: float | Unavailable | None = Field(
        None, description="Criteria: the mean of the national view of the same period; null where there is none."
    )
    national_display: str | Unavailable | None = None


class GradeRow(BaseModel):
    """A row of Table 1."""

    criterion_id: str
    title: str
    grade: str | None = Field(description="One of the framework's grade_scale; null until graded.")


class ThreadFigure(BaseModel):
    score: float | None
    display: str
    interval: Interval | None


class NationalComparison(BaseModel):
    period_from: date
    period_to: date
    inspections: int = Field(description="Inspections the national means are taken over.")
    caveat: str = COMPARISON_CAVEAT


class SummaryOfScores(BaseModel):
    cases_assessed: int | Unavailable
    chart: list[Bar] | Unavailable = Field(description="Chart 1: each criterion of sections 1-3, then each section.")
    section_grades: list[GradeRow] | Unavailable = Field(description="Table 1: the section 4 grades.")
    roh_thread: ThreadFigure | Unavailable = Field(description="Table 2: the Risk of Harm thread score.")
    national: NationalComparison | Unavailable
    caveat: str = COMPARISON_CAVEAT


class Finding(BaseModel):
    letter: str = Field(description="(a), (b), ... as the report letters them.")
    text: str


class Recommendation(BaseModel):
    number: int
    text: str


class RecommendationsPart(Narrative):
    items: list[Recommendation]


class GoodPracticeEntry(Narrative):
    title: str
    criterion_id: str
    criterion_title: str | None = Field(description="null where the framework was unavailable.")
    text: str
    office: str | None
    team: str | None


class UserPerspectivePart(BaseModel):
    group: UserGroup
    respondent: Respondent
    lang: Lang | None = Field(description="The language of `paragraphs`; null where none are written.")
    paragraphs: list[str]
    figures: QuestionnaireSummary | Unavailable | None = Field(
        description="The questionnaire's figures; null where none were recorded for this respondent."
    )
    response_rate_display: str | Unavailable | None = None


class CriterionScoreFigure(BaseModel):
    score: float | None
    display: str
    interval: Interval | None
    national_mean: float | Unavailable | None
    national_display: str | Unavailable | None


class SuggestedConclusion(BaseModel):
    label: str
    note: str = "Suggested from the score's band; the recorded conclusion is the inspectors' judgement."


class ReportCriterion(BaseModel):
    id: str
    title: str
    statement: str
    scored_by: Literal["cases", "grade"]
    lang: Lang | None = Field(description="The language of the findings; null where none are written.")
    score: CriterionScoreFigure | Unavailable | None = Field(description="Case-scored criteria only.")
    strengths: list[Finding]
    areas_for_improvement: list[Finding]
    conclusion: str | None = Field(description="The inspectors' conclusion (case-scored criteria).")
    suggested_conclusion: SuggestedConclusion | Unavailable | None
    grade: str | None = Field(description="Graded criteria: one of the framework's grade_scale.")
    narrative: str | None = Field(description="Graded criteria: the narrative of the grade.")


class ReportSection(BaseModel):
    id: str
    title: str
    score: ThreadFigure | Unavailable | None = Field(description="Sections scored from cases.")
    criteria: list[ReportCriterion]


class MethodCriterion(BaseModel):
    id: str
    title: str
    scored_by: Literal["cases", "grade"]
    questions: int
    summary_question: str | None
    roh_questions: list[str]


class MethodSection(BaseModel):
    id: str
    title: str
    criteria: list[MethodCriterion]


class Methodology(BaseModel):
    """The scoring approach (Appendix 4), generated from the framework document."""

    framework: FrameworkRef
    scoring_rule: str
    question_weight: float
    summary_weight: float
    grade_scale: list[str]
    conclusion_scale: list[str]
    roh_thread_sections: list[str] | None
    sections: list[MethodSection]


class Appendices(BaseModel):
    performance: PerformanceData | None
    caseload: Caseload | None
    sample: SampleComposition | Unavailable
    methodology: Methodology | Unavailable


class ReportDocument(BaseModel):
    """The whole report, in the reference report's order."""

    document_version: Literal[1] = 1
    inspection_id: UUID
    lang: Lang
    status: ReportStatus
    draft_number: int
    generated_at: datetime
    published_at: datetime | None
    snapshot_id: UUID | None = Field(description="The score snapshot a published report's scores are.")
    warnings: list[ReportWarning] = Field(description="What is missing from this draft and why; empty when complete.")
    inspection: InspectionFacts | Unavailable
    framework: FrameworkRef | Unavailable
    foreword: ForewordPart | None
    acknowledgements: AcknowledgementsPart | None
    summary: list[SummaryEntry]
    summary_of_scores: SummaryOfScores
    recommendations: RecommendationsPart | None
    next_steps: NextStepsPart | None
    good_practice: list[GoodPracticeEntry]
    service_users: list[UserPerspectivePart]
    sections: list[ReportSection] | Unavailable
    appendices: Appendices


class ReportState(BaseModel):
    """Where the report is in its lifecycle: draft, sent for comment, published."""

    inspection_id: UUID
    status: ReportStatus
    draft_number: int
    version: int
    sent_for_comment_at: datetime | None
    published_at: datetime | None
    publication_pending: bool = Field(
        description="A publication was begun (scores frozen) but not completed; publishing again completes it."
    )
    snapshot_id: UUID | None
    sha256: str | None = Field(description="SHA-256 of the published document's bytes.")


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    section: Text = Field(min_length=1, max_length=200, description="The part of the draft commented on, e.g. '2.3'.")
    text: Text = Field(min_length=1, max_length=20_000)


class CommentOutcome(StrEnum):
    accepted = "accepted"
    not_accepted = "not_accepted"


class CommentAnswerPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: CommentOutcome
    note: Text | None = Field(None, max_length=20_000)


class Comment(BaseModel):
    id: UUID
    inspection_id: UUID
    draft_number: int
    section: str
    text: str
    created_at: datetime
    outcome: CommentOutcome | None
    note: str | None
    answered_at: datetime | None
    version: int


class MilestoneName(StrEnum):
    draft_for_comment = "draft_for_comment"
    publication = "publication"
    improvement_plan = "improvement_plan"
    reinspection = "reinspection"


class Milestone(BaseModel):
    name: MilestoneName
    due_from: date | None = Field(description="The start of the window it is due in, where it has one.")
    due: date
    done_at: datetime | None
    overdue: bool = Field(description="Past due and not done.")


class Timeline(BaseModel):
    inspection_id: UUID
    fieldwork_start: date
    fieldwork_end: date
    as_of: datetime
    milestones: list[Milestone]


class MilestoneDone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done_at: AwareDatetime


class OverdueMilestone(BaseModel):
    inspection_id: UUID
    area: str
    milestone: Milestone
