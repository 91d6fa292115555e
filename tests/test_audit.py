"""The audit trail through the gateway: a record per write in the writing transaction (none for a failed one),
merged across services in time order with one cursor, as CSV, filtered, field names never values, and
append-only in PostgreSQL."""

import csv
import io
import uuid

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from services.cases import models
from services.questionnaires.models import QUESTIONNAIRES
from shared.audit import AuditRecord
from tests.conftest import Stack, plan_inspection
from tests.helpers import LICENCE_CASE, add_case

MARKER = "WM-SECRET-REF"


async def _writes(stack: Stack, gw: httpx.AsyncClient) -> tuple[str, list[str]]:
    """An inspection written through cases and scoring; the request ids of the writes, in order."""
    inspection = await plan_inspection(gw)
    a = inspection["id"]
    case = await gw.post(f"/api/v1/inspections/{a}/cases", json=LICENCE_CASE | {"reference": MARKER})
    team = await gw.put(f"/api/v1/inspections/{a}/team/aa-1", json={"role": "area_assessor"})
    allocation = await gw.put(f"/api/v1/cases/{case.json()['id']}/allocation", json={"assessor": "aa-1"})
    async with stack.client("area_assessor", "aa-1") as assessor:
        assessment = await assessor.put(f"/api/v1/cases/{case.json()['id']}/assessment", json={"answers": {}})
    snapshot = await gw.post(f"/api/v1/inspections/{a}/scores/snapshots", json={})
    responses = [case, team, allocation, assessment, snapshot]
    assert [r.status_code for r in responses] == [201, 201, 201, 201, 201], [r.text for r in responses]
    return a, [r.headers["x-request-id"] for r in responses]


