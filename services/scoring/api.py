"""Routers of the scoring service."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.scoring.logic import frameworks
from shared.db import SessionDep
from shared.problems import ProblemError, problems
from shared.schemas.frameworks import Framework, FrameworkSummary

router = APIRouter(prefix="/api/v1")


@router.get("/frameworks", response_model=list[FrameworkSummary], tags=["frameworks"])
async def list_frameworks(session: SessionDep) -> list[FrameworkSummary]:
    return [FrameworkSummary(id=r.id, version=r.version, title=r.title) for r in await frameworks.list_latest(session)]


@router.get("/frameworks/{framework_id}", response_model=Framework, tags=["frameworks"], responses=problems(404))
async def get_framework(
    framework_id: str, session: SessionDep,
    version: Annotated[int | None, Query(ge=1, description="A stored version; the newest by default.")] = None,
) -> Framework:
    try:
        return await frameworks.get(session, framework_id, version)
    except frameworks.FrameworkMissing as exc:
        raise ProblemError(404, "Not Found", f"no framework {exc}", kind="not-found") from exc
