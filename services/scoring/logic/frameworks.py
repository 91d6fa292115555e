"""Framework documents: loaded from the repo's YAML files, stored once per version, never edited in place."""

from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.scoring import models
from shared.documents import store_version
from shared.errors import NotFound
from shared.schemas.frameworks import Framework


class FrameworkMissing(NotFound):
    """No stored framework of that id (and version)."""


def read_documents(directory: Path) -> list[Framework]:
    return [Framework.model_validate(yaml.safe_load(path.read_text())) for path in sorted(directory.glob("*.yaml"))]


async def store_documents(session: AsyncSession, frameworks: list[Framework]) -> None:
    for framework in frameworks:
        key = (framework.id, framework.version)
        await store_version(session, models.FrameworkDocument, "framework", framework, key, title=framework.title)


async def list_latest(session: AsyncSession) -> list[models.FrameworkDocument]:
    document_id, version = col(models.FrameworkDocument.id), col(models.FrameworkDocument.version)
    newest = select(document_id, func.max(version).label("version")).group_by(document_id).subquery()
    statement = (
        select(models.FrameworkDocument)
        .join(newest, (document_id == newest.c.id) & (version == newest.c.version))
        .order_by(document_id)
    )
    return list((await session.scalars(statement)).all())


Parsed = dict[tuple[str, int], Framework]  # a stored version never changes: parse it once


async def get(session: AsyncSession, framework_id: str, version: int | None = None, parsed: Parsed | None = None) -> Framework:
    parsed = {} if parsed is None else parsed
    if version is not None and (framework_id, version) in parsed:
        return parsed[(framework_id, version)]
    stored_version = col(models.FrameworkDocument.version)
    statement = select(models.FrameworkDocument).where(col(models.FrameworkDocument.id) == framework_id)
    if version is not None:
        statement = statement.where(stored_version == version)
    row = (await session.scalars(statement.order_by(stored_version.desc()).limit(1))).first()
    if row is None:
        raise FrameworkMissing(f"no framework {framework_id}" + (f" version {version}" if version is not None else ""))
    return parsed.setdefault((row.id, row.version), Framework.model_validate(row.document))
