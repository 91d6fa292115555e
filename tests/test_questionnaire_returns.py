"""Questionnaire returns through the gateway: every validation rule, skip logic both ways, idempotent
re-posting, bulk import (JSON and CSV) with mixed rows, export and re-import, case links."""

import csv
import io

import httpx
import pytest

from tests.conftest import plan_inspection
from tests.questionnaire_helpers import OFFENDER_BASE, import_json, new_questionnaire, post_return, questionnaire_url
from tests.test_assessments import add_case

SENTENCER_BASE = {"role": "magistrate", "liaison_effective": "yes"}

# (respondent, answers, the field named, its error type): one rule each.
RULES = [
    ("offender", OFFENDER_BASE | {"shoe_size": 9}, "answers.shoe_size", "unknown_question"),
    ("offender", OFFENDER_BASE | {"working_relationship": "maybe"}, "answers.working_relationship", "option"),
    ("offender", OFFENDER_BASE | {"working_relationship": True}, "answers.working_relationship", "option"),
    ("offender", OFFENDER_BASE | {"think_about_victims": "agree"}, "answers.think_about_victims", "option"),
    ("sentencer", SENTENCER_BASE | {"role": "usher"}, "answers.role", "option"),
    ("offender", OFFENDER_BASE | {"issues_addressed": ["gardening"]}, "answers.issues_addressed", "option"),
    ("offender", OFFENDER_BASE | {"issues_addressed": "drugs"}, "answers.issues_addressed", "options"),
    ("offender", OFFENDER_BASE | {"issues_addressed": ["drugs", "drugs"]}, "answers.issues_addressed", "duplicate"),
    ("offender", OFFENDER_BASE | {"issues_addressed": []}, "answers.issues_addressed", "blank"),
    ("sentencer", SENTENCER_BASE | {"reports_per_month": "five"}, "answers.reports_per_month", "number"),
    ("sentencer", SENTENCER_BASE | {"reports_per_month": 5.5}, "answers.reports_per_month", "number"),
    ("sentencer", SENTENCER_BASE | {"reports_per_month": True}, "answers.reports_per_month", "number"),
    ("sentencer", SENTENCER_BASE | {"reports_per_month": 501}, "answers.reports_per_month", "range"),
    ("sentencer", SENTENCER_BASE | {"reports_per_month": -1}, "answers.reports_per_month", "range"),
    ("offender", OFFENDER_BASE | {"comments": "x" * 4001}, "answers.comments", "too_long"),
    ("offender", OFFENDER_BASE | {"comments": 7}, "answers.comments", "text"),
    ("offender", OFFENDER_BASE | {"comments": "   "}, "answers.comments", "blank"),
    ("offender", OFFENDER_BASE | {"comments": "a\x00b"}, "answers.comments", "text"),
    ("offender", {k: v for k, v in OFFENDER_BASE.items() if k != "clear_about_rules"}, "answers.clear_about_rules", "required"),
    # Skip logic, both ways: a question whose condition is not met must be absent...
    ("offender", OFFENDER_BASE | {"visited_in_prison": "no"}, "answers.visited_in_prison", "not_shown"),
    # ...and one whose condition is met, and that is required, must be present.
    ("offender", OFFENDER_BASE | {"recently_released": "yes"}, "answers.visited_in_prison", "required"),
    ("victim", {"offered_contact": "no", "took_up_contact": "no"}, "answers.took_up_contact", "not_shown"),
    ("victim", {"offered_contact": "yes"}, "answers.took_up_contact", "required"),
]


@pytest.mark.parametrize(("respondent", "answers", "field", "kind"), RULES, ids=[f"{r[2]}-{r[3]}" for r in RULES])
async def test_each_rule_names_the_bad_answer(gw: httpx.AsyncClient, respondent, answers, field, kind) -> None:
    url = await new_questionnaire(gw, respondent, sent=5)
    response = await gw.post(f"{url}/returns", json={"answers": answers})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["type"]) for e in response.json()["errors"]] == [(field, kind)]
    assert (await gw.get(url)).json()["returned"] == 0


