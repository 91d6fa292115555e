"""Free text can name people: it leaves the questionnaires service only through the raw-returns
endpoints, never in a summary, a log line or a span (attributes, events, names, statuses)."""

import logging

import httpx
import pytest

from tests.conftest import Stack, plan_inspection
from tests.questionnaire_helpers import OFFENDER_BASE, questionnaire_url
from tests.test_assessments import add_case

MARKER = "Zebedee-Quill-7731"  # as an offender might write a name


def _span_texts(stack: Stack) -> list[str]:
    texts = []
    for span in stack.spans.get_finished_spans():
        texts.append(span.name)
        texts += [f"{key}={value}" for key, value in (span.attributes or {}).items()]
        texts.append(str(span.status.description))
        for event in span.events:
            texts.append(event.name)
            texts += [f"{key}={value}" for key, value in (event.attributes or {}).items()]
    return texts


async def test_free_text_never_reaches_summaries_logs_or_spans(
    stack: Stack, gw: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the most a deployment could log
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"], reference="P1")
    url = questionnaire_url(inspection["id"], "offender")
    assert (await gw.put(url, json={"sent": 3})).status_code == 201
    text = f"My offender manager {MARKER} helped me"
    posted = await gw.post(f"{url}/returns", json={"answers": OFFENDER_BASE | {"comments": text}, "case_id": case["id"]})
    assert posted.status_code == 201
    too_long = await gw.post(f"{url}/returns", json={"answers": OFFENDER_BASE | {"comments": MARKER * 400}})
    assert too_long.status_code == 422 and MARKER not in too_long.text
    wrong_type = await gw.post(f"{url}/returns", json={"answers": OFFENDER_BASE | {"working_relationship": MARKER}})
    assert wrong_type.status_code == 422 and MARKER not in wrong_type.text
    reused = await gw.post(
        f"{url}/returns", json={"answers": OFFENDER_BASE | {"comments": MARKER}, "return_key": posted.json()["return_key"]}
    )
    assert reused.status_code == 409 and MARKER not in reused.text
    csv_text = f"return_key,{','.join(OFFENDER_BASE)},comments\nz1,yes,yes,yes,no,{MARKER} again\n"
    imported = await gw.post(f"{url}/returns:import", content=csv_text, headers={"content-type": "text/csv"})
    assert imported.json()["created"] == 1 and MARKER not in imported.text
    bad_row = await gw.post(
        f"{url}/returns:import", json={"rows": [{"answers": {"comments": MARKER, "working_relationship": 1}}]}
    )
    assert bad_row.json()["errors"] == 1 and MARKER not in bad_row.text

    summaries = [
        await gw.get(url),
        await gw.get(url, params={"case_type": "licence"}),
        await gw.get(url, params={"split_by": "recently_released"}),
        await gw.get(url, params={"split_by": "case_type"}),
    ]
    for summary in summaries:
        assert summary.status_code == 200 and MARKER not in summary.text
    comments = next(q for q in summaries[0].json()["questions"] if q["id"] == "comments")
    assert (comments["answered"], comments["options"], comments["statistics"]) == (2, [], None)

    # The raw-returns endpoints are the one way out: they do give it (so the searches below can find it).
    assert MARKER in (await gw.get(f"{url}/returns")).text
    assert MARKER in (await gw.get(f"{url}/returns", params={"format": "csv"})).text
    assert MARKER in (await gw.get(f"{url}/returns/{posted.json()['id']}")).text

    # SQL logging (at DEBUG, or echo) would show statements, never their parameters.
    assert all(stack.apps[name].state.engine.sync_engine.hide_parameters for name in stack.apps if name != "gateway")
    assert caplog.records, "nothing was logged: the search below would prove nothing"
    assert MARKER not in caplog.text
    assert not [r for r in caplog.records if MARKER in r.getMessage() or MARKER in str(r.__dict__)]
    texts = _span_texts(stack)
    assert any("questionnaire_returns" in t for t in texts), "no SQL span was recorded"
    assert not [t for t in texts if MARKER in t]
