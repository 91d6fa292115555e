"""Cases of the sample and their assessments, as they cross the wire."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.enums import AssessorRole, CaseType, Ethnicity, Gender, Judgement, RohLevel


class CaseAttributes(BaseModel):
    """What is known of a case before it is assessed: the attributes a sample is drawn on."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=64)
    case_type: CaseType
    roh_level: RohLevel
    tier: int = Field(ge=1, le=4)
    ppo: bool = False
    approved_premises: bool = False
    statutory_victim_contact: bool = False
    gender: Gender = Gender.unknown
    ethnicity: Ethnicity = Ethnicity.unknown


class CaseCreate(CaseAttributes):
    assessor_role: AssessorRole = AssessorRole.inspector


class Case(CaseCreate):
    id: UUID
    inspection_id: UUID
    created_at: datetime


class AssessmentPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Judgement]
    evidence: dict[str, str] = Field({}, description="Optional free-text evidence per question id.")
    assessor: str | None = Field(None, max_length=200)
    reason: str | None = Field(None, max_length=2000, description="Why this version was stored.")


class Assessment(BaseModel):
    case_id: UUID
    inspection_id: UUID
    framework_id: str
    framework_version: int
    version: int
    answers: dict[str, Judgement]
    evidence: dict[str, str]
    assessor: str | None
    reason: str | None
    updated_at: datetime
