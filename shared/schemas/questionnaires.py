"""Wire shapes of questionnaires: respondents and the summary of their returns (what the report shows)."""

from enum import StrEnum

from pydantic import BaseModel, Field


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
