"""Idempotency-Key under a race: every concurrent repeat gets the first response, never a conflict."""

import asyncio

import httpx
from sqlalchemy import func, select

from services.cases import models
from tests.conftest import Stack, plan_inspection
from tests.test_assessments import LICENCE_CASE

CONCURRENT = 200


async def _count_cases(stack: Stack) -> int:
    async with stack.apps["cases"].state.sessionmaker() as session:
        return (await session.scalar(select(func.count()).select_from(models.Case))) or 0


async def test_concurrent_repeats_of_one_key_all_get_the_first_response(stack: Stack, gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/cases"
    headers = {"Idempotency-Key": "race-1"}
    responses = await asyncio.gather(*(gw.post(url, json=LICENCE_CASE, headers=headers) for _ in range(CONCURRENT)))
    assert [r.status_code for r in responses] == [201] * CONCURRENT, {r.status_code: r.text for r in responses}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == CONCURRENT - 1
    assert await _count_cases(stack) == 1

    # The same key with another body is still refused, also when it races.
    other = LICENCE_CASE | {"tier": 2}
    refused = await asyncio.gather(*(gw.post(url, json=other, headers=headers) for _ in range(20)))
    assert {r.status_code for r in refused} == {409}
    assert {r.json()["type"] for r in refused} == {"urn:omi:problem:idempotency-key-reused"}
    assert await _count_cases(stack) == 1


async def test_concurrent_inspection_plans_with_one_key_create_one(gw: httpx.AsyncClient) -> None:
    body = {"area": "West Midlands", "country": "england", "fieldwork_start": "2008-06-09"}
    headers = {"Idempotency-Key": "race-2"}
    responses = await asyncio.gather(*(gw.post("/api/v1/inspections", json=body, headers=headers) for _ in range(CONCURRENT)))
    assert [r.status_code for r in responses] == [201] * CONCURRENT, {r.status_code: r.text for r in responses}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len((await gw.get("/api/v1/inspections")).json()["items"]) == 1