async def test_skip_logic_accepts_both_branches(gw: httpx.AsyncClient) -> None:
    url = await new_questionnaire(gw, "offender", sent=5)
    await post_return(gw, url, OFFENDER_BASE)
    await post_return(gw, url, OFFENDER_BASE | {"recently_released": "yes", "visited_in_prison": "no"})
    await post_return(gw, url, OFFENDER_BASE | {"issues_addressed": ["drugs", "alcohol"], "comments": "fine"})
    assert (await gw.get(url)).json()["returned"] == 3


async def test_one_return_with_many_errors_names_them_all(gw: httpx.AsyncClient) -> None:
    url = await new_questionnaire(gw, "offender", sent=5)
    answers = {
        "working_relationship": "maybe",
        "recently_released": "no",
        "visited_in_prison": "yes",
        "issues_addressed": ["gardening"],
        "comments": "y" * 5000,
        "shoe_size": 9,
    }
    response = await gw.post(f"{url}/returns", json={"answers": answers})
    assert response.status_code == 422
    assert {(e["field"], e["type"]) for e in response.json()["errors"]} == {
        ("answers.shoe_size", "unknown_question"),
        ("answers.working_relationship", "option"),
        ("answers.clear_about_rules", "required"),
        ("answers.discussed_sentence_plan", "required"),
        ("answers.visited_in_prison", "not_shown"),
        ("answers.issues_addressed", "option"),
        ("answers.comments", "too_long"),
    }
    # A bad answer to the question another depends on: the dependent one is not judged on it.
    response = await gw.post(
        f"{url}/returns", json={"answers": OFFENDER_BASE | {"recently_released": "y", "visited_in_prison": "no"}}
    )
    assert [e["field"] for e in response.json()["errors"]] == ["answers.recently_released"]


async def test_bad_bodies_are_422(gw: httpx.AsyncClient) -> None:
    url = await new_questionnaire(gw, "offender", sent=5)
    for body in ({}, {"answers": []}, {"answers": {}, "extra": 1}, {"answers": {}, "case_id": "nope"}):
        response = await gw.post(f"{url}/returns", json=body)
        assert response.status_code == 422 and response.json()["errors"], body
    bad_respondent = questionnaire_url(url.split("/")[4], "probation_officer")
    assert (await gw.post(f"{bad_respondent}/returns", json={"answers": {}})).status_code == 422


async def test_a_re_sent_return_is_not_counted_twice(gw: httpx.AsyncClient) -> None:
    url = await new_questionnaire(gw, "offender", sent=5)
    body = {"answers": OFFENDER_BASE}
    first = await gw.post(f"{url}/returns", json=body, headers={"Idempotency-Key": "scan-1"})
    again = await gw.post(f"{url}/returns", json=body, headers={"Idempotency-Key": "scan-1"})
    assert first.status_code == 201 and again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and first.json()["return_key"] == "scan-1"
    other = await gw.post(
        f"{url}/returns", json={"answers": OFFENDER_BASE | {"working_relationship": "no"}}, headers={"Idempotency-Key": "scan-1"}
    )
    assert other.status_code == 409 and other.json()["type"] == "urn:omi:problem:idempotency-key-reused"

    keyed = await gw.post(f"{url}/returns", json=body | {"return_key": "paper-7"})
    assert keyed.status_code == 201
    same = await gw.post(f"{url}/returns", json=body | {"return_key": "paper-7"})
    assert same.status_code == 200 and same.json()["id"] == keyed.json()["id"]
    changed = await gw.post(
        f"{url}/returns", json={"answers": OFFENDER_BASE | {"clear_about_rules": "no"}, "return_key": "paper-7"}
    )
    assert changed.status_code == 409 and changed.json()["type"] == "urn:omi:problem:return-key-reused"
    assert (await gw.get(url)).json()["returned"] == 2


