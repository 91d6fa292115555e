"""Tables of the reporting service: what inspectors write (each part with every earlier version), the
report's lifecycle with its frozen published bytes, and the area's comments on a draft."""

from datetime import datetime
from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy import JSON, Index, LargeBinary, Text
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Column, Field, SQLModel

from shared.audit import AuditRecord
from shared.db import UtcDateTime, utcnow
from shared.idempotency import IdempotencyRecord
from shared.migrations import tables_of

__all__ = [
    "TABLES",
    "AuditRecord",
    "IdempotencyRecord",
    "NarrativePart",
    "NarrativeVersion",
    "Report",
    "ReportComment",
    "ReportRendering",
]

NEUTRAL = ""  # the language of parts that hold figures, not text


def ordering(attribute: object) -> InstrumentedAttribute[Any]:
    """A model's column as the paginator's ordering key (SQLModel types class attributes as their values)."""
    return cast(InstrumentedAttribute[Any], attribute)


class NarrativePart(SQLModel, table=True):
    """The current version of one part (a narrative part, a grade, the performance data, ...)."""

    __tablename__ = "narrative_parts"

    inspection_id: UUID = Field(primary_key=True)
    part: str = Field(primary_key=True, max_length=64)
    lang: str = Field(primary_key=True, max_length=8)
    version: int
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_by: str | None = Field(None, max_length=200)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class NarrativeVersion(SQLModel, table=True):
    """Every version of every part, the current one included."""

    __tablename__ = "narrative_versions"

    inspection_id: UUID = Field(primary_key=True)
    part: str = Field(primary_key=True, max_length=64)
    lang: str = Field(primary_key=True, max_length=8)
    version: int = Field(primary_key=True)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_by: str | None = Field(None, max_length=200)
    updated_at: datetime = Field(sa_type=UtcDateTime)


class Report(SQLModel, table=True):
    """The report's lifecycle. ``document`` is set when publication begins (frozen with its hash and
    snapshot); ``status`` becomes published only once the cases service has accepted it."""

    __tablename__ = "reports"

    inspection_id: UUID = Field(primary_key=True)
    status: str = Field(max_length=32)
    draft_number: int = 1
    version: int = 1
    sent_for_comment_at: datetime | None = Field(None, sa_type=UtcDateTime)
    published_at: datetime | None = Field(None, sa_type=UtcDateTime)
    snapshot_id: UUID | None = None
    document: bytes | None = Field(None, sa_column=Column(LargeBinary, nullable=True))
    sha256: str | None = Field(None, max_length=64)
    improvement_plan_at: datetime | None = Field(None, sa_type=UtcDateTime)
    reinspection_at: datetime | None = Field(None, sa_type=UtcDateTime)
    roh_thread_score: float | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ReportComment(SQLModel, table=True):
    __tablename__ = "report_comments"
    __table_args__ = (Index("ix_report_comments_created_at_id", "inspection_id", "created_at", "id"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    inspection_id: UUID = Field(index=True)
    draft_number: int
    section: str = Field(max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_type=UtcDateTime)
    outcome: str | None = Field(None, max_length=16)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_at: datetime | None = Field(None, sa_type=UtcDateTime)
    version: int = 1


class ReportRendering(SQLModel, table=True):
    """A published report as served, in one language and one format (JSON, HTML, PDF): rendered once
    at publication, with the frozen document, and only read afterwards."""

    __tablename__ = "report_renderings"

    inspection_id: UUID = Field(primary_key=True)
    lang: str = Field(primary_key=True, max_length=8)
    media_type: str = Field(primary_key=True, max_length=64)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)


# What this service's migrations must create (tests/test_migrations.py compares them).
TABLES = tables_of(IdempotencyRecord, NarrativePart, NarrativeVersion, Report, ReportComment, ReportRendering, AuditRecord)
