"""An assessment version's writes refused at the statement itself (the version changed, or the inspection was
published, after the request's checks): nothing of it is stored, no history row, no audit record, no revision,
on each backend (on PostgreSQL the one statement runs without a transaction to roll back). Only a writer racing
another for the same version can leave a spare revision on PostgreSQL (services/cases/logic/assessment_writes.py)."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.cases import models
from services.cases.logic import assessment_writes
from shared.audit import RECORDS
from shared.db import utcnow
from shared.errors import Conflict, PreconditionFailed
from tests.conftest import Stack, plan_inspection
from tests.helpers import add_case, patch_with_current_etag


async def _stored(stack: Stack, inspection_id: uuid.UUID, case_id: uuid.UUID) -> dict[str, Any]:
    async with stack.apps["cases"].state.sessionmaker() as session:
        versions = await session.scalar(
            select(func.count()).select_from(models.ASSESSMENT_VERSIONS).where(models.ASSESSMENT_VERSIONS.c.case_id == case_id)
        )
        records = await session.scalar(
            select(func.count()).select_from(RECORDS).where(RECORDS.c.entity.in_(["assessments", "assessment_versions"]))
        )
        revision = await session.scalar(
            select(models.INSPECTIONS.c.sample_revision).where(models.INSPECTIONS.c.id == inspection_id)
        )
        return {"versions": versions, "records": records, "revision": revision}


async def _store(stack: Stack, version: assessment_writes.Version) -> None:
    """As a request does (shared.db.get_session): prepared, written, committed, or rolled back when refused."""
    async with stack.apps["cases"].state.sessionmaker() as session:
        try:
            await assessment_writes.prepare(session)
            await assessment_writes.store(session, version)
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


def _version(inspection_id: uuid.UUID, case_id: uuid.UUID, existing: int | None) -> assessment_writes.Version:
    submitted = {"answers": {"1.2.01": "no"}, "evidence": {}, "assessor": None, "reason": None}
    return assessment_writes.Version(case_id, inspection_id, "omi-2008", 1, existing, submitted, utcnow())


async def test_a_stale_version_writes_nothing(stack: Stack, gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    url = f"/api/v1/cases/{case['id']}/assessment"
    first = await gw.put(url, json={"answers": {"1.2.01": "yes"}})
    assert (await gw.put(url, json={"answers": {}}, headers={"If-Match": first.headers["etag"]})).status_code == 200
    ids = uuid.UUID(inspection["id"]), uuid.UUID(case["id"])
    before = await _stored(stack, *ids)
    with pytest.raises(PreconditionFailed):
        await _store(stack, _version(*ids, existing=1))  # the version read before the second write
    assert await _stored(stack, *ids) == before
    assert (await gw.get(url)).json()["version"] == 2


async def test_a_first_write_to_an_inspection_published_meanwhile_writes_nothing(stack: Stack, gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    published = await patch_with_current_etag(gw, f"/api/v1/inspections/{inspection['id']}", {"status": "published"})
    assert published.status_code == 200
    ids = uuid.UUID(inspection["id"]), uuid.UUID(case["id"])
    before = await _stored(stack, *ids)
    with pytest.raises(Conflict):
        await _store(stack, _version(*ids, existing=None))  # past the request's own status check
    assert await _stored(stack, *ids) == before


async def test_an_update_to_an_inspection_published_meanwhile_is_409_and_writes_nothing(
    stack: Stack, gw: httpx.AsyncClient
) -> None:
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    assert (await gw.put(f"/api/v1/cases/{case['id']}/assessment", json={"answers": {"1.2.01": "yes"}})).status_code == 201
    published = await patch_with_current_etag(gw, f"/api/v1/inspections/{inspection['id']}", {"status": "published"})
    assert published.status_code == 200
    ids = uuid.UUID(inspection["id"]), uuid.UUID(case["id"])
    before = await _stored(stack, *ids)
    with pytest.raises(Conflict):
        await _store(stack, _version(*ids, existing=1))  # the current version, past the request's status check
    assert await _stored(stack, *ids) == before
