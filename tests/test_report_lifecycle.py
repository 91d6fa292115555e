"""The report's lifecycle through the gateway: draft, sent for comment (comments on a numbered draft),
published all or nothing and frozen: byte-identical after later changes, served with every other
service stopped; a publication that fails half way publishes nothing and completes on retry."""

import hashlib

import httpx

from tests.conftest import Stack
from tests.reporting_helpers import answer_no_everywhere, pdf_text
from tests.test_report_document import written_inspection


async def send_for_comment(gw: httpx.AsyncClient, inspection_id: str) -> httpx.Response:
    url = f"/api/v1/inspections/{inspection_id}/report"
    etag = (await gw.get(f"{url}/status")).headers["etag"]
    response = await gw.post(f"{url}:send-for-comment", headers={"If-Match": etag})
    assert response.status_code == 200, response.text
    return response


async def publish(gw: httpx.AsyncClient, inspection_id: str, etag: str) -> httpx.Response:
    return await gw.post(f"/api/v1/inspections/{inspection_id}/report:publish", headers={"If-Match": etag})


async def test_comments_are_recorded_against_a_numbered_draft(gw: httpx.AsyncClient) -> None:
    inspection = await written_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/report"
    comment = {"section": "2.3", "text": "The victim figures leave out two cases."}
    assert (await gw.post(f"{url}/comments", json=comment)).status_code == 409  # not out for comment yet
    assert (await gw.post(f"{url}:send-for-comment")).status_code == 428
    assert (await gw.post(f"{url}:send-for-comment", headers={"If-Match": '"stale"'})).status_code == 412
    sent = (await send_for_comment(gw, inspection["id"])).json()
    assert (sent["status"], sent["draft_number"]) == ("sent_for_comment", 1)
    assert (await gw.get(url)).json()["status"] == "sent_for_comment"
    first = await gw.post(f"{url}/comments", json=comment, headers={"Idempotency-Key": "c-1"})
    assert first.status_code == 201 and first.json()["draft_number"] == 1
    again = await gw.post(f"{url}/comments", json=comment, headers={"Idempotency-Key": "c-1"})
    assert again.json()["id"] == first.json()["id"]
    resent = (await send_for_comment(gw, inspection["id"])).json()
    assert resent["draft_number"] == 2
    second = await gw.post(f"{url}/comments", json={"section": "4.3", "text": "Staffing has improved."})
    assert second.json()["draft_number"] == 2
    answer_url = f"{url}/comments/{first.json()['id']}/answer"
    answered = await gw.put(answer_url, json={"outcome": "accepted", "note": "Figures corrected."})
    assert answered.status_code == 200 and answered.json()["outcome"] == "accepted"
    assert (await gw.put(answer_url, json={"outcome": "not_accepted"})).status_code == 428
    assert (
        await gw.put(answer_url, json={"outcome": "maybe"}, headers={"If-Match": answered.headers["etag"]})
    ).status_code == 422
    listed = (await gw.get(f"{url}/comments")).json()["items"]
    assert [(c["draft_number"], c["outcome"]) for c in listed] == [(1, "accepted"), (2, None)]
    assert [c["section"] for c in (await gw.get(f"{url}/comments", params={"draft": 2})).json()["items"]] == ["4.3"]


async def test_a_published_report_is_frozen_and_served_with_the_other_services_stopped(
    stack: Stack, gw: httpx.AsyncClient
) -> None:
    inspection = await written_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/report"
    assert (await publish(gw, inspection["id"], (await gw.get(f"{url}/status")).headers["etag"])).status_code == 409  # a draft
    sent = await send_for_comment(gw, inspection["id"])
    assert (await gw.post(f"{url}:publish")).status_code == 428
    response = await publish(gw, inspection["id"], sent.headers["etag"])
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["status"] == "published" and not state["publication_pending"]
    assert (await gw.get(f"/api/v1/inspections/{inspection['id']}")).json()["status"] == "published"
    frozen = await gw.get(url)
    assert hashlib.sha256(frozen.content).hexdigest() == state["sha256"]
    document = frozen.json()
    assert document["status"] == "published" and document["snapshot_id"] == state["snapshot_id"]
    snapshot = (await gw.get(f"/api/v1/inspections/{inspection['id']}/scores/snapshots/{state['snapshot_id']}")).json()
    bars = [b for b in document["summary_of_scores"]["chart"] if b["kind"] == "criterion"]
    assert [b["score"] for b in bars] == [c["score"] for c in snapshot["scores"]["criteria"]]
    assert (await publish(gw, inspection["id"], sent.headers["etag"])).json() == state  # publishing again answers it again
    async with stack.client("reader", "member-of-the-public") as reader:  # the public reads what is published
        read = await reader.get(url)
        assert read.status_code == 200 and read.content == frozen.content, read.text
        assert (await reader.get(f"{url}?format=html")).status_code == 200
    # No offender's case reference is in any published rendering.
    cases = (await gw.get(f"/api/v1/inspections/{inspection['id']}/cases", params={"limit": 500})).json()["items"]
    assert len(cases) == 120
    renderings = [
        frozen.text,
        (await gw.get(f"{url}?format=html")).text,
        pdf_text((await gw.get(f"{url}?format=pdf")).content)[1],
    ]
    async with stack.client("reader", "member-of-the-public") as reader:
        renderings.append((await reader.get("/api/v1/inspections")).text)  # the published list
    shown = [c[key] for c in cases for key in ("reference", "id") for text in renderings if c[key] in text]
    assert not shown, shown[:3]

    live_before = (await gw.get(f"/api/v1/inspections/{inspection['id']}/scores")).json()
    # A later change to an assessment (cases refuses it through the API now, so as a correction in its
    # database), and to a narrative part.
    await answer_no_everywhere(stack, inspection["id"])
    live_after = (await gw.get(f"/api/v1/inspections/{inspection['id']}/scores")).json()
    assert live_after["criteria"][0]["score"] != live_before["criteria"][0]["score"]
    recommendations = f"/api/v1/inspections/{inspection['id']}/narrative/recommendations"
    etag = (await gw.get(recommendations)).headers["etag"]
    assert (await gw.put(recommendations, json={"items": ["something new"]}, headers={"If-Match": etag})).status_code == 200
    assert (await gw.get(url)).content == frozen.content

    with stack.stopped("cases", "scoring", "questionnaires"):
        served = await gw.get(url)
    assert served.status_code == 200 and served.content == frozen.content


