"""Tables of the scoring service."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, Index
from sqlmodel import Column, Field, SQLModel

from shared.audit import AuditRecord
from shared.db import UtcDateTime, utcnow
from shared.idempotency import IdempotencyRecord
from shared.migrations import tables_of


class FrameworkDocument(SQLModel, table=True):
    """A framework version as loaded; never changed once stored."""

    __tablename__ = "framework_documents"

    id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    title: str = Field(max_length=300)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    sha256: str = Field(max_length=64)
    loaded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ScoreSnapshotRecord(SQLModel, table=True):
    """Scores frozen with the fingerprint of their assessments; rows are only ever inserted."""

    __tablename__ = "score_snapshots"
    # The newest snapshots of an inspection, found in one ranked query.
    __table_args__ = (Index("ix_score_snapshots_inspection_taken", "inspection_id", "taken_at", "id"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    inspection_id: UUID = Field(index=True)
    label: str | None = Field(None, max_length=200)
    framework_id: str = Field(max_length=64)
    framework_version: int
    assessments_sha256: str = Field(max_length=64)
    scores: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    taken_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


# What this service's migrations must create (tests/test_migrations.py compares them).
TABLES = tables_of(FrameworkDocument, ScoreSnapshotRecord, IdempotencyRecord, AuditRecord)
