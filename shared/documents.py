"""Versioned documents loaded at start-up (frameworks, questionnaire templates): each version stored once,
with the SHA-256 of its canonical JSON, and never edited in place."""

from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shared.canonical import canonical_sha256


class DocumentChanged(RuntimeError):
    """A stored version differs from its document: a change must be a new version."""


def fingerprint(document: BaseModel) -> str:
    return canonical_sha256(document.model_dump(mode="json"))


async def store_version(
    session: AsyncSession, table: type[Any], what: str, document: BaseModel, key: tuple[str, int], **columns: Any
) -> None:
    """Store ``document`` (``what``: how to name it) under ``key`` unless stored already; DocumentChanged
    when the stored one differs. ``columns``: the table's other columns."""
    digest = fingerprint(document)
    stored = await session.get(table, key)
    if stored is None:
        session.add(table(id=key[0], version=key[1], document=document.model_dump(mode="json"), sha256=digest, **columns))
    elif stored.sha256 != digest:
        raise DocumentChanged(
            f"{what} {key[0]} version {key[1]} differs from the stored one; publish the change as a new version"
        )
