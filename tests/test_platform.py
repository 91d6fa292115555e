"""The skeleton through the gateway: health, one OpenAPI document, problems, paging, idempotency, ETags, tracing."""

import json
import re
import uuid
from decimal import Decimal

import asyncpg.pgproto.pgproto as pgproto
import httpx
import numpy as np
import pytest
from opentelemetry.trace import SpanKind
from sqlalchemy import select

from shared.responses import to_json
from shared.tokens import sign
from tests.conftest import SERVICES, Stack, plan_inspection
from tests.helpers import PROBLEM, local_auth


async def test_health_and_readiness(gw: httpx.AsyncClient) -> None:
    assert (await gw.get("/healthz")).json() == {"status": "ok"}
    ready = await gw.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["services"] == {s: "ready" for s in sorted(SERVICES)}


async def test_openapi_is_one_document_with_every_public_path(stack: Stack, gw: httpx.AsyncClient) -> None:
    merged = (await gw.get("/openapi.json")).json()
    assert merged["openapi"].startswith("3.1")
    for name in SERVICES:
        async with stack.service(name) as client:
            own = (await client.get("/openapi.json")).json()
        public = {p for p in own["paths"] if p.startswith("/api/v1/")}
        assert public <= merged["paths"].keys(), name
        for schema in own.get("components", {}).get("schemas", {}):
            assert schema in merged["components"]["schemas"]
    assert "/api/v1/inspections" in merged["paths"] and "/api/v1/frameworks/{framework_id}" in merged["paths"]
    assert "/healthz" in merged["paths"] and "/readyz" in merged["paths"]
    assert "Problem" in merged["components"]["schemas"]
    docs = await gw.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text


