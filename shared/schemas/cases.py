"""Cases of the sample and their assessments, as they cross the wire."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from shared.schemas.common import Boolean, FieldError, Integer, Text
from shared.schemas.enums import AssessorRole, CaseType, Ethnicity, Gender, Judgement, RohLevel


def attribute_text(value: object) -> str:
    """A case attribute as text, the way query strings and spreadsheets write it: true or false, an
    enum's value, a number's digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "value", value))


class CaseAttributes(BaseModel):
    """What is known of a case before it is assessed: the attributes a sample is drawn on."""

    model_config = ConfigDict(extra="forbid")

    reference: Text = Field(min_length=1, max_length=64)
    case_type: CaseType
    roh_level: RohLevel
    tier: Integer = Field(ge=1, le=4)
    ppo: Boolean = False
    approved_premises: Boolean = False
    statutory_victim_contact: Boolean = False
    gender: Gender = Gender.unknown
    ethnicity: Ethnicity = Ethnicity.unknown


class CaseCreate(CaseAttributes):
    assessor_role: AssessorRole = AssessorRole.inspector


class Case(CaseCreate):
    id: UUID
    inspection_id: UUID
    created_at: datetime


# Judgements are checked together with the question ids (so one 422 names every bad entry at
# once); the schema still documents the three values.
JudgementText = Annotated[str, WithJsonSchema({"type": "string", "enum": [j.value for j in Judgement]})]
# Stored answers as plain strings: bulk reads carry tens of thousands, and enum members cost
# several times more to validate and serialise than a Literal checked in pydantic-core.
JudgementValue = Literal["yes", "no", "na"]
# Evidence is a note per question, not a document: bounded so one PUT cannot store megabytes.
EVIDENCE_MAX_CHARS = 10_000
Evidence = Annotated[Text, Field(max_length=EVIDENCE_MAX_CHARS)]
# A question id as frameworks write them (shared.schemas.frameworks.Question.id), and at most this many
# entries in answers or evidence: a framework has a few hundred questions, not a client's choice of keys.
QUESTION_ID_MAX_CHARS = 64
QUESTIONS_MAX = 1_000
QuestionKey = Annotated[str, Field(min_length=1, max_length=QUESTION_ID_MAX_CHARS)]
Answers = Annotated[dict[QuestionKey, JudgementText], Field(max_length=QUESTIONS_MAX)]
EvidenceNotes = Annotated[dict[QuestionKey, Evidence], Field(max_length=QUESTIONS_MAX)]


class AssessmentPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: Answers = Field(
        description=f"Question id to yes | no | na; unanswered questions are left out (at most {QUESTIONS_MAX} entries)."
    )
    evidence: EvidenceNotes = Field(
        {},
        description=f"Optional free-text evidence per question id: at most {EVIDENCE_MAX_CHARS:,} characters each.",
    )
    assessor: Text | None = Field(None, max_length=200)
    reason: Text | None = Field(None, max_length=2000, description="Why this version was stored.")


class _StoredAssessment(BaseModel):
    case_id: UUID
    inspection_id: UUID
    version: int
    answers: dict[str, JudgementValue]
    evidence: dict[str, str]
    assessor: str | None
    reason: str | None


class Assessment(_StoredAssessment):
    """A case's current assessment, with the framework version it was made against."""

    framework_id: str
    framework_version: int
    updated_at: datetime


class AssessmentVersion(_StoredAssessment):
    """One stored version of an assessment, as kept in its history."""

    created_at: datetime


class CaseAssessment(BaseModel):
    """A case of the sample with its current assessment (null when not yet assessed): the bulk read."""

    case: Case
    assessment: Assessment | None


class SampleSince(BaseModel):
    """One inspection of a changes read, and the revision of its sample the reader holds."""

    model_config = ConfigDict(extra="forbid")

    inspection_id: UUID
    since: Integer | None = Field(
        None,
        ge=0,
        le=2**31 - 1,
        description="A sample revision read before (an inspection's sample_revision, or a bulk read's Sample-Revision): "
        "only the cases written after it. Null: every case.",
    )


