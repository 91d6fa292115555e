"""The role matrix proved through the gateway: for every role and endpoint group, allowed, 403 (a role not
allowed what it can see) or 404 (what it may not see at all), and lists holding only what each role may see."""

from dataclasses import dataclass

import httpx
import pytest

from shared.access import ACTIONS, ENDPOINTS
from shared.auth import is_protected
from tests.conftest import Stack, plan_inspection
from tests.helpers import LICENCE_CASE, add_case

# Area assessors first: rows that create (a first assessment, an allocation) are then tried by them before it exists.
ROLES = ("area_assessor", "admin", "inspector", "system", "reader")
SUBJECTS = {"admin": "test-admin", "inspector": "insp-a", "area_assessor": "aa-a", "system": "sys-a", "reader": "reader-1"}
INSPECTION = {"area": "Dorset", "country": "england", "fieldwork_start": "2009-03-02", "framework_id": "omi-2008"}


@dataclass
class World:
    """Inspection a (inspector, area assessor and system on its team; case c1 allocated to the area assessor,
    c2 and c3 not), inspection b (no team) and a published inspection p."""

    a: str
    b: str
    p: str
    c1: str
    c2: str
    c3: str
    clients: dict[str, httpx.AsyncClient]


@pytest.fixture
async def world(stack: Stack, gw: httpx.AsyncClient) -> World:
    a, b, p = (await plan_inspection(gw))["id"], (await plan_inspection(gw))["id"], await plan_inspection(gw)
    published = await gw.patch(f"/api/v1/inspections/{p['id']}", json={"status": "published"}, headers={"If-Match": "*"})
    if published.status_code == 412:  # If-Match: * not taken: use the ETag read
        etag = (await gw.get(f"/api/v1/inspections/{p['id']}")).headers["etag"]
        published = await gw.patch(f"/api/v1/inspections/{p['id']}", json={"status": "published"}, headers={"If-Match": etag})
    assert published.status_code == 200, published.text
    for role in ("inspector", "area_assessor", "system"):
        put = await gw.put(f"/api/v1/inspections/{a}/team/{SUBJECTS[role]}", json={"role": role})
        assert put.status_code == 201, put.text
    c1, c2, c3 = [(await add_case(gw, a, reference=f"WM-{n}"))["id"] for n in (1, 2, 3)]
    allocated = await gw.put(f"/api/v1/cases/{c1}/allocation", json={"assessor": SUBJECTS["area_assessor"]})
    assert allocated.status_code == 201, allocated.text
    return World(a, b, p["id"], c1, c2, c3, {role: stack.client(role, SUBJECTS[role]) for role in ROLES})


def _all(status: int, **others: int) -> dict[str, int]:
    return {role: others.get(role, status) for role in ROLES}


