"""Writing a part: checked against the inspection's framework version (read from scoring), guarded by
If-Match once it exists, stored as its next version."""

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting import models
from services.reporting.logic import parts, upstream
from services.reporting.logic.upstream import Upstream
from shared.schemas.frameworks import Framework
from shared.schemas.narrative import Lang

Check = Callable[[Framework], None]
RequireIfMatch = Callable[[str], None]  # raises when If-Match does not name the current ETag


async def write(
    session: AsyncSession,
    up: Upstream,
    inspection_id: UUID,
    part: str,
    lang: Lang,
    content: BaseModel,
    check: Check,
    require_if_match: RequireIfMatch,
    author: str | None,
    now: datetime,
) -> tuple[models.NarrativePart, bool]:
    """The stored part and whether it was created (True) rather than changed."""
    _, framework = await upstream.framework_of(up, inspection_id)
    check(framework)
    existing = await parts.current(session, inspection_id, part, lang)
    if existing is not None:
        require_if_match(parts.part_etag(existing))
    row = await parts.store(session, inspection_id, part, lang, content.model_dump(mode="json"), author, existing, now)
    return row, existing is None


def no_check(_: Framework) -> None:
    """Parts the framework says nothing about (the foreword, the caseload, ...)."""
