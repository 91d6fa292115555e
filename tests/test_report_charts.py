"""Chart 1 and the small bar charts as pure functions: data in, valid SVG out, drawing what it is given."""

import xml.etree.ElementTree as ET

from services.reporting.logic import charts

SVG = "{http://www.w3.org/2000/svg}"
TEXT = charts.ChartText("Chart 1", "Scores <and> intervals", "Score", "95% interval", "National mean", "n/a")


def _bars(svg: ET.Element) -> dict[str, float]:
    return {r.get("data-id"): float(r.get("width")) for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"}


def test_score_chart_draws_each_bar_with_its_label_whisker_and_national_mean():
    bars = [
        charts.ScoreBar("1.1", "1.1 Preparing & sentencing", 72.8, "73%", (69.0, 76.3), 65.0, "65%"),
        charts.ScoreBar("1.2", "1.2 Assessment", 36.4, "36%", (30.0, 41.0)),
        charts.ScoreBar("1.3", "1.3 Not applicable", None, "n/a"),
        charts.ScoreBar("1", "Section 1", 54.6, "55%", None, section=True),
    ]
    svg = ET.fromstring(charts.score_chart(bars, TEXT))  # well-formed XML, escaping included
    drawn = _bars(svg)
    assert set(drawn) == {"1.1", "1.2", "1"}  # no bar for a criterion without a score
    assert abs(drawn["1.1"] / drawn["1.2"] - 72.8 / 36.4) < 0.01  # lengths proportional to the scores
    labels = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert {"73%", "36%", "55%", "n/a", "1.1 Preparing & sentencing"} <= set(labels)
    assert len(list(svg.iter(f"{SVG}path"))) == 1 + 1  # one national mean marker, and the legend's
    whiskers = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "whisker"]
    assert len(whiskers) == 2
    assert svg.find(f"{SVG}title").text == "Chart 1" and svg.find(f"{SVG}desc").text == "Scores <and> intervals"


def test_bar_chart_draws_counts_against_a_comparison():
    bars = [charts.CountBar("Licence", 59, "59", 40, "40"), charts.CountBar("Custody", 15, "15", 10, "10")]
    svg = ET.fromstring(charts.bar_chart(bars, "Sample", "sample", 59, "Mix"))
    widths = [float(r.get("width")) for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]
    compares = [float(r.get("width")) for r in svg.iter(f"{SVG}rect") if r.get("class") == "compare"]
    assert widths[0] > widths[1] > 0 and compares[0] > compares[1] > 0
    assert abs(widths[0] / compares[0] - 59 / 40) < 0.01
