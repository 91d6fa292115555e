"""The role matrix proved through the gateway: for every role and every public route of every service, a real
success (2xx with the body it should have) where the matrix allows it, and exactly 403 (a role not allowed what
it can see) or 404 (what it may not see at all) where it does not; lists hold only what each role may see; a
route without a matrix row is refused, and a route without a row here fails this test."""

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.routing import compile_path

from shared.access import ACTIONS, ENDPOINTS, authorize
from shared.auth import is_protected
from shared.testing.factories import generate_caseload
from tests.conftest import Stack, plan_inspection
from tests.helpers import LICENCE_CASE, add_case, publish_report
from tests.questionnaire_helpers import OFFENDER_BASE
from tests.test_narrative import PARTS, PERFORMANCE_CSV

# Area assessors first: rows that allocate are tried by them before the allocation exists.
ROLES = ("area_assessor", "admin", "inspector", "system", "reader")
SUBJECTS = {"admin": "test-admin", "inspector": "insp-a", "area_assessor": "aa-a", "system": "sys-a", "reader": "reader-1"}
INSPECTION = {"area": "Dorset", "country": "england", "fieldwork_start": "2009-03-02", "framework_id": "omi-2008"}
FINDINGS = {"strengths": ["One."], "areas_for_improvement": ["Two."], "conclusion": "priority for improvement"}
GRADE = {"grade": "satisfactorily_met", "narrative": "Active leadership.", "areas_for_improvement": ["Sickness."]}
COMMENT = {"section": "2.3", "text": "The victim figures leave out two cases."}
CSV = "text/csv"


@dataclass
class World:
    """Inspection a (inspector, area assessor and system on its team; case c1 allocated to the area assessor,
    c2 and c3 not; assessments, a snapshot, a questionnaire return, every narrative part, a grade, figures, its
    draft sent for comment with a comment), inspection b (no team) and p (the inspector on its team; its report
    published). ``ids`` are what paths name."""

    ids: dict[str, str]
    admin: httpx.AsyncClient
    clients: dict[str, httpx.AsyncClient]


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else {}


