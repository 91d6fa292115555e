"""The framework, the case sample and assessments (written, refused, imported, exported), through the gateway."""

import csv
import io

import httpx

from shared.testing.factories import generate_caseload
from tests.conftest import plan_inspection
from tests.helpers import LICENCE_CASE, PROBLEM, add_case, patch_with_current_etag


async def test_omi_2008_framework_is_served_whole(gw: httpx.AsyncClient) -> None:
    listing = (await gw.get("/api/v1/frameworks")).json()
    assert {"id": "omi-2008", "version": 1, "title": listing[0]["title"]} in listing
    framework = (await gw.get("/api/v1/frameworks/omi-2008")).json()
    criteria = [c for s in framework["sections"] for c in s["criteria"]]
    assert len(criteria) == 20
    assert framework["weights"] == {"questions": 0.8, "summary": 0.2}
    for criterion in criteria:
        summaries = [q for q in criterion["questions"] if q["summary"]]
        assert len(summaries) == (1 if criterion["scored_by"] == "cases" else 0), criterion["id"]
    by_id = {c["id"]: c for c in criteria}
    assert any(q["roh"] for q in by_id["1.2"]["questions"]) and any(q["roh"] for q in by_id["2.2"]["questions"])
    assert by_id["2.4"]["title"] == "Ensuring containment and promoting compliance (Punish)"
    assert (await gw.get("/api/v1/frameworks/omi-2008", params={"version": 99})).status_code == 404
    assert (await gw.get("/api/v1/frameworks/nope")).status_code == 404


async def test_case_references_are_unique_in_an_inspection(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    await add_case(gw, inspection["id"])
    duplicate = await gw.post(f"/api/v1/inspections/{inspection['id']}/cases", json=LICENCE_CASE)
    assert duplicate.status_code == 409 and duplicate.headers["content-type"] == PROBLEM
    bad = await gw.post(f"/api/v1/inspections/{inspection['id']}/cases", json=LICENCE_CASE | {"tier": 5, "case_type": "parole"})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"tier", "case_type"}
    listed = (await gw.get(f"/api/v1/inspections/{inspection['id']}/cases")).json()
    assert [c["reference"] for c in listed["items"]] == ["WM-001"]


