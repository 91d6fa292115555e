"""Tables of the scoring service."""

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Column, Field, SQLModel

from shared.db import UtcDateTime, utcnow


class FrameworkDocument(SQLModel, table=True):
    """A framework version as loaded; never changed once stored."""

    __tablename__ = "framework_documents"

    id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    title: str = Field(max_length=300)
    document: dict = Field(sa_column=Column(JSON, nullable=False))
    sha256: str = Field(max_length=64)
    loaded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
