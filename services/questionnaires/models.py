"""Tables of the questionnaires service: template versions as loaded, each inspection's questionnaire
per respondent group (its pinned template and distribution) and the returns."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, ForeignKeyConstraint, Index, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from shared.audit import AuditRecord
from shared.db import UtcDateTime, table_of, utcnow
from shared.idempotency import IdempotencyRecord
from shared.migrations import tables_of

__all__ = ["TABLES", "AuditRecord", "IdempotencyRecord", "Questionnaire", "QuestionnaireReturn", "TemplateDocument"]


class TemplateDocument(SQLModel, table=True):
    """A template version as loaded; never changed once stored."""

    __tablename__ = "questionnaire_templates"

    id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    respondent: str = Field(max_length=16)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    sha256: str = Field(max_length=64)
    loaded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Questionnaire(SQLModel, table=True):
    """One respondent group's questionnaire in an inspection: the template version its returns are
    checked against, and how many were sent (``version`` 0 until a distribution is recorded)."""

    __tablename__ = "questionnaires"

    inspection_id: UUID = Field(primary_key=True)
    respondent: str = Field(primary_key=True, max_length=16)
    template_id: str = Field(max_length=64)
    template_version: int
    sent: int | None = None
    # Case id -> the case's attributes when the distribution was recorded (filters count what was sent).
    cases: dict[str, Any] | None = Field(None, sa_column=Column(JSON, nullable=True))
    version: int = 0
    # Bumped by every write to its returns: summaries keep the counted returns read at a revision.
    revision: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class QuestionnaireReturn(SQLModel, table=True):
    """A completed questionnaire. Withdrawn ones stay (``withdrawn_at``) and are no longer counted."""

    __tablename__ = "questionnaire_returns"
    __table_args__ = (
        ForeignKeyConstraint(
            ["inspection_id", "respondent"],
            ["questionnaires.inspection_id", "questionnaires.respondent"],
            name="fk_returns_questionnaire",
        ),
        UniqueConstraint("inspection_id", "respondent", "return_key", name="uq_returns_key"),
        Index("ix_returns_listing", "inspection_id", "respondent", "received_at", "id"),
        Index("ix_returns_revision", "inspection_id", "respondent", "revision"),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    inspection_id: UUID
    respondent: str = Field(max_length=16)
    template_id: str = Field(max_length=64)
    template_version: int
    return_key: str = Field(max_length=255)
    # Of the answers and case: a key sent again with other content is refused, never stored twice.
    content_sha256: str = Field(max_length=64)
    case_id: UUID | None = None
    # The linked case's attributes as the cases service gave them: what summaries filter and split on.
    case_attributes: dict[str, Any] | None = Field(None, sa_column=Column(JSON, nullable=True))
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    withdrawn_at: datetime | None = Field(None, sa_type=UtcDateTime)
    # The questionnaire's revision after the write that stored or withdrew it.
    revision: int = 0


# What this service's migrations must create (tests/test_migrations.py compares them).
RETURNS = table_of(QuestionnaireReturn)  # written by statement
QUESTIONNAIRES = table_of(Questionnaire)  # its revision bumped by statement
TABLES = tables_of(IdempotencyRecord, TemplateDocument, Questionnaire, QuestionnaireReturn, AuditRecord)