NOT_READER = {"reader": 404}
OK = 0  # allowed: whatever the endpoint answers, it is not 401, 403 or 404 (its own checks are its tests')
# (action, method, path, body, expected status per role); {a}, {b}, {p}, {c1}, {c2}, {c3} name the world's ids.
MATRIX = [
    ("inspection.read", "GET", "/inspections/{a}", None, _all(200, reader=404)),
    ("inspection.read", "GET", "/inspections/{b}", None, _all(404, admin=200)),
    ("inspection.read", "GET", "/inspections/{p}", None, _all(404, admin=200, reader=200)),
    ("inspection.update", "PATCH", "/inspections/{a}", {"area": "X"}, _all(403, admin=428, inspector=428, reader=404)),
    ("inspection.create", "POST", "/inspections", INSPECTION, _all(403, admin=201, inspector=201)),
    ("case.create", "POST", "/inspections/{a}/cases", None, _all(201, area_assessor=403, reader=404)),
    ("case.create", "POST", "/inspections/{b}/cases", None, _all(404, admin=201)),
    ("case.read", "GET", "/cases/{c1}", None, _all(200, **NOT_READER)),
    ("case.read", "GET", "/cases/{c2}", None, _all(200, area_assessor=404, reader=404)),
    ("assessment.write", "PUT", "/cases/{c1}/assessment", {"answers": {}}, _all(428, area_assessor=201, reader=404)),
    ("assessment.write", "PUT", "/cases/{c2}/assessment", {"answers": {}}, _all(428, area_assessor=404, admin=201, reader=404)),
    ("assessment.read", "GET", "/cases/{c1}/assessment", None, _all(200, **NOT_READER)),
    ("assessment.read", "GET", "/cases/{c2}/assessment/history", None, _all(200, area_assessor=404, reader=404)),
    ("assessment.read", "GET", "/cases/{c1}/assessment/history/1", None, _all(200, **NOT_READER)),
    ("assessment.export", "GET", "/inspections/{a}/assessments", None, _all(200, area_assessor=403, reader=404)),
    ("assessment.import", "POST", "/inspections/{a}/assessments:import", {}, _all(422, area_assessor=403, reader=404)),
    ("assessment.changes", "POST", "/assessments:changes", {}, _all(403, admin=422)),
    ("sample.read", "GET", "/inspections/{a}/sample", None, _all(403, admin=200, inspector=200, reader=404)),
    ("sample.draw", "POST", "/inspections/{a}/sample:draw", {}, _all(403, admin=422, inspector=422, reader=404)),
    ("team.read", "GET", "/inspections/{a}/team", None, _all(403, admin=200, inspector=200, reader=404)),
    ("team.write", "PUT", "/inspections/{a}/team/new-1", {"role": "system"}, _all(403, admin=201, inspector=200, reader=404)),
    ("team.write", "PUT", "/inspections/{b}/team/new-1", {"role": "system"}, _all(404, admin=201)),
    ("team.write", "DELETE", "/inspections/{a}/team/new-1", None, _all(403, admin=204, inspector=404, reader=404)),
    (
        "allocation.write",
        "PUT",
        "/cases/{c3}/allocation",
        {"assessor": "aa-a"},
        _all(403, area_assessor=404, admin=201, inspector=200, reader=404),
    ),
    ("audit.read", "GET", "/audit", None, _all(403, admin=200)),
    ("audit.read", "GET", "/audit?inspection={a}", None, _all(403, admin=200, inspector=200, reader=404)),
    ("audit.read", "GET", "/audit?inspection={b}", None, _all(404, admin=200)),
    ("framework.read", "GET", "/frameworks", None, _all(200, reader=403)),
    ("framework.read", "GET", "/frameworks/omi-2008", None, _all(200, reader=403)),
    ("score.read", "GET", "/inspections/{a}/scores", None, _all(403, admin=200, inspector=200, reader=404)),
    ("score.read", "GET", "/inspections/{b}/scores", None, _all(404, admin=200)),
    ("score.read", "GET", "/inspections/{a}/scores/breakdown?by=tier", None, _all(403, admin=200, inspector=200, reader=404)),
    ("snapshot.create", "POST", "/inspections/{a}/scores/snapshots", {}, _all(403, admin=201, inspector=201, reader=404)),
    ("score.read", "GET", "/inspections/{a}/scores/snapshots", None, _all(403, admin=200, inspector=200, reader=404)),
    ("national.read", "GET", "/scores/national", None, _all(403, admin=200)),
    ("questionnaire.template.read", "GET", "/questionnaires/templates", None, _all(200, area_assessor=403, reader=403)),
    (
        "questionnaire.write",
        "PUT",
        "/inspections/{a}/questionnaires/offender",
        {"sent": 3},
        _all(403, admin=201, inspector=428, reader=404),
    ),
    ("questionnaire.read", "GET", "/inspections/{a}/questionnaires/offender", None, _all(200, area_assessor=403, reader=404)),
    ("questionnaire.read", "GET", "/inspections/{b}/questionnaires/offender", None, _all(404, admin=200)),
    (
        "questionnaire.return",
        "POST",
        "/inspections/{a}/questionnaires/offender/returns",
        {"answers": {}},
        _all(422, area_assessor=403, reader=404),
    ),
    ("narrative.read", "GET", "/inspections/{a}/narrative", None, _all(403, admin=OK, inspector=OK, reader=404)),
    ("narrative.read", "GET", "/inspections/{b}/narrative", None, _all(404, admin=OK)),
    ("narrative.write", "PUT", "/inspections/{a}/narrative/summary", {}, _all(403, admin=OK, inspector=OK, reader=404)),
    ("grade.write", "PUT", "/inspections/{a}/grades/4.1", {}, _all(403, admin=OK, inspector=OK, reader=404)),
    ("report.read", "GET", "/inspections/{a}/report", None, _all(403, admin=OK, inspector=OK, reader=404)),
    ("report.lifecycle", "GET", "/inspections/{a}/report/status", None, _all(403, admin=OK, inspector=OK, reader=404)),
    ("report.lifecycle", "POST", "/inspections/{a}/report:publish", None, _all(403, admin=OK, inspector=OK, reader=404)),
    ("report.comment", "GET", "/inspections/{a}/report/comments", None, _all(403, admin=OK, inspector=OK, reader=404)),
    ("timeline.read", "GET", "/inspections/{a}/timeline", None, _all(403, admin=OK, inspector=OK, reader=404)),
    ("timeline.write", "PUT", "/inspections/{a}/timeline/improvement_plan", {}, _all(403, admin=OK, inspector=OK, reader=404)),
    ("report.overdue", "GET", "/reports/overdue", None, _all(403, admin=OK)),
    ("inspection.list", "GET", "/inspections", None, _all(200)),
    ("case.list", "GET", "/inspections/{a}/cases", None, _all(200, reader=404)),
    ("case.list", "GET", "/inspections/{b}/cases", None, _all(404, admin=200)),
]


