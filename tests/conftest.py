"""The whole suite, in process: every service with its own real, migrated database, behind the real gateway.

Database tests run on SQLite, and on PostgreSQL too when OMI_TEST_POSTGRES_URL is set (each run
in freshly created databases, dropped afterwards). Under CI=true a missing PostgreSQL fails.
Calls between services and from the gateway go through httpx to the other apps' ASGI interfaces,
so every request crosses the same code as in production but the socket.
"""

import asyncio
import contextvars
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.cases.app import create_app as create_cases
from services.cases.settings import CasesSettings
from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.questionnaires.app import create_app as create_questionnaires
from services.questionnaires.settings import QuestionnairesSettings
from services.reporting.app import create_app as create_reporting
from services.reporting.settings import ReportingSettings
from services.scoring.app import create_app as create_scoring
from services.scoring.settings import ScoringSettings
from shared.audit import TABLE as AUDIT_TABLE
from shared.service import Wiring
from shared.tokens import AuthSettings, sign
from tests.helpers import bearer, local_auth
from tests.processes import drop_databases, postgres_databases

SERVICES = ("cases", "questionnaires", "scoring", "reporting")
# Reference data a service loads at start-up; everything else is emptied after each test.
KEPT_TABLES = {"alembic_version", "framework_documents", "questionnaire_templates"}
POSTGRES_URL = os.environ.get("OMI_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"
# The team's reference material (the published report, its figures) sits beside the repo as ../shared.
REFERENCE = Path(__file__).resolve().parents[2] / "shared"


def reference_file(relative: str) -> Path:
    """A file of ../shared: absent in a bare clone, where the tests reading it skip; required under CI=true."""
    path = REFERENCE / relative
    if not path.is_file():
        if IN_CI:
            pytest.fail(f"CI=true but the reference material {path} is missing")
        pytest.skip(f"reference material {path} is absent (../shared beside the repo; CI=true requires it)")
    return path


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if POSTGRES_URL or IN_CI else ["sqlite"]


def url_of(service: str) -> str:
    return f"http://{service}.test"


class AppsTransport(httpx.AsyncBaseTransport):
    """Routes a request to the in-process app named by its host; an unknown host is unreachable."""

    def __init__(self) -> None:
        self.apps: dict[str, httpx.ASGITransport] = {}

    def mount(self, host: str, app: FastAPI) -> None:
        self.apps[host] = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.apps.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"nothing listens at {request.url.host}", request=request)
        # A fresh context, as in another process: nothing (current span, request id) leaks from the caller.
        return await asyncio.create_task(transport.handle_async_request(request), context=contextvars.Context())


