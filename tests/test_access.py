"""The role matrix proved through the gateway: for every role and every public route of every service, a real
success (2xx with the body it should have) where the matrix allows it, and exactly 403 (a role not allowed what
it can see) or 404 (what it may not see at all) where it does not; lists hold only what each role may see; a
route without a matrix row is refused, and a route without a row here fails this test."""

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.routing import compile_path

from shared.access import ACTIONS, ENDPOINTS, authorize
from shared.auth import is_protected
from tests.access_matrix import (
    COMMENT,
    CSV,
    FINDINGS,
    GRADE,
    INSPECTION,
    LIST,
    MATRIX,
    ROLES,
    SUBJECTS,
    Row,
    Shape,
    World,
    call_ok,
)
from tests.conftest import Stack, plan_inspection
from tests.helpers import add_case, publish_report
from tests.questionnaire_helpers import OFFENDER_BASE
from tests.test_narrative import PARTS, PERFORMANCE_CSV


async def _teams(stack: Stack, gw: httpx.AsyncClient) -> World:
    a, b, p = [(await plan_inspection(gw))["id"] for _ in range(3)]
    for role in ("inspector", "area_assessor", "system"):
        await call_ok(gw, "PUT", f"/api/v1/inspections/{a}/team/{SUBJECTS[role]}", json={"role": role})
    await call_ok(gw, "PUT", f"/api/v1/inspections/{p}/team/{SUBJECTS['inspector']}", json={"role": "inspector"})
    c1, c2, c3 = [(await add_case(gw, a, reference=f"WM-{n}"))["id"] for n in (1, 2, 3)]
    await call_ok(gw, "PUT", f"/api/v1/cases/{c1}/allocation", json={"assessor": SUBJECTS["area_assessor"]})
    ids = {"a": a, "b": b, "p": p, "c1": c1, "c2": c2, "c3": c3}
    return World(ids, gw, {role: stack.client(role, SUBJECTS[role]) for role in ROLES})


@pytest.fixture
async def world(stack: Stack, gw: httpx.AsyncClient) -> World:
    """The teams and cases, inspection p published as it stands (no report)."""
    made = await _teams(stack, gw)
    p = f"/api/v1/inspections/{made.ids['p']}"
    etag = (await gw.get(p)).headers["etag"]
    await call_ok(gw, "PATCH", p, json={"status": "published"}, headers={"If-Match": etag})
    return made


@pytest.fixture
async def full_world(stack: Stack, gw: httpx.AsyncClient) -> World:
    """The teams and cases with something behind every endpoint, p's report published."""
    made = await _teams(stack, gw)
    a, p, c1, c2 = (made.ids[k] for k in ("a", "p", "c1", "c2"))
    base = f"/api/v1/inspections/{a}"
    for case in (c1, c2):
        await call_ok(gw, "PUT", f"/api/v1/cases/{case}/assessment", json={"answers": {}})
    snapshot = await call_ok(gw, "POST", f"{base}/scores/snapshots", json={})
    offenders = f"{base}/questionnaires/offender"
    await call_ok(gw, "PUT", offenders, json={"sent": 3})
    returned = await call_ok(gw, "POST", f"{offenders}/returns", json={"answers": OFFENDER_BASE})
    for part, body in PARTS.items():
        await call_ok(gw, "PUT", f"{base}/narrative/{part}", json=body)
    await call_ok(gw, "PUT", f"{base}/narrative/criteria/1.1", json=FINDINGS)
    await call_ok(gw, "PUT", f"{base}/grades/4.1", json=GRADE)
    await call_ok(gw, "PUT", f"{base}/performance", content=PERFORMANCE_CSV, headers={"Content-Type": CSV})
    await call_ok(gw, "PUT", f"{base}/caseload", json={"total": 19679, "ppo_cases": 770})
    status = await gw.get(f"{base}/report/status")
    await call_ok(gw, "POST", f"{base}/report:send-for-comment", headers={"If-Match": status.headers["etag"]})
    comment = await call_ok(gw, "POST", f"{base}/report/comments", json=COMMENT)
    await add_case(gw, p)
    await publish_report(gw, p)
    made.ids |= {"s": snapshot["id"], "r": returned["id"], "cm": comment["id"]}
    return made