async def test_a_return_names_only_a_case_of_its_inspection(gw: httpx.AsyncClient) -> None:
    inspection, elsewhere = await plan_inspection(gw), await plan_inspection(gw)
    ours = await add_case(gw, inspection["id"], reference="A1")
    theirs = await add_case(gw, elsewhere["id"], reference="B1")
    url = questionnaire_url(inspection["id"], "offender")
    linked = await post_return(gw, url, OFFENDER_BASE, case_id=ours["id"])
    assert linked["case_id"] == ours["id"]
    for case_id in (theirs["id"], "00000000-0000-4000-8000-000000000000"):
        response = await gw.post(f"{url}/returns", json={"answers": OFFENDER_BASE, "case_id": case_id})
        assert response.status_code == 422 and [(e["field"], e["type"]) for e in response.json()["errors"]] == [
            ("case_id", "not_in_inspection")
        ]
    victim = questionnaire_url(inspection["id"], "victim")
    response = await gw.post(f"{victim}/returns", json={"answers": {"offered_contact": "no"}, "case_id": ours["id"]})
    assert response.status_code == 422 and response.json()["errors"][0]["type"] == "anonymous"


async def test_bulk_json_import_with_good_and_bad_rows(gw: httpx.AsyncClient) -> None:
    inspection, elsewhere = await plan_inspection(gw), await plan_inspection(gw)
    ours = await add_case(gw, inspection["id"], reference="A1")
    mine_too = await add_case(gw, inspection["id"], reference="A2")
    theirs = await add_case(gw, elsewhere["id"], reference="B1")
    url = questionnaire_url(inspection["id"], "offender")
    rows = [
        {"answers": OFFENDER_BASE, "return_key": "r1", "case_id": ours["id"]},
        {"answers": OFFENDER_BASE | {"working_relationship": "maybe"}, "return_key": "r2"},
        {"answers": OFFENDER_BASE, "case_id": theirs["id"]},
        "not a return",
        {"answers": OFFENDER_BASE, "return_key": "r1", "case_id": ours["id"]},
        {"answers": OFFENDER_BASE | {"clear_about_rules": "no"}, "return_key": "r1"},
        {"answers": OFFENDER_BASE, "case_id": mine_too["id"]},
    ]
    result = await import_json(gw, url, rows)
    assert (result["created"], result["replayed"], result["errors"]) == (2, 1, 4)
    outcomes = [(r["row"], r["outcome"]) for r in result["rows"]]
    assert outcomes == [(1, "created"), (2, "error"), (3, "error"), (4, "error"), (5, "replayed"), (6, "error"), (7, "created")]
    assert result["rows"][1]["errors"][0]["field"] == "answers.working_relationship"
    assert result["rows"][2]["errors"][0]["type"] == "not_in_inspection"
    assert result["rows"][5]["errors"][0]["type"] == "return_key_reused"
    assert result["rows"][4]["return_id"] == result["rows"][0]["return_id"]
    assert (await gw.get(url)).json()["returned"] == 2
    again = await import_json(gw, url, rows[:1])
    assert (again["created"], again["replayed"]) == (0, 1)
    envelope = await gw.post(f"{url}/returns:import", json={"rows": "many"})
    assert envelope.status_code == 422 and envelope.json()["errors"][0]["field"] == "rows"
    assert (await gw.post(f"{url}/returns:import", content=b"x", headers={"content-type": "text/plain"})).status_code == 415


