"""Ingest benchmarks: assessment PUTs (155 answers, each the first write of its case, 16 connections, wrk),
case POSTs and questionnaire return POSTs, through the gateway and direct; bulk `assessments:import` of
2,000 rows as JSON and as CSV; each against the database's raw ceilings measured in the same run."""

import asyncio
import csv
import io
import json
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench import seed
from bench.load import Counts, Paths, repeated
from bench.proc import Meter
from bench.questionnaires import inspection as questionnaire
from bench.questionnaires import offender_rows
from bench.suite import Suite
from bench.table import Row, against, loaded
from shared.testing.factories import generated_rows
from tests.helpers import LICENCE_CASE

GROUP = "ingest"
PUT_TARGET_RATIO = 0.18  # of the raw single-row ceiling: >= 500/s against about 2,800/s
IMPORT_TARGET_RATIO = 0.25  # of raw COPY of the same rows
CASES_PER_SECOND = 1000  # the most a run may use (a repeated case shows as 428 answers in the row's note)


@dataclass
class Puts:
    """An open inspection with cases seeded to take their first assessment, and the 155-answer body."""

    inspection_id: str
    case_id: str
    case_type: str
    answers: dict[str, str]
    pool: Paths

    @property
    def body(self) -> str:
        return json.dumps({"answers": self.answers, "assessor": "bench"})


