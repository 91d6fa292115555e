"""Failures that once escaped as 500s, each now answered with its problem: a framework version the
scoring service does not have, an inspection stored without a sample mix, and If-None-Match as
RFC 9110 writes it."""

import uuid
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import insert, null, select, update
from sqlalchemy.exc import IntegrityError

from services.cases import models
from services.cases.app import create_app as create_cases
from services.cases.db import MIGRATIONS
from services.cases.settings import CasesSettings
from shared.db import create_engine
from shared.migrations import migrate
from shared.schemas.sampling import SampleMix
from tests.conftest import Stack, backends, create_postgres_databases, drop_postgres_databases, plan_inspection
from tests.helpers import LICENCE_CASE, PROBLEM, add_case, bearer, local_auth

UNKNOWN_VERSION = 99


async def _on_a_version_scoring_lacks(stack: Stack, gw: httpx.AsyncClient) -> tuple[dict, dict]:
    """An inspection (with one case) whose framework version the scoring service does not have, as
    a database restored from elsewhere, or a framework file taken away, could leave it."""
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    async with stack.apps["cases"].state.sessionmaker() as session, session.begin():
        await session.execute(
            update(models.Inspection)
            .where(models.Inspection.id == uuid.UUID(inspection["id"]))
            .values(framework_version=UNKNOWN_VERSION)
        )
    return inspection, case


def _assert_problem(response: httpx.Response, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == f"urn:omi:problem:{kind}"


async def test_cases_answers_502_when_scoring_lacks_an_inspections_framework(stack: Stack, gw: httpx.AsyncClient) -> None:
    inspection, case = await _on_a_version_scoring_lacks(stack, gw)
    url = f"/api/v1/inspections/{inspection['id']}/assessments"

    put = await gw.put(f"/api/v1/cases/{case['id']}/assessment", json={"answers": {"1.2.01": "yes"}})
    _assert_problem(put, 502, "bad-gateway")
    assert f"omi-2008 version {UNKNOWN_VERSION}" in put.json()["detail"]
    _assert_problem(await gw.post(f"{url}:import", json={"rows": [{"reference": "WM-001"}]}), 502, "bad-gateway")
    _assert_problem(await gw.get(url, params={"format": "csv"}), 502, "bad-gateway")
    # Nothing was stored, and what needs no framework still answers.
    assert (await gw.get(f"/api/v1/cases/{case['id']}/assessment")).status_code == 404
    assert (await gw.get(url)).json()["items"][0]["assessment"] is None


async def test_scoring_answers_404_for_an_inspection_on_a_framework_it_lacks(stack: Stack, gw: httpx.AsyncClient) -> None:
    inspection, _ = await _on_a_version_scoring_lacks(stack, gw)
    scores = f"/api/v1/inspections/{inspection['id']}/scores"

    for response in (
        await gw.get(scores),
        await gw.get(f"{scores}/breakdown", params={"by": "case_type"}),
        await gw.post(f"{scores}/snapshots", json={}),
    ):
        _assert_problem(response, 404, "not-found")
        assert f"omi-2008 version {UNKNOWN_VERSION}" in response.json()["detail"]
    assert (await gw.get(f"{scores}/snapshots")).json()["items"] == []


@pytest.fixture(params=backends())
async def fresh_cases_database(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """The URL of an empty database for the cases service, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'cases.db'}"
        return
    urls = await create_postgres_databases(uuid.uuid4().hex[:8])
    try:
        yield urls["cases"]
    finally:
        await drop_postgres_databases(urls)


def _inspection_row(sample_mix: object) -> dict:
    start = date(2008, 6, 9)
    return {
        "id": uuid.uuid4(),
        "area": "West Midlands",
        "country": "england",
        "fieldwork_start": start,
        "fieldwork_end": start,
        "framework_id": "omi-2008",
        "framework_version": 1,
        "status": "planned",
        "sample_mix": sample_mix,
    }


async def test_inspections_stored_without_a_sample_mix_get_the_standard_one(fresh_cases_database: str, tmp_path) -> None:
    table = models.Inspection.__table__
    custom = SampleMix(case_types={"licence": 50, "community": 60, "custody": 0}).model_dump(mode="json")
    # SQL NULL, the JSON null (what a JSON column stores for None) and a mix of its own.
    rows = [_inspection_row(null()), _inspection_row(None), _inspection_row(custom)]
    engine = create_engine(fresh_cases_database)
    try:
        await migrate(engine, MIGRATIONS, "0003")
        async with engine.begin() as connection:
            await connection.execute(insert(table), rows)
            case = {"id": uuid.uuid4(), "inspection_id": rows[0]["id"]} | LICENCE_CASE
            await connection.execute(insert(models.Case.__table__).values(**case))
        await migrate(engine, MIGRATIONS)
        async with engine.connect() as connection:
            stored = dict((await connection.execute(select(table.c.id, table.c.sample_mix))).all())
            assert stored == {
                rows[0]["id"]: SampleMix().model_dump(mode="json"),
                rows[1]["id"]: SampleMix().model_dump(mode="json"),
                rows[2]["id"]: custom,
            }
            assert (await connection.execute(select(models.Case.__table__.c.reference))).scalars().all() == ["WM-001"]
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(insert(table), [_inspection_row(null())])
    finally:
        await engine.dispose()

    auth = local_auth(tmp_path / "keys")
    app = create_cases(CasesSettings(database_url=fresh_cases_database, migrate_on_start=True, auth=auth))
    async with LifespanManager(app):
        admin = bearer(auth, "test-admin", "admin")
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cases.test", headers=admin)
        for row in rows:
            inspection = await client.get(f"/api/v1/inspections/{row['id']}")
            assert inspection.status_code == 200, inspection.text
            assert inspection.json()["sample_mix"] == (custom if row is rows[2] else SampleMix().model_dump(mode="json"))
        composition = await client.get(f"/api/v1/inspections/{rows[0]['id']}/sample")
        assert composition.status_code == 200 and composition.json()["total"] == 1


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ("*", 304),
        ("{weak}", 304),
        ("{strong}", 304),  # weak comparison: W/"x" and "x" are the same representation
        ('"elsewhere",{weak}', 304),
        ('"elsewhere" ,  {strong}', 304),
        ('W/"elsewhere",\t{weak}', 304),
        ('"elsewhere"', 200),
        ('W/"elsewhere", "also-elsewhere"', 200),
        ("{stale}", 200),
    ],
)
async def test_the_bulk_read_answers_if_none_match_as_rfc_9110_writes_it(
    gw: httpx.AsyncClient, if_none_match: str, status: int
) -> None:
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/assessments"
    stale = (await gw.get(url)).headers["etag"]
    await add_case(gw, inspection["id"])
    etag = (await gw.get(url)).headers["etag"]
    assert etag.startswith('W/"') and etag != stale
    header = if_none_match.format(weak=etag, strong=etag.removeprefix("W/"), stale=stale)
    answer = await gw.get(url, headers={"If-None-Match": header})
    assert answer.status_code == status, header
    assert answer.headers["etag"] == etag
    if status == 304:
        assert answer.content == b""
    else:
        assert answer.json()["items"][0]["case"]["reference"] == "WM-001"
