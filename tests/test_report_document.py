"""The report document through the gateway: the reference report's order, figures equal to the
scoring, cases and questionnaires services' own answers, and a marked partial draft (never a 500)
while a service is down."""

import httpx

from tests.conftest import Stack
from tests.questionnaire_helpers import OFFENDER_BASE, post_return, questionnaire_url
from tests.test_narrative import PARTS, PERFORMANCE_CSV
from tests.test_scores import assessed_inspection

ORDER = [
    "foreword",
    "acknowledgements",
    "summary",
    "summary_of_scores",
    "recommendations",
    "next_steps",
    "good_practice",
    "service_users",
    "sections",
    "appendices",
]


async def written_inspection(gw: httpx.AsyncClient) -> dict:
    """An assessed inspection with every part written."""
    inspection, _ = await assessed_inspection(gw, count=120)
    base = f"/api/v1/inspections/{inspection['id']}"
    for part, body in PARTS.items():
        assert (await gw.put(f"{base}/narrative/{part}", json=body)).status_code == 201
    findings = {"strengths": ["One.", "Two."], "areas_for_improvement": ["Three."], "conclusion": "priority for improvement"}
    assert (await gw.put(f"{base}/narrative/criteria/1.1", json=findings)).status_code == 201
    grade = {"grade": "satisfactorily_met", "narrative": "Active leadership.", "areas_for_improvement": ["Sickness."]}
    assert (await gw.put(f"{base}/grades/4.1", json=grade)).status_code == 201
    assert (await gw.put(f"{base}/performance", content=PERFORMANCE_CSV, headers={"Content-Type": "text/csv"})).status_code == 201
    assert (await gw.put(f"{base}/caseload", json={"total": 19679, "ppo_cases": 770})).status_code == 201
    offenders = questionnaire_url(inspection["id"], "offender")
    assert (await gw.put(offenders, json={"sent": 163})).status_code == 201
    for relationship in ("yes", "no"):
        await post_return(gw, offenders, OFFENDER_BASE | {"working_relationship": relationship})
    assert (await gw.put(questionnaire_url(inspection["id"], "victim"), json={"sent": 25})).status_code == 201
    return inspection