CHANGES_LIMIT = 2000  # cases in one changes answer, by default: about 5 MB of JSON
CHANGES_MAX_INSPECTIONS = 100


class AssessmentChangesQuery(BaseModel):
    """What changed in several inspections' samples, each since its own revision: one read in place of one per inspection."""

    model_config = ConfigDict(extra="forbid")

    inspections: list[SampleSince] = Field(
        min_length=1,
        max_length=CHANGES_MAX_INSPECTIONS,
        description=f"At most {CHANGES_MAX_INSPECTIONS}, each once; answered in this order, each that fits within `limit`.",
    )
    limit: Integer = Field(
        CHANGES_LIMIT,
        ge=1,
        le=5000,
        description="The most cases in one answer. Each inspection is answered whole or deferred, never cut.",
    )

    @field_validator("inspections")
    @classmethod
    def _each_once(cls, value: list[SampleSince]) -> list[SampleSince]:
        seen: set[UUID] = set()
        for entry in value:
            if entry.inspection_id in seen:
                raise ValueError(f"inspection {entry.inspection_id} is asked for twice")
            seen.add(entry.inspection_id)
        return value


class SampleChanges(BaseModel):
    """What changed in one inspection's sample."""

    inspection_id: UUID
    sample_revision: int = Field(description="The sample's revision when read: the next `since` for this inspection.")
    items: list[CaseAssessment] = Field(
        description="Every case written (or whose assessment was written) after `since` and up to `sample_revision`, "
        "with its current assessment (null if none). A case written since may be here already, and again next "
        "time: apply items by case id."
    )


class AssessmentChanges(BaseModel):
    """The answer to a changes read: every inspection asked is in exactly one of the three lists."""

    samples: list[SampleChanges] = Field(description="In the order asked.")
    deferred: list[UUID] = Field(
        description="Not answered, because their cases did not fit within `limit` after those answered: ask again "
        "for these. An inspection whose changes alone exceed `limit` is deferred every time: read it with "
        "GET /api/v1/inspections/{inspection_id}/assessments, which pages."
    )
    missing: list[UUID] = Field(description="No such inspection.")


class ImportRow(BaseModel):
    """One case of a bulk import: the case (attributes needed only for a case not yet in the sample) and its answers."""

    model_config = ConfigDict(extra="forbid")

    reference: Text = Field(min_length=1, max_length=64)
    case_type: CaseType | None = None
    roh_level: RohLevel | None = None
    tier: Integer | None = Field(None, ge=1, le=4)
    ppo: Boolean | None = None
    approved_premises: Boolean | None = None
    statutory_victim_contact: Boolean | None = None
    gender: Gender | None = None
    ethnicity: Ethnicity | None = None
    assessor_role: AssessorRole | None = None
    assessor: Text | None = Field(None, max_length=200)
    version: Integer | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description=(
            "The assessment version this row was based on: needed to change an existing assessment; a stale one is rejected."
        ),
    )
    answers: Answers = {}
    evidence: EvidenceNotes = {}


class AssessmentImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[ImportRow] = Field(description="Each row is checked on its own: a bad row is rejected, the others still count.")
    reason: Text | None = Field(None, max_length=2000)


class AssessmentImportEnvelope(AssessmentImport):
    """The import as read: the envelope is checked whole, each row on its own afterwards."""

    rows: list[Any]


class ImportOutcome(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    rejected = "rejected"


class ImportRowResult(BaseModel):
    row: int = Field(description="1-based position of the row in the import (CSV: data row, header not counted).")
    reference: str | None
    outcome: ImportOutcome
    case_id: UUID | None = None
    version: int | None = None
    errors: list[FieldError] = []


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: int
    rows: list[ImportRowResult]