def _csv(header: list[str], *rows: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


async def test_bulk_csv_import_with_good_and_bad_rows(gw: httpx.AsyncClient) -> None:
    url = await new_questionnaire(gw, "offender", sent=10)
    header = ["return_key", *OFFENDER_BASE, "visited_in_prison", "issues_addressed", "comments"]
    text = _csv(
        header,
        ["k1", "Yes", "yes", "no", "yes", "no", "drugs; alcohol", "line one\nline two, with a comma"],
        ["k2", "yes", "yes", "yes", "no", "yes", "", ""],  # visited_in_prison not shown
        ["k3", "yes", "yes"],  # too few cells
        ["k4", "no", "yes", "yes", "no", "", "gardening", ""],
        ["k5", "no", "no", "no", "no", "", "", ""],
    )
    response = await gw.post(f"{url}/returns:import", content=text, headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert [r["outcome"] for r in result["rows"]] == ["created", "error", "error", "error", "created"]
    assert result["rows"][1]["errors"][0] == {
        "field": "answers.visited_in_prison",
        "location": "body",
        "type": "not_shown",
        "message": "asked only when recently_released is yes: leave it out",
    }
    assert result["rows"][3]["errors"][0]["type"] == "option" and result["rows"][2]["errors"][0]["type"] == "cells"
    stored = {r["return_key"]: r for r in (await gw.get(f"{url}/returns")).json()["items"]}
    assert stored["k1"]["answers"]["issues_addressed"] == ["drugs", "alcohol"]
    assert stored["k1"]["answers"]["comments"] == "line one\nline two, with a comma"
    assert stored["k1"]["answers"]["working_relationship"] == "yes"
    unknown = await gw.post(
        f"{url}/returns:import", content=_csv(["return_key", "shoe_size"]), headers={"content-type": "text/csv"}
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "shoe_size"


async def test_an_export_re_imports_unchanged(gw: httpx.AsyncClient) -> None:
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"], reference="A1")
    url = questionnaire_url(inspection["id"], "offender")
    await post_return(
        gw, url, OFFENDER_BASE | {"issues_addressed": ["drugs", "finance"], "comments": 'a, b\n"c"'}, case_id=case["id"]
    )
    await post_return(gw, url, OFFENDER_BASE | {"recently_released": "yes", "visited_in_prison": "yes"})
    await import_json(gw, url, [{"answers": OFFENDER_BASE | {"think_about_victims": "more_likely"}, "return_key": "scan-9"}])
    withdrawn = await post_return(gw, url, OFFENDER_BASE)
    await gw.delete(f"{url}/returns/{withdrawn['id']}")
    before = (await gw.get(f"{url}/returns")).json()["items"]

    export = await gw.get(f"{url}/returns", params={"format": "csv"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert len(list(csv.reader(io.StringIO(export.text)))) == 1 + 3  # header and the counted returns
    again = await gw.post(f"{url}/returns:import", content=export.text, headers={"content-type": "text/csv"})
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["replayed"], again.json()["errors"]) == (0, 3, 0)
    assert (await gw.get(f"{url}/returns")).json()["items"] == before
    by_accept = await gw.get(f"{url}/returns", headers={"Accept": "text/csv"})
    assert by_accept.text == export.text

    # The export is the import's shape: into another inspection it creates the same returns.
    elsewhere = questionnaire_url((await plan_inspection(gw))["id"], "offender")
    text = export.text.replace(case["id"], "")  # the case belongs to the first inspection only
    moved = await gw.post(f"{elsewhere}/returns:import", content=text, headers={"content-type": "text/csv"})
    assert moved.json()["created"] == 3
    copied = sorted(
        r["answers"]["working_relationship"] + str(sorted(r["answers"]))
        for r in (await gw.get(f"{elsewhere}/returns")).json()["items"]
    )
    original = sorted(
        r["answers"]["working_relationship"] + str(sorted(r["answers"])) for r in before if r["withdrawn_at"] is None
    )
    assert copied == original


async def test_returns_page_with_a_cursor(gw: httpx.AsyncClient) -> None:
    url = await new_questionnaire(gw, "sentencer")
    await import_json(gw, url, [{"answers": SENTENCER_BASE, "return_key": f"s{n}"} for n in range(5)])
    first = (await gw.get(f"{url}/returns", params={"limit": 3})).json()
    second = (await gw.get(f"{url}/returns", params={"limit": 3, "cursor": first["next_cursor"]})).json()
    assert len(first["items"]) == 3 and len(second["items"]) == 2 and second["next_cursor"] is None
    assert {r["return_key"] for r in first["items"] + second["items"]} == {f"s{n}" for n in range(5)}
    assert (await gw.get(f"{url}/returns", params={"cursor": "junk"})).status_code == 422
