"""The report as a person reads it, through the gateway: the demo inspection's JSON report holds every
published figure, its HTML is well-formed with Chart 1 and the tables, its PDF is a multi-page A4
document whose text has the figures, and the published HTML and PDF never change afterwards."""

import itertools
import json

from demo import generate
from tests.reporting_helpers import (
    GRADES,
    PUBLISHED,
    answer_no_everywhere,
    bars,
    chart_one,
    check_balanced,
    draft,
    parse_html,
    pdf_text,
    svg_texts,
)

A4 = (595.3, 841.9)  # points


def _headings_in_order(root) -> None:
    levels = [int(e.tag[1]) for e in root.iter() if isinstance(e.tag, str) and e.tag in {"h1", "h2", "h3", "h4"}]
    assert levels and levels[0] == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"a heading jumps from h{before} to h{after}"


async def test_demo_report_holds_every_published_figure(gw):
    made = await draft(gw)
    response = await gw.get(f"/api/v1/inspections/{made.inspection}/report", headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["warnings"] == []
    scores = document["summary_of_scores"]
    shown = {bar["id"]: bar["display"] for bar in scores["chart"] if bar["kind"] == "criterion"}
    assert shown == {criterion: f"{score}%" for criterion, score in PUBLISHED.items()}
    assert scores["roh_thread"]["display"] == "68%"
    assert {row["criterion_id"]: row["grade"] for row in scores["section_grades"]} == GRADES
    figures = {group["respondent"]: group["figures"] for group in document["service_users"]}
    assert (figures["offender"]["sent"], figures["offender"]["returned"]) == (163, 15)
    assert (figures["victim"]["sent"], figures["victim"]["returned"]) == (25, 10)
    assert (figures["sentencer"]["sent"], figures["sentencer"]["returned"], figures["sentencer"]["response_rate"]) == (
        None,
        20,
        None,
    )
    relationship = next(q for q in figures["offender"]["questions"] if q["id"] == "working_relationship")
    assert {o["value"]: o["count"] for o in relationship["options"]} == {"yes": 14, "no": 1}
    assert document["appendices"]["sample"]["total"] == 163
    assert document["appendices"]["sample"]["counts"]["ppo"]["true"] == 20
    assert len(document["recommendations"]["items"]) == 6
    assert len(document["good_practice"]) == 6


async def test_draft_html_has_chart_one_and_the_tables(gw):
    made = await draft(gw)
    response = await gw.get(f"/api/v1/inspections/{made.inspection}/report", headers={"Accept": "text/html"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    check_balanced(page)
    root = parse_html(page)
    assert root.get("lang") == "en"
    _headings_in_order(root)
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    tables = list(root.iter("table"))
    assert tables and all(t.find("caption") is not None and t.find(".//th") is not None for t in tables)

    svg = chart_one(page)
    drawn = bars(svg)
    assert set(drawn) == {*PUBLISHED, "1", "2", "3"}
    assert all(width > 0 for width in drawn.values())
    # Longer bars for higher scores: the chart draws the scores it is given.
    assert drawn["2.6"] > drawn["1.1"] > drawn["1.5"]
    labels = svg_texts(svg)
    for score in PUBLISHED.values():
        assert f"{score}%" in labels
    assert svg.find(".//{http://www.w3.org/2000/svg}title") is not None  # a text alternative
    assert len(list(svg.iter("{http://www.w3.org/2000/svg}line"))) >= 3 * 17  # a whisker (three lines) per bar
    # The same figures in a table beside the chart, and Tables 1 and 2.
    text = " ".join("".join(t.itertext()) for t in tables)
    for score in PUBLISHED.values():
        assert f"{score}%" in text
    assert "Satisfactorily met" in text and "Partly met" in text
    assert "68%" in text


async def test_draft_pdf_is_a4_with_the_figures(gw):
    made = await draft(gw)
    response = await gw.get(f"/api/v1/inspections/{made.inspection}/report", params={"format": "pdf"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader, text = pdf_text(response.content)
    assert len(reader.pages) > 10
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width, 1), round(height, 1)) == A4
    for score in PUBLISHED.values():
        assert f"{score}%" in text
    assert "68%" in text and "Contents" in text and "Satisfactorily met" in text
    assert "West Midlands" in reader.metadata.title
    assert reader.metadata["/Area"] == "West Midlands"
    assert reader.metadata["/Fieldwork"] == "2008-06-09"
    # Page numbers: the last page's number is printed on it.
    assert str(len(reader.pages)) in (reader.pages[-1].extract_text() or "")


async def test_an_unchanged_draft_pdf_is_the_kept_one_and_a_change_renders_it_again(gw):
    made = await draft(gw)
    base = f"/api/v1/inspections/{made.inspection}/report"
    first = await gw.get(base, params={"format": "pdf"})
    # Assembled again (a new generated_at, which a fresh rendering writes into its metadata): the
    # same content, so the same PDF.
    again = await gw.get(base, params={"format": "pdf"})
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    # Any change to what the draft shows is rendered at once: never the kept, stale PDF.
    path = f"/api/v1/inspections/{made.inspection}/narrative/next_steps"
    changed = await made.api.put_guarded(path, {"paragraphs": [*made.report["next_steps"], "A sentence added later."]})
    assert changed.status_code == 200, changed.text
    after = await gw.get(base, params={"format": "pdf"})
    assert after.content != first.content
    assert "A sentence added later." in pdf_text(after.content)[1]


async def test_published_html_and_pdf_are_frozen(stack, gw):
    made = await draft(gw)
    await made.send_for_comment()
    await made.comment()
    await made.publish()
    base = f"/api/v1/inspections/{made.inspection}/report"
    first = {kind: (await gw.get(base, params={"format": kind})) for kind in ("json", "html", "pdf")}
    assert all(r.status_code == 200 for r in first.values()), {k: r.text[:200] for k, r in first.items()}
    assert json.loads(first["json"].content)["status"] == "published"

    # Later changes: every assessment (cases refuses them through the API once published, so as a
    # correction in its database) and a narrative part.
    await answer_no_everywhere(stack, made.inspection)
    live = (await gw.get(f"/api/v1/inspections/{made.inspection}/scores")).json()
    assert generate.round_half_up(live["criteria"][0]["score"]) != PUBLISHED["1.1"]
    summary = f"/api/v1/inspections/{made.inspection}/narrative/summary"
    etag = (await gw.get(summary)).headers["ETag"]
    rewrite = await gw.put(
        summary, json={"paragraphs": [{"section": "1", "text": "Rewritten after publication."}]}, headers={"If-Match": etag}
    )
    assert rewrite.status_code == 200, rewrite.text
    assert b"Rewritten after publication." in (await gw.get(summary)).content

    for kind, before in first.items():
        again = await gw.get(base, params={"format": kind})
        assert again.status_code == 200
        assert again.content == before.content, f"the published {kind} changed"
    assert b"Rewritten after publication." not in first["html"].content
    # Accept negotiates the same frozen bytes.
    assert (await gw.get(base, headers={"Accept": "application/pdf"})).content == first["pdf"].content
    assert (await gw.get(base, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})).content == first["html"].content
    # Served with every other service stopped: a published rendering needs none of them.
    with stack.stopped("cases", "scoring", "questionnaires"):
        for kind, before in first.items():
            served = await gw.get(base, params={"format": kind})
            assert served.status_code == 200 and served.content == before.content


async def test_an_english_inspection_has_no_welsh_version(gw):
    made = await draft(gw)
    base = f"/api/v1/inspections/{made.inspection}/report"
    for params in ({"lang": "cy"}, {"lang": "cy", "format": "html"}, {"lang": "cy", "format": "pdf"}):
        response = await gw.get(base, params=params)
        assert response.status_code == 404, (params, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
    # Asking for Welsh by Accept-Language falls back to the version there is.
    page = await gw.get(base, params={"format": "html"}, headers={"Accept-Language": "cy, en;q=0.5"})
    assert parse_html(page.text).get("lang") == "en"
    assert (await gw.get(base, headers={"Accept": "image/png"})).status_code == 406
