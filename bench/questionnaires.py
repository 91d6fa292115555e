"""Questionnaire benchmarks, through the gateway: a bulk import of 2,000 offender returns (target: at
least 1,000 returns a second, so 2 s) and the summary of 2,000 returns (target: 50 ms), plain and
split by a question."""

import random
import time
from typing import Any

import httpx

from bench.table import Row, timed

RETURNS = 2000
IMPORT_TARGET_MS = RETURNS / 1000 * 1000  # 1,000 returns a second
SUMMARY_TARGET_MS = 50.0
ISSUES = ["accommodation", "employment_training_education", "drugs", "alcohol", "thinking_and_behaviour", "attitude_to_offending"]


def offender_rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Returns with every question type answered in realistic proportions, skip logic kept."""
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        released = rng.random() < 0.4
        answers: dict[str, Any] = {
            "working_relationship": "yes" if rng.random() < 0.9 else "no",
            "clear_about_rules": "yes" if rng.random() < 0.8 else "no",
            "discussed_sentence_plan": "yes" if rng.random() < 0.7 else "no",
            "recently_released": "yes" if released else "no",
            "think_about_victims": rng.choice(["much_more_likely", "more_likely", "no_different", "less_likely"]),
            "less_likely_to_reoffend": rng.choice(["much_less_likely", "less_likely", "no_different", "more_likely"]),
            "issues_addressed": rng.sample(ISSUES, rng.randint(1, 3)),
        }
        if released:
            answers["visited_in_prison"] = "yes" if rng.random() < 0.6 else "no"
        if rng.random() < 0.3:
            answers["comments"] = "Some words about supervision. " * rng.randint(1, 6)
        rows.append({"answers": answers, "return_key": f"bench-{seed}-{number}"})
    return rows


async def inspection(client: httpx.AsyncClient, seed: int) -> str:
    """A new inspection's offender questionnaire, sent to enough people for a bulk import; its URL."""
    body = {"area": f"Questionnaires {seed}", "country": "england", "fieldwork_start": "2008-06-09", "framework_id": "omi-2008"}
    inspection = (await client.post("/api/v1/inspections", json=body)).json()
    url = f"/api/v1/inspections/{inspection['id']}/questionnaires/offender"
    assert (await client.put(url, json={"sent": RETURNS + 500})).status_code == 201
    return url


async def measure(gateway: str, headers: dict[str, str], repeat: int) -> list[Row]:
    async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=300) as client:
        return [timed("questionnaires", name, spent, target) for name, spent, target in await _run(client, repeat)]


async def _run(client: httpx.AsyncClient, repeat: int) -> list[tuple[str, list[float], float | None]]:
    imports = []
    url = ""
    for seed in range(max(3, repeat // 6)):
        url = await inspection(client, 9000 + seed)
        rows = offender_rows(RETURNS, seed)
        started = time.perf_counter()
        response = await client.post(f"{url}/returns:import", json={"rows": rows})
        imports.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and response.json()["created"] == RETURNS, response.text[:300]
    for _ in range(3):  # warm up
        await client.get(url)
    changed, inside, unchanged, splits = [], [], [], []
    for number in range(repeat):
        # A new return first, so the summary cannot come from the returns kept at the last revision.
        late = {"answers": offender_rows(1, 7000 + number)[0]["answers"], "return_key": f"late-{number}"}
        assert (await client.post(f"{url}/returns", json=late)).status_code == 201
        started = time.perf_counter()
        response = await client.get(url)
        changed.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and response.json()["returned"] == RETURNS + number + 1
        timing = dict(part.strip().split(";dur=") for part in response.headers["server-timing"].split(","))
        assert "kept" not in timing, "a changed questionnaire's summary was not built again"
        inside.append(sum(float(value) for value in timing.values()))
        started = time.perf_counter()
        assert (await client.get(url)).status_code == 200
        unchanged.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        assert (await client.get(url, params={"split_by": "recently_released"})).status_code == 200
        splits.append((time.perf_counter() - started) * 1000)
    rate = RETURNS / (sorted(imports)[len(imports) // 2] / 1000)
    return [
        (f"questionnaire import, {RETURNS} returns ({rate:,.0f}/s)", imports, IMPORT_TARGET_MS),
        (f"questionnaire summary, {RETURNS} returns, changed: gateway", changed, SUMMARY_TARGET_MS),
        ("  inside questionnaires: read + summarise", inside, None),
        (f"questionnaire summary, {RETURNS} returns, unchanged: gateway", unchanged, SUMMARY_TARGET_MS),
        (f"  split by recently_released, {RETURNS} returns", splits, None),
    ]
