"""Scores through the gateway: equal to an independent recomputation, filters, breakdowns, snapshots,
the national view, a second (ratings) framework, and one trace across three services."""

import time
from dataclasses import replace
from fractions import Fraction
from statistics import mean
from uuid import UUID

import httpx
import pytest
from opentelemetry.trace import SpanKind
from sqlalchemy import select

from shared.schemas.frameworks import Framework
from shared.testing.factories import generated_rows
from tests import oracle
from tests.conftest import Stack, plan_inspection
from tests.helpers import flipped, patch_with_current_etag, put_with_current_etag


async def framework(gw: httpx.AsyncClient, framework_id: str = "omi-2008") -> dict:
    return (await gw.get(f"/api/v1/frameworks/{framework_id}")).json()


async def assessed_inspection(gw: httpx.AsyncClient, count: int = 120, seed: int = 1, **fields) -> tuple[dict, list[dict]]:
    inspection = await plan_inspection(gw, **fields)
    rows = generated_rows(await framework(gw, inspection["framework_id"]), count, seed)
    result = (await gw.post(f"/api/v1/inspections/{inspection['id']}/assessments:import", json={"rows": rows})).json()
    assert result["created"] == count, result["rows"][:3]
    return inspection, rows


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def expected_scores(document: dict, rows: list[dict]) -> dict:
    """The oracle's scores (tests/oracle.py) of these rows, in the wire's terms."""
    expected = oracle.expected_scores(Framework.model_validate(document), [row["answers"] for row in rows])
    return {
        "criteria": {key: _float(value) for key, value in expected.criteria.items()},
        "sections": {key: _float(value) for key, value in expected.sections.items()},
        "thread": _float(expected.thread),
    }


def assert_equal_scores(actual: dict, expected: dict) -> None:
    assert {c["id"]: c["score"] for c in actual["criteria"]} == pytest.approx(expected["criteria"], abs=1e-9)
    assert {s["id"]: s["score"] for s in actual["sections"]} == pytest.approx(expected["sections"], abs=1e-9)
    assert actual["roh_thread"]["score"] == pytest.approx(expected["thread"], abs=1e-9)


async def test_scores_equal_an_independent_recomputation(gw: httpx.AsyncClient) -> None:
    inspection, rows = await assessed_inspection(gw)
    document = await framework(gw)
    response = await gw.get(f"/api/v1/inspections/{inspection['id']}/scores")
    assert response.status_code == 200, response.text
    scores = response.json()
    assert scores["cases_assessed"] == 120 and scores["framework_id"] == "omi-2008"
    assert len(scores["criteria"]) == 14 and [s["id"] for s in scores["sections"]] == ["1", "2", "3"]
    assert_equal_scores(scores, expected_scores(document, rows))
    for criterion in scores["criteria"]:
        lo, hi = criterion["interval"]
        assert 0 <= lo <= criterion["score"] <= hi <= 100
        assert criterion["suggested_conclusion"] in {
            "urgent priority for improvement",
            "priority for improvement",
            "performance was good",
        }
        for question in criterion["questions"]:
            judged = [r["answers"].get(question["id"]) for r in rows]
            assert question["relevant"] == sum(j in ("yes", "no") for j in judged)
            assert question["above_line"] == judged.count("yes")
    again = (await gw.get(f"/api/v1/inspections/{inspection['id']}/scores")).json()
    assert again == scores, "the same data gives the same intervals"


async def test_scores_stay_exact_as_the_sample_changes_under_the_cache(gw: httpx.AsyncClient) -> None:
    inspection, rows = await assessed_inspection(gw, count=40, seed=12)
    document = await framework(gw)
    url = f"/api/v1/inspections/{inspection['id']}/scores"
    assert_equal_scores((await gw.get(url)).json(), expected_scores(document, rows))

    cases = {c["reference"]: c for c in (await gw.get(f"/api/v1/inspections/{inspection['id']}/cases")).json()["items"]}
    for row in rows[:3]:  # three assessors change their answers
        row["answers"] = flipped(row["answers"])
        url_of_case = f"/api/v1/cases/{cases[row['reference']]['id']}/assessment"
        assert (await put_with_current_etag(gw, url_of_case, {"answers": row["answers"]})).status_code == 200
    extra = generated_rows(document, 2, seed=99)  # and two cases join the sample
    await gw.post(f"/api/v1/inspections/{inspection['id']}/assessments:import", json={"rows": extra})
    rows += extra
    scores = (await gw.get(url)).json()
    assert scores["cases_assessed"] == 42
    assert_equal_scores(scores, expected_scores(document, rows))