async def test_the_document_follows_the_reference_order_with_the_services_figures(gw: httpx.AsyncClient) -> None:
    inspection = await written_inspection(gw)
    base = f"/api/v1/inspections/{inspection['id']}"
    response = await gw.get(f"{base}/report", headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert [key for key in report if key in ORDER] == ORDER
    assert report["warnings"] == [] and report["status"] == "draft" and report["draft_number"] == 1
    assert report["inspection"]["area"] == "West Midlands" and report["framework"]["id"] == "omi-2008"
    scores = (await gw.get(f"{base}/scores")).json()
    framework = (await gw.get("/api/v1/frameworks/omi-2008")).json()

    summary = report["summary_of_scores"]
    criteria_bars = [b for b in summary["chart"] if b["kind"] == "criterion"]
    assert [(b["id"], b["score"], b["display"], b["interval"]) for b in criteria_bars] == [
        (c["id"], c["score"], c["display"], c["interval"]) for c in scores["criteria"]
    ]
    assert [(b["id"], b["score"]) for b in summary["chart"] if b["kind"] == "section"] == [
        (s["id"], s["score"]) for s in scores["sections"]
    ]
    assert summary["roh_thread"] == {k: scores["roh_thread"][k] for k in ("score", "display", "interval")}
    assert summary["cases_assessed"] == scores["cases_assessed"] == 120
    assert [(g["criterion_id"], g["grade"]) for g in summary["section_grades"]] == [
        ("4.1", "satisfactorily_met"),
        ("4.2", None),
        ("4.3", None),
        ("4.4", None),
        ("4.5", None),
        ("4.6", None),
    ]
    assert "not entirely valid" in summary["caveat"]

    assert [(e["section"], e["title"], e["lang"]) for e in report["summary"]] == [
        ("1", framework["sections"][0]["title"], "en"),
        ("roh", "Risk of Harm", "en"),
    ]
    assert [(r["number"], r["text"]) for r in report["recommendations"]["items"]] == list(
        enumerate(PARTS["recommendations"]["items"], start=1)
    )
    assert report["good_practice"][0]["criterion_title"] == "Constructive interventions (Help and Change)"
    assert [g["group"] for g in report["service_users"]] == ["offenders", "victims", "courts"]
    for group in report["service_users"]:
        own = await gw.get(f"{base}/questionnaires/{group['respondent']}")
        assert group["figures"] == (own.json() if own.status_code == 200 else None), own.text
    offenders, victims, courts = report["service_users"]
    assert (offenders["figures"]["sent"], offenders["figures"]["returned"], offenders["response_rate_display"]) == (163, 2, "1%")
    assert offenders["paragraphs"] == PARTS["service_users"]["groups"][0]["paragraphs"] and offenders["lang"] == "en"
    assert victims["paragraphs"] == [] and victims["lang"] is None and victims["figures"]["returned"] == 0
    assert (courts["figures"]["sent"], courts["figures"]["returned"], courts["response_rate_display"]) == (None, 0, None)

    sections = report["sections"]
    assert [s["id"] for s in sections] == ["1", "2", "3", "4"]
    first = sections[0]["criteria"][0]
    scored = scores["criteria"][0]
    assert scored["score"] is not None
    assert first["id"] == "1.1" and first["statement"] == framework["sections"][0]["criteria"][0]["statement"]
    assert first["score"]["score"] == scored["score"] and first["score"]["interval"] == scored["interval"]
    assert [(f["letter"], f["text"]) for f in first["strengths"]] == [("a", "One."), ("b", "Two.")]
    assert first["conclusion"] == "priority for improvement"
    assert first["suggested_conclusion"]["label"] == scored["suggested_conclusion"]
    assert sections[0]["score"]["score"] == scores["sections"][0]["score"]
    leadership = sections[3]["criteria"][0]
    assert (leadership["grade"], leadership["narrative"], leadership["score"]) == (
        "satisfactorily_met",
        "Active leadership.",
        None,
    )
    assert leadership["areas_for_improvement"] == [{"letter": "a", "text": "Sickness."}]

    appendices = report["appendices"]
    assert appendices["sample"] == (await gw.get(f"{base}/sample")).json()
    assert [r["metric"] for r in appendices["performance"]["rows"]] == [
        "NS Public Protection",
        "Tier 4 OASys Assess",
        "Unpaid Work Completions",
    ]
    assert appendices["caseload"]["total"] == 19679
    method = appendices["methodology"]
    assert (method["question_weight"], method["summary_weight"]) == (0.8, 0.2)
    assert method["conclusion_scale"] == ["urgent priority for improvement", "priority for improvement", "performance was good"]
    one = framework["sections"][0]["criteria"][0]
    assert method["sections"][0]["criteria"][0]["summary_question"] == next(q["id"] for q in one["questions"] if q["summary"])
    assert method["sections"][0]["criteria"][0]["roh_questions"] == [q["id"] for q in one["questions"] if q["roh"]]
    assert (await gw.get(f"{base}/report", headers={"Accept": "text/html"})).status_code == 406


async def test_a_service_down_gives_a_marked_partial_draft(stack: Stack, gw: httpx.AsyncClient) -> None:
    inspection = await written_inspection(gw)
    url = f"/api/v1/inspections/{inspection['id']}/report"
    with stack.stopped("scoring"):
        response = await gw.get(url)
    assert response.status_code == 200, response.text
    report = response.json()
    marker = {"unavailable": "scoring"}
    assert [w["service"] for w in report["warnings"]] == ["scoring"]
    assert report["summary_of_scores"]["chart"] == marker and report["summary_of_scores"]["roh_thread"] == marker
    assert report["summary_of_scores"]["national"] == marker
    first = report["sections"][0]["criteria"][0]
    assert first["score"] == marker and first["strengths"][0]["text"] == "One."  # the narrative is still there
    assert report["appendices"]["sample"]["total"] == 120 and report["inspection"]["area"] == "West Midlands"

    with stack.stopped("questionnaires"):
        report = (await gw.get(url)).json()
    assert [g["figures"] for g in report["service_users"]] == [{"unavailable": "questionnaires"}] * 3
    assert report["warnings"][0]["parts"] == ["service_users.offender", "service_users.victim", "service_users.sentencer"]

    with stack.stopped("cases"):
        response = await gw.get(url)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["inspection"] == {"unavailable": "cases"} and report["appendices"]["sample"] == {"unavailable": "cases"}
    assert {w["service"] for w in report["warnings"]} >= {"cases", "scoring"}
    assert report["recommendations"]["items"][0]["text"] == PARTS["recommendations"]["items"][0]

    with stack.stopped("cases", "scoring", "questionnaires"):
        response = await gw.get(url)
    assert response.status_code == 200 and response.json()["sections"] == {"unavailable": "cases"}


async def test_the_merged_openapi_document_has_the_report_document(gw: httpx.AsyncClient) -> None:
    merged = (await gw.get("/openapi.json")).json()
    assert {"ReportDocument", "Unavailable", "QuestionnaireSummary"} <= merged["components"]["schemas"].keys()
    assert {"/api/v1/inspections/{inspection_id}/report:publish", "/api/v1/reports/overdue"} <= merged["paths"].keys()


async def test_a_report_of_an_unknown_inspection_is_404(gw: httpx.AsyncClient) -> None:
    response = await gw.get("/api/v1/inspections/00000000-0000-0000-0000-000000000000/report")
    assert response.status_code == 404
