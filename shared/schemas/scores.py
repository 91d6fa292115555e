"""Scores as they cross the wire: unrounded percentages (0-100) or null where undefined."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.common import Text

Interval = tuple[float, float]


class QuestionScore(BaseModel):
    id: str
    relevant: int = Field(description="Cases answered yes or no.")
    above_line: int = Field(description="Cases answered yes: the work was sufficient.")
    proportion: float | None = Field(description="100 * above_line / relevant; null when no case is relevant.")
    interval: Interval | None = Field(description="95% Wilson score interval.")


class CriterionScore(BaseModel):
    id: str
    title: str
    score: float | None
    display: str = Field(description="The score as the report shows it: whole percent, rounded half up.")
    interval: Interval | None = Field(
        description=(
            "95% percentile bootstrap interval over the cases (widened, should the percentiles miss it, to contain the score)."
        )
    )
    rating: str | None = Field(None, description="Set by frameworks whose rule rates criteria.")
    suggested_conclusion: str | None = Field(
        None, description="A suggestion from the framework's score bands; the recorded conclusion is the inspectors'."
    )
    questions: list[QuestionScore]


class SectionScore(BaseModel):
    id: str
    title: str
    score: float | None
    display: str
    interval: Interval | None


class ThreadScore(BaseModel):
    score: float | None
    display: str
    interval: Interval | None


class InspectionScores(BaseModel):
    inspection_id: UUID
    framework_id: str
    framework_version: int
    cases_assessed: int
    filters: dict[str, list[str]] = Field({}, description="The breakdown filters applied (empty: the whole sample).")
    criteria: list[CriterionScore]
    sections: list[SectionScore]
    roh_thread: ThreadScore


class GroupScores(BaseModel):
    value: str
    cases_assessed: int
    criteria: list[CriterionScore]
    sections: list[SectionScore]
    roh_thread: ThreadScore


class ScoreBreakdown(BaseModel):
    inspection_id: UUID
    framework_id: str
    framework_version: int
    by: str
    groups: list[GroupScores]


class SnapshotCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Text | None = Field(None, max_length=200, description="e.g. 'draft for area comment'.")


class ScoreSnapshot(BaseModel):
    """Scores frozen at a moment, with the fingerprint of the assessments they came from. Never changes."""

    id: UUID
    inspection_id: UUID
    label: str | None
    framework_id: str
    framework_version: int
    taken_at: datetime
    assessments_sha256: str
    scores: InspectionScores


class AreaScore(BaseModel):
    inspection_id: UUID
    area: str
    fieldwork_start: date
    score: float | None
    interval: Interval | None
    differs: Literal["above", "below"] | None = Field(
        description="Set only when the area's whole interval lies above or below the national mean."
    )
    source: Literal["snapshot", "live"] = Field(
        description="snapshot: the inspection's newest frozen scores (what its report published); live: scored now."
    )


class NationalCriterion(BaseModel):
    id: str
    title: str
    national_mean: float | None
    areas: list[AreaScore]


class NationalView(BaseModel):
    framework_id: str
    framework_version: int
    period_from: date | None
    period_to: date | None
    statuses: list[str]
    inspections: int
    criteria: list[NationalCriterion]
    note: str = (
        "Samples are small: compare an area with the national mean only where its interval lies wholly "
        "above or below it (differs)."
    )