def full_answers(framework: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The case type with the most questions, and an answer to each of them."""
    questions = [q for s in framework["sections"] for c in s["criteria"] for q in c["questions"]]
    types = {t for q in questions for t in (q["applies_to"] or [])} or {"licence"}

    def applying(case_type: str) -> list[str]:
        return [q["id"] for q in questions if q["applies_to"] is None or case_type in q["applies_to"]]

    case_type = max(sorted(types), key=lambda t: len(applying(t)))
    return case_type, {qid: ("yes", "no", "na")[n % 3] for n, qid in enumerate(applying(case_type))}


async def new_inspection(client: httpx.AsyncClient, area: str, start: str = "2009-03-02") -> str:
    body = {"area": area, "country": "england", "fieldwork_start": start, "framework_id": "omi-2008"}
    response = await client.post("/api/v1/inspections", json=body)
    assert response.status_code == 201, response.text[:300]
    return str(response.json()["id"])


async def prepare(suite: Suite, cases: int) -> Puts:
    """``cases`` cases copied into the database from one the API created (the seed is not what is measured)."""
    async with httpx.AsyncClient(base_url=suite.gateway, headers=suite.headers, timeout=120) as client:
        framework = (await client.get("/api/v1/frameworks/omi-2008")).json()
        case_type, answers = full_answers(framework)
        inspection_id = await new_inspection(client, "Bench puts")
        created = await client.post(
            f"/api/v1/inspections/{inspection_id}/cases", json=LICENCE_CASE | {"case_type": case_type, "reference": "T-1"}
        )
        assert created.status_code == 201, created.text[:300]
        case_id = str(created.json()["id"])
    ids = await seed.cases_like(seed.Table(suite, "cases"), case_id, cases)
    return Puts(inspection_id, case_id, case_type, answers, Paths([f"/api/v1/cases/{c}/assessment" for c in ids]))


def put_load(puts: Puts, base: str, headers: dict[str, str], counts: Counts, meter: Meter):
    put_headers = headers | {"Content-Type": "application/json"}
    return repeated(base, puts.pool, "PUT", put_headers, puts.body, budget_per_second=CASES_PER_SECOND, **counts.load(meter))


def cases_needed(counts: Counts, loads: int) -> int:
    return loads * CASES_PER_SECOND * (max(1, round(counts.seconds)) * counts.repeat + max(1, round(counts.warmup)))


def _csv(rows: list[dict[str, Any]]) -> str:
    questions = sorted({q for row in rows for q in row["answers"]})
    columns = [c for c in rows[0] if c != "answers"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns + questions)
    for row in rows:
        writer.writerow(
            [str(row[c]).lower() if isinstance(row[c], bool) else row[c] for c in columns]
            + [row["answers"].get(q, "") for q in questions]
        )
    return out.getvalue()


async def _imports(suite: Suite, counts: Counts, meter: Meter, kind: str) -> tuple[list[float], dict[str, float]]:
    """Milliseconds of each bulk import (a new inspection each), and CPU ms per imported row."""
    async with httpx.AsyncClient(base_url=suite.gateway, headers=suite.headers, timeout=600) as client:
        framework = (await client.get("/api/v1/frameworks/omi-2008")).json()

        async def one(number: int) -> float:
            inspection_id = await new_inspection(client, f"Bench import {kind} {number}")
            rows = generated_rows(framework, counts.import_rows, 500 + number)
            url = f"/api/v1/inspections/{inspection_id}/assessments:import"
            started = time.perf_counter()
            if kind == "JSON":
                response = await client.post(url, json={"rows": rows, "reason": "bench"})
            else:
                response = await client.post(url, content=_csv(rows), headers={"Content-Type": "text/csv"})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200 and response.json()["created"] == counts.import_rows, response.text[:500]
            return elapsed

        await one(0)  # warm-up
        meter.start()
        spent = [await one(number) for number in range(1, counts.imports + 1)]
        cpu = meter.stop()
    work = counts.imports * counts.import_rows
    return spent, {name: round(seconds * 1000 / work, 3) for name, seconds in cpu.items()}


async def imports(suite: Suite, counts: Counts, meter: Meter, copy_rate: float | None) -> list[Row]:
    rows = []
    for kind in ("JSON", "CSV"):
        spent, cpu = await _imports(suite, counts, meter, kind)
        rates = [counts.import_rows / (ms / 1000) for ms in spent]
        row = Row(GROUP, f"bulk import, {counts.import_rows:,} rows, {kind}: gateway", "rows/s", statistics.median(rates))
        row.runs, row.cpu_ms_per_request = [round(r, 1) for r in rates], cpu
        row.note = "CPU is per imported row"
        rows.append(against(row, copy_rate, "raw COPY", IMPORT_TARGET_RATIO) if copy_rate else row)
    return rows


async def _returns_fixture(suite: Suite) -> str:
    async with httpx.AsyncClient(base_url=suite.gateway, headers=suite.headers, timeout=120) as client:
        return (await questionnaire(client, 77)) + "/returns"


def case_body() -> str:
    """A case POST's body, its reference unique per request (wrk fills in @RUN@ and @N@)."""
    return json.dumps(LICENCE_CASE | {"reference": "P@RUN@-@N@"})


def return_body() -> str:
    """An offender's return POST's body, its key unique per request."""
    return json.dumps({"answers": offender_rows(1, 3)[0]["answers"], "return_key": "r@RUN@-@N@"})


def posts(suite: Suite, counts: Counts, meter: Meter, inspection_id: str, ceiling: float | None) -> list[Row]:
    """Case POSTs and questionnaire return POSTs (each a new one, unique reference/key per request)."""
    json_headers = suite.headers | {"Content-Type": "application/json"}
    case, returned = case_body(), return_body()
    returns_path = asyncio.run(_returns_fixture(suite))
    cases_path = [f"/api/v1/inspections/{inspection_id}/cases"]
    rows = []
    for what, path, body, service in (
        ("case POST", cases_path, case, "cases"),
        ("questionnaire return POST", [returns_path], returned, "questionnaires"),
    ):
        for where, base in (("gateway", suite.gateway), ("direct", suite.urls[service])):
            row = loaded(GROUP, f"{what}: {where}", repeated(base, path, "POST", json_headers, body, **counts.load(meter)))
            rows.append(against(row, ceiling, "raw single-row write") if ceiling else row)
    return rows


def put_rows(loads: dict[str, Any], ceiling: float | None) -> list[Row]:
    rows = []
    for where in ("gateway", "direct"):
        row = loaded(GROUP, f"assessment PUT, 155 answers, first write: {where}", loads[where])
        target = PUT_TARGET_RATIO if where == "gateway" else None
        rows.append(against(row, ceiling, "raw single-row write", target) if ceiling else row)
    return rows


def ceiling_rows(ceilings: dict[str, Any], import_rows: int) -> list[Row]:
    writes = Row(
        GROUP, "ceiling: raw asyncpg row + history row, 16 connections", "req/s", statistics.median(ceilings["write_rates"])
    )
    latencies = ceilings["write_ms"]
    writes.p95 = sorted(latencies)[int(len(latencies) * 0.95)]
    writes.p99 = sorted(latencies)[int(len(latencies) * 0.99)]
    writes.runs = [round(r, 1) for r in ceilings["write_rates"]]
    copy = Row(
        GROUP, f"ceiling: raw COPY of {import_rows:,} rows + history rows", "rows/s", statistics.median(ceilings["copy_rates"])
    )
    copy.runs = [round(r, 1) for r in ceilings["copy_rates"]]
    return [writes, copy]