async def _trail(gw: httpx.AsyncClient, **params: str) -> list[dict]:
    response = await gw.get("/api/v1/audit", params=params | {"limit": "500"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_every_write_is_recorded_with_who_what_and_its_request(stack: Stack, gw: httpx.AsyncClient) -> None:
    a, request_ids = await _writes(stack, gw)
    trail = await _trail(gw, inspection=a)
    assert trail == sorted(trail, key=lambda e: (e["at"], e["service"], e["seq"]))
    what = [(e["service"], e["entity"], e["action"], e["operation"], e["actor"], e["role"]) for e in trail]
    assert what == [
        ("cases", "inspections", "create", "inspection.create", "test-admin", "admin"),
        ("cases", "cases", "create", "case.create", "test-admin", "admin"),
        ("cases", "team_members", "create", "team.write", "test-admin", "admin"),
        ("cases", "case_allocations", "create", "allocation.write", "test-admin", "admin"),
        # The history row first (the current row last, with the inspection's revision: its lock held the least).
        ("cases", "assessment_versions", "create", "assessment.write", "aa-1", "area_assessor"),
        ("cases", "assessments", "create", "assessment.write", "aa-1", "area_assessor"),
        ("scoring", "score_snapshots", "create", "snapshot.create", "test-admin", "admin"),
    ]
    assert [e["request_id"] for e in trail[1:]] == request_ids[:4] + request_ids[3:]
    assert {e["inspection_id"] for e in trail} == {a}  # rows naming no inspection (a version) are the request's
    assert all(e["trace_id"] and len(e["trace_id"]) == 32 for e in trail)
    case = trail[1]
    assert "reference" in case["fields"] and case["inspection_id"] == a
    assert MARKER not in (await gw.get("/api/v1/audit", params={"inspection": a})).text  # names, never values
    # An update records the fields it changed, not the bookkeeping ones.
    etag = (await gw.get(f"/api/v1/inspections/{a}")).headers["etag"]
    assert (await gw.patch(f"/api/v1/inspections/{a}", json={"area": "Kent"}, headers={"If-Match": etag})).status_code == 200
    change = (await _trail(gw, inspection=a, entity="inspections"))[-1]
    assert (change["action"], change["fields"]) == ("update", ["area", "updated_at", "version"])
    # An admin's write to a case (no standing needed to allow it) is attributed to the case's inspection too.
    assessment = f"/api/v1/cases/{case['id']}/assessment"
    etag = (await gw.get(assessment)).headers["etag"]
    assert (await gw.put(assessment, json={"answers": {}, "reason": "re-read"}, headers={"If-Match": etag})).status_code == 200
    versions = await _trail(gw, inspection=a, entity="assessment_versions")
    assert [(e["actor"], e["inspection_id"]) for e in versions] == [("aa-1", a), ("test-admin", a)]
    assert [e["id"] for e in versions] == [f"{case['id']}/1", f"{case['id']}/2"]  # a two-column key


async def test_the_merged_trail_pages_with_one_cursor_and_reads_as_csv(stack: Stack, gw: httpx.AsyncClient) -> None:
    await _writes(stack, gw)
    await _writes(stack, gw)
    whole = await _trail(gw)
    assert {e["service"] for e in whole} == {"cases", "scoring"} and len(whole) >= 14
    walked, cursor = [], None
    while True:
        page = (await gw.get("/api/v1/audit", params={"limit": 3} | ({"cursor": cursor} if cursor else {}))).json()
        walked += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == whole
    rows = list(csv.DictReader(io.StringIO((await gw.get("/api/v1/audit", params={"format": "csv"})).text)))
    assert [(r["service"], r["seq"], r["entity"], r["actor"]) for r in rows] == [
        (e["service"], str(e["seq"]), e["entity"], e["actor"]) for e in whole
    ]
    # Filters: one entity, one actor, a time window.
    assert {e["entity"] for e in await _trail(gw, entity="cases")} == {"cases"}
    assert {e["actor"] for e in await _trail(gw, actor="aa-1")} == {"aa-1"}
    middle = whole[len(whole) // 2]["at"]
    assert all(e["at"] >= middle for e in await _trail(gw, **{"from": middle}))
    assert all(e["at"] <= middle for e in await _trail(gw, to=middle))
    assert (await gw.get("/api/v1/audit", params={"cursor": "nonsense"})).status_code == 422
    assert (await gw.get("/api/v1/audit", params={"from": "2009-01-01T00:00:00"})).status_code == 422


async def _count(stack: Stack, service: str) -> int:
    async with stack.apps[service].state.sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(AuditRecord))).scalar_one()


async def test_a_failed_write_leaves_no_record(stack: Stack, gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    before = await _count(stack, "cases")
    duplicate = await gw.post(f"/api/v1/inspections/{inspection['id']}/cases", json=LICENCE_CASE)
    bad_answers = await gw.put(f"/api/v1/cases/{case['id']}/assessment", json={"answers": {"9.9": "yes"}})
    off_team = await gw.put(f"/api/v1/cases/{case['id']}/allocation", json={"assessor": "nobody"})
    assert (duplicate.status_code, bad_answers.status_code, off_team.status_code) == (409, 422, 422)
    assert await _count(stack, "cases") == before


async def test_writes_outside_a_request_are_recorded_too(stack: Stack, gw: httpx.AsyncClient) -> None:
    """The session events are the safety net: whatever writes through a service's sessions is recorded."""
    inspection = await plan_inspection(gw)
    async with stack.apps["cases"].state.sessionmaker() as session, session.begin():
        session.add(models.TeamMember(inspection_id=uuid.UUID(inspection["id"]), subject="by-hand", role="system"))
        await session.flush()
        await session.execute(update(models.TeamMember).where(models.TeamMember.subject == "by-hand").values(role="inspector"))
    records = await _trail(gw, entity="team_members")
    assert [(r["action"], r["id"], r["actor"], r["fields"]) for r in records] == [
        ("create", f"{inspection['id']}/by-hand", None, ["added_at", "inspection_id", "role", "subject"]),
        ("update", None, None, ["role"]),
    ]


async def test_the_audit_table_is_append_only_in_postgresql(stack: Stack, gw: httpx.AsyncClient) -> None:
    if stack.backend != "postgresql":
        pytest.skip("append-only is enforced by a PostgreSQL trigger (the SQLite run has none)")
    await plan_inspection(gw)
    for statement in ("UPDATE audit_records SET actor = 'someone-else'", "DELETE FROM audit_records"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with stack.apps["cases"].state.engine.begin() as connection:
                await connection.execute(text(statement))
    assert await _count(stack, "cases") >= 1


async def _records_of(stack: Stack, service: str, request_id: str) -> list[AuditRecord]:
    async with stack.apps[service].state.sessionmaker() as session:
        return list((await session.scalars(select(AuditRecord).where(AuditRecord.request_id == request_id))).all())


async def test_a_bulk_import_records_each_row_it_stores_and_none_it_rejects(stack: Stack, gw: httpx.AsyncClient) -> None:
    """Bulk writes bypass the session events (COPY on PostgreSQL): still one history row and one audit record
    per row stored, none for a rejected row."""
    inspection = await plan_inspection(gw)
    a = inspection["id"]
    case = await add_case(gw, a)
    assert (await gw.put(f"/api/v1/cases/{case['id']}/assessment", json={"answers": {"1.2.01": "yes"}})).status_code == 201
    new = [{**LICENCE_CASE, "reference": f"BULK-{n:03}", "answers": {"1.2.01": "no"}} for n in range(70)]  # COPY's size
    bad = [{**LICENCE_CASE, "reference": "BAD-1", "answers": {"9.9": "yes"}}, {"reference": "BAD-2", "answers": {}}]
    rows = [{"reference": "WM-001", "version": 1, "answers": {"1.2.01": "no"}}, *new[:35], *bad, *new[35:]]
    response = await gw.post(f"/api/v1/inspections/{a}/assessments:import", json={"rows": rows, "reason": "bulk"})
    result = response.json()
    assert (result["created"], result["updated"], result["rejected"]) == (70, 1, 2), response.text
    stored = {r["case_id"]: r["version"] for r in result["rows"] if r["outcome"] != "rejected"}

    records = await _records_of(stack, "cases", response.headers["x-request-id"])
    by_kind: dict[tuple[str, str], set[str | None]] = {}
    for record in records:
        by_kind.setdefault((record.entity, record.action), set()).add(record.entity_id)
        assert (record.actor, record.operation) == ("test-admin", "assessment.import") and record.trace_id
    created = {case_id for case_id, version in stored.items() if version == 1}
    assert by_kind == {
        ("cases", "create"): created,
        ("assessments", "create"): created,
        ("assessments", "update"): {case["id"]},
        ("assessment_versions", "create"): {f"{case_id}/{version}" for case_id, version in stored.items()},
    }
    assert len(records) == 3 * 70 + 2  # one record per row written, no more
    update_record = next(r for r in records if r.action == "update")
    assert "answers" in update_record.fields and str(update_record.inspection_id) == a
    async with stack.apps["cases"].state.sessionmaker() as session:
        history = (await session.execute(select(func.count()).select_from(models.AssessmentVersion))).scalar_one()
        kept = (await session.scalars(select(models.Case.reference).where(models.Case.inspection_id == uuid.UUID(a)))).all()
        versions = (
            await session.execute(
                select(models.AssessmentVersion.version, models.AssessmentVersion.reason).where(
                    models.AssessmentVersion.case_id == uuid.UUID(case["id"])
                )
            )
        ).all()
    assert history >= 72 and sorted(versions) == [(1, None), (2, "bulk")]
    assert sorted(kept) == sorted(["WM-001", *(r["reference"] for r in new)])  # the rejected rows wrote nothing


async def test_bulk_returns_record_each_return(stack: Stack, gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/questionnaires/offender"
    answers = {"working_relationship": "yes", "clear_about_rules": "yes", "discussed_sentence_plan": "no"}
    rows = [{"answers": answers | {"recently_released": "no"}, "return_key": f"k{n}"} for n in range(70)]
    rows.insert(3, {"answers": answers | {"recently_released": "maybe"}, "return_key": "bad"})
    response = await gw.post(f"{url}/returns:import", json={"rows": rows})
    result = response.json()
    assert (result["created"], result["errors"]) == (70, 1), response.text
    records = await _records_of(stack, "questionnaires", response.headers["x-request-id"])
    returns = [r for r in records if r.entity == "questionnaire_returns"]
    assert sorted(r.entity_id for r in returns) == sorted(r["return_id"] for r in result["rows"] if r["return_id"])
    assert all(r.action == "create" and "answers" in r.fields and str(r.inspection_id) == inspection["id"] for r in returns)


async def test_a_single_return_is_recorded_with_it(stack: Stack, gw: httpx.AsyncClient) -> None:
    """One return POST (on PostgreSQL one statement with its revision and record: shared.writing_ctes)."""
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/questionnaires/offender"
    assert (await gw.put(url, json={"sent": 10})).status_code == 201
    answers = {
        "working_relationship": "yes",
        "clear_about_rules": "yes",
        "discussed_sentence_plan": "no",
        "recently_released": "no",
    }
    before = await _questionnaire_revision(stack, inspection["id"])
    response = await gw.post(f"{url}/returns", json={"answers": answers, "return_key": "one"})
    assert response.status_code == 201, response.text
    records = await _records_of(stack, "questionnaires", response.headers["x-request-id"])
    assert [(r.entity, r.entity_id, r.action, str(r.inspection_id)) for r in records] == [
        ("questionnaire_returns", response.json()["id"], "create", inspection["id"])
    ]
    assert {"answers", "return_key", "revision"} <= set(records[0].fields)
    assert await _questionnaire_revision(stack, inspection["id"]) == before + 1


async def _questionnaire_revision(stack: Stack, inspection_id: str) -> int:
    table = QUESTIONNAIRES
    async with stack.apps["questionnaires"].state.sessionmaker() as session:
        return int(await session.scalar(select(table.c.revision).where(table.c.inspection_id == uuid.UUID(inspection_id))))
