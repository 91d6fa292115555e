"""Nothing personal in logs or spans: marker strings posted through every write path (and the bearer token
itself, in its header or in a report link's URL) never show up in captured log records or exported span
names, statuses, attributes or events; nor do the row values a database error's DETAIL quotes, in a logged
traceback or a failed request's span."""

import logging
import traceback

import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shared.logs import configure_logging
from shared.privacy import WITHHELD
from shared.server_spans import ServerSpans
from shared.telemetry import metrics_of, tracer_provider
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
        texts.append(span.status.description or "")  # a failed statement's: PostgreSQL's DETAIL quotes the row
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


# A stored value over two lines: its DETAIL is too, and the second line must be withheld as well as the first.
MARKED_VALUE = f"first line\n{MARK}"


async def _duplicate_error(stack: Stack) -> IntegrityError:
    """PostgreSQL's own unique violation: its DETAIL quotes MARKED_VALUE."""
    async with stack.apps["cases"].state.engine.connect() as connection:
        await connection.execute(text("CREATE TEMPORARY TABLE marked (value text UNIQUE)"))
        await connection.execute(text("INSERT INTO marked VALUES (:value)"), {"value": MARKED_VALUE})
        with pytest.raises(IntegrityError) as raised:
            await connection.execute(text("INSERT INTO marked VALUES (:value)"), {"value": MARKED_VALUE})
        await connection.rollback()
    # What there is to withhold: the traceback's chained asyncpg error (SQLAlchemy's own text leaves DETAIL out).
    assert f"DETAIL:  Key (value)=({MARKED_VALUE}) already exists." in "".join(traceback.format_exception(raised.value))
    return raised.value


def _driver_error(error: BaseException) -> BaseException:
    """The asyncpg exception in ``error``'s chain: its own text quotes the DETAIL."""
    while MARK not in str(error):
        assert error.__cause__ is not None, "no exception in the chain quotes the row"
        error = error.__cause__
    return error


def _raised_from(error: Exception) -> BaseException:
    try:
        raise RuntimeError("a request failed") from error
    except RuntimeError as failed:
        return failed


async def test_a_database_errors_row_values_reach_no_log_or_span(stack: Stack, caplog: pytest.LogCaptureFixture, capsys) -> None:
    if stack.backend != "postgresql":
        pytest.skip("PostgreSQL's DETAIL line: SQLite's errors quote no values")
    caplog.set_level(logging.DEBUG)
    error = await _duplicate_error(stack)
    # Logged as the 500 handler and uvicorn log it, and by any other logger through the JSON log's handler.
    for name in ("shared.problems", "uvicorn.error"):
        logging.getLogger(name).error("unhandled error", exc_info=_raised_from(error))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("probe", "INFO")
        logging.getLogger("sqlalchemy.pool").error("reset failed", exc_info=_raised_from(error))
        logging.getLogger("omi.test").warning("failed: %s", _driver_error(error))
        json_lines = capsys.readouterr().out
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    logged = [caplog.text, json_lines]
    assert all("UniqueViolationError" in text and WITHHELD in text for text in logged), logged
    assert not [text for text in logged if MARK in text]
    # A request's span, where the error escapes the app (the server span records it as an event).
    exporter = InMemorySpanExporter()
    provider = tracer_provider("probe", [SimpleSpanProcessor(exporter)])

    async def failing(scope, receive, send) -> None:
        raise _driver_error(error)  # its message, the span's status and the event's message, quotes the row

    served = ServerSpans(failing, provider, metrics_of(provider).provider, routes=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(served), base_url="http://probe") as client:
        with pytest.raises(type(_driver_error(error))):
            await client.get("/api/v1/anything")
    (span,) = exporter.get_finished_spans()
    texts = [span.status.description or "", *(f"{v}" for event in span.events for v in (event.attributes or {}).values())]
    assert WITHHELD in (span.status.description or "") and not [text for text in texts if MARK in text], texts
