"""Faults on real processes (PostgreSQL when OMI_TEST_POSTGRES_URL is set, else SQLite), bounded in time and count.

A service SIGKILLed under load and started again: every write the client saw acknowledged is stored exactly
once with what was sent, every failure it saw is a 502/503/504 problem+json, and the suite recovers by
itself. SIGTERM drains: every request already accepted is answered. PostgreSQL itself restarted under load
(pools recover, nothing acknowledged lost) only with CI=true or OMI_TEST_RESTART_POSTGRES=1: it disturbs
every other test using the server.
"""

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from shared.testing.factories import generated_rows
from tests.processes import Process, admin_headers_of, drop_databases, postgres_databases, sqlite_urls, suite
from tests.test_assessments import LICENCE_CASE

POSTGRES_URL = os.environ.get("OMI_TEST_POSTGRES_URL")
RESTART_POSTGRES = os.environ.get("CI", "").lower() == "true" or os.environ.get("OMI_TEST_RESTART_POSTGRES") == "1"
PROBLEM = "application/problem+json"
FAILURE_STATUSES = {502, 503, 504}
LOAD_SECONDS_AFTER_RECOVERY = 0.5
RECOVERY_BOUND_SECONDS = 30.0
FAILURE_PAUSE_SECONDS = 0.2
# Alone (`make test` runs these after the parallel run): one restarts PostgreSQL under every other test, and
# a kill's recovery or a SIGTERM's drain is bounded in time, not to be shared with another worker's load.
pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Process]]:
    folder: Path = tmp_path_factory.mktemp("faults")
    run = uuid.uuid4().hex[:8]
    urls = asyncio.run(postgres_databases(POSTGRES_URL, f"omi_fault_{run}")) if POSTGRES_URL else sqlite_urls(folder)
    gateway_env = {"OMI_GATEWAY_BREAKER_COOLDOWN_SECONDS": "0.5", "OMI_GATEWAY_READ_TIMEOUT": "10"}
    running = suite(folder, urls, services=("cases", "scoring"), gateway_env=gateway_env)
    try:
        for process in running.values():
            process.start(wait=False)
        for process in running.values():
            process.wait_ready()
        yield running
    finally:
        for process in running.values():
            process.stop()
        if POSTGRES_URL:
            asyncio.run(drop_databases(POSTGRES_URL, urls))


@pytest.fixture
async def client(processes: dict[str, Process]) -> AsyncIterator[httpx.AsyncClient]:
    headers = admin_headers_of(processes["gateway"])
    async with httpx.AsyncClient(base_url=processes["gateway"].url, timeout=30, headers=headers) as gateway:
        yield gateway


async def check_failure(response: httpx.Response, seen: list[int]) -> None:
    """A failure the client sees is one of the gateway's three, as problem+json; the client then pauses
    (as Retry-After asks, shortened: the load stays bounded without slowing the test)."""
    assert response.status_code in FAILURE_STATUSES, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == PROBLEM, response.text[:300]
    seen.append(response.status_code)
    await asyncio.sleep(FAILURE_PAUSE_SECONDS)


async def restart(process: Process, down_seconds: float = 0.5) -> None:
    process.kill()
    await asyncio.sleep(down_seconds)  # requests meanwhile find nothing listening
    await asyncio.to_thread(process.start)


@dataclass
class Ledger:
    """What the client sent and what it was told, to compare with what is stored."""

    acknowledged_cases: dict[str, dict] = field(default_factory=dict)  # reference → case answered
    unanswered_cases: dict[str, dict] = field(default_factory=dict)  # reference → body, no 2xx seen
    answers: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # case id → acknowledged, in order
    possible: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # case id → failed since the last ack
    failures: list[int] = field(default_factory=list)
    successes_after: dict[str, int] = field(default_factory=dict)  # worker → successes since recovery began


async def seed(client: httpx.AsyncClient, cases: int) -> tuple[str, list[str], list[str]]:
    body = {"area": "Faults", "country": "england", "fieldwork_start": "2008-06-09", "framework_id": "omi-2008"}
    inspection = (await client.post("/api/v1/inspections", json=body)).json()
    framework = (await client.get("/api/v1/frameworks/omi-2008")).json()
    questions = [
        q["id"]
        for s in framework["sections"]
        for c in s["criteria"]
        for q in c["questions"]
        if q["applies_to"] is None or "licence" in q["applies_to"]
    ][:6]
    ids = []
    for number in range(cases):
        case = LICENCE_CASE | {"reference": f"S-{number}"}
        created = await client.post(f"/api/v1/inspections/{inspection['id']}/cases", json=case)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    return inspection["id"], ids, questions


