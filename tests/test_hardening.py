"""Bad input and races end in a clear problem, never a 500, and nothing is half-written."""

import asyncio
import base64
import json

import httpx
import pytest

from services.gateway.logic import proxy
from tests.conftest import plan_inspection
from tests.helpers import LICENCE_CASE, PROBLEM, add_case, patch_with_current_etag


def cursor(*tagged: list[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(tagged)).encode()).decode().rstrip("=")


async def test_bad_values_are_422_not_500(gw: httpx.AsyncClient) -> None:
    base = {"area": "X", "country": "england", "fieldwork_start": "2008-06-09"}
    for body, field in [
        (base | {"fieldwork_start": "9999-12-30"}, "fieldwork_start"),
        (base | {"area": "West\x00Midlands"}, "area"),
        (base | {"framework_id": "../../../healthz"}, "framework_id"),
        (base | {"framework_version": 2**40}, "framework_version"),
        (base | {"sample_mix": {"case_types": {"licence": 2**70}}}, "sample_mix.case_types.licence"),
    ]:
        response = await gw.post("/api/v1/inspections", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert field in {e["field"] for e in response.json()["errors"]}, response.json()
    assert (await gw.get("/api/v1/inspections")).json()["items"] == []

    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    assert (await gw.get(f"/api/v1/cases/{case['id']}/assessment/history/{10**25}")).status_code == 422
    assert (await gw.get("/api/v1/frameworks/omi-2008", params={"version": 2**31})).status_code == 422
    for bad in (
        cursor(["int", "9" * 30], ["int", "1"]),
        cursor(["str", "x"], ["str", "y"]),
        cursor(["dt", "2008-01-01T00:00:00"], ["uuid", "00000000-0000-0000-0000-000000000000"]),
    ):
        response = await gw.get("/api/v1/inspections", params={"cursor": bad})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "cursor"
    nul = await gw.post(f"/api/v1/inspections/{inspection['id']}/cases", json=LICENCE_CASE | {"reference": "A\x00"})
    assert nul.status_code == 422


async def test_import_rejects_bad_rows_and_bad_envelopes_cleanly(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    await add_case(gw, inspection["id"])
    url = f"/api/v1/inspections/{inspection['id']}/assessments:import"
    for envelope, field in [
        ({"rows": [], "reason": {"a": 1}}, "reason"),
        ({"rows": [], "reason": "r" * 2001}, "reason"),
        ({"rows": [], "extra": 1}, "extra"),
        ({"rows": "no"}, "rows"),
    ]:
        response = await gw.post(url, json=envelope)
        assert response.status_code == 422 and field in {e["field"] for e in response.json()["errors"]}
    rows = [
        {"reference": 123},
        {**LICENCE_CASE, "reference": "N\x00", "answers": {}},
        {**LICENCE_CASE, "reference": "GOOD", "answers": {"1.2.01": "yes"}},
    ]
    result = (await gw.post(url, json={"rows": rows})).json()
    assert [r["outcome"] for r in result["rows"]] == ["rejected", "rejected", "created"]
    assert result["rows"][0]["reference"] is None

    csv_url = {"headers": {"content-type": "text/csv"}}
    ragged = await gw.post(url, content=b"reference,1.2.01\nWM-001,yes,extra\nGOOD,no\n", **csv_url)
    outcomes = [r["outcome"] for r in ragged.json()["rows"]]
    assert ragged.status_code == 200 and outcomes == ["rejected", "rejected"]  # GOOD changes without its version
    assert ragged.json()["rows"][0]["errors"][0]["type"] == "cells"
    huge = await gw.post(url, content=b"reference,1.2.01\n" + b"x" * 200_000 + b",yes\n", **csv_url)
    assert huge.status_code == 422 and huge.headers["content-type"] == PROBLEM
    mixed_case = await gw.post(
        url, content=b"Reference,Case_Type,ROH_LEVEL,tier,1.2.01\nNEW-1,Licence,Very High,4,yes\n", **csv_url
    )
    assert mixed_case.json()["created"] == 1, mixed_case.text
    draw = await gw.post(
        f"/api/v1/inspections/{inspection['id']}/sample:draw",
        params={"seed": 1},
        content=b"reference,case_type,roh_level,tier\n",
        **csv_url,
    )
    assert draw.status_code == 422 and draw.headers["content-type"] == PROBLEM


async def test_import_needs_the_version_to_change_an_assessment(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    await gw.put(f"/api/v1/cases/{case['id']}/assessment", json={"answers": {"1.2.01": "yes"}})
    url = f"/api/v1/inspections/{inspection['id']}/assessments:import"
    blind = (await gw.post(url, json={"rows": [{"reference": "WM-001", "answers": {"1.2.01": "no"}}]})).json()
    assert blind["rows"][0]["outcome"] == "rejected" and blind["rows"][0]["errors"][0]["field"] == "version"
    based = (await gw.post(url, json={"rows": [{"reference": "WM-001", "version": 1, "answers": {"1.2.01": "no"}}]})).json()
    assert based["rows"][0]["outcome"] == "updated" and based["rows"][0]["version"] == 2


async def test_racing_writers_get_conflicts_not_500s(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    url = f"/api/v1/cases/{case['id']}/assessment"
    first_puts = await asyncio.gather(*(gw.put(url, json={"answers": {"1.2.01": j}}) for j in ("yes", "no", "na")))
    codes = sorted(r.status_code for r in first_puts)
    assert codes.count(201) == 1 and set(codes) <= {201, 409, 412, 428}, codes
    history = (await gw.get(f"{url}/history")).json()["items"]
    assert len(history) == 1

    new_case_rows = {"rows": [{**LICENCE_CASE, "reference": "RACE", "answers": {"1.2.01": "yes"}}]}
    imports = await asyncio.gather(
        *(gw.post(f"/api/v1/inspections/{inspection['id']}/assessments:import", json=new_case_rows) for _ in range(3))
    )
    assert all(r.status_code in (200, 409) for r in imports), [r.status_code for r in imports]
    references = [c["reference"] for c in (await gw.get(f"/api/v1/inspections/{inspection['id']}/cases")).json()["items"]]
    assert references.count("RACE") == 1


async def test_racing_updates_of_one_version_leave_one_winner_and_412s(gw: httpx.AsyncClient) -> None:
    """Writers of the same If-Match: one stores the next version, the others are told it changed (412, not a
    conflict on the history row nor a 500), and nothing of theirs is stored."""
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    url = f"/api/v1/cases/{case['id']}/assessment"
    etag = (await gw.put(url, json={"answers": {"1.2.01": "yes"}})).headers["etag"]
    updates = await asyncio.gather(
        *(gw.put(url, json={"answers": {"1.2.01": j}}, headers={"If-Match": etag}) for j in ("no", "na", "yes", "no"))
    )
    codes = sorted(r.status_code for r in updates)
    assert codes == [200, 412, 412, 412], [r.text for r in updates]
    winner = next(r for r in updates if r.status_code == 200).json()
    history = (await gw.get(f"{url}/history")).json()["items"]
    assert [v["version"] for v in history] == [1, 2] and history[1]["answers"] == winner["answers"]
    assert (await gw.get(url)).json()["version"] == 2
    audit = (await gw.get("/api/v1/audit", params={"inspection": inspection["id"], "limit": "100"})).json()["items"]
    written = sorted((e["entity"], e["action"]) for e in audit if e["entity"].startswith("assessment"))
    assert written == [("assessment_versions", "create")] * 2 + [("assessments", "create"), ("assessments", "update")]


async def test_preconditions_are_strict_and_unchanged_patches_keep_the_etag(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}"
    etag = (await gw.get(url)).headers["etag"]
    assert (await gw.patch(url, json={}, headers={"If-Match": f"W/{etag}"})).status_code == 412
    same = await gw.patch(url, json={}, headers={"If-Match": etag})
    assert same.status_code == 200 and same.headers["etag"] == etag


async def test_idempotency_key_covers_the_query(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/assessments:import"
    body = b"reference,case_type,roh_level,tier,1.2.01\nQ-1,licence,high,4,yes\n"
    headers = {"content-type": "text/csv", "Idempotency-Key": "q-1"}
    first = await gw.post(url, content=body, headers=headers, params={"reason": "week 1"})
    assert first.status_code == 200
    other = await gw.post(url, content=body, headers=headers, params={"reason": "week 2"})
    assert other.status_code == 409


async def test_published_inspections_take_no_new_cases(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}"
    await patch_with_current_etag(gw, url, {"status": "published"})
    assert (await gw.post(f"{url}/cases", json=LICENCE_CASE)).status_code == 409


async def test_snapshots_of_unknown_inspections_and_bad_bodies(gw: httpx.AsyncClient) -> None:
    unknown = "/api/v1/inspections/00000000-0000-0000-0000-000000000000/scores/snapshots"
    assert (await gw.get(unknown)).status_code == 404
    inspection = await plan_inspection(gw)
    typo = await gw.post(f"/api/v1/inspections/{inspection['id']}/scores/snapshots", json={"labl": "x"})
    assert typo.status_code == 422


async def test_gateway_refuses_paths_that_would_land_elsewhere(gw: httpx.AsyncClient) -> None:
    for path in (
        "/api/v1/inspections/%2e%2e/%2e%2e/%2e%2e/openapi.json",
        "/api/v1/cases/..%2F..%2Freadyz",
        "/api/v1/inspections/%00",
        "/api/v1/frameworks/%2E/omi-2008",
    ):
        response = await gw.get(path)
        assert response.status_code == 400, (path, response.status_code)
        assert response.headers["content-type"] == PROBLEM
    # Literal dot segments never leave httpx (it resolves them); other clients can send them.
    for raw in (b"/api/v1/frameworks/./omi-2008", b"/api/v1/inspections/../cases"):
        with pytest.raises(proxy.UnsafePath):
            proxy.upstream_path(raw)
    assert proxy.upstream_path(b"/api/v1/inspections/abc%20d") == "/api/v1/inspections/abc%20d"
