"""The bulk reads of assessments through the gateway: an inspection's whole sample (conditional on its sample
revision, exactly the documented page) and what changed since a revision, of one inspection or several."""

import httpx

from tests.conftest import plan_inspection
from tests.helpers import PROBLEM, add_case, put_with_current_etag


async def test_bulk_read_is_conditional_on_the_sample_revision(stack, gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    url = f"/api/v1/inspections/{inspection['id']}/assessments"
    first = await gw.get(url)
    etag = first.headers["etag"]
    assert (await gw.get(url, headers={"If-None-Match": etag})).status_code == 304
    await gw.put(f"/api/v1/cases/{case['id']}/assessment", json={"answers": {"1.2.01": "yes"}})
    after_create = await gw.get(url, headers={"If-None-Match": etag})
    assert after_create.status_code == 200 and after_create.headers["etag"] != etag
    await put_with_current_etag(gw, f"/api/v1/cases/{case['id']}/assessment", {"answers": {"1.2.01": "no"}})
    after_update = await gw.get(url, headers={"If-None-Match": after_create.headers["etag"]})
    assert after_update.status_code == 200
    assert after_update.json()["items"][0]["assessment"]["answers"] == {"1.2.01": "no"}
    await add_case(gw, inspection["id"], reference="WM-002")
    assert (await gw.get(url, headers={"If-None-Match": after_update.headers["etag"]})).status_code == 200


async def test_bulk_read_is_exactly_the_documented_page(gw: httpx.AsyncClient) -> None:
    from shared.schemas.cases import CaseAssessment
    from shared.schemas.common import Page

    inspection = await plan_inspection(gw)
    assessed = await add_case(gw, inspection["id"])
    await add_case(gw, inspection["id"], reference="WM-002")
    await gw.put(
        f"/api/v1/cases/{assessed['id']}/assessment",
        json={"answers": {"1.2.01": "yes", "1.2.S": "na"}, "evidence": {"1.2.01": 'seen "MAPPA" é'}},
    )
    body = (await gw.get(f"/api/v1/inspections/{inspection['id']}/assessments")).json()
    # Every field the schema has, in its formats, and nothing more.
    assert Page[CaseAssessment].model_validate(body).model_dump(mode="json") == body
    assert body["items"][0]["assessment"]["evidence"] == {"1.2.01": 'seen "MAPPA" é'}
    assert body["items"][1]["assessment"] is None


async def test_bulk_read_of_what_changed_since_a_revision(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/assessments"
    first = await add_case(gw, inspection["id"])
    await add_case(gw, inspection["id"], reference="WM-002")
    before = await gw.get(url)
    revision = int(before.headers["sample-revision"])
    assert len(before.json()["items"]) == 2
    assert (await gw.get(url, params={"since": revision})).json()["items"] == []

    await gw.put(f"/api/v1/cases/{first['id']}/assessment", json={"answers": {"1.2.01": "yes"}})
    await add_case(gw, inspection["id"], reference="WM-003")
    changed = await gw.get(url, params={"since": revision})
    assert int(changed.headers["sample-revision"]) == revision + 2
    assert sorted(i["case"]["reference"] for i in changed.json()["items"]) == ["WM-001", "WM-003"]
    imported = await gw.post(f"{url}:import", json={"rows": [{"reference": "WM-002", "answers": {"1.2.01": "no"}}]})
    assert imported.json()["created"] == 1
    latest = await gw.get(url, params={"since": int(changed.headers["sample-revision"])})
    assert [i["case"]["reference"] for i in latest.json()["items"]] == ["WM-002"]


async def test_changes_of_several_inspections_in_one_read(gw: httpx.AsyncClient) -> None:
    from shared.schemas.cases import AssessmentChanges

    first, second = await plan_inspection(gw), await plan_inspection(gw, area="Wales")
    one = await add_case(gw, first["id"])
    await add_case(gw, first["id"], reference="WM-002")
    await add_case(gw, second["id"])
    revisions = {i["id"]: (await gw.get(f"/api/v1/inspections/{i['id']}")).json()["sample_revision"] for i in (first, second)}
    assert revisions == {first["id"]: 2, second["id"]: 1}

    await gw.put(f"/api/v1/cases/{one['id']}/assessment", json={"answers": {"1.2.01": "yes"}})
    asked = [
        {"inspection_id": second["id"], "since": revisions[second["id"]]},
        {"inspection_id": first["id"], "since": revisions[first["id"]]},
    ]
    response = await gw.post("/api/v1/assessments:changes", json={"inspections": asked})
    assert response.status_code == 200, response.text
    body = response.json()
    assert AssessmentChanges.model_validate(body).model_dump(mode="json") == body
    assert [s["inspection_id"] for s in body["samples"]] == [second["id"], first["id"]]  # in the order asked
    assert body["samples"][0] == {"inspection_id": second["id"], "sample_revision": 1, "items": []}
    changed = body["samples"][1]
    assert changed["sample_revision"] == 3 == (await gw.get(f"/api/v1/inspections/{first['id']}")).json()["sample_revision"]
    assert [(i["case"]["reference"], i["assessment"]["answers"]) for i in changed["items"]] == [("WM-001", {"1.2.01": "yes"})]
    # The same item as the inspection's own bulk read gives.
    since = (await gw.get(f"/api/v1/inspections/{first['id']}/assessments", params={"since": revisions[first["id"]]})).json()
    assert changed["items"] == since["items"]
    assert body["deferred"] == [] and body["missing"] == []

    whole = (await gw.post("/api/v1/assessments:changes", json={"inspections": [{"inspection_id": first["id"]}]})).json()
    assert sorted(i["case"]["reference"] for i in whole["samples"][0]["items"]) == ["WM-001", "WM-002"]
    nobody = "00000000-0000-4000-8000-000000000000"
    missing = (await gw.post("/api/v1/assessments:changes", json={"inspections": [{"inspection_id": nobody}]})).json()
    assert missing == {"samples": [], "deferred": [], "missing": [nobody]}


async def test_changes_answer_an_inspection_whole_or_defer_it(gw: httpx.AsyncClient) -> None:
    first, second = await plan_inspection(gw), await plan_inspection(gw, area="Wales")
    for reference in ("WM-001", "WM-002", "WM-003"):
        await add_case(gw, first["id"], reference=reference)
    await add_case(gw, second["id"])
    both = [{"inspection_id": first["id"]}, {"inspection_id": second["id"]}]

    async def changes(limit: int) -> dict:
        response = await gw.post("/api/v1/assessments:changes", json={"inspections": both, "limit": limit})
        assert response.status_code == 200, response.text
        return response.json()

    fits = await changes(4)
    assert [len(s["items"]) for s in fits["samples"]] == [3, 1] and fits["deferred"] == []
    first_only = await changes(3)
    assert [s["inspection_id"] for s in first_only["samples"]] == [first["id"]] and first_only["deferred"] == [second["id"]]
    # Too large for the limit: deferred, never cut; a smaller one after it still fits.
    second_only = await changes(2)
    assert [s["inspection_id"] for s in second_only["samples"]] == [second["id"]] and second_only["deferred"] == [first["id"]]
    # Only what changed since the revision given counts against the limit.
    revision = (await gw.get(f"/api/v1/inspections/{first['id']}")).json()["sample_revision"]
    await add_case(gw, first["id"], reference="WM-004")
    both[0]["since"] = revision
    since = await changes(2)
    assert [[i["case"]["reference"] for i in s["items"]] for s in since["samples"]] == [["WM-004"], ["WM-001"]]


async def test_bad_changes_reads_are_named(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    entry = {"inspection_id": inspection["id"], "since": 0}
    for body, field in (
        ({"inspections": []}, "inspections"),
        ({"inspections": [entry, entry]}, "inspections"),
        ({"inspections": [entry | {"since": -1}]}, "inspections.0.since"),
        ({"inspections": [entry | {"since": True}]}, "inspections.0.since"),
        ({"inspections": [entry | {"since": "7"}]}, "inspections.0.since"),
        ({"inspections": [entry] * 101}, "inspections"),
        ({"inspections": [{"inspection_id": "nope"}]}, "inspections.0.inspection_id"),
        ({"inspections": [entry], "limit": 0}, "limit"),
        ({"inspections": [entry], "extra": 1}, "extra"),
    ):
        response = await gw.post("/api/v1/assessments:changes", json=body)
        assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM), body
        assert field in [e["field"] for e in response.json()["errors"]], (body, response.json()["errors"])
