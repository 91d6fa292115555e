"""Teams, case allocation, a caller's standing and the audit trail as they cross the wire."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

# A token subject: what an OIDC provider puts in `sub` (opaque, printable, no slashes so it fits a path).
Subject = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9._:@|+-]+$")]
TeamRole = Literal["inspector", "area_assessor", "system"]


class TeamMemberPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: TeamRole = Field(description="What the subject does on this inspection's team.")


class TeamMember(BaseModel):
    inspection_id: UUID
    subject: Subject
    role: TeamRole
    added_at: datetime


class AllocationPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessor: Subject = Field(description="The area assessor (a team member) who assesses the case.")


class Allocation(BaseModel):
    case_id: UUID
    inspection_id: UUID
    assessor: Subject
    allocated_at: datetime


class StandingOut(BaseModel):
    """The caller's standing on an inspection (and a case of it): what other services decide access on."""

    inspection_id: UUID
    status: str
    team_role: str | None
    case_id: UUID | None = None
    allocated_to: str | None = None


class AuditEntry(BaseModel):
    at: datetime
    actor: str | None = Field(description="The token subject that wrote; null for the service itself (start-up).")
    role: str | None
    service: str
    entity: str = Field(description="The table written.")
    id: str | None = Field(description="The written row's key.")
    action: Literal["create", "update", "delete"]
    operation: str | None = Field(description="The request's action in the role matrix, e.g. sample.draw.")
    fields: list[str] = Field(description="Names of the fields written (never their values).")
    inspection_id: UUID | None
    request_id: str | None
    trace_id: str | None
    seq: int = Field(description="The record's number in its service.")
