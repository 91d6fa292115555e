"""Wire shapes of questionnaires: templates, distributions, returns and the summary of returns (what the report shows)."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from shared.schemas.common import FieldError


class Respondent(StrEnum):
    offender = "offender"
    victim = "victim"
    sentencer = "sentencer"


class OptionCount(BaseModel):
    value: str = Field(description="One of the question's options (`yes` / `no` for yes_no questions).")
    count: int = Field(ge=0, description="Returns that gave this value.")
    percentage: float | None = Field(
        description="Of the returns that answered the question, unrounded; null where none answered."
    )


class NumberStatistics(BaseModel):
    min: int
    median: float
    max: int


class QuestionSummary(BaseModel):
    id: str
    text: str = Field(description="The question's English text.")
    type: str = Field(description="yes_no, scale, single_choice, multiple_choice, number or free_text.")
    answered: int = Field(ge=0, description="Counted returns that answered the question.")
    without_data: int = Field(
        ge=0, description="Counted returns that did not (skipped by skip logic or left blank): never counted as `no`."
    )
    options: list[OptionCount] = Field(
        [], description="Per option, in the template's order (multiple choice: a return may count in several)."
    )
    statistics: NumberStatistics | None = Field(None, description="Number questions: min, median and max of the answers.")


class QuestionnaireSummary(BaseModel):
    """What one respondent group's returns add up to. Free text appears only as counts."""

    respondent: Respondent
    template_id: str
    template_version: int
    sent: int | None = Field(description="How many were sent; null where unknown.")
    returned: int = Field(ge=0, description="Returns counted (withdrawn ones are not).")
    response_rate: float | None = Field(description="100 * returned / sent, unrounded; null where `sent` is unknown or zero.")
    over_returned: bool = Field(description="More returns than were sent: accepted and flagged, never capped.")
    questions: list[QuestionSummary]
    filters: dict[str, list[str]] = Field(
        {}, description="Case attributes the summary is restricted to (returns linked to such cases); empty: every return."
    )


class QuestionnaireSplitGroup(BaseModel):
    value: str | None = Field(
        description="The split question's answer or the case attribute's value; null: returns without one "
        "(the question not answered, or an anonymous return)."
    )
    summary: QuestionnaireSummary


class QuestionnaireSplit(BaseModel):
    """The same summary side by side for each value of a question or case attribute (a disaggregated report)."""

    by: str = Field(description="The question id or case attribute split on.")
    groups: list[QuestionnaireSplitGroup]


# --- templates --------------------------------------------------------------------------------


class QuestionType(StrEnum):
    yes_no = "yes_no"
    scale = "scale"  # an ordered agreement scale: options from one end to the other
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    number = "number"
    free_text = "free_text"


YES_NO = ["yes", "no"]
# Types whose answer is one option: what skip logic and a split may depend on.
ONE_OPTION_TYPES = frozenset({QuestionType.yes_no, QuestionType.scale, QuestionType.single_choice})
CHOICE_TYPES = ONE_OPTION_TYPES | {QuestionType.multiple_choice}
MULTIPLE_CHOICE_SEPARATOR = ";"  # how a spreadsheet cell lists several options


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuestionText(_Document):
    en: str = Field(min_length=1, description="English.")
    cy: str | None = Field(None, min_length=1, description="Welsh, where given (bilingual forms for Welsh areas).")


class ShowIf(_Document):
    question: str = Field(description="An earlier question of the template, answered with one option.")
    equals: str = Field(description="The answer to it that shows this question.")


