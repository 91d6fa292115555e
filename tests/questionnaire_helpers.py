"""Helpers of the questionnaire tests: an inspection's questionnaire URLs, returns posted and imported."""

import httpx

from tests.conftest import plan_inspection

OFFENDER_BASE = {
    "working_relationship": "yes",
    "clear_about_rules": "yes",
    "discussed_sentence_plan": "yes",
    "recently_released": "no",
}


def questionnaire_url(inspection_id: str, respondent: str) -> str:
    return f"/api/v1/inspections/{inspection_id}/questionnaires/{respondent}"


async def new_questionnaire(gw: httpx.AsyncClient, respondent: str, sent: int | None = None) -> str:
    """A fresh inspection's questionnaire URL, its distribution recorded when ``sent`` is given."""
    inspection = await plan_inspection(gw)
    url = questionnaire_url(inspection["id"], respondent)
    if sent is not None:
        response = await gw.put(url, json={"sent": sent})
        assert response.status_code == 201, response.text
    return url


async def post_return(gw: httpx.AsyncClient, url: str, answers: dict, **fields) -> dict:
    response = await gw.post(f"{url}/returns", json={"answers": answers, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def import_json(gw: httpx.AsyncClient, url: str, rows: list[dict]) -> dict:
    response = await gw.post(f"{url}/returns:import", json={"rows": rows})
    assert response.status_code == 200, response.text
    return response.json()


def question(summary: dict, question_id: str) -> dict:
    return next(q for q in summary["questions"] if q["id"] == question_id)


def count(summary: dict, question_id: str, value: str) -> int:
    return next(o["count"] for o in question(summary, question_id)["options"] if o["value"] == value)
