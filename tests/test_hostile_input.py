"""Hostile input, as a table: each is a 4xx problem naming what was wrong, and nothing is stored.

SQL metacharacters are text like any other: where a field takes free text they are stored
verbatim (never executed); where it does not, they are a 422 naming the field.
"""

import json

import httpx
import pytest
from sqlalchemy import MetaData, func, literal, select, union_all

from shared.schemas.cases import QUESTION_ID_MAX_CHARS, QUESTIONS_MAX
from tests.conftest import SERVICES, Stack, plan_inspection
from tests.test_assessments import LICENCE_CASE, add_case

PROBLEM = "application/problem+json"
INSPECTION = {"area": "West Midlands", "country": "england", "fieldwork_start": "2008-06-09", "framework_id": "omi-2008"}
SQL = ["'; DROP TABLE cases; --", '" OR 1=1 --', "x' UNION SELECT * FROM idempotency_records --", "%_\\"]


_TABLES: dict[str, MetaData] = {}


async def _row_counts(stack: Stack) -> dict[str, int]:
    """The rows of every table of every service (the tables read once per database)."""
    counts = {}
    for service in SERVICES:
        engine = stack.apps[service].state.engine
        async with engine.connect() as connection:
            metadata = _TABLES.get(stack.database_urls[service])
            if metadata is None:
                metadata = _TABLES[stack.database_urls[service]] = MetaData()
                await connection.run_sync(metadata.reflect)
            tables = [t for t in metadata.sorted_tables if t.name != "alembic_version"]
            statement = union_all(*(select(literal(t.name), func.count()).select_from(t) for t in tables))
            for name, count in (await connection.execute(statement)).all():
                counts[f"{service}.{name}"] = count
    return counts


def _problem(response: httpx.Response, status_range: range = range(400, 500)) -> dict:
    assert response.status_code in status_range, (response.request.url, response.status_code, response.text[:500])
    assert response.headers["content-type"] == PROBLEM, response.text[:500]
    problem = response.json()
    assert problem["type"].startswith("urn:omi:problem:") and problem["status"] == response.status_code
    return problem


def _named(problem: dict) -> set[str]:
    return {error["field"] for error in problem.get("errors") or []}


@pytest.fixture
async def targets(gw: httpx.AsyncClient) -> dict[str, tuple[str, str, dict]]:
    """Each creating or changing endpoint: method, URL and a valid body."""
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    return {
        "inspection": ("POST", "/api/v1/inspections", INSPECTION),
        "case": ("POST", f"/api/v1/inspections/{inspection['id']}/cases", LICENCE_CASE | {"reference": "WM-002"}),
        "assessment": ("PUT", f"/api/v1/cases/{case['id']}/assessment", {"answers": {"1.2.01": "yes"}, "assessor": "A"}),
        "snapshot": ("POST", f"/api/v1/inspections/{inspection['id']}/scores/snapshots", {"label": "draft"}),
    }


STRING_FIELDS = {
    "inspection": {"area": "free", "framework_id": "constrained", "country": "constrained"},
    "case": {"reference": "free", "case_type": "constrained", "roh_level": "constrained", "gender": "constrained"},
    "assessment": {"assessor": "free", "reason": "free", "evidence.1.2.01": "free"},
    "snapshot": {"label": "free"},
}


def _with(body: dict, field: str, value: object) -> dict:
    if "." in field:
        outer, inner = field.split(".", 1)
        return body | {outer: {inner: value}}
    return body | {field: value}