def _fill(template: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), m.group(0)), template)


def _filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _fill(value, ids)
    if isinstance(value, dict):
        return {k: _filled(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, ids) for v in value]
    return value


def _succeeded(response: httpx.Response, shape: Shape) -> bool:
    if response.status_code not in (200, 201, 204):
        return False
    if shape == LIST:
        return isinstance(response.json(), list) and len(response.json()) > 0
    if isinstance(shape, str):
        return response.headers["content-type"].startswith(shape)
    if response.status_code == 204 or not shape:
        return True
    body = response.json()
    return isinstance(body, dict) and shape <= body.keys()


async def _try(world: World, number: int, row: Row, role: str) -> httpx.Response:
    ids = world.ids | (await row.before(world, role) if row.before else {})
    path, headers = "/api/v1" + _fill(row.path, ids), {}
    if row.guard:
        current = await world.admin.get("/api/v1" + _fill(row.guard, ids))
        if current.status_code == 200 and "etag" in current.headers:
            headers["If-Match"] = current.headers["etag"]
    body = row.body(role, number) if callable(row.body) else _filled(row.body, ids)
    params = _filled(row.params, ids)
    if row.content_type:
        headers["Content-Type"] = row.content_type
        return await world.clients[role].request(row.method, path, content=body, headers=headers, params=params)
    return await world.clients[role].request(row.method, path, json=body, headers=headers, params=params)


def test_every_row_names_every_role_once() -> None:
    for row in MATRIX:
        assert sorted((*row.allowed, *row.denied)) == sorted(ROLES), row
        assert set(row.denied.values()) <= {403, 404}, row


async def test_every_role_gets_what_the_matrix_says(full_world: World) -> None:
    world = full_world
    wrong = []
    for number, row in enumerate(MATRIX):
        for role in ROLES:
            response = await _try(world, number, row, role)
            where = f"{role} {row.method} {row.path} {row.params or ''}"
            if role in row.allowed:
                if not _succeeded(response, row.shape):
                    wrong.append(f"{where}: {response.status_code}, expected success with {row.shape}: {response.text[:160]}")
            elif response.status_code != row.denied[role]:
                wrong.append(f"{where}: {response.status_code}, expected {row.denied[role]}")
            elif response.headers["content-type"] != "application/problem+json":
                wrong.append(f"{where}: {response.status_code} is not problem+json")
    assert not wrong, "\n".join(wrong)


async def test_lists_hold_only_what_each_role_may_see(world: World) -> None:
    async def listed(role: str, path: str) -> set[str]:
        response = await world.clients[role].get(path)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    a, b, p, c1, c2, c3 = (world.ids[k] for k in ("a", "b", "p", "c1", "c2", "c3"))
    assert await listed("admin", "/api/v1/inspections") == {a, b, p}
    assert await listed("inspector", "/api/v1/inspections") == {a, p}
    for role in ("area_assessor", "system"):
        assert await listed(role, "/api/v1/inspections") == {a}, role
    assert await listed("reader", "/api/v1/inspections") == {p}
    cases = f"/api/v1/inspections/{a}/cases"
    assert await listed("area_assessor", cases) == {c1}
    assert await listed("inspector", cases) == await listed("system", cases) == {c1, c2, c3}
    # An inspector who plans an inspection is on its team, and sees it listed.
    planned = await world.clients["inspector"].post("/api/v1/inspections", json=INSPECTION)
    assert planned.status_code == 201
    assert await listed("inspector", "/api/v1/inspections") == {a, p, planned.json()["id"]}
    team = await world.clients["inspector"].get(f"/api/v1/inspections/{planned.json()['id']}/team")
    assert [(m["subject"], m["role"]) for m in team.json()["items"]] == [("insp-a", "inspector")]