async def test_assessment_lifecycle_with_etags_and_history(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    url = f"/api/v1/cases/{case['id']}/assessment"
    assert (await gw.get(url)).status_code == 404

    first = await gw.put(url, json={"answers": {"1.2.01": "yes", "1.2.S": "no"}, "assessor": "HMI Smith"})
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 1 and first.json()["framework_version"] == 1
    etag = first.headers["etag"]

    missing = await gw.put(url, json={"answers": {"1.2.01": "no"}})
    assert missing.status_code == 428
    second = await gw.put(
        url, json={"answers": {"1.2.01": "no", "1.2.S": "no"}, "reason": "re-read the file"}, headers={"If-Match": etag}
    )
    assert second.status_code == 200 and second.json()["version"] == 2
    stale = await gw.put(url, json={"answers": {"1.2.01": "yes"}}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.headers["content-type"] == PROBLEM
    current = await gw.get(url)
    assert current.json()["answers"] == {"1.2.01": "no", "1.2.S": "no"}
    assert current.headers["etag"] == second.headers["etag"]

    history = (await gw.get(f"{url}/history")).json()["items"]
    assert [(v["version"], v["assessor"], v["reason"]) for v in history] == [
        (1, "HMI Smith", None),
        (2, None, "re-read the file"),
    ]
    # Each version as it was written: its answers, and written when its PUT said.
    assert history[1]["answers"] == {"1.2.01": "no", "1.2.S": "no"} and history[1]["evidence"] == {}
    assert [v["created_at"] for v in history] == [first.json()["updated_at"], second.json()["updated_at"]]
    version_one = (await gw.get(f"{url}/history/1")).json()
    assert version_one["answers"] == {"1.2.01": "yes", "1.2.S": "no"}
    assert (await gw.get(f"{url}/history/3")).status_code == 404


async def test_bad_answers_are_named_together_and_nothing_is_stored(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])  # a licence case: PSR questions (1.1.x) do not apply
    url = f"/api/v1/cases/{case['id']}/assessment"
    response = await gw.put(
        url,
        json={
            "answers": {"9.9.99": "yes", "1.2.01": "maybe", "1.1.01": "yes", "1.1.02": "na", "1.2.S": "yes"},
            "evidence": {"0.0": "text"},
        },
    )
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    named = {e["field"]: e["type"] for e in response.json()["errors"]}
    assert named == {
        "answers.9.9.99": "unknown_question",
        "answers.1.2.01": "judgement",
        "answers.1.1.01": "not_applicable",
        "evidence.0.0": "unknown_question",
    }
    assert (await gw.get(url)).status_code == 404


async def test_published_inspections_are_frozen(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    published = await patch_with_current_etag(gw, f"/api/v1/inspections/{inspection['id']}", {"status": "published"})
    assert published.status_code == 200
    response = await gw.put(f"/api/v1/cases/{case['id']}/assessment", json={"answers": {"1.2.01": "yes"}})
    assert response.status_code == 409


async def test_import_mixed_rows_and_idempotency(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    existing = await add_case(gw, inspection["id"])
    url = f"/api/v1/inspections/{inspection['id']}/assessments:import"
    rows = [
        {"reference": "WM-001", "answers": {"1.2.01": "yes", "1.2.S": "yes"}, "assessor": "HMI Jones"},  # assessment created
        {
            **LICENCE_CASE,
            "reference": "WM-002",
            "case_type": "community",
            "answers": {"1.1.01": "no"},
        },  # case + assessment created
        {"reference": "WM-003", "answers": {"1.2.01": "yes"}},  # new case without its attributes
        {
            **LICENCE_CASE,
            "reference": "WM-004",
            "answers": {"1.2.01": "perhaps", "7.7": "yes"},
        },  # bad judgement, unknown question
        {"reference": "WM-001", "answers": {"1.2.01": "no"}},  # the same case twice in one import
        {"reference": "WM-001x", "tier": 9},  # invalid attribute
        {**LICENCE_CASE, "reference": "WM-005", "answers": {"1.1.01": "yes"}},  # not applicable to licence
        "not an object",
    ]
    response = await gw.post(url, json={"rows": rows, "reason": "spreadsheet week 1"}, headers={"Idempotency-Key": "imp-1"})
    assert response.status_code == 200, response.text
    result = response.json()
    outcomes = [(r["row"], r["reference"], r["outcome"]) for r in result["rows"]]
    assert outcomes == [
        (1, "WM-001", "created"),
        (2, "WM-002", "created"),
        (3, "WM-003", "rejected"),
        (4, "WM-004", "rejected"),
        (5, "WM-001", "rejected"),
        (6, "WM-001x", "rejected"),
        (7, "WM-005", "rejected"),
        (8, None, "rejected"),
    ]
    assert (result["created"], result["updated"], result["unchanged"], result["rejected"]) == (2, 0, 0, 6)
    fields = {r["row"]: {e["field"] for e in r["errors"]} for r in result["rows"]}
    assert fields[4] == {"answers.1.2.01", "answers.7.7"}
    assert "case_type" in fields[3] and fields[6] == {"tier"} and fields[7] == {"answers.1.1.01"}

    cases = (await gw.get(f"/api/v1/inspections/{inspection['id']}/cases")).json()["items"]
    assert sorted(c["reference"] for c in cases) == ["WM-001", "WM-002"]  # rejected rows wrote nothing
    history = (await gw.get(f"/api/v1/cases/{existing['id']}/assessment/history")).json()["items"]
    assert [(h["version"], h["reason"]) for h in history] == [(1, "spreadsheet week 1")]

    replay = await gw.post(url, json={"rows": rows, "reason": "spreadsheet week 1"}, headers={"Idempotency-Key": "imp-1"})
    assert replay.json() == result and replay.headers["idempotent-replayed"] == "true"
    assert len((await gw.get(f"/api/v1/cases/{existing['id']}/assessment/history")).json()["items"]) == 1

    again = await gw.post(url, json={"rows": rows[:1] + [{"reference": "WM-001", "version": 7, "answers": {}}][:0]})
    assert again.json()["unchanged"] == 1
    stale = await gw.post(url, json={"rows": [{"reference": "WM-001", "version": 7, "answers": {"1.2.01": "no"}}]})
    assert stale.json()["rows"][0]["outcome"] == "rejected"
    assert stale.json()["rows"][0]["errors"][0]["field"] == "version"


async def test_export_reimports_unchanged_and_csv_edits_update(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    iid = inspection["id"]
    for number in range(1, 8):
        case = await add_case(gw, iid, reference=f"C{number:03}", case_type=["licence", "community", "custody"][number % 3])
        if number % 2:
            answers = {"1.2.01": "yes", "1.2.S": "no", "2.2.S": "na"}
            assert (await gw.put(f"/api/v1/cases/{case['id']}/assessment", json={"answers": answers})).status_code == 201

    pages, cursor = [], None
    while True:
        page = (
            await gw.get(f"/api/v1/inspections/{iid}/assessments", params={"limit": 3} | ({"cursor": cursor} if cursor else {}))
        ).json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [len(p) for p in pages] == [3, 3, 1]
    assessed = [i for p in pages for i in p if i["assessment"]]
    assert len(assessed) == 4

    exported = await gw.get(f"/api/v1/inspections/{iid}/assessments", params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(table) == 7 and "1.2.01" in table[0] and table[0]["reference"] == "C001"

    reimport = await gw.post(
        f"/api/v1/inspections/{iid}/assessments:import", content=exported.content, headers={"content-type": "text/csv"}
    )
    assert reimport.status_code == 200, reimport.text
    result = reimport.json()
    assert (result["created"], result["updated"], result["rejected"]) == (0, 0, 0)
    assert result["unchanged"] == 7  # the three unassessed rows carry no answers: nothing to create

    table[0]["1.2.01"] = "no"
    table[1]["1.2.01"] = "yes"  # C002 was not assessed: now it is
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(table[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    edited = await gw.post(
        f"/api/v1/inspections/{iid}/assessments:import",
        content=buffer.getvalue().encode(),
        headers={"content-type": "text/csv"},
        params={"reason": "csv edit"},
    )
    counts = edited.json()
    assert (counts["created"], counts["updated"], counts["unchanged"], counts["rejected"]) == (1, 1, 5, 0)
    again = await gw.get(f"/api/v1/inspections/{iid}/assessments", params={"format": "csv"})
    assert next(iter(csv.DictReader(io.StringIO(again.text))))["1.2.01"] == "no"

    bad_columns = await gw.post(
        f"/api/v1/inspections/{iid}/assessments:import",
        content=b"reference,9.9.9\nC001,yes\n",
        headers={"content-type": "text/csv"},
    )
    assert bad_columns.status_code == 422 and bad_columns.json()["errors"][0]["field"] == "9.9.9"


async def test_sample_composition_warns_of_shortfalls(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    await add_case(gw, inspection["id"])
    composition = (await gw.get(f"/api/v1/inspections/{inspection['id']}/sample")).json()
    assert composition["total"] == 1
    assert composition["counts"]["case_type"]["licence"] == 1
    quotas = {w["quota"] for w in composition["warnings"]}
    assert {"total", "case_types.licence", "case_types.community", "minimums.ppo"} <= quotas


async def test_sample_drawn_from_a_large_caseload(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    caseload = generate_caseload(20_000, seed=5)
    header = list(caseload[0].model_dump().keys())
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: getattr(v, "value", v) for k, v in c.model_dump().items()} for c in caseload)
    url = f"/api/v1/inspections/{inspection['id']}/sample:draw"
    draw = await gw.post(
        url,
        content=buffer.getvalue().encode(),
        headers={"content-type": "text/csv"},
        params={"seed": 11, "add_to_inspection": "true"},
    )
    assert draw.status_code == 200, draw.text[:500]
    drawn = draw.json()
    assert drawn["composition"]["warnings"] == []
    again = await gw.post(url, json={"seed": 11, "caseload": [c.model_dump(mode="json") for c in caseload]})
    assert [c["reference"] for c in again.json()["selected"]] == [c["reference"] for c in drawn["selected"]]

    composition = (await gw.get(f"/api/v1/inspections/{inspection['id']}/sample")).json()
    assert composition["total"] == 110 and composition["warnings"] == []
    assert 30 <= composition["counts"]["assessor_role"]["area_assessor"] <= 45

    few_custody = [c for c in caseload if c.case_type != "custody"] + [c for c in caseload if c.case_type == "custody"][:4]
    impossible = await gw.post(url, json={"seed": 1, "caseload": [c.model_dump(mode="json") for c in few_custody]})
    assert impossible.status_code == 422
    problem = impossible.json()
    assert "case_types.custody" in {e["field"] for e in problem["errors"]}
    assert "4" in next(e["message"] for e in problem["errors"] if e["field"] == "case_types.custody")