class TemplateQuestion(_Document):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    text: QuestionText
    type: QuestionType
    options: list[str] = Field([], description="The allowed answers; yes_no questions have yes and no.")
    required: bool = False
    show_if: ShowIf | None = Field(
        None, description="Answered only when that earlier answer equals the value; otherwise it must be left out."
    )
    min: int | None = Field(None, description="Number questions: the smallest allowed answer.")
    max: int | None = Field(None, description="Number questions: the largest allowed answer.")
    max_length: int | None = Field(None, ge=1, le=20000, description="Free-text questions: the longest answer, in characters.")

    @model_validator(mode="before")
    @classmethod
    def _yes_no_options(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("type") == QuestionType.yes_no and "options" not in data:
            return {**data, "options": YES_NO}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> "TemplateQuestion":
        problems = []
        if self.type == QuestionType.yes_no and self.options != YES_NO:
            problems.append("a yes_no question's options are yes and no")
        if self.type in CHOICE_TYPES - {QuestionType.yes_no}:
            if len(self.options) < 2:
                problems.append("needs at least two options")
            if len(set(self.options)) != len(self.options):
                problems.append("repeats an option")
            if any(not option.strip() or MULTIPLE_CHOICE_SEPARATOR in option for option in self.options):
                problems.append(f"options must be non-blank and free of {MULTIPLE_CHOICE_SEPARATOR!r}")
        elif self.type not in CHOICE_TYPES and self.options:
            problems.append(f"a {self.type.value} question has no options")
        if self.type != QuestionType.number and (self.min is not None or self.max is not None):
            problems.append("only number questions have min and max")
        if self.min is not None and self.max is not None and self.min > self.max:
            problems.append("min is above max")
        if self.type == QuestionType.free_text and self.max_length is None:
            problems.append("a free_text question needs max_length")
        if self.type != QuestionType.free_text and self.max_length is not None:
            problems.append("only free_text questions have max_length")
        if problems:
            raise ValueError(f"question {self.id}: " + "; ".join(problems))
        return self


class QuestionnaireTemplate(_Document):
    """A versioned questionnaire for one respondent group; a stored version is never edited."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    version: int = Field(ge=1)
    respondent: Respondent
    title: str = Field(min_length=1)
    names_cases: bool = Field(
        description="Whether a return may name the sample case it came from; victims' returns are always anonymous."
    )
    questions: list[TemplateQuestion] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "QuestionnaireTemplate":
        problems = []
        if self.respondent == Respondent.victim and self.names_cases:
            problems.append("victims' returns are anonymous: names_cases must be false")
        earlier: dict[str, TemplateQuestion] = {}
        for question in self.questions:
            if question.id in earlier:
                problems.append(f"question {question.id} appears twice")
            condition = question.show_if
            if condition is not None:
                shown_by = earlier.get(condition.question)
                if shown_by is None or shown_by.type not in ONE_OPTION_TYPES:
                    problems.append(f"question {question.id}: show_if names no earlier one-option question")
                elif condition.equals not in shown_by.options:
                    problems.append(f"question {question.id}: show_if equals {condition.equals!r}, not an option")
            earlier[question.id] = question
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def question(self, question_id: str) -> TemplateQuestion | None:
        return next((q for q in self.questions if q.id == question_id), None)


# --- distribution and returns -----------------------------------------------------------------


class DistributionPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sent: int | None = Field(strict=True, ge=0, le=1_000_000, description="How many were sent; null when unknown.")
    cases: list[UUID] | None = Field(None, max_length=10_000, description="The sample cases they were sent to, if known.")


class Distribution(BaseModel):
    """How many questionnaires of one respondent group were sent, and the template version its returns are checked against."""

    inspection_id: UUID
    respondent: Respondent
    template_id: str
    template_version: int = Field(description="Pinned when the distribution or the first return was recorded.")
    sent: int | None
    cases: list[UUID] | None
    version: int = Field(description="0 until a distribution is recorded (returns may come first); the ETag's version.")
    updated_at: datetime


# Printable ASCII, no spaces at either end: a key survives a spreadsheet's round trip unchanged.
RETURN_KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"

# An answer as it crosses the wire: checked against the template by the service (so one 422 names
# every bad answer), documented here.
AnswerValue = Annotated[
    Any,
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string", "description": "yes_no, scale, single_choice (an option) or free_text"},
                {"type": "integer", "description": "number"},
                {"type": "array", "items": {"type": "string"}, "description": "multiple_choice: options"},
            ]
        }
    ),
]


class ReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, AnswerValue] = Field(description="TemplateQuestion id to answer; unanswered questions are left out.")
    case_id: UUID | None = Field(None, description="The sample case the return came from; null: anonymous.")
    return_key: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        pattern=RETURN_KEY_PATTERN,
        description="The sender's own key for this return (a scan's id): the same key again with the same answers "
        "stores nothing new. Defaults to the Idempotency-Key, else the return's id.",
    )


class QuestionnaireReturn(BaseModel):
    """One return, raw: free text included. Only the raw-returns endpoints give it out."""

    id: UUID
    inspection_id: UUID
    respondent: Respondent
    template_id: str
    template_version: int
    return_key: str
    case_id: UUID | None
    answers: dict[str, AnswerValue]
    received_at: datetime
    withdrawn_at: datetime | None = Field(description="Set when withdrawn: kept, no longer counted.")


class ReturnImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[Any] = Field(
        max_length=20_000,
        description="Each a ReturnCreate, checked on its own: a bad row is stored not at all, the others still count.",
    )


class ReturnImportOutcome(StrEnum):
    created = "created"
    replayed = "replayed"  # a return with this return_key and these answers is stored already
    error = "error"


class ReturnImportRow(BaseModel):
    row: int = Field(description="1-based position of the row (CSV: data row, header not counted).")
    return_key: str | None
    outcome: ReturnImportOutcome
    return_id: UUID | None = None
    errors: list[FieldError] = []


class ReturnImportResult(BaseModel):
    created: int
    replayed: int
    errors: int
    rows: list[ReturnImportRow]
