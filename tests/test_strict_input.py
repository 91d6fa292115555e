"""Wire types are strict and bodies are read strictly: near-misses are 422s naming the field, nothing is stored."""

import httpx

from tests.conftest import plan_inspection
from tests.test_assessments import LICENCE_CASE, add_case

PROBLEM = "application/problem+json"
INSPECTION = {"area": "West Midlands", "country": "england", "fieldwork_start": "2008-06-09"}


def _fields(response: httpx.Response) -> set[str]:
    assert response.headers["content-type"] == PROBLEM, response.text
    return {error["field"] for error in response.json()["errors"]}


async def test_integers_booleans_and_dates_are_not_coerced(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    cases = f"/api/v1/inspections/{inspection['id']}/cases"
    for field, value in [
        ("tier", True),
        ("tier", "4"),
        ("tier", 4.0),
        ("ppo", "yes"),
        ("ppo", "on"),
        ("ppo", 1),
        ("approved_premises", "true"),
        ("statutory_victim_contact", 0),
    ]:
        response = await gw.post(cases, json=LICENCE_CASE | {field: value})
        assert response.status_code == 422, (field, value, response.text)
        assert _fields(response) == {field}, (field, value)
    assert (await gw.get(cases)).json()["items"] == []

    for value in (1212364800, "1212364800", "2008-06-09T00:00:00", "09/06/2008", "1989-12-31"):
        response = await gw.post("/api/v1/inspections", json=INSPECTION | {"fieldwork_start": value})
        assert response.status_code == 422, (value, response.text)
        assert _fields(response) == {"fieldwork_start"}
    for body, field in [
        ({"framework_version": "1"}, "framework_version"),
        ({"sample_mix": {"min_total": 110.0}}, "sample_mix.min_total"),
        ({"sample_mix": {"case_types": {"licence": "40"}}}, "sample_mix.case_types.licence"),
    ]:
        response = await gw.post("/api/v1/inspections", json=INSPECTION | body)
        assert response.status_code == 422 and _fields(response) == {field}, response.text
    listed = (await gw.get("/api/v1/inspections")).json()["items"]
    assert [i["id"] for i in listed] == [inspection["id"]]


async def test_query_parameters_still_parse_from_text(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    await add_case(gw, inspection["id"])
    listed = await gw.get("/api/v1/inspections", params={"fieldwork_from": "2008-01-01", "fieldwork_to": "2008-12-31"})
    assert [i["id"] for i in listed.json()["items"]] == [inspection["id"]]
    for number in ("1.4982321164498162e-121", "1212364800"):  # lax dates would read these as timestamps
        refused = await gw.get("/api/v1/inspections", params={"fieldwork_to": number})
        assert refused.status_code == 422 and _fields(refused) == {"fieldwork_to"}, refused.text
    breakdown = await gw.get(
        f"/api/v1/inspections/{inspection['id']}/scores/breakdown", params={"by": "tier", "tier": "4", "ppo": "false"}
    )
    assert breakdown.status_code == 200, breakdown.text


async def test_duplicate_keys_are_422_naming_the_key(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    cases = f"/api/v1/inspections/{inspection['id']}/cases"
    headers = {"content-type": "application/json"}
    body = '{"reference": "WM-1", "case_type": "licence", "roh_level": "high", "tier": 99, "tier": 2}'
    response = await gw.post(cases, content=body, headers=headers)
    assert response.status_code == 422 and _fields(response) == {"tier"}, response.text
    nested = '{"area": "X", "country": "england", "fieldwork_start": "2008-06-09", '
    nested += '"sample_mix": {"min_total": 1, "min_total": 110}}'
    response = await gw.post("/api/v1/inspections", content=nested, headers=headers)
    assert response.status_code == 422 and _fields(response) == {"min_total"}, response.text
    # Bodies read by hand (JSON or CSV endpoints) are read the same way.
    draw = '{"seed": 1, "seed": 2, "caseload": []}'
    response = await gw.post(f"/api/v1/inspections/{inspection['id']}/sample:draw", content=draw, headers=headers)
    assert response.status_code == 422 and _fields(response) == {"seed"}, response.text
    imported = '{"rows": [], "rows": []}'
    response = await gw.post(f"/api/v1/inspections/{inspection['id']}/assessments:import", content=imported, headers=headers)
    assert response.status_code == 422 and _fields(response) == {"rows"}, response.text
    assert (await gw.get(cases)).json()["items"] == []
    assert len((await gw.get("/api/v1/inspections")).json()["items"]) == 1


async def test_unreadable_bodies_are_400_problems_with_errors(gw: httpx.AsyncClient) -> None:
    headers = {"content-type": "application/json"}
    for body, kind in [
        (b'{"area": "\xff\xfe"}', "utf8_invalid"),
        (b"[" * 10_000 + b"]" * 10_000, "json_too_deep"),
        (b'{"a": ' * 10_000 + b"1" + b"}" * 10_000, "json_too_deep"),
    ]:
        response = await gw.post("/api/v1/inspections", content=body, headers=headers)
        assert response.status_code == 400, response.text
        problem = response.json()
        assert response.headers["content-type"] == PROBLEM
        assert problem["type"] == "urn:omi:problem:bad-request"
        assert [(e["field"], e["type"]) for e in problem["errors"]] == [("body", kind)]
    for body in (b'{"area": NaN}', b'{"tier": 1' + b"0" * 5000 + b"}", b"{"):
        response = await gw.post("/api/v1/inspections", content=body, headers=headers)
        assert response.status_code == 422 and _fields(response) == {"body"}, response.text
    assert (await gw.get("/api/v1/inspections")).json()["items"] == []


async def test_published_schema_carries_the_enforced_constraints(gw: httpx.AsyncClient) -> None:
    document = (await gw.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    create = schemas["InspectionCreate"]["properties"]
    assert create["area"]["maxLength"] == 200
    assert create["area"]["pattern"] == r"^[^\u0000]*$"
    assert create["fieldwork_start"]["format"] == "date"
    assert create["fieldwork_start"]["pattern"].startswith("^(199[0-9]|")
    assert schemas["CaseCreate"]["properties"]["tier"] == {"type": "integer", "maximum": 4, "minimum": 1, "title": "Tier"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation:
                assert "400" in operation["responses"], (method, path)
                assert "bad-request" in operation["responses"]["400"]["description"]
