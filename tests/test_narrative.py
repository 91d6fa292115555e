"""What inspectors write, through the gateway: every narrative part (ETag, If-Match, history), criteria
findings and conclusions, section 4 grades, performance data as JSON and CSV, caseload context."""

import httpx
import pytest

from tests.conftest import plan_inspection

SUMMARY = {
    "paragraphs": [
        {"section": "1", "text": "Reports for court contributed positively to sentencing."},
        {"section": "roh", "text": "Risk of Harm screening was done in almost every case."},
    ]
}
PARTS = {
    "summary": SUMMARY,
    "foreword": {
        "text": "The area was moving in the right direction.",
        "signatory": "A Chief Inspector",
        "signatory_title": None,
    },
    "acknowledgements": {"text": "Our thanks to the board, managers and staff.", "credits": ["HM Inspectors: A, B"]},
    "recommendations": {"items": ["risk analyses are completed accurately", "plans are completed on time"]},
    "next_steps": {"paragraphs": ["An improvement plan is needed four weeks after publication."]},
    "good_practice": {
        "examples": [
            {
                "title": "Prison links",
                "criterion_id": "2.5",
                "text": "A mentor helped a prisoner home.",
                "office": None,
                "team": "OMU 3",
            }
        ]
    },
    "service_users": {
        "groups": [
            {"group": "offenders", "paragraphs": ["Most had a good working relationship with their manager."]},
            {"group": "courts", "paragraphs": ["Sentencers were satisfied with the reports."]},
        ]
    },
}
PERFORMANCE_CSV = (
    "domain,metric,actual,target,national,previous_year,grade,domain_rating\n"
    "Public Protection,NS Public Protection,83%,90%,88%,64%,2,passable\n"
    "Public Protection,Tier 4 OASys Assess,96%,90%,96%,,3,passable\n"
    "Interventions,Unpaid Work Completions,3384,2681,5771,3021,4,passable\n"
)


