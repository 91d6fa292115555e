"""Inspections as they cross the wire."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.common import Integer, IsoDate, Text
from shared.schemas.enums import Country, InspectionStatus
from shared.schemas.sampling import SampleMix

# Bounded (IsoDate) so the fieldwork week, and every date derived from it, stays a real date.
FieldworkStart = IsoDate


class InspectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: Text = Field(min_length=1, max_length=200, examples=["West Midlands"])
    country: Country
    fieldwork_start: FieldworkStart = Field(description="First day of the fieldwork week.")
    framework_id: str = Field("omi-2008", pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    framework_version: Integer | None = Field(None, ge=1, le=2**31 - 1, description="Defaults to the framework's newest version.")
    sample_mix: SampleMix = Field(default_factory=SampleMix, description="How the case sample is composed.")


class InspectionUpdate(BaseModel):
    """PATCH body; needs If-Match. Status only moves forward: planned, fieldwork, reporting, published."""

    model_config = ConfigDict(extra="forbid")

    area: Text | None = Field(None, min_length=1, max_length=200)
    fieldwork_start: FieldworkStart | None = None
    status: InspectionStatus | None = None
    sample_mix: SampleMix | None = None


class Inspection(BaseModel):
    id: UUID
    area: str
    country: Country
    fieldwork_start: date
    fieldwork_end: date
    framework_id: str
    framework_version: int
    status: InspectionStatus
    sample_mix: SampleMix
    sample_revision: int = Field(
        description="Counts the writes to the sample's cases and assessments: a reader that keeps the sample asks only "
        "for what was written after the revision it holds (`since`). Not part of the inspection's own version: "
        "its ETag (for If-Match) changes only when the inspection itself does."
    )
    created_at: datetime
    updated_at: datetime
