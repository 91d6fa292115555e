"""The role matrix as the access test tries it: every public route of every service as a row (who must succeed,
with what body, and who gets 403 or 404), and the world of inspections, teams and data the rows are tried on."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.testing.factories import generate_caseload
from tests.helpers import LICENCE_CASE
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


async def ok_json(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else {}


async def call_ok(gw: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    return await ok_json(await gw.request(method, path, **kwargs))


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
    await call_ok(world.admin, "PUT", f"/api/v1/inspections/{world.ids['a']}/team/leaving", json={"role": "system"})
    return {}


async def _a_return(world: World, _role: str) -> dict[str, str]:
    url = f"/api/v1/inspections/{world.ids['a']}/questionnaires/offender/returns"
    return {"r2": (await call_ok(world.admin, "POST", url, json={"answers": OFFENDER_BASE}))["id"]}


async def _a_comment(world: World, _role: str) -> dict[str, str]:
    url = f"/api/v1/inspections/{world.ids['a']}/report/comments"
    return {"cm2": (await call_ok(world.admin, "POST", url, json=COMMENT))["id"]}


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