async def writes_under(client: httpx.AsyncClient, fault: Callable[[], Awaitable[None]], workers: int = 3) -> Ledger:
    """Assessment PUTs (each worker its own cases) and keyed case POSTs while ``fault`` happens; the load
    goes on until every worker has succeeded again for a while after it, then everything is checked."""
    inspection_id, case_ids, questions = await seed(client, workers * 2)
    ledger = Ledger()
    recovering = asyncio.Event()
    stop = asyncio.Event()

    def note_success(worker: str) -> None:
        if recovering.is_set():
            ledger.successes_after[worker] = ledger.successes_after.get(worker, 0) + 1

    async def put_assessments(worker: int) -> None:
        mine = case_ids[worker * 2 : worker * 2 + 2]
        turn = 0
        while not stop.is_set():
            case_id = mine[turn % len(mine)]
            # Each case's versions alternate, so the stored one tells which write landed last.
            answers = {q: ("yes" if (turn // 2 + i) % 2 else "no") for i, q in enumerate(questions)}
            turn += 1
            url = f"/api/v1/cases/{case_id}/assessment"
            current = await client.get(url)
            if current.status_code not in (200, 404):
                await check_failure(current, ledger.failures)
                continue
            headers = {"If-Match": current.headers["etag"]} if current.status_code == 200 else {}
            response = await client.put(url, json={"answers": answers}, headers=headers)
            if response.status_code in (200, 201):
                ledger.answers.setdefault(case_id, []).append(answers)
                ledger.possible[case_id] = []
                note_success(f"put-{worker}")
            else:
                await check_failure(response, ledger.failures)
                ledger.possible.setdefault(case_id, []).append(answers)

    async def post_cases(worker: int) -> None:
        number = 0
        while not stop.is_set():
            reference = f"W{worker}-{number}"
            number += 1
            body = LICENCE_CASE | {"reference": reference, "tier": 1 + number % 4}
            response = await client.post(
                f"/api/v1/inspections/{inspection_id}/cases", json=body, headers={"Idempotency-Key": f"k-{reference}"}
            )
            if response.status_code in (200, 201):
                ledger.acknowledged_cases[reference] = response.json()
                note_success(f"post-{worker}")
            else:
                await check_failure(response, ledger.failures)
                ledger.unanswered_cases[reference] = body

    tasks = [asyncio.create_task(put_assessments(w)) for w in range(workers)]
    tasks += [asyncio.create_task(post_cases(w)) for w in range(workers)]
    try:
        await asyncio.sleep(0.5)
        await fault()
        recovering.set()
        deadline = time.monotonic() + RECOVERY_BOUND_SECONDS
        while len(ledger.successes_after) < len(tasks) and time.monotonic() < deadline:  # noqa: ASYNC110 - workers count
            await asyncio.sleep(0.1)
        assert len(ledger.successes_after) == len(tasks), f"not recovered: {ledger.successes_after}"
        await asyncio.sleep(LOAD_SECONDS_AFTER_RECOVERY)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    await check_stored(client, inspection_id, ledger)
    return ledger


async def check_stored(client: httpx.AsyncClient, inspection_id: str, ledger: Ledger) -> None:
    # A client that saw a failure sends the same keyed request again: it lands once, or is replayed.
    for reference, body in ledger.unanswered_cases.items():
        again = await client.post(
            f"/api/v1/inspections/{inspection_id}/cases", json=body, headers={"Idempotency-Key": f"k-{reference}"}
        )
        assert again.status_code in (200, 201), again.text
        ledger.acknowledged_cases[reference] = again.json()
    stored: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 500} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(f"/api/v1/inspections/{inspection_id}/cases", params=params)).json()
        stored += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    by_reference: dict[str, list[dict]] = {}
    for case in stored:
        by_reference.setdefault(case["reference"], []).append(case)
    for reference, answered in ledger.acknowledged_cases.items():
        assert len(by_reference.get(reference, [])) == 1, f"{reference} stored {len(by_reference.get(reference, []))} times"
        (case,) = by_reference[reference]
        assert case == answered, "stored as acknowledged"
        assert case["tier"] == (ledger.unanswered_cases.get(reference) or answered)["tier"]
    for case_id, acknowledged in ledger.answers.items():
        stored_answers = (await client.get(f"/api/v1/cases/{case_id}/assessment")).json()["answers"]
        # The last acknowledged version, or a later one whose answer the client never saw (502: it may have acted).
        assert stored_answers in [acknowledged[-1], *ledger.possible.get(case_id, [])], case_id


async def test_cases_killed_under_writes_loses_nothing_acknowledged(
    processes: dict[str, Process], client: httpx.AsyncClient
) -> None:
    ledger = await writes_under(client, lambda: restart(processes["cases"]))
    assert ledger.failures, "the kill was seen by the clients"
    assert set(ledger.failures) <= FAILURE_STATUSES


async def test_scoring_killed_under_score_reads_recovers(processes: dict[str, Process], client: httpx.AsyncClient) -> None:
    body = {"area": "Scores", "country": "england", "fieldwork_start": "2008-06-09", "framework_id": "omi-2008"}
    inspection = (await client.post("/api/v1/inspections", json=body)).json()
    framework = (await client.get("/api/v1/frameworks/omi-2008")).json()
    imported = await client.post(
        f"/api/v1/inspections/{inspection['id']}/assessments:import", json={"rows": generated_rows(framework, 30, 7)}
    )
    assert imported.status_code == 200, imported.text
    url = f"/api/v1/inspections/{inspection['id']}/scores"
    expected = (await client.get(url)).json()
    failures: list[int] = []
    after: list[bool] = []
    recovering = asyncio.Event()
    stop = asyncio.Event()

    async def read() -> None:
        while not stop.is_set():
            response = await client.get(url)
            if response.status_code == 200:
                assert response.json() == expected, "scores after the restart are the same scores"
                if recovering.is_set():
                    after.append(True)
            else:
                await check_failure(response, failures)

    readers = [asyncio.create_task(read()) for _ in range(3)]
    try:
        await asyncio.sleep(0.5)
        await restart(processes["scoring"])
        recovering.set()
        deadline = time.monotonic() + RECOVERY_BOUND_SECONDS
        while len(after) < 6 and time.monotonic() < deadline:  # noqa: ASYNC110 - readers append as they succeed
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.gather(*readers)
    assert failures, "the kill was seen by the clients"
    assert len(after) >= 6, "score reads succeed again without intervention"


def postgres_cluster(url: str) -> tuple[str, str]:
    """The version and name of the local cluster serving ``url`` (by its port), as pg_ctlcluster names it."""
    port = make_url(url).port or 5432
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True, timeout=30).stdout
    for line in listing.splitlines():
        version, name, cluster_port, *_ = line.split()
        if int(cluster_port) == port:
            return version, name
    raise AssertionError(f"no local PostgreSQL cluster listens on port {port}")