async def test_create_read_and_page_inspections(gw: httpx.AsyncClient) -> None:
    created = [await plan_inspection(gw, area=f"Area {i}") for i in range(5)]
    first = created[0]
    assert first["status"] == "planned" and first["framework_id"] == "omi-2008" and first["framework_version"] == 1
    assert first["fieldwork_end"] == "2008-06-13"
    one = await gw.get(f"/api/v1/inspections/{first['id']}")
    assert one.status_code == 200 and one.json() == first and one.headers["etag"]

    seen, cursor = [], None
    while True:
        page = (await gw.get("/api/v1/inspections", params={"limit": 2} | ({"cursor": cursor} if cursor else {}))).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["id"] for c in created]
    assert (await gw.get("/api/v1/inspections", params={"limit": 501})).status_code == 422
    bad_cursor = await gw.get("/api/v1/inspections", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 422 and bad_cursor.headers["content-type"] == PROBLEM
    assert bad_cursor.json()["errors"][0]["field"] == "cursor"


async def test_missing_inspection_is_a_problem(gw: httpx.AsyncClient) -> None:
    response = await gw.get("/api/v1/inspections/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 404


async def test_replayed_idempotency_key_creates_nothing_new(gw: httpx.AsyncClient) -> None:
    body = {"area": "Wales", "country": "wales", "fieldwork_start": "2008-03-03", "framework_id": "omi-2008"}
    first = await gw.post("/api/v1/inspections", json=body, headers={"Idempotency-Key": "k-1"})
    again = await gw.post("/api/v1/inspections", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert len((await gw.get("/api/v1/inspections")).json()["items"]) == 1

    other = await gw.post("/api/v1/inspections", json=body | {"area": "Dyfed"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409 and other.headers["content-type"] == PROBLEM
    assert len((await gw.get("/api/v1/inspections")).json()["items"]) == 1
    fresh = await gw.post("/api/v1/inspections", json=body, headers={"Idempotency-Key": "k-2"})
    assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]


async def test_updates_need_a_current_if_match(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}"
    etag = (await gw.get(url)).headers["etag"]

    missing = await gw.patch(url, json={"status": "fieldwork"})
    assert missing.status_code == 428 and missing.headers["content-type"] == PROBLEM
    moved = await gw.patch(url, json={"status": "fieldwork"}, headers={"If-Match": etag})
    assert moved.status_code == 200 and moved.json()["status"] == "fieldwork"
    assert moved.headers["etag"] != etag
    stale = await gw.patch(url, json={"area": "Elsewhere"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.headers["content-type"] == PROBLEM
    assert (await gw.get(url)).json()["area"] == "West Midlands"
    back = await gw.patch(url, json={"status": "planned"}, headers={"If-Match": moved.headers["etag"]})
    assert back.status_code == 409


async def test_bad_input_is_422_naming_the_field(gw: httpx.AsyncClient) -> None:
    response = await gw.post("/api/v1/inspections", json={"area": "X", "country": "france", "fieldwork_start": "2008-13-45"})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert {e["field"] for e in problem["errors"]} == {"country", "fieldwork_start"}
    assert "Traceback" not in response.text

    broken = await gw.post("/api/v1/inspections", content=b'{"area": "X",', headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.headers["content-type"] == PROBLEM
    assert broken.json()["errors"][0]["type"] == "json_invalid"

    unknown = await plan_or_problem(gw, framework_id="no-such-framework")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "framework_id"
    assert (await gw.get("/api/v1/inspections")).json()["items"] == []


async def plan_or_problem(gw: httpx.AsyncClient, **fields) -> httpx.Response:
    body = {"area": "West Midlands", "country": "england", "fieldwork_start": "2008-06-09"} | fields
    return await gw.post("/api/v1/inspections", json=body)


async def test_request_id_and_trace_context_on_every_response(gw: httpx.AsyncClient) -> None:
    minted = await gw.get("/api/v1/inspections")
    assert len(minted.headers["x-request-id"]) >= 16
    assert minted.headers["traceparent"].startswith("00-")
    kept = await gw.get("/api/v1/inspections", headers={"X-Request-ID": "req-42"})
    assert kept.headers["x-request-id"] == "req-42"


async def test_one_trace_from_gateway_through_two_services_to_the_database(stack: Stack, gw: httpx.AsyncClient) -> None:
    # Planning an inspection: gateway -> cases -> scoring (reads the framework from its database).
    response = await gw.post(
        "/api/v1/inspections",
        json={"area": "Trace", "country": "england", "fieldwork_start": "2008-06-09", "framework_id": "omi-2008"},
    )
    assert response.status_code == 201
    spans = stack.spans.get_finished_spans()
    trace_ids = {s.context.trace_id for s in spans}
    assert len(trace_ids) == 1, "every span shares one trace id"
    assert response.headers["traceparent"].split("-")[1] == format(trace_ids.pop(), "032x")
    by_id = {s.context.span_id: s for s in spans}

    def service(span) -> str:
        return span.resource.attributes["service.name"]

    def chain(span) -> list[tuple[str, SpanKind]]:
        path = []
        while span is not None:
            path.append((service(span), span.kind))
            span = by_id.get(span.parent.span_id) if span.parent else None
        return list(reversed(path))

    database_spans = [
        s
        for s in spans
        if (service(s) == "scoring" and "db.system" in (s.attributes or {}))
        or (service(s) == "scoring" and "db.system.name" in (s.attributes or {}))
    ]
    assert database_spans, "the scoring service's database work is traced"
    path = chain(database_spans[0])
    services_in_order = [name for name, _ in path]
    assert services_in_order[0] == "gateway" and path[0][1] == SpanKind.SERVER
    # gateway -> cases -> scoring -> database, each hop a child of the one before
    compact = [n for i, n in enumerate(services_in_order) if i == 0 or services_in_order[i - 1] != n]
    assert compact == ["gateway", "cases", "scoring"]
    assert (path[-1][0], path[-1][1]) == ("scoring", SpanKind.CLIENT)
    assert ("cases", SpanKind.SERVER) in path and ("scoring", SpanKind.SERVER) in path
    cases_db = [
        s
        for s in spans
        if service(s) == "cases" and s.kind == SpanKind.CLIENT and s.attributes and any(k.startswith("db.") for k in s.attributes)
    ]
    assert cases_db, "the cases service's insert is traced too"


async def test_a_service_is_not_ready_until_its_database_is_migrated(tmp_path) -> None:
    from asgi_lifespan import LifespanManager

    from services.cases.app import create_app
    from services.cases.db import MIGRATIONS
    from services.cases.settings import CasesSettings
    from shared.migrations import migrate

    app = create_app(CasesSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/cases.db", migrate_on_start=False))
    async with LifespanManager(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cases")
        assert (await client.get("/healthz")).status_code == 200
        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503 and "revision None" in not_ready.json()["detail"]
        await migrate(app.state.engine, MIGRATIONS)
        assert (await client.get("/readyz")).status_code == 200


async def test_an_unexpected_error_is_a_500_problem_that_still_names_the_request(tmp_path) -> None:
    from asgi_lifespan import LifespanManager
    from fastapi import APIRouter

    from services.cases.db import MIGRATIONS
    from shared.service import Wiring, build_service
    from shared.settings import ServiceSettings

    broken = APIRouter()

    @broken.get("/api/v1/frameworks")  # a path of the role matrix, read by any role
    async def fail() -> None:
        raise RuntimeError("a bug")

    auth = local_auth(tmp_path / "keys")
    app = build_service(
        "probe",
        ServiceSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/p.db", auth=auth),
        migrations=MIGRATIONS,
        routers=[broken],
        wiring=Wiring(),
    )
    async with LifespanManager(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://p")
        token = sign(auth, "probe", "admin")
        response = await client.get("/api/v1/frameworks", headers={"X-Request-ID": "req-500", "Authorization": f"Bearer {token}"})
    assert response.status_code == 500 and response.headers["content-type"] == PROBLEM
    assert response.headers["x-request-id"] == "req-500" and response.headers["traceparent"].startswith("00-")
    assert "a bug" not in response.text and "Traceback" not in response.text


async def test_an_expired_idempotency_key_is_forgotten(stack: Stack, gw: httpx.AsyncClient) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from shared.idempotency import KEEP_FOR, IdempotencyRecord

    body = {"area": "Kent", "country": "england", "fieldwork_start": "2008-03-03"}
    first = await gw.post("/api/v1/inspections", json=body, headers={"Idempotency-Key": "old"})
    async with stack.apps["cases"].state.sessionmaker() as session, session.begin():
        long_ago = datetime.now(UTC) - KEEP_FOR - timedelta(minutes=1)
        await session.execute(update(IdempotencyRecord).values(created_at=long_ago))
    again = await gw.post("/api/v1/inspections", json=body, headers={"Idempotency-Key": "old"})
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]
    async with stack.apps["cases"].state.sessionmaker() as session:
        assert len((await session.execute(select(IdempotencyRecord))).all()) == 1


async def test_the_merged_openapi_document_is_valid_openapi_3_1(gw: httpx.AsyncClient) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    document = (await gw.get("/openapi.json")).json()
    validate(document, cls=OpenAPIV31SpecValidator)
    text = json.dumps(document)
    for name in re.findall(r'"#/components/schemas/([^"]+)"', text):
        assert name in document["components"]["schemas"], f"dangling reference to {name}"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (path, method, status)


def test_documents_built_outside_pydantic_serialise_uuids_and_refuse_anything_unknown() -> None:
    value = uuid.uuid4()
    assert to_json({"id": pgproto.UUID(str(value)), "plain": value}) == f'{{"id":"{value}","plain":"{value}"}}'.encode()
    for unknown in (Decimal("1.5"), np.float64(1.5), object()):
        with pytest.raises(TypeError):
            to_json({"value": unknown})