@dataclass
class Stack:
    backend: str
    gateway: httpx.AsyncClient
    spans: InMemorySpanExporter
    database_urls: dict[str, str]
    apps: dict[str, FastAPI]
    auth: AuthSettings
    transport: AppsTransport
    # Each service's tables that gw empties after a test, in the order to empty them (read once, when migrated).
    emptied: dict[str, list[Table]]

    def token(self, role: str = "admin", subject: str | None = None) -> str:
        return sign(self.auth, subject or f"test-{role}", role)

    def headers(self, role: str = "admin", subject: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, subject)}"}

    def client(self, role: str, subject: str | None = None) -> httpx.AsyncClient:
        """A gateway client sending a token of this role (subject defaults to test-<role>)."""
        return httpx.AsyncClient(
            transport=self.transport, base_url=url_of("gateway"), timeout=60, headers=self.headers(role, subject)
        )

    @contextmanager
    def stopped(self, *names: str) -> Iterator[None]:
        """The named services unreachable, as if their processes had stopped, until the block ends."""
        mounted = {name: self.transport.apps.pop(f"{name}.test") for name in names}
        try:
            yield
        finally:
            self.transport.apps.update({f"{name}.test": app for name, app in mounted.items()})

    def service(self, name: str) -> httpx.AsyncClient:
        """A client straight to one service, bypassing the gateway (with an admin token: services check it too)."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.apps[name]), base_url=url_of(name), headers=self.headers()
        )


async def create_postgres_databases(run: str) -> dict[str, str]:
    if not POSTGRES_URL:
        pytest.fail("CI=true but OMI_TEST_POSTGRES_URL is not set: the PostgreSQL run cannot be skipped in CI")
    try:
        return await postgres_databases(POSTGRES_URL, f"omi_test_{run}")
    except OSError as exc:
        pytest.fail(f"PostgreSQL at OMI_TEST_POSTGRES_URL is not reachable: {exc}")


async def drop_postgres_databases(urls: dict[str, str]) -> None:
    assert POSTGRES_URL is not None
    await drop_databases(POSTGRES_URL, urls)


def build_apps(database_urls: dict[str, str], wiring: Wiring, auth: AuthSettings, **overrides) -> dict[str, FastAPI]:
    # SQL spans on: the trace tests follow a request down to its statements.
    common = {"migrate_on_start": True, "auth": auth, "trace_sql": True}
    return {
        "cases": create_cases(
            CasesSettings(
                database_url=database_urls["cases"],
                scoring_url=url_of("scoring"),
                questionnaires_url=url_of("questionnaires"),
                reporting_url=url_of("reporting"),
                **common,
            ),
            wiring,
        ),
        "questionnaires": create_questionnaires(
            QuestionnairesSettings(database_url=database_urls["questionnaires"], cases_url=url_of("cases"), **common), wiring
        ),
        "scoring": create_scoring(
            ScoringSettings(
                database_url=database_urls["scoring"],
                cases_url=url_of("cases"),
                **common,
                **overrides.get("scoring", {}),
            ),
            wiring,
        ),
        "reporting": create_reporting(
            ReportingSettings(
                database_url=database_urls["reporting"],
                cases_url=url_of("cases"),
                scoring_url=url_of("scoring"),
                questionnaires_url=url_of("questionnaires"),
                **common,
            ),
            wiring,
        ),
        "gateway": create_gateway(
            GatewaySettings(
                services={s: url_of(s) for s in SERVICES},
                auth=auth,
                rate_limit="1000000/minute",  # the suite is one subject; tests/test_edges.py tests the limit
                **overrides.get("gateway", {}),
            ),
            wiring,
        ),
    }


@pytest.fixture(scope="session", params=backends())
async def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    backend = request.param
    run = uuid.uuid4().hex[:8]
    if backend == "sqlite":
        folder: Path = tmp_path_factory.mktemp(f"db-{run}")
        database_urls = {s: f"sqlite+aiosqlite:///{folder / s}.db" for s in SERVICES}
    else:
        database_urls = await create_postgres_databases(run)
    spans = InMemorySpanExporter()
    transport = AppsTransport()
    auth = local_auth(tmp_path_factory.mktemp(f"keys-{run}"))
    apps = build_apps(database_urls, Wiring(span_processors=[SimpleSpanProcessor(spans)], transport=transport), auth)
    try:
        async with AsyncExitStack() as exits:
            for name, app in apps.items():
                await exits.enter_async_context(LifespanManager(app))
                transport.mount(f"{name}.test", app)
            for app in apps.values():  # ready, as a deployment waits for /readyz
                if hasattr(app.state, "warm"):
                    await app.state.warm.wait()
            emptied = {name: await emptied_tables(apps[name].state.engine) for name in SERVICES}
            # Emptied before the first test too (start-up writes audit records), so no test sees another's
            # state whichever runs first on a worker.
            await asyncio.gather(*(empty(apps[name].state.engine, emptied[name]) for name in SERVICES))
            admin = bearer(auth, "test-admin", "admin", 24)
            gateway = await exits.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url=url_of("gateway"), timeout=60, headers=admin)
            )
            yield Stack(backend, gateway, spans, database_urls, apps, auth, transport, emptied)
    finally:
        if backend == "postgresql":
            await drop_postgres_databases(database_urls)


async def emptied_tables(engine: AsyncEngine) -> list[Table]:
    """The tables of a migrated database, dependents first, less the reference data a service loads at start-up.
    Read once per stack: no test changes a stack's schema, and reflecting per test cost more than the test."""
    metadata = MetaData()
    async with engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
    return [table for table in reversed(metadata.sorted_tables) if table.name not in KEPT_TABLES]


async def empty(engine: AsyncEngine, tables: list[Table]) -> None:
    """Every row of ``tables`` deleted (the append-only audit table needs TRUNCATE in PostgreSQL)."""
    async with engine.begin() as connection:
        for table in tables:
            if table.name == AUDIT_TABLE and connection.dialect.name == "postgresql":
                await connection.execute(text(f"TRUNCATE {AUDIT_TABLE}"))
            else:
                await connection.execute(table.delete())


@pytest.fixture
async def gw(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway client (an admin token; stack.client(role) for others), with every service's data emptied
    after the test (reference data kept), the four databases at once."""
    stack.spans.clear()
    yield stack.gateway
    await asyncio.gather(*(empty(stack.apps[name].state.engine, stack.emptied[name]) for name in SERVICES))


async def plan_inspection(gw: httpx.AsyncClient, **fields) -> dict:
    body = {"area": "West Midlands", "country": "england", "fieldwork_start": "2008-06-09", "framework_id": "omi-2008"}
    response = await gw.post("/api/v1/inspections", json=body | fields)
    assert response.status_code == 201, response.text
    return response.json()