async def test_every_role_gets_what_the_matrix_says(world: World) -> None:
    ids = {name: getattr(world, name) for name in ("a", "b", "p", "c1", "c2", "c3")}
    wrong = []
    for number, (action, method, template, body, expected) in enumerate(MATRIX):
        path = "/api/v1" + template.format(**ids)
        for role in ROLES:
            if action == "case.create":
                body = LICENCE_CASE | {"reference": f"R-{number}-{role}"}
            response = await world.clients[role].request(method, path, json=body)
            allowed = expected[role] == OK and response.status_code not in (401, 403, 404)
            if response.status_code != expected[role] and not allowed:
                wrong.append(f"{role} {method} {template}: {response.status_code}, expected {expected[role]}")
            elif response.status_code in (401, 403, 404):
                assert response.headers["content-type"] == "application/problem+json"
    assert not wrong, "\n".join(wrong)


async def test_lists_hold_only_what_each_role_may_see(world: World) -> None:
    async def ids(role: str, path: str) -> set[str]:
        response = await world.clients[role].get(path)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids("admin", "/api/v1/inspections") == {world.a, world.b, world.p}
    for role in ("inspector", "area_assessor", "system"):
        assert await ids(role, "/api/v1/inspections") == {world.a}, role
    assert await ids("reader", "/api/v1/inspections") == {world.p}
    cases = f"/api/v1/inspections/{world.a}/cases"
    assert await ids("area_assessor", cases) == {world.c1}
    assert await ids("inspector", cases) == await ids("system", cases) == {world.c1, world.c2, world.c3}
    # An inspector who plans an inspection is on its team, and sees it listed.
    planned = await world.clients["inspector"].post("/api/v1/inspections", json=INSPECTION)
    assert planned.status_code == 201
    assert await ids("inspector", "/api/v1/inspections") == {world.a, planned.json()["id"]}
    team = await world.clients["inspector"].get(f"/api/v1/inspections/{planned.json()['id']}/team")
    assert [(m["subject"], m["role"]) for m in team.json()["items"]] == [("insp-a", "inspector")]


async def test_team_changes_take_effect_and_take_allocations_with_them(world: World, gw: httpx.AsyncClient) -> None:
    assessor = world.clients["area_assessor"]
    assert (await assessor.get(f"/api/v1/cases/{world.c1}")).status_code == 200
    bad = await gw.put(f"/api/v1/cases/{world.c2}/allocation", json={"assessor": "sys-a"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "assessor"
    assert (await gw.delete(f"/api/v1/inspections/{world.a}/team/aa-a")).status_code == 204
    assert (await assessor.get(f"/api/v1/cases/{world.c1}")).status_code == 404
    assert (await assessor.get(f"/api/v1/inspections/{world.a}")).status_code == 404
    assert (await gw.put(f"/api/v1/inspections/{world.a}/team/aa-a", json={"role": "area_assessor"})).status_code == 201
    assert (await assessor.get(f"/api/v1/inspections/{world.a}")).status_code == 200
    assert (await assessor.get(f"/api/v1/cases/{world.c1}")).status_code == 404  # the allocation went with them


def _operations(stack: Stack) -> list[tuple[str, str, str]]:
    """Every (service, method, path) a service publishes (its OpenAPI document lists the routes of every router)."""
    return [
        (name, method.upper(), path)
        for name, app in stack.apps.items()
        if name != "gateway"
        for path, item in app.openapi()["paths"].items()
        for method in item
    ]


def test_every_route_of_every_service_has_a_matrix_row(stack: Stack) -> None:
    operations = _operations(stack)
    assert len(operations) > 30  # the services' routes are all there
    missing = [
        f"{name}: {method} {path}" for name, method, path in operations if is_protected(path) and (method, path) not in ENDPOINTS
    ]
    assert not missing, "endpoints without an access rule (refused until given one):\n" + "\n".join(missing)
    assert {endpoint.action for endpoint in ENDPOINTS.values()} <= ACTIONS.keys()


def test_the_matrix_test_covers_every_action_of_an_existing_public_endpoint(stack: Stack) -> None:
    existing = {ENDPOINTS[(method, path)].action for _, method, path in _operations(stack) if path.startswith("/api/")}
    assert existing - {row[0] for row in MATRIX} == set()
