"""Cost growth with stored data: assessment PUT throughput (gateway, wrk) and `GET .../scores` of one
120-case inspection after a change, with 1 then 100 stored assessments in each of 1,000 inspections (1,000
then 100,000). The stored assessments are copies, written straight into the cases database (bench/seed.py),
of one inspection, case and assessment the API wrote; fieldwork in 2010, so the national rows never see them."""

import asyncio
import statistics
import uuid
from typing import Any

import httpx

from bench import ingest, scores, seed
from bench.load import Counts
from bench.proc import Meter
from bench.suite import Suite
from bench.table import Row, loaded, timed

GROUP = "scaling"
FLAT = 0.2  # within 20% from the small end to the large end


async def _template(suite: Suite, answers: dict[str, str], case_type: str) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=suite.gateway, headers=suite.headers, timeout=120) as client:
        inspection_id = await ingest.new_inspection(client, "Bench scaling template", "2010-03-01")
        case = await client.post(
            f"/api/v1/inspections/{inspection_id}/cases",
            json=ingest.LICENCE_CASE | {"case_type": case_type, "reference": "X-0"},
        )
        assert case.status_code == 201, case.text[:300]
        case_id = str(case.json()["id"])
        put = await client.put(f"/api/v1/cases/{case_id}/assessment", json={"answers": answers})
        assert put.status_code == 201, put.text[:300]
    return inspection_id, case_id


async def _store(table: seed.Table, templates: dict[str, dict[str, Any]], inspections: list[Any], per: int, tag: str) -> None:
    """``per`` assessed cases (case, assessment, history row) in each inspection."""
    pairs = [(inspection, table.key(uuid.uuid4())) for inspection in inspections for _ in range(per)]
    await table.copies(
        "cases",
        templates["cases"],
        len(pairs),
        lambda n: {"id": pairs[n][1], "inspection_id": pairs[n][0], "reference": f"{tag}-{n}"},
    )
    await table.copies(
        "assessments", templates["assessments"], len(pairs), lambda n: {"case_id": pairs[n][1], "inspection_id": pairs[n][0]}
    )
    await table.copies("assessment_versions", templates["assessment_versions"], len(pairs), lambda n: {"case_id": pairs[n][1]})


async def _scores(suite: Suite, inspection_id: str, repeat: int) -> list[float]:
    async with httpx.AsyncClient(base_url=suite.gateway, headers=suite.headers, timeout=120) as client:
        await scores.changed_scores(client, inspection_id, 2)  # warm up
        return (await scores.changed_scores(client, inspection_id, repeat))[0]


def measure(suite: Suite, counts: Counts, puts: ingest.Puts, meter: Meter) -> list[Row]:
    table = seed.Table(suite, "cases")
    template_inspection, template_case = asyncio.run(_template(suite, puts.answers, puts.case_type))

    async def templates() -> dict[str, dict[str, Any]]:
        return {
            "cases": await table.row("cases", "id", table.key(template_case)),
            "assessments": await table.row("assessments", "case_id", table.key(template_case)),
            "assessment_versions": await table.row("assessment_versions", "case_id", table.key(template_case)),
        }

    rows_of = asyncio.run(templates())
    inspection = asyncio.run(table.row("inspections", "id", table.key(template_inspection)))
    inspections = [table.key(uuid.uuid4()) for _ in range(counts.scale_inspections)]
    asyncio.run(
        table.copies("inspections", inspection, len(inspections), lambda n: {"id": inspections[n], "area": f"Scaling {n}"})
    )

    async def scored() -> str:
        async with httpx.AsyncClient(base_url=suite.gateway, headers=suite.headers, timeout=300) as client:
            return await scores.seed(client, 120, 42, "2011-05-02")

    target = asyncio.run(scored())
    rows: list[Row] = []
    for level, per in (("small", 1), ("large", counts.scale_per_inspection - 1)):
        asyncio.run(_store(table, rows_of, inspections, per, f"{level[0]}{uuid.uuid4().hex[:6]}"))
        stored = counts.scale_inspections * (1 if level == "small" else counts.scale_per_inspection)
        put = loaded(
            GROUP,
            f"assessment PUT: gateway, {stored:,} stored assessments",
            ingest.put_load(puts, suite.gateway, suite.headers, counts, meter),
        )
        got = timed(
            GROUP,
            f"GET .../scores, changed, 120 cases: {stored:,} stored assessments",
            asyncio.run(_scores(suite, target, counts.timings)),
        )
        rows += [put, got]
    small_put, small_get, large_put, large_get = rows
    large_put.ratio, large_put.ratio_of = large_put.median / small_put.median, "the small end's rate"
    large_put.target, large_put.met = f">= {1 - FLAT:g}x", large_put.ratio >= 1 - FLAT
    large_get.ratio, large_get.ratio_of = large_get.median / small_get.median, "the small end's latency"
    large_get.target, large_get.met = f"<= {1 + FLAT:g}x", large_get.ratio <= 1 + FLAT
    large_put.note = f"runs at the small end {statistics.median(small_put.runs):.0f}/s"
    return rows
