"""Tables of the cases service: inspections, the case sample, assessments and their history."""

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from shared.audit import AuditRecord
from shared.db import UtcDateTime, table_of, utcnow
from shared.idempotency import IdempotencyRecord
from shared.migrations import tables_of


class Inspection(SQLModel, table=True):
    __tablename__ = "inspections"
    # The listing's keyset order.
    __table_args__ = (Index("ix_inspections_created_at_id", "created_at", "id"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    area: str = Field(max_length=200)
    country: str = Field(max_length=16)
    fieldwork_start: date
    fieldwork_end: date
    framework_id: str = Field(max_length=64)
    framework_version: int
    status: str = Field(max_length=16, index=True)
    sample_mix: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    version: int = 1
    # Bumped by every write to the case sample or its assessments; rows carry the value of their
    # last write, so a reader can ask for what changed since the revision it holds.
    sample_revision: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("inspection_id", "reference", name="uq_cases_inspection_reference"),
        # What changed in an inspection since a revision (the changes query).
        Index("ix_cases_inspection_revision", "inspection_id", "revision"),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    inspection_id: UUID = Field(foreign_key="inspections.id", index=True)
    reference: str = Field(max_length=64)
    case_type: str = Field(max_length=16)
    roh_level: str = Field(max_length=16)
    tier: int
    ppo: bool
    approved_premises: bool
    statutory_victim_contact: bool
    gender: str = Field(max_length=16)
    ethnicity: str = Field(max_length=16)
    assessor_role: str = Field(max_length=16)
    revision: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Assessment(SQLModel, table=True):
    """The current version of a case's assessment; every version is also in assessment_versions."""

    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_inspection_revision", "inspection_id", "revision"),)

    case_id: UUID = Field(foreign_key="cases.id", primary_key=True)
    inspection_id: UUID = Field(foreign_key="inspections.id", index=True)
    framework_id: str = Field(max_length=64)
    framework_version: int
    version: int
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    evidence: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    assessor: str | None = Field(None, max_length=200)
    reason: str | None = Field(None, sa_type=Text)
    revision: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class AssessmentVersion(SQLModel, table=True):
    __tablename__ = "assessment_versions"

    case_id: UUID = Field(foreign_key="cases.id", primary_key=True)
    version: int = Field(primary_key=True)
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    evidence: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    assessor: str | None = Field(None, max_length=200)
    reason: str | None = Field(None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class TeamMember(SQLModel, table=True):
    """Who works on an inspection, and as what (stored here, not carried in tokens)."""

    __tablename__ = "team_members"

    inspection_id: UUID = Field(foreign_key="inspections.id", primary_key=True)
    subject: str = Field(primary_key=True, max_length=255, index=True)
    role: str = Field(max_length=16)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class CaseAllocation(SQLModel, table=True):
    """The area assessor a case is allocated to."""

    __tablename__ = "case_allocations"

    case_id: UUID = Field(foreign_key="cases.id", primary_key=True)
    inspection_id: UUID = Field(foreign_key="inspections.id", index=True)
    assessor: str = Field(max_length=255, index=True)
    allocated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


# What this service's migrations must create (tests/test_migrations.py compares them).
# The tables the write paths and the standing read address by statement.
INSPECTIONS, CASES, ASSESSMENTS, ASSESSMENT_VERSIONS = map(table_of, (Inspection, Case, Assessment, AssessmentVersion))
TEAM_MEMBERS, CASE_ALLOCATIONS = map(table_of, (TeamMember, CaseAllocation))
TABLES = tables_of(Inspection, Case, Assessment, AssessmentVersion, IdempotencyRecord, TeamMember, CaseAllocation, AuditRecord)
