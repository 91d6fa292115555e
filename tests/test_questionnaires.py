"""Questionnaires through the gateway: templates, distributions, summaries (the reference report's
figures among them), withdrawal, over-returned flagging, filters and split summaries."""

import csv
import io

import httpx
import pytest

from shared.schemas.questionnaires import QuestionnaireSplit, QuestionnaireSummary
from tests.conftest import plan_inspection
from tests.questionnaire_helpers import (
    OFFENDER_BASE,
    count,
    import_json,
    new_questionnaire,
    post_return,
    question,
    questionnaire_url,
)
from tests.test_assessments import add_case


async def test_templates_are_served_per_respondent_group(gw: httpx.AsyncClient) -> None:
    listing = (await gw.get("/api/v1/questionnaires/templates")).json()
    assert [t["respondent"] for t in listing] == ["offender", "victim", "sentencer"]
    offender = (await gw.get("/api/v1/questionnaires/templates/offender")).json()
    assert offender == listing[0] and offender["version"] == 1
    by_id = {q["id"]: q for q in offender["questions"]}
    assert by_id["working_relationship"]["type"] == "yes_no" and by_id["working_relationship"]["options"] == ["yes", "no"]
    assert by_id["visited_in_prison"]["show_if"] == {"question": "recently_released", "equals": "yes"}
    assert "thinking_and_behaviour" in by_id["issues_addressed"]["options"]
    assert by_id["comments"]["type"] == "free_text" and by_id["comments"]["max_length"] == 4000
    victim = (await gw.get("/api/v1/questionnaires/templates/victim")).json()
    assert victim["names_cases"] is False
    assert (await gw.get("/api/v1/questionnaires/templates/offender", params={"version": 9})).status_code == 404
    assert (await gw.get("/api/v1/questionnaires/templates/probation_officer")).status_code == 422


def _offender_returns() -> list[dict]:
    """15 returns: all but one in a good working relationship; 6 recently released, 4 of them visited in
    prison; about half more likely to think about victims; thinking, attitude and ETE addressed most."""
    issues = [
        ["thinking_and_behaviour", "attitude_to_offending", "employment_training_education"],
        ["thinking_and_behaviour", "attitude_to_offending"],
        ["thinking_and_behaviour", "employment_training_education", "drugs"],
        ["attitude_to_offending", "accommodation"],
        ["thinking_and_behaviour"],
    ]
    rows = []
    for n in range(15):
        answers = dict(OFFENDER_BASE)
        answers["working_relationship"] = "no" if n == 0 else "yes"
        answers["clear_about_rules"] = "no" if n in (1, 2) else "yes"
        answers["discussed_sentence_plan"] = "no" if n in (3, 4, 5) else "yes"
        if n < 6:
            answers["recently_released"] = "yes"
            answers["visited_in_prison"] = "yes" if n < 4 else "no"
        answers["think_about_victims"] = "more_likely" if n % 2 else "no_different"
        answers["less_likely_to_reoffend"] = "less_likely" if n % 2 else "no_different"
        answers["issues_addressed"] = issues[n % len(issues)]
        rows.append(answers)
    return rows


def _victim_rows() -> list[dict]:
    """10 returns, all offered ongoing contact, 8 taking it up; 2 without enough information about the
    prison system, 3 without enough about their safety; most satisfied."""
    rows = []
    for n in range(10):
        answers = {
            "offered_contact": "yes",
            "took_up_contact": "yes" if n < 8 else "no",
            "satisfied_with_service": "dissatisfied" if n in (0, 1, 2) else "satisfied",
            "information_about_prison": "no" if n in (0, 1) else "yes",
            "information_about_safety": "no" if n in (0, 2, 4) else "yes",
        }
        rows.append({"answers": answers, "return_key": f"victim-scan-{n}"})
    return rows