async def test_nuls_over_long_text_huge_numbers_and_unknown_fields(stack: Stack, gw: httpx.AsyncClient, targets) -> None:
    before = await _row_counts(stack)
    table: list[tuple[str, str, object, str]] = []
    for target, fields in STRING_FIELDS.items():
        for field in fields:
            table.append((target, field, "bad\x00value", field.split(".")[0] if field.startswith("evidence") else field))
            table.append((target, field, "x" * 100_000, field.split(".")[0] if field.startswith("evidence") else field))
    table += [
        ("inspection", "framework_version", 10**30, "framework_version"),
        ("inspection", "framework_version", -1, "framework_version"),
        ("inspection", "fieldwork_start", "99999-01-01", "fieldwork_start"),
        ("case", "tier", 10**30, "tier"),
        ("case", "tier", 1e308, "tier"),
        ("inspection", "sample_mix", {"min_total": 2**63}, "sample_mix.min_total"),
        ("inspection", "unknown", 1, "unknown"),
        ("case", "id", "00000000-0000-0000-0000-000000000000", "id"),
        ("assessment", "version", 7, "version"),
        ("snapshot", "scores", {}, "scores"),
    ]
    for target, field, value, named in table:
        method, url, body = targets[target]
        response = await gw.request(method, url, json=_with(body, field, value))
        problem = _problem(response, range(422, 423))
        assert any(name == named or name.startswith(named + ".") for name in _named(problem)), (target, field, problem)
    assert await _row_counts(stack) == before


async def test_sql_metacharacters_are_text_or_refused(stack: Stack, gw: httpx.AsyncClient, targets) -> None:
    for target, fields in STRING_FIELDS.items():
        method, url, body = targets[target]
        for field, kind in fields.items():
            for number, value in enumerate(SQL):
                sent = _with(body, field, value)
                if target == "case" and field != "reference":
                    sent["reference"] = f"SQL-{field}-{number}"
                before = await _row_counts(stack)
                current = await gw.get(url) if target == "assessment" else None
                headers = {"If-Match": current.headers["etag"]} if current is not None and current.status_code == 200 else {}
                response = await gw.request(method, url, json=sent, headers=headers)
                if kind == "constrained":
                    assert field in _named(_problem(response, range(422, 423))), (target, field, value)
                    assert await _row_counts(stack) == before
                    continue
                assert response.status_code in (200, 201), (target, field, response.text)
                stored = response.json()
                if field.startswith("evidence"):
                    assert stored["evidence"]["1.2.01"] == value
                else:
                    assert stored[field] == value
    # Every table is still there, and counted what was created.
    counts = await _row_counts(stack)
    assert counts["cases.cases"] >= 1 + len(SQL) and counts["cases.inspections"] >= 1 + len(SQL)


async def test_unreadable_bodies_wrong_media_types_paths_and_headers(stack: Stack, gw: httpx.AsyncClient, targets) -> None:
    before = await _row_counts(stack)
    _, cases_url, case = targets["case"]
    import_url = cases_url.removesuffix("/cases") + "/assessments:import"
    json_headers = {"content-type": "application/json"}
    requests: list[tuple[str, str, dict, bytes | None, str]] = [
        ("POST", cases_url, json_headers, b"\xff\xfe{}", "bad-request"),
        ("POST", cases_url, json_headers, b"[" * 10_000 + b"]" * 10_000, "bad-request"),
        # A keyed import: its body is fingerprinted (shared.idempotency) before the route reads it.
        ("POST", import_url, json_headers | {"Idempotency-Key": "deep"}, b"[" * 10_000 + b"]" * 10_000, "bad-request"),
        ("POST", cases_url, json_headers, b'{"reference": "A", "reference": "B"}', "validation-error"),
        ("POST", cases_url, json_headers, b'{"tier": NaN}', "validation-error"),
        ("POST", cases_url, json_headers, b"", "validation-error"),
        ("POST", cases_url, {"content-type": "text/plain"}, json.dumps(case).encode(), "validation-error"),
        ("POST", cases_url, {"content-type": "application/xml"}, b"<case/>", "validation-error"),
        ("POST", cases_url, {"content-type": "application/json", "Idempotency-Key": "k" * 300}, json.dumps(case).encode(), ""),
        ("GET", "/api/v1/inspections/..%2F..%2Fhealthz", {}, None, "unsafe-path"),
        ("GET", "/api/v1/cases/%2e%2e/%2e%2e/openapi.json", {}, None, "unsafe-path"),
        ("GET", "/api/v1/cases/%00", {}, None, ""),
        ("GET", "/api/v1/inspections?limit=" + "9" * 400, {}, None, "validation-error"),
        # The gateway reads at most OMI_GATEWAY_MAX_URL_BYTES of a URL.
        ("GET", "/api/v1/inspections?cursor=" + "A" * 60_000, {}, None, "uri-too-long"),
    ]
    for method, url, headers, content, kind in requests:
        response = await gw.request(method, url, headers=headers, content=content)
        problem = _problem(response)
        if kind:
            assert problem["type"] == f"urn:omi:problem:{kind}", (url, headers, problem)
        assert problem.get("detail") or problem.get("errors"), problem
    too_large = b" " * (stack.apps["gateway"].state.settings.max_body_bytes + 1)
    oversized = await gw.post(cases_url, content=too_large, headers=json_headers)
    assert _problem(oversized)["type"] == "urn:omi:problem:body-too-large"
    assert await _row_counts(stack) == before


