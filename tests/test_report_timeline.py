"""Due dates on fixed clocks (the reporting app's injected clock) and the national comparison beside each
criterion score, through the gateway."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx

from shared.percent import display_percent
from tests.conftest import Stack, plan_inspection
from tests.test_report_document import written_inspection
from tests.test_report_lifecycle import publish, send_for_comment
from tests.test_scores import assessed_inspection


@contextmanager
def clock_at(stack: Stack, *when: int) -> Iterator[None]:
    app = stack.apps["reporting"]
    kept = app.state.clock
    app.state.clock = lambda: datetime(*when, 12, tzinfo=UTC)
    try:
        yield
    finally:
        app.state.clock = kept


async def milestones(gw: httpx.AsyncClient, inspection_id: str) -> dict[str, dict]:
    response = await gw.get(f"/api/v1/inspections/{inspection_id}/timeline")
    assert response.status_code == 200, response.text
    return {m["name"]: m for m in response.json()["milestones"]}


async def overdue(gw: httpx.AsyncClient) -> list[tuple[str, str]]:
    response = await gw.get("/api/v1/reports/overdue")
    assert response.status_code == 200, response.text
    return [(item["inspection_id"], item["milestone"]["name"]) for item in response.json()["items"]]


async def test_due_dates_done_and_overdue_on_fixed_clocks(stack: Stack, gw: httpx.AsyncClient) -> None:
    inspection = await written_inspection(gw)  # fieldwork 9-13 June 2008
    other = await plan_inspection(gw, fieldwork_start="2008-09-01")
    key = inspection["id"]
    with clock_at(stack, 2008, 7, 25):
        line = await milestones(gw, key)
        assert (line["draft_for_comment"]["due_from"], line["draft_for_comment"]["due"]) == ("2008-07-11", "2008-07-25")
        assert line["publication"]["due"] == "2008-09-05" and line["improvement_plan"]["due"] == "2008-10-03"
        assert "reinspection" not in line and not any(m["overdue"] for m in line.values())
        assert await overdue(gw) == []
    with clock_at(stack, 2008, 7, 26):
        assert (await milestones(gw, key))["draft_for_comment"]["overdue"] is True
        assert await overdue(gw) == [(key, "draft_for_comment")]
    with clock_at(stack, 2008, 7, 28):
        sent = await send_for_comment(gw, key)
        draft = (await milestones(gw, key))["draft_for_comment"]
        assert (draft["done_at"], draft["overdue"]) == ("2008-07-28T12:00:00Z", False)
    with clock_at(stack, 2008, 9, 6):
        assert await overdue(gw) == [(key, "publication")]
    with clock_at(stack, 2008, 9, 10):
        assert (await publish(gw, key, sent.headers["etag"])).status_code == 200
        line = await milestones(gw, key)
        assert line["publication"]["done_at"] == "2008-09-10T12:00:00Z" and line["improvement_plan"]["due"] == "2008-10-08"
        assert "reinspection" not in line  # the RoH thread score is above the default threshold
    with clock_at(stack, 2008, 10, 9):
        assert await overdue(gw) == [(key, "improvement_plan")]
        url = f"/api/v1/inspections/{key}/timeline"
        assert (await gw.put(f"{url}/reinspection", json={"done_at": "2009-06-01T09:00:00Z"})).status_code == 422
        assert (await gw.put(f"{url}/publication", json={"done_at": "2009-06-01T09:00:00Z"})).status_code == 422
        assert (await gw.put(f"{url}/improvement_plan", json={"done_at": "2008-10-01"})).status_code == 422  # no time zone
        done = await gw.put(f"{url}/improvement_plan", json={"done_at": "2008-10-09T10:00:00Z"})
        assert done.status_code == 200, done.text
        assert await overdue(gw) == []
    settings = stack.apps["reporting"].state.settings
    kept, settings.reinspection_below = settings.reinspection_below, 100.0
    try:
        with clock_at(stack, 2009, 6, 10):
            assert (await milestones(gw, key))["reinspection"]["due"] == "2009-06-09"
            late = await overdue(gw)
            assert [name for i, name in late if i == key] == ["reinspection"]
            assert [name for i, name in late if i == other["id"]] == ["draft_for_comment", "publication", "improvement_plan"]
    finally:
        settings.reinspection_below = kept


async def test_each_criterion_score_has_the_national_mean_of_the_same_period(gw: httpx.AsyncClient) -> None:
    published = await written_inspection(gw)
    sent = await send_for_comment(gw, published["id"])
    assert (await publish(gw, published["id"], sent.headers["etag"])).status_code == 200
    draft, _ = await assessed_inspection(gw, count=60, seed=2, fieldwork_start="2008-03-03")
    report = (await gw.get(f"/api/v1/inspections/{draft['id']}/report")).json()
    national = (await gw.get("/api/v1/scores/national", params={"from": "2008-01-01", "to": "2008-12-31"})).json()
    assert national["inspections"] == 1
    means = {c["id"]: c["national_mean"] for c in national["criteria"]}
    comparison = report["summary_of_scores"]["national"]
    assert (comparison["period_from"], comparison["period_to"], comparison["inspections"]) == ("2008-01-01", "2008-12-31", 1)
    assert "not entirely valid" in comparison["caveat"]
    bars = [b for b in report["summary_of_scores"]["chart"] if b["kind"] == "criterion"]
    assert {b["id"]: b["national_mean"] for b in bars} == means and any(m is not None for m in means.values())
    first = report["sections"][0]["criteria"][0]
    assert first["score"]["national_mean"] == means["1.1"]
    assert first["score"]["national_display"] == display_percent(means["1.1"])