def _sentencer_csv() -> str:
    """20 returns as a spreadsheet: most satisfied with reports and staff, some concerned about fast
    delivery reports, most who dealt with breaches finding the arrangements working, all but one
    finding liaison effective."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["return_key", "role", "quality_of_reports", "knowledge_of_court_staff", "fast_delivery_capacity"]
    writer.writerow([*header, "dealt_with_breaches", "breach_arrangements_working", "liaison_effective", "reports_per_month"])
    for n in range(20):
        dealt = n < 12
        writer.writerow(
            [
                f"court-{n}",
                "legal_adviser" if n % 5 == 0 else "magistrate",
                "dissatisfied" if n in (0, 1, 2) else "satisfied",
                "dissatisfied" if n in (3, 4) else "very_satisfied",
                "no" if n < 6 else "yes",
                "yes" if dealt else "no",
                ("no" if n in (0, 1) else "yes") if dealt else "",
                "no" if n == 19 else "yes",
                str(n),
            ]
        )
    return buffer.getvalue()


async def test_the_reference_reports_questionnaire_figures(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    offender = questionnaire_url(inspection["id"], "offender")
    victim = questionnaire_url(inspection["id"], "victim")
    sentencer = questionnaire_url(inspection["id"], "sentencer")
    assert (await gw.put(offender, json={"sent": 163})).status_code == 201
    assert (await gw.put(victim, json={"sent": 25})).status_code == 201
    assert (await gw.put(sentencer, json={"sent": None})).status_code == 201
    for answers in _offender_returns():
        await post_return(gw, offender, answers)
    assert (await import_json(gw, victim, _victim_rows()))["created"] == 10
    imported = await gw.post(f"{sentencer}/returns:import", content=_sentencer_csv(), headers={"content-type": "text/csv"})
    assert imported.status_code == 200 and imported.json()["created"] == 20, imported.text

    response = await gw.get(offender)
    QuestionnaireSummary.model_validate_json(response.content)  # the wire shape the reporting service reads
    offenders = response.json()
    assert (offenders["sent"], offenders["returned"], offenders["over_returned"]) == (163, 15, False)
    assert offenders["response_rate"] == pytest.approx(100 * 15 / 163) and round(offenders["response_rate"], 1) == 9.2
    relationship = question(offenders, "working_relationship")
    assert relationship["answered"] == 15 and count(offenders, "working_relationship", "yes") == 14
    assert count(offenders, "clear_about_rules", "yes") > 15 / 2 and count(offenders, "discussed_sentence_plan", "yes") > 15 / 2
    assert count(offenders, "recently_released", "yes") == 6
    visited = question(offenders, "visited_in_prison")
    # Skipped by skip logic: without data, never counted as "no".
    assert (visited["answered"], visited["without_data"], count(offenders, "visited_in_prison", "yes")) == (6, 9, 4)
    assert count(offenders, "visited_in_prison", "no") == 2
    issues = sorted(question(offenders, "issues_addressed")["options"], key=lambda o: -o["count"])
    assert {o["value"] for o in issues[:3]} == {
        "thinking_and_behaviour",
        "attitude_to_offending",
        "employment_training_education",
    }
    assert question(offenders, "comments") | {"options": []} == question(offenders, "comments")

    victims = (await gw.get(victim)).json()
    assert (victims["sent"], victims["returned"], victims["response_rate"]) == (25, 10, 40.0)
    assert count(victims, "took_up_contact", "yes") == 8 and question(victims, "took_up_contact")["answered"] == 10
    assert count(victims, "information_about_prison", "no") == 2
    assert count(victims, "information_about_safety", "no") == 3
    satisfied = question(victims, "satisfied_with_service")["options"]
    assert sum(o["count"] for o in satisfied if o["value"] in ("satisfied", "very_satisfied")) > 10 / 2

    sentencers = (await gw.get(sentencer)).json()
    assert (sentencers["sent"], sentencers["returned"], sentencers["response_rate"], sentencers["over_returned"]) == (
        None,
        20,
        None,
        False,
    )
    breach = question(sentencers, "breach_arrangements_working")
    assert (breach["answered"], breach["without_data"], count(sentencers, "breach_arrangements_working", "yes")) == (12, 8, 10)
    assert count(sentencers, "liaison_effective", "no") == 1 and count(sentencers, "liaison_effective", "yes") == 19
    assert question(sentencers, "reports_per_month")["statistics"] == {"min": 0, "median": 9.5, "max": 19}
    quality = {o["value"]: o["percentage"] for o in question(sentencers, "quality_of_reports")["options"]}
    assert quality["satisfied"] == pytest.approx(85.0) and quality["very_satisfied"] == 0.0


async def test_distribution_needs_if_match_once_recorded(gw: httpx.AsyncClient) -> None:
    url = await new_questionnaire(gw, "victim")
    assert (await gw.get(f"{url}/distribution")).status_code == 404
    first = await gw.put(url, json={"sent": 25})
    assert first.status_code == 201 and first.json()["version"] == 1
    etag = first.headers["etag"]
    assert (await gw.put(url, json={"sent": 26})).status_code == 428
    second = await gw.put(url, json={"sent": 26}, headers={"If-Match": etag})
    assert second.status_code == 200 and second.json()["sent"] == 26
    assert (await gw.put(url, json={"sent": 27}, headers={"If-Match": etag})).status_code == 412
    read = await gw.get(f"{url}/distribution")
    assert read.headers["etag"] == second.headers["etag"] and read.json()["sent"] == 26
    bad = await gw.put(url, json={"sent": "25"}, headers={"If-Match": read.headers["etag"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sent"
    assert (await gw.put(url, json={"sent": -1}, headers={"If-Match": read.headers["etag"]})).status_code == 422


async def test_unknown_inspections_are_404(gw: httpx.AsyncClient) -> None:
    url = questionnaire_url("00000000-0000-4000-8000-000000000000", "offender")
    assert (await gw.put(url, json={"sent": 3})).status_code == 404
    assert (await gw.get(url)).status_code == 404
    assert (await gw.post(f"{url}/returns", json={"answers": OFFENDER_BASE})).status_code == 404
    assert (await gw.get(f"{url}/returns")).status_code == 404


async def test_a_first_return_pins_the_template_and_an_empty_summary_counts_nothing(gw: httpx.AsyncClient) -> None:
    url = await new_questionnaire(gw, "offender")
    empty = (await gw.get(url)).json()
    assert (empty["returned"], empty["sent"], empty["template_version"]) == (0, None, 1)
    assert all(q["answered"] == 0 and all(o["percentage"] is None for o in q["options"]) for q in empty["questions"])
    await post_return(gw, url, OFFENDER_BASE)
    distribution = (await gw.get(f"{url}/distribution")).json()
    assert (distribution["version"], distribution["template_version"], distribution["sent"]) == (0, 1, None)
    # Returns came first: the first distribution is still a create, needing no If-Match.
    assert (await gw.put(url, json={"sent": 5})).status_code == 201


async def test_more_returns_than_sent_are_counted_and_flagged(gw: httpx.AsyncClient) -> None:
    url = await new_questionnaire(gw, "offender", sent=2)
    for _ in range(3):
        await post_return(gw, url, OFFENDER_BASE)
    summary = (await gw.get(url)).json()
    assert (summary["returned"], summary["over_returned"]) == (3, True)
    assert summary["response_rate"] == pytest.approx(150.0)
    etag = (await gw.get(f"{url}/distribution")).headers["etag"]
    assert (await gw.put(url, json={"sent": 4}, headers={"If-Match": etag})).status_code == 200
    summary = (await gw.get(url)).json()  # the new distribution, not the summary kept before it
    assert (summary["sent"], summary["over_returned"], summary["response_rate"]) == (4, False, 75.0)


async def test_a_withdrawn_return_is_kept_but_no_longer_counted(gw: httpx.AsyncClient) -> None:
    url = await new_questionnaire(gw, "offender", sent=10)
    kept = await post_return(gw, url, OFFENDER_BASE)
    gone = await post_return(gw, url, OFFENDER_BASE | {"working_relationship": "no"})
    assert (await gw.get(url)).json()["returned"] == 2  # read (and kept) before the withdrawal
    withdrawn = await gw.delete(f"{url}/returns/{gone['id']}")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None
    again = await gw.delete(f"{url}/returns/{gone['id']}")
    assert again.json()["withdrawn_at"] == withdrawn.json()["withdrawn_at"]
    summary = (await gw.get(url)).json()
    assert summary["returned"] == 1 and count(summary, "working_relationship", "no") == 0
    # Kept returns catch up on what was written since: a new one counts, the withdrawn one stays out.
    late = await post_return(gw, url, OFFENDER_BASE | {"working_relationship": "no", "clear_about_rules": "no"})
    summary = (await gw.get(url)).json()
    assert (summary["returned"], count(summary, "working_relationship", "no"), count(summary, "clear_about_rules", "no")) == (
        2,
        1,
        1,
    )
    await gw.delete(f"{url}/returns/{late['id']}")
    assert (await gw.get(url)).json()["returned"] == 1
    listing = (await gw.get(f"{url}/returns")).json()["items"]
    assert {r["id"]: r["withdrawn_at"] is not None for r in listing} == {kept["id"]: False, gone["id"]: True, late["id"]: True}
    assert (await gw.get(f"{url}/returns/{gone['id']}")).json()["withdrawn_at"] is not None
    other = await new_questionnaire(gw, "offender")
    assert (await gw.get(f"{other}/returns/{kept['id']}")).status_code == 404
    assert (await gw.delete(f"{other}/returns/{kept['id']}")).status_code == 404


async def test_summaries_filter_and_split_on_linked_cases(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    licence = await add_case(gw, inspection["id"], reference="L1")
    community = await add_case(gw, inspection["id"], reference="C1", case_type="community")
    spare = await add_case(gw, inspection["id"], reference="C2", case_type="community")
    url = questionnaire_url(inspection["id"], "offender")
    sent = await gw.put(url, json={"sent": 3, "cases": [licence["id"], community["id"], spare["id"]]})
    assert sent.status_code == 201, sent.text
    await post_return(gw, url, OFFENDER_BASE | {"recently_released": "yes", "visited_in_prison": "yes"}, case_id=licence["id"])
    await post_return(gw, url, OFFENDER_BASE | {"working_relationship": "no"}, case_id=community["id"])
    await post_return(gw, url, OFFENDER_BASE)  # anonymous

    only_licence = (await gw.get(url, params={"case_type": "licence"})).json()
    assert (only_licence["returned"], only_licence["sent"], only_licence["filters"]) == (1, 1, {"case_type": ["licence"]})
    assert count(only_licence, "recently_released", "yes") == 1
    community_only = (await gw.get(url, params={"case_type": "community"})).json()
    assert (community_only["returned"], community_only["sent"]) == (1, 2)

    response = await gw.get(url, params={"split_by": "case_type"})
    QuestionnaireSplit.model_validate_json(response.content)
    by_type = response.json()
    groups = {g["value"]: g["summary"] for g in by_type["groups"]}
    assert by_type["by"] == "case_type" and list(groups) == ["community", "licence", None]
    assert [(groups[v]["returned"], groups[v]["sent"]) for v in groups] == [(1, 2), (1, 1), (1, None)]
    assert count(groups["community"], "working_relationship", "no") == 1

    by_release = (await gw.get(url, params={"split_by": "recently_released"})).json()
    released = {g["value"]: g["summary"] for g in by_release["groups"]}
    assert list(released) == ["yes", "no", None]
    assert (released["yes"]["returned"], released["no"]["returned"], released[None]["returned"]) == (1, 2, 0)
    assert count(released["no"], "working_relationship", "no") == 1

    for bad in ("comments", "issues_addressed", "shoe_size"):
        response = await gw.get(url, params={"split_by": bad})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "split_by", bad
    assert (await gw.get(url, params={"case_type": "parole"})).status_code == 422


async def test_a_distribution_names_only_cases_of_its_inspection(gw: httpx.AsyncClient) -> None:
    inspection, elsewhere = await plan_inspection(gw), await plan_inspection(gw)
    ours = await add_case(gw, inspection["id"], reference="A1")
    theirs = await add_case(gw, elsewhere["id"], reference="B1")
    url = questionnaire_url(inspection["id"], "offender")
    response = await gw.put(url, json={"sent": 2, "cases": [ours["id"], theirs["id"]]})
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["cases.1"]
    assert (await gw.get(f"{url}/distribution")).status_code == 404  # nothing recorded, not even the pin
