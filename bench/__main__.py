"""`make bench`: the suite's speed, measured end to end on real processes (SQLite, loopback only).

Starts the whole suite with `python -m services.run` on free ports and a scratch data folder,
seeds it through the gateway, then reports:
- scoring one 120-case inspection with intervals: through the gateway, and inside the scoring
  service (its Server-Timing header: fetching the assessments, and scoring them);
- the national view of 50 published inspections of 120 cases: scored live, and from snapshots;
- drawing one case sample from a 20,000-case caseload, in process (the stratified draw alone);
- questionnaires (bench/questionnaires.py): a bulk import of 2,000 returns and their summary.
Targets: 50 ms for one inspection, 1 s for the national view end to end, 1 s for a draw; 2 s for
the import (1,000 returns a second) and 50 ms for the summary.
"""

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench import questionnaires
from services.cases.logic.draw import draw_sample
from shared.schemas.sampling import SampleMix
from shared.testing.factories import generate_caseload, generated_rows

TARGETS_MS = {"scores_e2e": 50.0, "national_live_e2e": 1000.0, "national_snapshots_e2e": 1000.0, "draw_20000": 1000.0}
SERVICES = {"cases": "CASES", "questionnaires": "QUESTIONNAIRES", "scoring": "SCORING", "reporting": "REPORTING"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _postgres_databases(admin_url: str) -> dict[str, str]:
    """Fresh databases, one per service, on the PostgreSQL server of ``admin_url``."""
    from sqlalchemy import make_url, text
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    urls = {}
    async with admin.connect() as connection:
        for service in SERVICES:
            name = f"omi_bench_{service}"
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
            urls[service] = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    await admin.dispose()
    return urls


@contextmanager
def running_suite(database_urls: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """The five processes under honcho, as `make run` starts them, torn down afterwards; yields their URLs.

    Databases: fresh SQLite files (the embedded default), or the given URLs."""
    folder = tempfile.mkdtemp(prefix="omi-bench-")
    ports = {name: _free_port() for name in [*SERVICES, "gateway"]}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = dict(os.environ, OMI_GATEWAY_PORT=str(ports["gateway"]), OMI_GATEWAY_READ_TIMEOUT="120", PYTHONUNBUFFERED="1")
    for name, prefix in SERVICES.items():
        env[f"OMI_{prefix}_PORT"] = str(ports[name])
        env[f"OMI_{prefix}_DATABASE_URL"] = (database_urls or {}).get(name, f"sqlite+aiosqlite:///{folder}/{name}.db")
        env[f"OMI_{prefix}_LOG_LEVEL"] = "WARNING"
        env[f"OMI_GATEWAY_SERVICES__{prefix}"] = url[name]
    env["OMI_GATEWAY_LOG_LEVEL"] = "WARNING"
    env |= {
        "OMI_CASES_SCORING_URL": url["scoring"],
        "OMI_SCORING_CASES_URL": url["cases"],
        "OMI_QUESTIONNAIRES_CASES_URL": url["cases"],
        "OMI_REPORTING_CASES_URL": url["cases"],
        "OMI_REPORTING_SCORING_URL": url["scoring"],
        "OMI_REPORTING_QUESTIONNAIRES_URL": url["questionnaires"],
    }
    log = open(os.path.join(folder, "suite.log"), "w")  # noqa: SIM115 - held by the suite process until it stops
    process = subprocess.Popen(
        [sys.executable, "-m", "services.run"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url['gateway']}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"the suite stopped; see {log.name}")
            time.sleep(0.3)
        else:
            raise RuntimeError(f"the suite did not become ready; see {log.name}")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


async def _seed(client: httpx.AsyncClient, count: int, seed: int, start: str) -> str:
    body = {"area": f"Area {seed}", "country": "england", "fieldwork_start": start, "framework_id": "omi-2008"}
    inspection = (await client.post("/api/v1/inspections", json=body)).json()
    framework = (await client.get("/api/v1/frameworks/omi-2008")).json()
    result = await client.post(
        f"/api/v1/inspections/{inspection['id']}/assessments:import", json={"rows": generated_rows(framework, count, seed)}
    )
    assert result.json()["created"] == count, result.text[:300]
    return inspection["id"]


async def _move(client: httpx.AsyncClient, inspection_id: str, status: str) -> None:
    url = f"/api/v1/inspections/{inspection_id}"
    etag = (await client.get(url)).headers["etag"]
    assert (await client.patch(url, json={"status": status}, headers={"If-Match": etag})).status_code == 200


def _server_timing(header: str) -> dict[str, float]:
    parts = (p.strip().split(";dur=") for p in header.split(","))
    return {name: float(value) for name, value in parts}


async def _change(client: httpx.AsyncClient, inspection_id: str, flip: int) -> None:
    """Store a new version of one assessment, so the next scores request cannot be served from cache."""
    case = (await client.get(f"/api/v1/inspections/{inspection_id}/cases", params={"limit": 1})).json()["items"][0]
    url = f"/api/v1/cases/{case['id']}/assessment"
    current = await client.get(url)
    answers = dict(current.json()["answers"])
    answers["1.2.S"] = "yes" if flip % 2 else "no"
    response = await client.put(url, json={"answers": answers}, headers={"If-Match": current.headers["etag"]})
    assert response.status_code == 200, response.text[:300]
    # Let the write's own work (commit, logs) finish: this measures the read that follows a change.
    await asyncio.sleep(0.1)


async def _time(
    client: httpx.AsyncClient, url: str, repeat: int, before=None, **params
) -> tuple[list[float], list[httpx.Response]]:
    timings, responses = [], []
    for number in range(repeat):
        if before is not None:
            await before(number)
        started = time.perf_counter()
        response = await client.get(url, params=params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
        responses.append(response)
    return timings, responses


def _row(name: str, timings: list[float], target: float | None) -> str:
    median = statistics.median(timings)
    p90 = sorted(timings)[max(0, int(len(timings) * 0.9) - 1)]
    verdict = "" if target is None else ("  within target" if median <= target else "  MISSES target")
    limit = f"{target:8.0f}" if target is not None else "       -"
    return f"{name:<50} {median:9.1f} {p90:9.1f} {limit}{verdict}"


async def run(gateway: str, inspections: int, repeat: int) -> list[tuple[str, list[float], float | None]]:
    rows = []
    async with httpx.AsyncClient(base_url=gateway, timeout=120) as client:
        one = await _seed(client, 120, 1, "2008-06-09")
        scores_url = f"/api/v1/inspections/{one}/scores"
        await _time(client, scores_url, 3)  # warm up the processes

        async def change_one(number: int) -> None:
            await _change(client, one, number)

        cold, responses = await _time(client, scores_url, repeat, before=change_one)
        inside = [_server_timing(r.headers["server-timing"]) for r in responses]
        warm, _ = await _time(client, scores_url, repeat)
        rows += [
            ("one inspection, 120 cases, changed: gateway", cold, TARGETS_MS["scores_e2e"]),
            ("  inside scoring: fetch + score", [t["fetch"] + t["score"] for t in inside], None),
            ("  inside scoring: score (intervals included)", [t["score"] for t in inside], None),
            ("one inspection, unchanged (kept scores): gateway", warm, TARGETS_MS["scores_e2e"]),
        ]
        print(f"seeding {inspections} inspections of 120 cases ...", file=sys.stderr, flush=True)
        ids = [await _seed(client, 120, 100 + n, f"2008-{1 + n % 12:02}-{1 + n % 27:02}") for n in range(inspections)]
        for inspection_id in ids:
            await _move(client, inspection_id, "reporting")  # assessments still open: scored live
        period = {"from": "2008-01-01", "to": "2008-12-31", "status": "reporting"}
        national_repeat = max(3, repeat // 10)

        async def change_all(number: int) -> None:
            for inspection_id in ids:
                await _change(client, inspection_id, number)

        national = "/api/v1/scores/national"
        timings, responses = await _time(client, national, national_repeat, before=change_all, **period)
        assert responses[0].json()["inspections"] == inspections
        rows.append((f"national view, {inspections} x 120, all changed: live", timings, TARGETS_MS["national_live_e2e"]))
        timings, _ = await _time(client, national, national_repeat, **period)
        rows.append((f"national view, {inspections} x 120, unchanged", timings, TARGETS_MS["national_live_e2e"]))
        for inspection_id in ids:
            await client.post(f"/api/v1/inspections/{inspection_id}/scores/snapshots", json={"label": "published"})
            await _move(client, inspection_id, "published")
        timings, _ = await _time(client, national, national_repeat, **(period | {"status": "published"}))
        rows.append((f"national view, {inspections} x 120, snapshots", timings, TARGETS_MS["national_snapshots_e2e"]))
    return rows


def draw_timings(repeat: int) -> list[float]:
    """Milliseconds to draw the default case sample from a 20,000-case caseload, one seed a time."""
    caseload = generate_caseload(20_000, seed=1)
    timings = []
    for seed in range(repeat):
        started = time.perf_counter()
        draw_sample(caseload, SampleMix(), seed=seed)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inspections", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", choices=["scores", "questionnaires"], help="run one group of measures")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a median misses its target")
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        help="run on fresh PostgreSQL databases of this server "
        "(e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) instead of SQLite",
    )
    options = parser.parse_args()
    database_urls = asyncio.run(_postgres_databases(options.postgres)) if options.postgres else None
    print(f"databases: {'PostgreSQL' if database_urls else 'SQLite'}", file=sys.stderr)
    rows = [("one case sample drawn from 20,000 cases", draw_timings(max(3, options.repeat // 5)), TARGETS_MS["draw_20000"])]
    with running_suite(database_urls) as urls:
        if options.only != "questionnaires":
            rows += asyncio.run(run(urls["gateway"], options.inspections, options.repeat))
        if options.only != "scores":
            rows += asyncio.run(questionnaires.measure(urls["gateway"], options.repeat))
    print(f"\n{'measure (ms)':<50} {'median':>9} {'p90':>9} {'target':>8}")
    for name, timings, target in rows:
        print(_row(name, timings, target))
    missed = [name for name, timings, target in rows if target is not None and statistics.median(timings) > target]
    if options.strict and missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