async def test_filtered_scores_equal_scoring_the_subset(gw: httpx.AsyncClient) -> None:
    inspection, rows = await assessed_inspection(gw, seed=2)
    document = await framework(gw)
    params = {"case_type": "licence", "roh_level": ["high", "very_high"]}
    scores = (await gw.get(f"/api/v1/inspections/{inspection['id']}/scores", params=params)).json()
    subset = [r for r in rows if r["case_type"] == "licence" and r["roh_level"] in ("high", "very_high")]
    assert scores["cases_assessed"] == len(subset) > 0
    assert scores["filters"] == {"case_type": ["licence"], "roh_level": ["high", "very_high"]}
    assert_equal_scores(scores, expected_scores(document, subset))

    by_role = (await gw.get(f"/api/v1/inspections/{inspection['id']}/scores", params={"ppo": "true"})).json()
    assert by_role["cases_assessed"] == sum(r["ppo"] for r in rows)
    bad = await gw.get(f"/api/v1/inspections/{inspection['id']}/scores", params={"roh_level": "extreme"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "roh_level.0"


async def test_breakdown_puts_groups_side_by_side(gw: httpx.AsyncClient) -> None:
    inspection, rows = await assessed_inspection(gw, seed=3)
    document = await framework(gw)
    breakdown = (await gw.get(f"/api/v1/inspections/{inspection['id']}/scores/breakdown", params={"by": "roh_level"})).json()
    assert breakdown["by"] == "roh_level"
    assert [g["value"] for g in breakdown["groups"]] == sorted({r["roh_level"] for r in rows})
    for group in breakdown["groups"]:
        subset = [r for r in rows if r["roh_level"] == group["value"]]
        assert group["cases_assessed"] == len(subset)
        assert_equal_scores(group, expected_scores(document, subset))
    assert (
        await gw.get(f"/api/v1/inspections/{inspection['id']}/scores/breakdown", params={"by": "shoe_size"})
    ).status_code == 422


async def test_snapshot_is_frozen_while_live_scores_move(gw: httpx.AsyncClient) -> None:
    inspection, _rows = await assessed_inspection(gw, count=30, seed=4)
    base = f"/api/v1/inspections/{inspection['id']}/scores"
    taken = await gw.post(f"{base}/snapshots", json={"label": "draft"}, headers={"Idempotency-Key": "snap-1"})
    assert taken.status_code == 201, taken.text
    snapshot = taken.json()
    assert len(snapshot["assessments_sha256"]) == 64 and snapshot["framework_version"] == 1
    replay = await gw.post(f"{base}/snapshots", json={"label": "draft"}, headers={"Idempotency-Key": "snap-1"})
    assert replay.json()["id"] == snapshot["id"]

    case_id = (await gw.get(f"/api/v1/inspections/{inspection['id']}/cases", params={"limit": 1})).json()["items"][0]["id"]
    changed = await put_with_current_etag(
        gw, f"/api/v1/cases/{case_id}/assessment", lambda current: {"answers": flipped(current["answers"])}
    )
    assert changed.status_code == 200

    stored = (await gw.get(snapshot_url := f"{base}/snapshots/{snapshot['id']}")).json()
    assert stored == snapshot
    live = (await gw.get(base)).json()
    assert live["criteria"] != snapshot["scores"]["criteria"]
    second = (await gw.post(f"{base}/snapshots", json={})).json()
    assert second["assessments_sha256"] != snapshot["assessments_sha256"]
    listed = (await gw.get(f"{base}/snapshots")).json()["items"]
    assert [s["id"] for s in listed] == [snapshot["id"], second["id"]]
    assert (await gw.get(snapshot_url)).json() == snapshot


async def test_national_view_compares_areas_with_the_mean(gw: httpx.AsyncClient) -> None:
    published = []
    for seed, start in ((5, "2008-02-04"), (6, "2008-05-12"), (7, "2008-09-01")):
        inspection, rows = await assessed_inspection(gw, count=40, seed=seed, fieldwork_start=start, area=f"Area {seed}")
        published.append((inspection, rows))
    await gw.post(f"/api/v1/inspections/{published[0][0]['id']}/scores/snapshots", json={})
    for inspection, _ in published:
        response = await patch_with_current_etag(gw, f"/api/v1/inspections/{inspection['id']}", {"status": "published"})
        assert response.status_code == 200
    await plan_inspection(gw, fieldwork_start="2008-06-02")  # planned, not published: left out by default

    view = (await gw.get("/api/v1/scores/national", params={"from": "2008-01-01", "to": "2008-06-30"})).json()
    assert view["inspections"] == 2 and view["statuses"] == ["published"]
    document = await framework(gw)
    for criterion in view["criteria"]:
        scores = {a["area"]: a["score"] for a in criterion["areas"]}
        expected = {
            inspection["area"]: expected_scores(document, rows)["criteria"][criterion["id"]] for inspection, rows in published[:2]
        }
        assert scores == pytest.approx(expected, abs=1e-9)
        defined = [v for v in expected.values() if v is not None]
        assert criterion["national_mean"] == (pytest.approx(mean(defined), abs=1e-9) if defined else None)
        for area in criterion["areas"]:
            if area["score"] is None:
                assert area["interval"] is None and area["differs"] is None
                continue
            lo, hi = area["interval"]
            expected_flag = "above" if lo > criterion["national_mean"] else "below" if hi < criterion["national_mean"] else None
            assert area["differs"] == expected_flag
    assert {a["source"] for a in view["criteria"][0]["areas"]} == {"snapshot", "live"}
    everything = (await gw.get("/api/v1/scores/national", params={"status": ["published", "planned"]})).json()
    assert everything["inspections"] == 4
    backwards = await gw.get("/api/v1/scores/national", params={"from": "2009-01-01", "to": "2008-01-01"})
    assert backwards.status_code == 422


async def test_a_ratings_framework_is_scored_by_its_own_rule(gw: httpx.AsyncClient) -> None:
    inspection, rows = await assessed_inspection(gw, count=40, seed=8, framework_id="ratings-2024")
    document = await framework(gw, "ratings-2024")
    scores = (await gw.get(f"/api/v1/inspections/{inspection['id']}/scores")).json()
    assert_equal_scores(scores, expected_scores(document, rows))  # the lowest key question's proportion
    bands = sorted(document["scoring"]["ratings"], key=lambda b: b["min"])
    for criterion in scores["criteria"]:
        assert criterion["rating"] == [b["label"] for b in bands if b["min"] <= criterion["score"]][-1]


async def test_scores_of_a_missing_inspection_are_404(gw: httpx.AsyncClient) -> None:
    response = await gw.get("/api/v1/inspections/00000000-0000-0000-0000-000000000000/scores")
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"


async def test_one_trace_through_scoring_and_cases_to_the_database(stack: Stack, gw: httpx.AsyncClient) -> None:
    inspection, _ = await assessed_inspection(gw, count=5, seed=9)
    stack.spans.clear()
    response = await gw.get(f"/api/v1/inspections/{inspection['id']}/scores")
    assert response.status_code == 200
    spans = stack.spans.get_finished_spans()
    assert len({s.context.trace_id for s in spans}) == 1
    by_id = {s.context.span_id: s for s in spans}

    def lineage(span) -> list[tuple[str, SpanKind]]:
        path = []
        while span is not None:
            path.append((span.resource.attributes["service.name"], span.kind))
            span = by_id.get(span.parent.span_id) if span.parent else None
        return path[::-1]

    database = [
        s
        for s in spans
        if s.resource.attributes["service.name"] == "cases"
        and s.kind == SpanKind.CLIENT
        and any(k.startswith("db.") for k in s.attributes)
    ]
    assert database
    assert lineage(database[0]) == [
        ("gateway", SpanKind.SERVER),
        ("gateway", SpanKind.CLIENT),
        ("scoring", SpanKind.SERVER),
        ("scoring", SpanKind.CLIENT),
        ("cases", SpanKind.SERVER),
        ("cases", SpanKind.CLIENT),
    ]


async def test_constructed_score_documents_are_valid_wire_documents(gw: httpx.AsyncClient) -> None:
    from shared.schemas.scores import InspectionScores, ScoreBreakdown

    inspection, _ = await assessed_inspection(gw, count=20, seed=13)
    scores = (await gw.get(f"/api/v1/inspections/{inspection['id']}/scores")).json()
    assert InspectionScores.model_validate(scores).model_dump(mode="json") == scores
    breakdown = (await gw.get(f"/api/v1/inspections/{inspection['id']}/scores/breakdown", params={"by": "tier"})).json()
    assert ScoreBreakdown.model_validate(breakdown).model_dump(mode="json") == breakdown


async def test_a_kept_sample_is_read_whole_again_when_the_revisions_cannot_be_trusted(
    stack: Stack, gw: httpx.AsyncClient
) -> None:
    from sqlalchemy import update

    from services.cases import models
    from services.scoring.logic import assessed

    inspection, rows = await assessed_inspection(gw, count=10, seed=14)
    url = f"/api/v1/inspections/{inspection['id']}/scores"
    before = (await gw.get(url)).json()
    # Writes the revisions do not show, not even as new versions (edits in place, as a database
    # restored from elsewhere could bring): every yes becomes no.
    async with stack.apps["cases"].state.sessionmaker() as session, session.begin():
        for row in (await session.scalars(select(models.Assessment))).all():
            await session.execute(
                update(models.Assessment).where(models.Assessment.case_id == row.case_id).values(answers=flipped(row.answers))
            )
    assert (await gw.get(url)).json() == before, "unseen until the kept sample is read whole again"
    caches = stack.apps["scoring"].state.caches
    known = caches.samples.get(UUID(inspection["id"]))
    caches.samples.put(UUID(inspection["id"]), replace(known, read_at=known.read_at - assessed.KEEP_SAMPLE_FOR - 1))
    after = (await gw.get(url)).json()
    expected = expected_scores(await framework(gw), [r | {"answers": flipped(r["answers"])} for r in rows])["criteria"]
    assert {c["id"]: c["score"] for c in after["criteria"]} == pytest.approx(expected, abs=1e-9), "the whole read sees the change"
    assert 0.0 in expected.values()


async def test_national_view_brings_kept_samples_up_to_date_in_one_read(stack: Stack, gw: httpx.AsyncClient) -> None:
    assessed = [await assessed_inspection(gw, count=8, seed=20 + n, area=f"Area {n}") for n in range(3)]
    params = {"status": "planned"}

    def reads_of_cases() -> list[str]:
        return sorted(
            s.attributes.get("http.route", "")
            for s in stack.spans.get_finished_spans()
            if s.resource.attributes["service.name"] == "cases" and s.kind == SpanKind.SERVER
        )

    assert (await gw.get("/api/v1/scores/national", params=params)).status_code == 200
    stack.spans.clear()
    assert (await gw.get("/api/v1/scores/national", params=params)).status_code == 200
    assert reads_of_cases() == ["/api/v1/inspections"], "nothing changed: only the listing is read"

    for inspection, rows in assessed[:2]:
        case = (await gw.get(f"/api/v1/inspections/{inspection['id']}/cases", params={"limit": 1})).json()["items"][0]
        changed = await put_with_current_etag(
            gw, f"/api/v1/cases/{case['id']}/assessment", lambda current: {"answers": flipped(current["answers"], both_ways=True)}
        )
        next(r for r in rows if r["reference"] == case["reference"])["answers"] = changed.json()["answers"]
    stack.spans.clear()
    view = (await gw.get("/api/v1/scores/national", params=params)).json()
    assert reads_of_cases() == ["/api/v1/assessments:changes", "/api/v1/inspections"]
    document = await framework(gw)
    for criterion in view["criteria"]:
        expected = {i["id"]: expected_scores(document, rows)["criteria"][criterion["id"]] for i, rows in assessed}
        assert {a["inspection_id"]: a["score"] for a in criterion["areas"]} == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("limit", [10, 5])
async def test_national_view_reads_samples_too_large_for_one_answer(
    stack: Stack, gw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    from services.scoring.logic import assessed as assessed_samples

    # 10: one 8-case sample per changes read; 5: none fits, so each is read on its own, in pages.
    monkeypatch.setattr(assessed_samples, "CHANGES_LIMIT", limit)
    assessed = [await assessed_inspection(gw, count=8, seed=30 + n, area=f"Area {n}") for n in range(3)]
    # A kept sample ahead of the cases service (a restored database) is read whole, not patched.
    kept = stack.apps["scoring"].state.caches.samples
    kept.put(UUID(assessed[0][0]["id"]), assessed_samples.KnownSample(99, {}, time.monotonic()))
    stack.spans.clear()
    view = (await gw.get("/api/v1/scores/national", params={"status": "planned"})).json()
    routes = [
        s.attributes.get("http.route")
        for s in stack.spans.get_finished_spans()
        if s.resource.attributes["service.name"] == "cases" and s.kind == SpanKind.SERVER
    ]
    paged = routes.count("/api/v1/inspections/{inspection_id}/assessments")
    # limit 5: each sample read alone; the one kept ahead is asked since 99, is found behind, and read whole again.
    assert (routes.count("/api/v1/assessments:changes"), paged) == ((3, 0) if limit == 10 else (3, 4)), routes
    document = await framework(gw)
    for criterion in view["criteria"]:
        expected = {i["id"]: expected_scores(document, rows)["criteria"][criterion["id"]] for i, rows in assessed}
        assert {a["inspection_id"]: a["score"] for a in criterion["areas"]} == pytest.approx(expected, abs=1e-9)


async def test_kept_samples_are_bounded_by_the_setting(stack: Stack, gw: httpx.AsyncClient) -> None:
    from services.scoring.settings import ScoringSettings
    from shared.cache import LruCache

    caches = stack.apps["scoring"].state.caches
    assert caches.samples.size == ScoringSettings().kept_samples
    caches.samples = LruCache(2)
    assessed = [await assessed_inspection(gw, count=8, seed=50 + n, area=f"Area {n}") for n in range(3)]
    for _ in range(2):  # the second view finds one sample of three kept no more, and reads it again
        view = (await gw.get("/api/v1/scores/national", params={"status": "planned"})).json()
        assert len(caches.samples) == 2
        document = await framework(gw)
        for criterion in view["criteria"]:
            expected = {i["id"]: expected_scores(document, rows)["criteria"][criterion["id"]] for i, rows in assessed}
            assert {a["inspection_id"]: a["score"] for a in criterion["areas"]} == pytest.approx(expected, abs=1e-9)


async def test_national_view_reads_whole_a_sample_restored_since_the_listing(
    stack: Stack, gw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import update

    from services.cases import models

    inspection, rows = await assessed_inspection(gw, count=8, seed=40)
    params = {"status": "planned"}
    assert (await gw.get("/api/v1/scores/national", params=params)).status_code == 200  # the sample is kept
    case = (await gw.get(f"/api/v1/inspections/{inspection['id']}/cases", params={"limit": 1})).json()["items"][0]
    await put_with_current_etag(gw, f"/api/v1/cases/{case['id']}/assessment", {"answers": {}})
    next(r for r in rows if r["reference"] == case["reference"])["answers"] = {}

    # Between the listing (which shows the change) and the read of what changed, the cases database
    # is restored to an earlier revision, holding other answers: every yes is a no.
    client = stack.apps["scoring"].state.clients["cases"]
    send = client.request

    async def restore_then_post(method, *args, **kwargs):
        if method != "POST":
            return await send(method, *args, **kwargs)
        monkeypatch.setattr(client, "request", send)
        async with stack.apps["cases"].state.sessionmaker() as session, session.begin():
            for row in (await session.scalars(select(models.Assessment))).all():
                await session.execute(
                    update(models.Assessment).where(models.Assessment.case_id == row.case_id).values(answers=flipped(row.answers))
                )
            await session.execute(update(models.Inspection).values(sample_revision=0))
        return await send(method, *args, **kwargs)

    monkeypatch.setattr(client, "request", restore_then_post)
    view = (await gw.get("/api/v1/scores/national", params=params)).json()
    expected = expected_scores(await framework(gw), [r | {"answers": flipped(r["answers"])} for r in rows])["criteria"]
    assert {c["id"]: c["areas"][0]["score"] for c in view["criteria"]} == pytest.approx(expected, abs=1e-9), (
        "read whole, not patched"
    )
    assert 0.0 in expected.values()


async def test_national_view_takes_the_newest_snapshot(gw: httpx.AsyncClient) -> None:
    inspection, _ = await assessed_inspection(gw, count=10, seed=41)
    base = f"/api/v1/inspections/{inspection['id']}/scores"
    first = (await gw.post(f"{base}/snapshots", json={"label": "first"})).json()
    for case in (await gw.get(f"/api/v1/inspections/{inspection['id']}/cases")).json()["items"][:5]:
        await put_with_current_etag(gw, f"/api/v1/cases/{case['id']}/assessment", {"answers": {}})
    second = (await gw.post(f"{base}/snapshots", json={"label": "second"})).json()
    assert first["scores"]["criteria"] != second["scores"]["criteria"]
    view = (await gw.get("/api/v1/scores/national", params={"status": "planned"})).json()
    for criterion in view["criteria"]:
        (area,) = criterion["areas"]
        frozen = next(c for c in second["scores"]["criteria"] if c["id"] == criterion["id"])
        assert (area["source"], area["score"], area["interval"]) == ("snapshot", frozen["score"], frozen["interval"])
