"""Nothing personal in logs or spans: marker strings posted through every write path (and the bearer token
itself, in its header or in a report link's URL) never show up in captured log records or exported span
names, attributes or events."""

import logging

import httpx
import pytest

from tests.conftest import Stack, plan_inspection, url_of
from tests.helpers import LICENCE_CASE
from tests.questionnaire_helpers import OFFENDER_BASE

MARK = "ZQXMARK"


def _first_licence_question(framework: dict) -> str:
    questions = [q for s in framework["sections"] for c in s["criteria"] for q in c["questions"]]
    return next(q["id"] for q in questions if q["applies_to"] is None or "licence" in q["applies_to"])


def _span_texts(stack: Stack) -> list[str]:
    texts = []
    for span in stack.spans.get_finished_spans():
        texts.append(span.name)
        texts += [f"{k}={v}" for k, v in (span.attributes or {}).items()]
        for event in span.events:
            texts += [event.name] + [f"{k}={v}" for k, v in (event.attributes or {}).items()]
    return texts


async def test_markers_posted_through_every_write_path_reach_no_log_or_span(
    stack: Stack, gw: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    question = _first_licence_question((await gw.get("/api/v1/frameworks/omi-2008")).json())
    inspection = await plan_inspection(gw, area=f"{MARK}-area")
    a = inspection["id"]
    etag = (await gw.get(f"/api/v1/inspections/{a}")).headers["etag"]
    writes = [
        await gw.patch(f"/api/v1/inspections/{a}", json={"area": f"{MARK}-area-2"}, headers={"If-Match": etag}),
        case := await gw.post(f"/api/v1/inspections/{a}/cases", json=LICENCE_CASE | {"reference": f"{MARK}-ref"}),
        await gw.put(f"/api/v1/inspections/{a}/team/aa-1", json={"role": "area_assessor"}),
        await gw.put(f"/api/v1/cases/{case.json()['id']}/allocation", json={"assessor": "aa-1"}),
        await gw.put(
            f"/api/v1/cases/{case.json()['id']}/assessment",
            json={
                "answers": {question: "yes"},
                "evidence": {question: f"{MARK}-evidence"},
                "assessor": f"{MARK}-assessor",
                "reason": f"{MARK}-reason",
            },
        ),
        await gw.post(
            f"/api/v1/inspections/{a}/assessments:import",
            json={
                "reason": f"{MARK}-import-reason",
                "rows": [LICENCE_CASE | {"reference": f"{MARK}-imported", "answers": {question: "no"}}],
            },
        ),
        await gw.post(f"/api/v1/inspections/{a}/scores/snapshots", json={"label": f"{MARK}-label"}),
        # A failing write logs too: its values must stay out of the log as well.
        await gw.post(f"/api/v1/inspections/{a}/cases", json=LICENCE_CASE | {"reference": f"{MARK}-ref"}),
    ]
    assert [w.status_code for w in writes] == [200, 201, 201, 201, 201, 200, 201, 409], [w.text for w in writes]
    # The questionnaires' and reporting's write paths: free text in returns, narrative, grades and comments.
    base, report = f"/api/v1/inspections/{a}", f"/api/v1/inspections/{a}/report"
    offenders = f"{base}/questionnaires/offender"
    grade = {"grade": "partly_met", "narrative": f"{MARK}-grade", "areas_for_improvement": [f"{MARK}-area"]}
    findings = {"strengths": [f"{MARK}-strength"], "areas_for_improvement": [], "conclusion": "priority for improvement"}
    written = [
        await gw.put(offenders, json={"sent": 3}),
        await gw.post(f"{offenders}/returns", json={"answers": OFFENDER_BASE | {"comments": f"{MARK}-comment"}}),
        await gw.put(f"{base}/narrative/foreword", json={"text": f"{MARK}-foreword", "signatory": f"{MARK}-name"}),
        await gw.put(f"{base}/narrative/criteria/1.1", json=findings),
        await gw.put(f"{base}/grades/4.1", json=grade),
        await gw.post(f"{report}:send-for-comment", headers={"If-Match": (await gw.get(f"{report}/status")).headers["etag"]}),
        await gw.post(f"{report}/comments", json={"section": "2.3", "text": f"{MARK}-area-comment"}),
    ]
    assert [w.status_code for w in written] == [201, 201, 201, 201, 201, 200, 201], [w.text for w in written]
    # A token in a report link (?access_token=) crosses the gateway to reporting; elsewhere the gateway refuses it.
    link = stack.token("reader", f"{MARK}-reader")
    async with httpx.AsyncClient(transport=stack.transport, base_url=url_of("gateway")) as browser:
        links = [
            await browser.get(f"/api/v1/inspections/{a}/report", params={"format": "html", "access_token": link}),
            await browser.get("/api/v1/inspections", params={"access_token": link}),
        ]
    assert [r.status_code for r in links] == [404, 401]  # a draft, not the reader's to see: reporting checked the token
    # The access log line uvicorn writes for such a request (its own call: the suite serves in process).
    access = ('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "GET", f"/api/v1/inspections/{a}/report?access_token={link}")
    logging.getLogger("uvicorn.access").info(*access, "1.1", 200)
    token = stack.gateway.headers["authorization"].removeprefix("Bearer ")
    logged = [record.getMessage() + " " + " ".join(f"{v}" for v in record.__dict__.values()) for record in caplog.records]
    spans = _span_texts(stack)
    assert logged and spans  # there is something to search
    for secret in (MARK, token, token.split(".")[1], link, link.split(".")[2]):
        assert not [line for line in logged if secret in line], f"{secret[:12]}... logged"
        assert not [text for text in spans if secret in text], f"{secret[:12]}... in a span"