async def test_team_changes_take_effect_and_take_allocations_with_them(world: World, gw: httpx.AsyncClient) -> None:
    a, c1, c2 = world.ids["a"], world.ids["c1"], world.ids["c2"]
    assessor = world.clients["area_assessor"]
    assert (await assessor.get(f"/api/v1/cases/{c1}")).status_code == 200
    bad = await gw.put(f"/api/v1/cases/{c2}/allocation", json={"assessor": "sys-a"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "assessor"
    assert (await gw.delete(f"/api/v1/inspections/{a}/team/aa-a")).status_code == 204
    assert (await assessor.get(f"/api/v1/cases/{c1}")).status_code == 404
    assert (await assessor.get(f"/api/v1/inspections/{a}")).status_code == 404
    assert (await gw.put(f"/api/v1/inspections/{a}/team/aa-a", json={"role": "area_assessor"})).status_code == 201
    assert (await assessor.get(f"/api/v1/inspections/{a}")).status_code == 200
    assert (await assessor.get(f"/api/v1/cases/{c1}")).status_code == 404  # the allocation went with them


def _operations(apps: dict[str, FastAPI]) -> list[tuple[str, str, str]]:
    """Every (service, method, path) a service publishes (its OpenAPI document lists the routes of every router)."""
    return [
        (name, method.upper(), path)
        for name, app in apps.items()
        if name != "gateway"
        for path, item in app.openapi()["paths"].items()
        for method in item
    ]


def without_rule(apps: dict[str, FastAPI]) -> list[str]:
    """Protected routes with no row in shared.access.ENDPOINTS."""
    return [f"{name}: {m} {path}" for name, m, path in _operations(apps) if is_protected(path) and (m, path) not in ENDPOINTS]


def untested(apps: dict[str, FastAPI]) -> list[str]:
    """Public routes no row of MATRIX requests."""
    tried = [(row.method, "/api/v1" + row.path) for row in MATRIX]
    return [
        f"{name}: {method} {path}"
        for name, method, path in _operations(apps)
        if path.startswith("/api/")
        and not any(m == method and compile_path(path)[0].match(_fill(tried_path, {})) for m, tried_path in tried)
    ]


@pytest.fixture
async def unlisted_route(stack: Stack) -> Any:
    """A route added to the cases service with no matrix row, for the duration of a test."""
    app = stack.apps["cases"]

    async def unlisted() -> dict[str, str]:
        return {"reached": "yes"}

    before = list(app.router.routes)

    # With the dependency every service puts in front of its routes (shared.service).
    app.router.add_api_route("/api/v1/cases/{case_id}/unlisted", unlisted, methods=["GET"], dependencies=[Depends(authorize)])
    app.openapi_schema = None
    yield app
    app.router.routes[:] = before
    app.openapi_schema = None


async def test_a_route_without_a_matrix_row_is_refused_and_fails_these_checks(
    stack: Stack, gw: httpx.AsyncClient, unlisted_route: FastAPI
) -> None:
    refused = await gw.get(f"/api/v1/cases/{uuid.uuid4()}/unlisted")
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json", refused.text
    assert without_rule(stack.apps) == ["cases: GET /api/v1/cases/{case_id}/unlisted"]
    assert untested(stack.apps) == ["cases: GET /api/v1/cases/{case_id}/unlisted"]


def test_every_route_of_every_service_has_a_matrix_row_and_a_row_here(stack: Stack) -> None:
    assert len(_operations(stack.apps)) > 80  # the services' routes are all there
    assert not without_rule(stack.apps), "endpoints without an access rule (refused until given one)"
    assert {endpoint.action for endpoint in ENDPOINTS.values()} <= ACTIONS.keys()
    assert not untested(stack.apps), "public endpoints no row of MATRIX proves"