@pytest.mark.skipif(
    not (POSTGRES_URL and RESTART_POSTGRES), reason="restarts the shared PostgreSQL: CI=true or OMI_TEST_RESTART_POSTGRES=1"
)
async def test_postgres_restarted_under_writes_loses_nothing_acknowledged(client: httpx.AsyncClient) -> None:
    assert POSTGRES_URL is not None
    version, name = postgres_cluster(POSTGRES_URL)

    async def restart_postgres() -> None:
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"]
        await asyncio.to_thread(subprocess.run, command, check=True, timeout=60)

    ledger = await writes_under(client, restart_postgres)
    assert set(ledger.failures) <= FAILURE_STATUSES


async def direct_get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=2) as fresh:
        return await fresh.get(url)


async def _until_in_flight(client: httpx.AsyncClient, method: str, count: int) -> None:
    """Wait until the service counts ``count`` requests of ``method`` in flight (its /metrics)."""
    wanted = f'http_request_method="{method}"'
    for _ in range(600):
        served = (await client.get("/metrics")).text
        lines = [line for line in served.splitlines() if line.startswith("http_server_active_requests{") and wanted in line]
        if sum(float(line.rsplit(" ", 1)[1]) for line in lines) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the service never had {count} {method} requests in flight at once")


ROWS = 1500  # per import: imports write thousands of rows a second, so these are large to be still in progress


# Last in the file: it leaves cases stopped.
async def test_sigterm_answers_every_accepted_request(processes: dict[str, Process], client: httpx.AsyncClient) -> None:
    cases = processes["cases"]
    framework = (await client.get("/api/v1/frameworks/omi-2008")).json()
    body = {"area": "Drain", "country": "england", "fieldwork_start": "2008-06-09", "framework_id": "omi-2008"}
    inspections = [(await client.post("/api/v1/inspections", json=body)).json()["id"] for _ in range(8)]
    async with httpx.AsyncClient(base_url=cases.url, timeout=60, headers=admin_headers_of(cases)) as direct:
        # Slow-ish requests, each on its own connection, all in the service's hands before SIGTERM.
        imports = [
            asyncio.create_task(
                direct.post(f"/api/v1/inspections/{i}/assessments:import", json={"rows": generated_rows(framework, ROWS, n)})
            )
            for n, i in enumerate(inspections)
        ]
        # SIGTERM once the service has every request in hand (its own count of those in flight): a connection
        # still in the listening socket's queue is not accepted, and is refused by the stopping server.
        await _until_in_flight(direct, "POST", len(imports))
        assert not all(task.done() for task in imports), "the requests were still in progress at SIGTERM"
        code = await asyncio.to_thread(cases.terminate)
        results = await asyncio.gather(*imports)
    assert [r.status_code for r in results] == [200] * len(imports), [r.text[:200] for r in results if r.status_code != 200]
    assert all(r.json()["created"] == ROWS for r in results)
    assert code in (0, -signal.SIGTERM), "stopped by the SIGTERM after draining (uvicorn re-raises it), not killed"
    with pytest.raises(httpx.ConnectError):
        await direct_get(cases.url + "/healthz")
