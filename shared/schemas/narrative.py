"""What inspectors write for a report, as it crosses the wire: each narrative part, the section 4
grades, the performance data (IPPF) and the caseload context, and a stored part with its history."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.common import Text

T = TypeVar("T")

Lang = Literal["en", "cy"]
Paragraph = Annotated[Text, Field(min_length=1, max_length=20_000)]
Finding = Annotated[Text, Field(min_length=1, max_length=10_000)]
ShortText = Annotated[Text, Field(min_length=1, max_length=200)]
CriterionId = Annotated[str, Field(min_length=1, max_length=32)]
Figure = Annotated[Text, Field(max_length=64, description="As printed: '83%', '27.1', '4232'.")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SummaryParagraph(_In):
    section: str = Field(
        min_length=1, max_length=32, description="A section id of the inspection's framework, or `roh` (Risk of Harm)."
    )
    text: Paragraph


class Summary(_In):
    """The report's Summary: one paragraph per section and one on Risk of Harm."""

    paragraphs: list[SummaryParagraph] = Field(max_length=20)


class Foreword(_In):
    text: Paragraph
    signatory: ShortText | None = None
    signatory_title: ShortText | None = None


class Acknowledgements(_In):
    text: Paragraph
    credits: list[Annotated[Text, Field(min_length=1, max_length=2000)]] = Field(
        [], max_length=50, description="Lines naming who took part, e.g. 'HM Inspectors: ...'."
    )


class Recommendations(_In):
    """Recommendations for improvement, in the order the report numbers them."""

    items: list[Paragraph] = Field(max_length=50)


class NextSteps(_In):
    paragraphs: list[Paragraph] = Field(max_length=20)


class GoodPracticeExample(_In):
    title: ShortText
    criterion_id: CriterionId
    text: Paragraph
    office: ShortText | None = None
    team: ShortText | None = None


class GoodPractice(_In):
    examples: list[GoodPracticeExample] = Field(max_length=50)


class UserGroup(StrEnum):
    """Service users the report hears from, each beside one questionnaire's figures."""

    offenders = "offenders"
    victims = "victims"
    courts = "courts"


class UserPerspective(_In):
    group: UserGroup
    paragraphs: list[Paragraph] = Field(max_length=30)


class ServiceUsers(_In):
    groups: list[UserPerspective] = Field(max_length=3)


class CriterionNarrative(_In):
    """A criterion of sections 1-3: findings (lettered (a), (b), ... in the report) and the
    inspectors' conclusion, one of the framework's conclusion scale."""

    strengths: list[Finding] = Field([], max_length=40)
    areas_for_improvement: list[Finding] = Field([], max_length=40)
    conclusion: str | None = Field(None, max_length=200, description="One of the framework's conclusion scale.")


class GradePut(_In):
    """A section 4 criterion: its grade on the framework's grade scale and its narrative."""

    grade: str = Field(max_length=64, description="One of the framework's grade_scale.")
    narrative: Paragraph
    strengths: list[Finding] = Field([], max_length=40)
    areas_for_improvement: list[Finding] = Field([], max_length=40)


class IppfRating(StrEnum):
    outstanding = "outstanding"
    good = "good"
    passable = "passable"
    poor = "poor"


class PerformanceRow(_In):
    """One metric of the area's performance framework (the report's Appendix 1)."""

    domain: ShortText
    metric: ShortText
    kind: Literal["metric", "management_information"] = "metric"
    actual: Figure | None = None
    target: Figure | None = None
    national: Figure | None = None
    previous_year: Figure | None = None
    predicted: Figure | None = Field(None, description="Management information compared with a prediction.")
    difference: Figure | None = None
    significant: Figure | None = None
    grade: int | None = Field(None, ge=1, le=4)


class DomainRating(_In):
    domain: ShortText
    rating: IppfRating


class PerformanceData(_In):
    period: ShortText | None = Field(None, description="e.g. 'April-September 2007'.")
    area_rating: IppfRating | None = None
    domain_ratings: list[DomainRating] = Field([], max_length=20)
    rows: list[PerformanceRow] = Field(max_length=500)


class MappaLevels(_In):
    level_1: int = Field(ge=0)
    level_2: int = Field(ge=0)
    level_3: int = Field(ge=0)


class Budget(_In):
    year: ShortText
    amount: ShortText


class ApprovedPremises(_In):
    name: ShortText
    capacity: int = Field(ge=0)


Share = Annotated[float, Field(ge=0, le=100)]


class Caseload(_In):
    """Caseload context (the report's Appendix 2)."""

    as_at: date | None = None
    total: int | None = Field(None, ge=0)
    white_pct: Share | None = None
    minority_ethnic_pct: Share | None = None
    male_pct: Share | None = None
    female_pct: Share | None = None
    mappa: MappaLevels | None = None
    ppo_cases: int | None = Field(None, ge=0)
    ppo_schemes: int | None = Field(None, ge=0)
    budgets: list[Budget] = Field([], max_length=20)
    approved_premises: list[ApprovedPremises] = Field([], max_length=100)
    notes: list[Paragraph] = Field([], max_length=20)


class StoredPart(BaseModel, Generic[T]):
    """One part as stored: its content, its version (the ETag) and who changed it last."""

    inspection_id: UUID
    part: str = Field(description="e.g. `summary`, `criteria/1.2`, `grades/4.1`, `performance`.")
    lang: Lang | None = Field(description="The language of its text; null for figures (performance, caseload).")
    version: int
    updated_by: str | None
    updated_at: datetime
    content: T


class PartVersion(BaseModel):
    """A version of a part as it was: every change is kept (who, when, the text before)."""

    version: int
    updated_by: str | None
    updated_at: datetime
    content: dict[str, object]


class Grade(BaseModel):
    criterion_id: str
    title: str
    lang: Lang
    version: int
    grade: str
    narrative: str
    strengths: list[str]
    areas_for_improvement: list[str]
    updated_by: str | None
    updated_at: datetime
