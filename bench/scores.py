"""Scoring benchmarks through the gateway: one 120-case inspection scored after a change and unchanged
(with the scoring service's own Server-Timing split), the national view scored live at two numbers of
inspections (it should grow at most linearly) and from snapshots; the stratified draw in process."""

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from bench.table import Row, timed
from services.cases.logic.draw import draw_sample
from shared.schemas.sampling import SampleMix
from shared.testing.factories import generate_caseload, generated_rows

TARGETS_MS = {"scores_e2e": 20.0, "national_live_e2e": 500.0, "national_snapshots_e2e": 500.0, "draw_20000": 1000.0}
GROUP = "scoring"


async def seed(client: httpx.AsyncClient, count: int, seed: int, start: str) -> str:
    """An inspection of ``count`` assessed cases, imported in one request; its id."""
    body = {"area": f"Area {seed}", "country": "england", "fieldwork_start": start, "framework_id": "omi-2008"}
    inspection = (await client.post("/api/v1/inspections", json=body)).json()
    framework = (await client.get("/api/v1/frameworks/omi-2008")).json()
    result = await client.post(
        f"/api/v1/inspections/{inspection['id']}/assessments:import", json={"rows": generated_rows(framework, count, seed)}
    )
    assert result.status_code == 200 and result.json()["created"] == count, result.text[:300]
    return str(inspection["id"])


async def _move(client: httpx.AsyncClient, inspection_id: str, status: str) -> None:
    url = f"/api/v1/inspections/{inspection_id}"
    etag = (await client.get(url)).headers["etag"]
    assert (await client.patch(url, json={"status": status}, headers={"If-Match": etag})).status_code == 200


def _server_timing(header: str) -> dict[str, float]:
    parts = (p.strip().split(";dur=") for p in header.split(","))
    return {name: float(value) for name, value in parts}


async def change(client: httpx.AsyncClient, inspection_id: str, flip: int) -> None:
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


async def timings(
    client: httpx.AsyncClient,
    url: str,
    repeat: int,
    before: Callable[[int], Awaitable[None]] | None = None,
    **params: str,
) -> tuple[list[float], list[httpx.Response]]:
    spent, responses = [], []
    for number in range(repeat):
        if before is not None:
            await before(number)
        started = time.perf_counter()
        response = await client.get(url, params=params)
        spent.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
        responses.append(response)
    return spent, responses


async def changed_scores(client: httpx.AsyncClient, inspection_id: str, repeat: int) -> tuple[list[float], list[httpx.Response]]:
    """Milliseconds of ``GET .../scores`` each right after a change to the inspection."""

    async def change_one(number: int) -> None:
        await change(client, inspection_id, number)

    return await timings(client, f"/api/v1/inspections/{inspection_id}/scores", repeat, before=change_one)


async def _national(client: httpx.AsyncClient, ids: list[str], repeat: int) -> list[float]:
    async def change_all(number: int) -> None:
        for inspection_id in ids:
            await change(client, inspection_id, number)

    period = {"from": "2008-01-01", "to": "2008-12-31", "status": "reporting"}
    spent, responses = await timings(client, "/api/v1/scores/national", repeat, before=change_all, **period)
    assert responses[0].json()["inspections"] == len(ids)
    return spent


async def measure(gateway: str, headers: dict[str, str], inspections: int, repeat: int) -> list[Row]:
    async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=300) as client:
        one = await seed(client, 120, 1, "2008-06-09")
        scores_url = f"/api/v1/inspections/{one}/scores"
        await timings(client, scores_url, 3)  # warm up the processes
        cold, responses = await changed_scores(client, one, repeat)
        inside = [_server_timing(r.headers["server-timing"]) for r in responses]
        warm, _ = await timings(client, scores_url, repeat)
        rows = [
            timed(GROUP, "one inspection, 120 cases, changed: gateway", cold, TARGETS_MS["scores_e2e"]),
            timed(GROUP, "  inside scoring: fetch + score", [t["fetch"] + t["score"] for t in inside]),
            timed(GROUP, "  inside scoring: score (intervals included)", [t["score"] for t in inside]),
            timed(GROUP, "one inspection, unchanged (kept scores): gateway", warm, TARGETS_MS["scores_e2e"]),
        ]
        print(f"seeding {inspections} inspections of 120 cases ...", file=sys.stderr, flush=True)
        ids = [await seed(client, 120, 100 + n, f"2008-{1 + n % 12:02}-{1 + n % 27:02}") for n in range(inspections)]
        national_repeat = max(3, repeat // 10)
        few = ids[: max(1, inspections // 5)]
        for inspection_id in few:
            await _move(client, inspection_id, "reporting")  # assessments still open: scored live
        small = await _national(client, few, national_repeat)
        rows.append(timed(GROUP, f"national view, {len(few)} x 120, all changed: live", small))
        for inspection_id in ids[len(few) :]:
            await _move(client, inspection_id, "reporting")
        large = await _national(client, ids, national_repeat)
        row = timed(GROUP, f"national view, {inspections} x 120, all changed: live", large, TARGETS_MS["national_live_e2e"])
        growth = (row.median / len(ids)) / (rows[-1].median / len(few))
        per = row.median / len(ids)
        row.note = f"per inspection {per:.1f} ms: {growth:.2f}x its cost at {len(few)} (<= 1: linear or better)"
        rows.append(row)
        period = {"from": "2008-01-01", "to": "2008-12-31", "status": "reporting"}
        unchanged, _ = await timings(client, "/api/v1/scores/national", national_repeat, **period)
        rows.append(timed(GROUP, f"national view, {inspections} x 120, unchanged", unchanged, TARGETS_MS["national_live_e2e"]))
        for inspection_id in ids:
            await client.post(f"/api/v1/inspections/{inspection_id}/scores/snapshots", json={"label": "published"})
            await _move(client, inspection_id, "published")
        snapshots, _ = await timings(client, "/api/v1/scores/national", national_repeat, **(period | {"status": "published"}))
        rows.append(
            timed(GROUP, f"national view, {inspections} x 120, snapshots", snapshots, TARGETS_MS["national_snapshots_e2e"])
        )
    return rows


def draw(repeat: int) -> Row:
    """Milliseconds to draw the default case sample from a 20,000-case caseload, one seed a time."""
    caseload = generate_caseload(20_000, seed=1)
    spent = []
    for number in range(repeat):
        started = time.perf_counter()
        draw_sample(caseload, SampleMix(), seed=number)
        spent.append((time.perf_counter() - started) * 1000)
    return timed(GROUP, "one case sample drawn from 20,000 cases (in process)", spent, TARGETS_MS["draw_20000"])
