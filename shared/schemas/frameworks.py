"""The inspection framework: a versioned data document, validated when loaded.

A framework in use is never edited in place; a change is a new version. The scoring rule is
declared in the document (``scoring``), so the engine stays data-driven.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.schemas.enums import CaseType


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Question(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=64)
    text: str = Field(min_length=1)
    summary: bool = False
    roh: bool = False
    key: bool = Field(False, description="A key question of a ratings framework.")
    applies_to: list[CaseType] | None = Field(
        None, min_length=1, description="Case types the question concerns; null means every case type."
    )
    guidance: str = ""

    @model_validator(mode="after")
    def _distinct_case_types(self) -> "Question":
        if self.applies_to is not None and len(set(self.applies_to)) != len(self.applies_to):
            raise ValueError(f"question {self.id}: applies_to names a case type twice")
        return self

    def applies(self, case_type: CaseType) -> bool:
        return self.applies_to is None or case_type in self.applies_to


class Criterion(_Strict):
    id: str = Field(max_length=32)
    title: str
    statement: str
    scored_by: Literal["cases", "grade"]
    questions: list[Question] = []


class Section(_Strict):
    id: str = Field(max_length=32)
    title: str
    criteria: list[Criterion]


class Weights(_Strict):
    questions: float = Field(default=0.8, ge=0, le=1)
    summary: float = Field(default=0.2, ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> "Weights":
        if abs(self.questions + self.summary - 1.0) > 1e-9:
            raise ValueError("weights.questions and weights.summary must add up to 1")
        return self


class Band(_Strict):
    """A score band: scores at or above ``min`` (and below the next band) get ``label``."""

    min: float = Field(ge=0, le=100)
    label: str


class WeightedMeanRule(_Strict):
    """OMI scoring: criterion = w_q * mean(individual p) + w_s * p(summary)."""

    kind: Literal["weighted_mean"] = "weighted_mean"


def _check_bands(bands: list[Band], name: str) -> None:
    """One band starts at 0 and no two start at the same score, so every score in [0, 100] has one label."""
    mins = [b.min for b in bands]
    if bands and min(mins) != 0:
        raise ValueError(f"{name}: one band must start at min 0")
    if len(set(mins)) != len(mins):
        raise ValueError(f"{name}: two bands start at the same min")


class LowestKeyQuestionRule(_Strict):
    """Ratings scoring: a criterion is rated by its lowest key-question percentage."""

    kind: Literal["lowest_key_question"] = "lowest_key_question"
    ratings: list[Band] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> "LowestKeyQuestionRule":
        _check_bands(self.ratings, "scoring.ratings")
        return self


ScoringRule = Annotated[WeightedMeanRule | LowestKeyQuestionRule, Field(discriminator="kind")]


class FrameworkSummary(_Strict):
    id: str
    version: int
    title: str


class Framework(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    version: int = Field(ge=1)
    title: str
    weights: Weights = Weights()
    grade_scale: list[str] = []
    scoring: ScoringRule = WeightedMeanRule()
    conclusion_bands: list[Band] = Field(
        [], description="Score bands for a suggested conclusion; the recorded conclusion is the inspectors'."
    )
    roh_thread_sections: list[str] | None = Field(
        None, description="Sections whose RoH-flagged questions make the RoH thread; null means every section."
    )
    sections: list[Section]

    @model_validator(mode="after")
    def _consistent(self) -> "Framework":
        _check_bands(self.conclusion_bands, "conclusion_bands")
        problems: list[str] = []
        section_ids = [s.id for s in self.sections]
        if len(set(section_ids)) != len(section_ids):
            problems.append("section ids must be unique")
        unknown_thread = set(self.roh_thread_sections or []) - set(section_ids)
        if unknown_thread:
            problems.append(f"roh_thread_sections names no such section: {', '.join(sorted(unknown_thread))}")
        if len(set(self.grade_scale)) != len(self.grade_scale):
            problems.append("grade_scale repeats a grade")
        rates_by_key = isinstance(self.scoring, LowestKeyQuestionRule)
        seen_questions: set[str] = set()
        seen_criteria: set[str] = set()
        for section in self.sections:
            for criterion in section.criteria:
                if criterion.id in seen_criteria:
                    problems.append(f"criterion {criterion.id} appears twice")
                seen_criteria.add(criterion.id)
                for question in criterion.questions:
                    if question.id in seen_questions:
                        problems.append(f"question {question.id} appears twice")
                    seen_questions.add(question.id)
                    if question.key and not rates_by_key:
                        problems.append(f"question {question.id} is key, but this framework's rule has no key questions")
                summaries = sum(q.summary for q in criterion.questions)
                if criterion.scored_by == "grade":
                    if criterion.questions:
                        problems.append(f"graded criterion {criterion.id} must have no questions")
                elif isinstance(self.scoring, WeightedMeanRule):
                    if summaries != 1:
                        problems.append(f"criterion {criterion.id} has {summaries} summary questions; it needs exactly one")
                elif not any(q.key for q in criterion.questions):
                    problems.append(f"criterion {criterion.id} has no key question")
        if any(c.scored_by == "grade" for s in self.sections for c in s.criteria) and not self.grade_scale:
            problems.append("graded criteria need a grade_scale")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def criteria(self) -> list[Criterion]:
        return [c for s in self.sections for c in s.criteria]

    def questions(self) -> dict[str, Question]:
        return {q.id: q for c in self.criteria() for q in c.questions}