def revised(value: object) -> object:
    """The same part with every text changed."""
    if isinstance(value, dict):
        return {
            k: revised(v) if k in ("text", "items", "paragraphs", "examples", "groups", "credits") else v
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [revised(v) for v in value]
    return f"{value} (revised)" if isinstance(value, str) else value


@pytest.mark.parametrize("part", list(PARTS))
async def test_a_narrative_part_is_versioned_guarded_and_kept_with_history(gw: httpx.AsyncClient, part: str) -> None:
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/narrative/{part}"
    assert (await gw.get(url)).status_code == 404
    first = await gw.put(url, json=PARTS[part], headers={"X-Actor": "inspector-1"})
    assert first.status_code == 201, first.text
    assert first.json()["content"] == PARTS[part] and first.json()["lang"] == "en"
    read = await gw.get(url)
    assert read.json() == first.json() and read.headers["etag"] == first.headers["etag"]
    changed = revised(PARTS[part])
    assert (await gw.put(url, json=changed)).status_code == 428
    assert (await gw.put(url, json=changed, headers={"If-Match": '"stale.1"'})).status_code == 412
    second = await gw.put(url, json=changed, headers={"If-Match": first.headers["etag"], "X-Actor": "inspector-2"})
    assert second.status_code == 200 and second.json()["version"] == 2 and second.headers["etag"] != first.headers["etag"]
    assert second.json()["content"] == changed
    history = (await gw.get(f"{url}/history")).json()
    assert [(v["version"], v["updated_by"]) for v in history["items"]] == [(1, "inspector-1"), (2, "inspector-2")]
    assert history["items"][0]["content"] == first.json()["content"]
    # Welsh text is a part of its own.
    assert (await gw.get(url, params={"lang": "cy"})).status_code == 404


async def test_parts_are_checked_against_the_inspections_framework(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    base = f"/api/v1/inspections/{inspection['id']}/narrative"
    bad_summary = {"paragraphs": [{"section": "9", "text": "x"}, {"section": "1", "text": "y"}, {"section": "1", "text": "z"}]}
    response = await gw.put(f"{base}/summary", json=bad_summary)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["paragraphs.0.section", "paragraphs.2.section"]
    bad_practice = {"examples": [{"title": "t", "criterion_id": "7.7", "text": "x"}]}
    response = await gw.put(f"{base}/good_practice", json=bad_practice)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "examples.0.criterion_id"
    response = await gw.put(f"{base}/recommendations", json={"items": [""]})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "items.0"
    response = await gw.put(f"{base}/service_users", json={"groups": [{"group": "jurors", "paragraphs": []}]})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "groups.0.group"
    missing = "/api/v1/inspections/00000000-0000-0000-0000-000000000000/narrative/foreword"
    assert (await gw.put(missing, json={"text": "x"})).status_code == 404


async def test_criterion_findings_and_the_inspectors_conclusion(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    framework = (await gw.get("/api/v1/frameworks/omi-2008")).json()
    scale = [band["label"] for band in sorted(framework["conclusion_bands"], key=lambda b: b["min"])]
    url = f"/api/v1/inspections/{inspection['id']}/narrative/criteria/2.2"
    body = {
        "strengths": ["Reviews were mostly on time."],
        "areas_for_improvement": ["Plans deteriorated."],
        "conclusion": scale[0],
    }
    created = await gw.put(url, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["part"] == "criteria/2.2" and created.json()["content"] == body
    wrong = await gw.put(url, json=body | {"conclusion": "splendid"}, headers={"If-Match": created.headers["etag"]})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "conclusion"
    graded = await gw.put(f"/api/v1/inspections/{inspection['id']}/narrative/criteria/4.1", json=body)
    assert graded.status_code == 422 and graded.json()["errors"][0]["field"] == "criterion_id"
    unknown = await gw.put(f"/api/v1/inspections/{inspection['id']}/narrative/criteria/9.9", json=body)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["type"] == "unknown_criterion"
    history = await gw.get(f"/api/v1/inspections/{inspection['id']}/narrative/criteria:2.2/history")
    assert [v["content"]["conclusion"] for v in history.json()["items"]] == [scale[0]]


async def test_section_4_grades(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    framework = (await gw.get("/api/v1/frameworks/omi-2008")).json()
    base = f"/api/v1/inspections/{inspection['id']}/grades"
    body = {"grade": framework["grade_scale"][1], "narrative": "Leadership was active.", "strengths": ["A new board."]}
    created = await gw.put(f"{base}/4.1", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["grade"] == "satisfactorily_met" and created.json()["title"] == "Leadership and planning"
    case_scored = await gw.put(f"{base}/1.1", json=body)
    assert case_scored.status_code == 422 and case_scored.json()["errors"][0]["field"] == "criterion_id"
    off_scale = await gw.put(f"{base}/4.2", json=body | {"grade": "excellent"})
    assert off_scale.status_code == 422 and off_scale.json()["errors"][0]["field"] == "grade"
    assert (await gw.put(f"{base}/4.1", json=body | {"grade": "partly_met"})).status_code == 428
    changed = await gw.put(f"{base}/4.1", json=body | {"grade": "partly_met"}, headers={"If-Match": created.headers["etag"]})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    read = await gw.get(f"{base}/4.1")
    assert read.json() == changed.json() and read.headers["etag"] == changed.headers["etag"]
    assert (await gw.get(f"{base}/4.2")).status_code == 404
    await gw.put(f"{base}/4.3", json=body | {"grade": "not_met"})
    listed = (await gw.get(base)).json()
    assert [(g["criterion_id"], g["grade"]) for g in listed] == [("4.1", "partly_met"), ("4.3", "not_met")]


async def test_performance_data_as_csv_and_json_with_bad_rows_named(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/performance"
    bad = PERFORMANCE_CSV + "Interventions,,1,2,3,4,7,passable\nInterventions,DRR Starts,982,840,16607,1063,4,good\n"
    response = await gw.put(url, content=bad, headers={"Content-Type": "text/csv"})
    assert response.status_code == 422, response.text
    assert sorted(e["field"] for e in response.json()["errors"]) == ["rows.5.grade", "rows.5.metric", "rows.6.domain_rating"]
    assert (await gw.get(url)).status_code == 404  # nothing stored from a bad table
    response = await gw.put(
        url,
        content=PERFORMANCE_CSV,
        params={"period": "April-September 2007", "area_rating": "passable"},
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    stored = response.json()["content"]
    assert stored["period"] == "April-September 2007" and stored["area_rating"] == "passable" and response.json()["lang"] is None
    assert stored["domain_ratings"] == [
        {"domain": "Public Protection", "rating": "passable"},
        {"domain": "Interventions", "rating": "passable"},
    ]
    assert [(r["metric"], r["actual"], r["previous_year"], r["grade"]) for r in stored["rows"]] == [
        ("NS Public Protection", "83%", "64%", 2),
        ("Tier 4 OASys Assess", "96%", None, 3),
        ("Unpaid Work Completions", "3384", "3021", 4),
    ]
    as_json = stored | {"rows": stored["rows"][:1], "area_rating": "good"}
    bad_json = await gw.put(
        url, json=as_json | {"rows": [{"domain": "x", "metric": "y", "grade": 5}]}, headers={"If-Match": response.headers["etag"]}
    )
    assert bad_json.status_code == 422 and bad_json.json()["errors"][0]["field"] == "rows.0.grade"
    replaced = await gw.put(url, json=as_json, headers={"If-Match": response.headers["etag"]})
    assert replaced.status_code == 200 and replaced.json()["content"] == as_json
    assert (
        await gw.put(url, content=b"x", headers={"Content-Type": "application/xml", "If-Match": replaced.headers["etag"]})
    ).status_code == 415


async def test_caseload_context(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/caseload"
    body = {
        "as_at": "2007-12-31",
        "total": 19679,
        "white_pct": 66.3,
        "minority_ethnic_pct": 33.7,
        "male_pct": 89.1,
        "female_pct": 10.9,
        "mappa": {"level_1": 2502, "level_2": 435, "level_3": 32},
        "ppo_cases": 770,
        "ppo_schemes": 7,
        "budgets": [{"year": "2007/2008", "amount": "£79.111m"}],
        "approved_premises": [{"name": "Bilston", "capacity": 15}],
    }
    created = await gw.put(url, json=body)
    assert created.status_code == 201, created.text
    assert {k: created.json()["content"][k] for k in body} == body
    bad = await gw.put(url, json=body | {"male_pct": 140}, headers={"If-Match": created.headers["etag"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "male_pct"