async def _write(gw: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    return await _ok(await gw.request(method, path, **kwargs))


async def _teams(stack: Stack, gw: httpx.AsyncClient) -> World:
    a, b, p = [(await plan_inspection(gw))["id"] for _ in range(3)]
    for role in ("inspector", "area_assessor", "system"):
        await _write(gw, "PUT", f"/api/v1/inspections/{a}/team/{SUBJECTS[role]}", json={"role": role})
    await _write(gw, "PUT", f"/api/v1/inspections/{p}/team/{SUBJECTS['inspector']}", json={"role": "inspector"})
    c1, c2, c3 = [(await add_case(gw, a, reference=f"WM-{n}"))["id"] for n in (1, 2, 3)]
    await _write(gw, "PUT", f"/api/v1/cases/{c1}/allocation", json={"assessor": SUBJECTS["area_assessor"]})
    ids = {"a": a, "b": b, "p": p, "c1": c1, "c2": c2, "c3": c3}
    return World(ids, gw, {role: stack.client(role, SUBJECTS[role]) for role in ROLES})


@pytest.fixture
async def world(stack: Stack, gw: httpx.AsyncClient) -> World:
    """The teams and cases, inspection p published as it stands (no report)."""
    made = await _teams(stack, gw)
    p = f"/api/v1/inspections/{made.ids['p']}"
    etag = (await gw.get(p)).headers["etag"]
    await _write(gw, "PATCH", p, json={"status": "published"}, headers={"If-Match": etag})
    return made


@pytest.fixture
async def full_world(stack: Stack, gw: httpx.AsyncClient) -> World:
    """The teams and cases with something behind every endpoint, p's report published."""
    made = await _teams(stack, gw)
    a, p, c1, c2 = (made.ids[k] for k in ("a", "p", "c1", "c2"))
    base = f"/api/v1/inspections/{a}"
    for case in (c1, c2):
        await _write(gw, "PUT", f"/api/v1/cases/{case}/assessment", json={"answers": {}})
    snapshot = await _write(gw, "POST", f"{base}/scores/snapshots", json={})
    offenders = f"{base}/questionnaires/offender"
    await _write(gw, "PUT", offenders, json={"sent": 3})
    returned = await _write(gw, "POST", f"{offenders}/returns", json={"answers": OFFENDER_BASE})
    for part, body in PARTS.items():
        await _write(gw, "PUT", f"{base}/narrative/{part}", json=body)
    await _write(gw, "PUT", f"{base}/narrative/criteria/1.1", json=FINDINGS)
    await _write(gw, "PUT", f"{base}/grades/4.1", json=GRADE)
    await _write(gw, "PUT", f"{base}/performance", content=PERFORMANCE_CSV, headers={"Content-Type": CSV})
    await _write(gw, "PUT", f"{base}/caseload", json={"total": 19679, "ppo_cases": 770})
    status = await gw.get(f"{base}/report/status")
    await _write(gw, "POST", f"{base}/report:send-for-comment", headers={"If-Match": status.headers["etag"]})
    comment = await _write(gw, "POST", f"{base}/report/comments", json=COMMENT)
    await add_case(gw, p)
    await publish_report(gw, p)
    made.ids |= {"s": snapshot["id"], "r": returned["id"], "cm": comment["id"]}
    return made


# What a success must hold: top-level keys of its JSON, or the start of its media type.
Shape = frozenset[str] | str
Before = Callable[[World, str], Awaitable[dict[str, str]]]


@dataclass(frozen=True)
class Row:
    """One request tried by every role: ``allowed`` roles must succeed with ``shape``; the others get
    ``denied`` (403 or 404 by role). ``guard``: a path whose ETag the write sends as If-Match; ``before``:
    what the admin sets up before each role's try (ids it returns are named in the path)."""

    method: str
    path: str
    allowed: tuple[str, ...]
    denied: dict[str, int]
    shape: Shape = frozenset()
    body: Any = None
    guard: str | None = None
    before: Before | None = None
    content_type: str | None = None
    params: dict[str, str] = field(default_factory=dict)


ALL = ("admin", "inspector", "system", "area_assessor")
EVERYONE = (*ALL, "reader")
WORKERS = ("admin", "inspector", "system")  # who handles cases and returns
LEADS = ("admin", "inspector")
ADMIN = ("admin",)
# The usual answers for an inspection's own work: seen by its team, not by the public.
NOT_AA_S = {"area_assessor": 403, "system": 403, "reader": 404}
NOT_AA = {"area_assessor": 403, "reader": 404}
UNSEEN = {"inspector": 404, "system": 404, "area_assessor": 404, "reader": 404}
NOT_ADMIN = {"inspector": 403, "system": 403, "area_assessor": 403, "reader": 403}


def on_b(row: Row) -> Row:
    """The same request on inspection b, whose team nobody is on: only the admin, everyone else 404."""
    return Row(
        row.method,
        row.path.replace("{a}", "{b}"),
        ADMIN,
        UNSEEN,
        row.shape,
        row.body,
        None,
        row.before,
        row.content_type,
        row.params,
    )


def _case(role: str, n: int) -> dict[str, Any]:
    return LICENCE_CASE | {"reference": f"R-{n}-{role}"}


def _imported(role: str, n: int) -> dict[str, Any]:
    return {"reason": "matrix", "rows": [LICENCE_CASE | {"reference": f"I-{n}-{role}", "answers": {}}]}


async def _member(world: World, _role: str) -> dict[str, str]:
    await _write(world.admin, "PUT", f"/api/v1/inspections/{world.ids['a']}/team/leaving", json={"role": "system"})
    return {}


async def _a_return(world: World, _role: str) -> dict[str, str]:
    url = f"/api/v1/inspections/{world.ids['a']}/questionnaires/offender/returns"
    return {"r2": (await _write(world.admin, "POST", url, json={"answers": OFFENDER_BASE}))["id"]}


async def _a_comment(world: World, _role: str) -> dict[str, str]:
    url = f"/api/v1/inspections/{world.ids['a']}/report/comments"
    return {"cm2": (await _write(world.admin, "POST", url, json=COMMENT))["id"]}


CASELOAD = [c.model_dump(mode="json") for c in generate_caseload(2_000, seed=5)]
DONE = {"done_at": datetime.now(UTC).isoformat()}
A, CASES = "/inspections/{a}", "/cases"
Q = "/inspections/{a}/questionnaires/offender"
ITEMS = frozenset({"items"})
LIST = "list"  # a JSON array with something in it
PART = frozenset({"part", "version"})  # a stored narrative part


def _rows() -> list[Row]:
    inspection = frozenset({"id", "area", "status"})
    case = frozenset({"id", "reference"})
    assessment = frozenset({"answers"})
    rows = [
        Row("POST", "/inspections", LEADS, {"system": 403, "area_assessor": 403, "reader": 403}, inspection, INSPECTION),
        Row("GET", "/inspections", EVERYONE, {}, ITEMS),
        Row("GET", A, ALL, {"reader": 404}, inspection),
        Row("GET", "/inspections/{p}", ("admin", "inspector", "reader"), {"area_assessor": 404, "system": 404}, inspection),
        Row("PATCH", A, LEADS, NOT_AA_S, inspection, {"area": "Dorset"}, guard=A),
        Row("POST", f"{A}/cases", WORKERS, NOT_AA, case, _case),
        Row("GET", f"{A}/cases", ALL, {"reader": 404}, ITEMS),
        Row("GET", f"{CASES}/{{c1}}", ALL, {"reader": 404}, case),
        Row("GET", f"{CASES}/{{c2}}", WORKERS, {"area_assessor": 404, "reader": 404}, case),
        Row("PUT", f"{CASES}/{{c1}}/assessment", ALL, {"reader": 404}, assessment, {"answers": {}}, f"{CASES}/{{c1}}/assessment"),
        Row(
            "PUT",
            f"{CASES}/{{c2}}/assessment",
            WORKERS,
            {"area_assessor": 404, "reader": 404},
            assessment,
            {"answers": {}},
            f"{CASES}/{{c2}}/assessment",
        ),
        Row("GET", f"{CASES}/{{c1}}/assessment", ALL, {"reader": 404}, assessment),
        Row("GET", f"{CASES}/{{c2}}/assessment/history", WORKERS, {"area_assessor": 404, "reader": 404}, ITEMS),
        Row("GET", f"{CASES}/{{c1}}/assessment/history/1", ALL, {"reader": 404}, assessment),
        Row("POST", f"{A}/assessments:import", WORKERS, NOT_AA, frozenset(), _imported),
        Row("GET", f"{A}/assessments", WORKERS, NOT_AA, frozenset()),
        Row("POST", "/assessments:changes", ADMIN, NOT_ADMIN, frozenset(), {"inspections": [{"inspection_id": "{a}"}]}),
        Row("GET", f"{A}/sample", LEADS, NOT_AA_S, frozenset({"total", "counts"})),
        Row(
            "POST", f"{A}/sample:draw", LEADS, NOT_AA_S, frozenset({"selected", "composition"}), {"seed": 1, "caseload": CASELOAD}
        ),
        Row("GET", f"{A}/team", LEADS, NOT_AA_S, ITEMS),
        Row("PUT", f"{A}/team/new-1", LEADS, NOT_AA_S, frozenset({"subject", "role"}), {"role": "system"}),
        Row("DELETE", f"{A}/team/leaving", LEADS, NOT_AA_S, before=_member),
        Row(
            "PUT",
            f"{CASES}/{{c3}}/allocation",
            LEADS,
            {"area_assessor": 404, "system": 403, "reader": 404},
            frozenset({"assessor"}),
            {"assessor": "aa-a"},
        ),
        Row("GET", "/audit", ADMIN, NOT_ADMIN, ITEMS),
        Row("GET", "/audit", LEADS, NOT_AA_S, ITEMS, params={"inspection": "{a}"}),
        Row("GET", "/audit", ADMIN, UNSEEN, ITEMS, params={"inspection": "{b}"}),
        Row("GET", "/frameworks", ALL, {"reader": 403}, LIST),
        Row("GET", "/frameworks/omi-2008", ALL, {"reader": 403}, frozenset({"id", "sections"})),
        Row("GET", f"{A}/scores", LEADS, NOT_AA_S, frozenset({"criteria"})),
        Row("GET", f"{A}/scores/breakdown", LEADS, NOT_AA_S, frozenset(), params={"by": "tier"}),
        Row("POST", f"{A}/scores/snapshots", LEADS, NOT_AA_S, frozenset({"id"}), {}),
        Row("GET", f"{A}/scores/snapshots", LEADS, NOT_AA_S, ITEMS),
        Row("GET", f"{A}/scores/snapshots/{{s}}", LEADS, NOT_AA_S, frozenset({"id"})),
        Row("GET", "/scores/national", ADMIN, NOT_ADMIN, frozenset()),
        Row("GET", "/questionnaires/templates", WORKERS, {"area_assessor": 403, "reader": 403}, LIST),
        Row("GET", "/questionnaires/templates/offender", WORKERS, {"area_assessor": 403, "reader": 403}, frozenset()),
        Row("PUT", Q, LEADS, NOT_AA_S, frozenset({"sent"}), {"sent": 4}, guard=f"{Q}/distribution"),
        Row("GET", Q, WORKERS, NOT_AA, frozenset()),
        Row("GET", f"{Q}/distribution", WORKERS, NOT_AA, frozenset({"sent"})),
        Row("GET", f"{Q}/returns", WORKERS, NOT_AA, ITEMS),
        Row("GET", f"{Q}/returns/{{r}}", WORKERS, NOT_AA, frozenset({"id", "answers"})),
        Row("POST", f"{Q}/returns", WORKERS, NOT_AA, frozenset({"id"}), {"answers": OFFENDER_BASE}),
        Row("POST", f"{Q}/returns:import", WORKERS, NOT_AA, frozenset(), {"rows": [{"answers": OFFENDER_BASE}]}),
        Row("DELETE", f"{Q}/returns/{{r2}}", WORKERS, NOT_AA, before=_a_return),
        Row("GET", f"{A}/narrative", LEADS, NOT_AA_S, frozenset()),
        Row("GET", f"{A}/narrative/summary/history", LEADS, NOT_AA_S, ITEMS),
        Row("GET", f"{A}/narrative/criteria/1.1", LEADS, NOT_AA_S, PART),
        Row(
            "PUT",
            f"{A}/narrative/criteria/1.1",
            LEADS,
            NOT_AA_S,
            PART,
            FINDINGS,
            f"{A}/narrative/criteria/1.1",
        ),
        Row("PUT", f"{A}/grades/4.1", LEADS, NOT_AA_S, frozenset({"grade"}), GRADE, f"{A}/grades/4.1"),
        Row("GET", f"{A}/grades", LEADS, NOT_AA_S, frozenset()),
        Row("GET", f"{A}/grades/4.1", LEADS, NOT_AA_S, frozenset({"grade"})),
        Row("GET", f"{A}/performance", LEADS, NOT_AA_S, frozenset()),
        Row("PUT", f"{A}/performance", LEADS, NOT_AA_S, frozenset(), PERFORMANCE_CSV, f"{A}/performance", content_type=CSV),
        Row("GET", f"{A}/caseload", LEADS, NOT_AA_S, PART),
        Row("PUT", f"{A}/caseload", LEADS, NOT_AA_S, PART, {"total": 19000}, f"{A}/caseload"),
        Row("GET", f"{A}/report", LEADS, NOT_AA_S, frozenset({"sections", "status"})),
        Row(
            "GET",
            "/inspections/{p}/report",
            ("admin", "inspector", "reader"),
            {"area_assessor": 404, "system": 404},
            frozenset({"sections"}),
        ),
        Row(
            "GET",
            "/inspections/{p}/report",
            ("admin", "inspector", "reader"),
            {"area_assessor": 404, "system": 404},
            "text/html",
            params={"format": "html"},
        ),
        Row("GET", f"{A}/report/status", LEADS, NOT_AA_S, frozenset({"status", "draft_number"})),
        Row("POST", f"{A}/report:send-for-comment", LEADS, NOT_AA_S, frozenset({"status"}), guard=f"{A}/report/status"),
        Row(
            "POST",
            "/inspections/{p}/report:publish",
            LEADS,
            {"area_assessor": 404, "system": 404, "reader": 403},
            frozenset({"status", "sha256"}),
        ),
        Row("POST", f"{A}/report/comments", LEADS, NOT_AA_S, frozenset({"id", "section"}), COMMENT),
        Row("GET", f"{A}/report/comments", LEADS, NOT_AA_S, ITEMS),
        Row(
            "PUT",
            f"{A}/report/comments/{{cm2}}/answer",
            LEADS,
            NOT_AA_S,
            frozenset({"outcome"}),
            {"outcome": "accepted"},
            before=_a_comment,
        ),
        Row("GET", f"{A}/timeline", LEADS, NOT_AA_S, frozenset()),
        Row(
            "PUT",
            "/inspections/{p}/timeline/improvement_plan",
            LEADS,
            {"area_assessor": 404, "system": 404, "reader": 403},
            frozenset(),
            DONE,
        ),
        Row("GET", "/reports/overdue", ADMIN, NOT_ADMIN, ITEMS),
    ]
    for part, body in PARTS.items():
        path = f"{A}/narrative/{part}"
        rows += [Row("GET", path, LEADS, NOT_AA_S, frozenset()), Row("PUT", path, LEADS, NOT_AA_S, frozenset(), body, path)]
    # Inspection b: the same reads and writes, only the admin's.
    on_team = [r for r in rows if "{a}" in r.path and r.before is None and r.method == "GET"]
    return rows + [on_b(r) for r in on_team[:6]] + [on_b(r) for r in rows if r.path == f"{A}/cases" and r.method == "POST"]


MATRIX = _rows()


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