async def test_question_ids_entries_and_bodies_are_bounded(stack: Stack, gw: httpx.AsyncClient, targets) -> None:
    """An assessment's keys and entries have documented maxima (422), and a body past the service's limit is 413
    before it is read whole; a bulk import has a larger limit of its own. Nothing is stored."""
    before = await _row_counts(stack)
    _, url, _ = targets["assessment"]
    long_id = "1" * (QUESTION_ID_MAX_CHARS + 1)
    many = [f"1.2.{n:04d}" for n in range(QUESTIONS_MAX + 1)]
    # Each would also be an unknown question: the error's type says the bound refused it, before any lookup.
    table = [
        ({"answers": {long_id: "yes"}}, f"answers.{long_id}.[key]", "string_too_long"),
        ({"answers": {"": "yes"}}, "answers..[key]", "string_too_short"),
        ({"answers": {}, "evidence": {long_id: "a note"}}, f"evidence.{long_id}.[key]", "string_too_long"),
        ({"answers": dict.fromkeys(many, "yes")}, "answers", "too_long"),
        ({"answers": {}, "evidence": dict.fromkeys(many, "a note")}, "evidence", "too_long"),
    ]
    for sent, field, kind in table:
        problem = _problem(await gw.put(url, json=sent), range(422, 423))
        assert [(e["field"], e["type"]) for e in problem["errors"]] == [(field, kind)], problem
    limit = stack.apps["cases"].state.settings.max_body_bytes
    oversized = json.dumps({"answers": {}, "reason": "x" * limit}).encode()

    async def in_chunks():  # no Content-Length: the limit counts the bytes as they arrive
        for start in range(0, len(oversized), 65536):
            yield oversized[start : start + 65536]

    async with stack.service("cases") as cases:
        json_headers = {"content-type": "application/json"}
        declared = await cases.put(url, content=oversized, headers=json_headers)
        assert _problem(declared)["type"] == "urn:omi:problem:body-too-large"
        # Refused on its Content-Length alone, even where the route would never read the body.
        unread = await cases.request("GET", url.removesuffix("/assessment"), content=oversized)
        assert _problem(unread)["type"] == "urn:omi:problem:body-too-large"
        streamed = await cases.put(url, content=in_chunks(), headers=json_headers)
        assert _problem(streamed)["type"] == "urn:omi:problem:body-too-large", streamed.text[:300]
        inspection_id = (await cases.get(url.removesuffix("/assessment"))).json()["inspection_id"]
        imported = await cases.post(
            f"/api/v1/inspections/{inspection_id}/assessments:import", content=b" " * (limit + 1), headers=json_headers
        )
        assert _problem(imported)["type"] == "urn:omi:problem:validation-error"  # read, and found not to be JSON
    assert await _row_counts(stack) == before