async def test_a_publication_failing_half_way_publishes_nothing_and_completes_on_retry(
    stack: Stack, gw: httpx.AsyncClient
) -> None:
    inspection = await written_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/report"
    sent = await send_for_comment(gw, inspection["id"])
    snapshots = f"/api/v1/inspections/{inspection['id']}/scores/snapshots"

    with stack.stopped("scoring"):
        failed = await publish(gw, inspection["id"], sent.headers["etag"])
    assert failed.status_code == 503, failed.text
    # With the scores frozen but the questionnaires unreachable, nothing is frozen either.
    with stack.stopped("questionnaires"):
        failed = await publish(gw, inspection["id"], sent.headers["etag"])
    assert failed.status_code == 503, failed.text
    state = (await gw.get(f"{url}/status")).json()
    assert (state["status"], state["publication_pending"], state["sha256"]) == ("sent_for_comment", False, None)
    assert (await gw.get(f"/api/v1/inspections/{inspection['id']}")).json()["status"] != "published"
    assert (await gw.get(url)).json()["status"] == "sent_for_comment"
    taken = (await gw.get(snapshots)).json()["items"]
    assert len(taken) == 1

    retried = await publish(gw, inspection["id"], sent.headers["etag"])
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "published" and retried.json()["snapshot_id"] == taken[0]["id"]
    assert len((await gw.get(snapshots)).json()["items"]) == 1  # the retry reused the snapshot
    assert (await gw.get(f"/api/v1/inspections/{inspection['id']}")).json()["status"] == "published"


class RefusingChanges(httpx.AsyncBaseTransport):
    """The network to a service that answers reads but whose writes never arrive (it stops mid-way)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            raise httpx.ConnectError("the service stopped", request=request)
        return await self.inner.handle_async_request(request)


async def test_a_publication_frozen_but_not_accepted_by_cases_completes_on_retry(stack: Stack, gw: httpx.AsyncClient) -> None:
    inspection = await written_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/report"
    sent = await send_for_comment(gw, inspection["id"])
    cases = stack.transport.apps["cases.test"]
    stack.transport.apps["cases.test"] = RefusingChanges(cases)
    try:
        failed = await publish(gw, inspection["id"], sent.headers["etag"])
    finally:
        stack.transport.apps["cases.test"] = cases
    assert failed.status_code == 503, failed.text
    state = (await gw.get(f"{url}/status")).json()
    assert (state["status"], state["publication_pending"], state["sha256"]) == ("sent_for_comment", True, None)
    assert (await gw.get(url)).json()["status"] == "sent_for_comment"  # nothing published: the draft is served
    assert (await gw.get(f"/api/v1/inspections/{inspection['id']}")).json()["status"] != "published"
    comment = await gw.post(f"{url}/comments", json={"section": "1", "text": "late"})
    assert comment.status_code == 409  # the draft is frozen for publication

    retried = await publish(gw, inspection["id"], sent.headers["etag"])
    assert retried.status_code == 200, retried.text
    snapshots = (await gw.get(f"/api/v1/inspections/{inspection['id']}/scores/snapshots")).json()["items"]
    assert [s["id"] for s in snapshots] == [retried.json()["snapshot_id"]]
    frozen = await gw.get(url)
    assert hashlib.sha256(frozen.content).hexdigest() == retried.json()["sha256"]
    assert frozen.json()["snapshot_id"] == retried.json()["snapshot_id"]
    assert (await gw.get(f"/api/v1/inspections/{inspection['id']}")).json()["status"] == "published"


async def test_a_reader_never_sees_the_draft_while_publication_is_under_way(stack: Stack, gw: httpx.AsyncClient) -> None:
    # Publication moves the inspection to published in cases before it freezes the report: in that gap (or for
    # good if the last step failed) a reader or a report link is answered 404, not the live draft.
    inspection = await written_inspection(gw)
    await send_for_comment(gw, inspection["id"])
    url = f"/api/v1/inspections/{inspection['id']}"
    etag = (await gw.get(url)).headers["etag"]
    moved = await gw.patch(url, json={"status": "published"}, headers={"If-Match": etag})
    assert moved.status_code == 200, moved.text
    async with stack.client("reader", "member-of-the-public") as reader:
        answer = await reader.get(f"{url}/report", params={"format": "html"})
    assert answer.status_code == 404, answer.text[:200]
    assert answer.json()["detail"] == "this inspection's report is not published yet"
    assert (await gw.get(f"{url}/report")).json()["status"] == "sent_for_comment"  # the team still reads the draft
