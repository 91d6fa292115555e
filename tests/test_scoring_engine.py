"""The pure scoring engine (services/scoring/logic/scoring.py) against shared/spec/scoring.md."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.logic.scoring import (
    _KEEP_DRAWS_UP_TO,
    AreaComparison,
    InspectionScore,
    Plan,
    _draw_counts,
    _new_draw_counts,
    _percentile_intervals,
    compare_with_mean,
    display_percent,
    score_inspection,
    suggested_conclusion,
    wilson_interval,
)
from shared.schemas.enums import Judgement
from shared.schemas.frameworks import Framework
from tests.oracle import expected_scores

EXACT = {"rel": 0, "abs": 1e-9}
FAST = 200  # resamples for property tests: enough to exercise the bootstrap, quick to run
PINNED = 2000  # resamples of the results written down below (the engine has no default of its own)


def _q(qid: str, **flags) -> dict:
    return {"id": qid, "text": f"question {qid}", **flags}


def _criterion(cid: str, questions: list[dict], scored_by: str = "cases") -> dict:
    return {"id": cid, "title": cid, "statement": cid, "scored_by": scored_by, "questions": questions}


# ------------------------------------------------------------------------------ frameworks

WORKED = Framework.model_validate(
    {
        "id": "worked-example",
        "version": 1,
        "title": "scoring.md worked example",
        "sections": [
            {
                "id": "1",
                "title": "Assessment and sentence planning",
                "criteria": [
                    _criterion("X", [_q("A", roh=True), _q("B"), _q("S", summary=True, roh=True)]),
                    _criterion("Y", [_q("C"), _q("T", summary=True)]),
                ],
            }
        ],
    }
)

WORKED_CASES = [
    {"A": "yes", "B": "no", "S": "yes", "C": "yes", "T": "yes"},
    {"A": "no", "B": "na", "S": "no", "C": "yes", "T": "no"},
    {"A": "yes", "B": "yes", "S": "yes", "C": "no", "T": "yes"},
    {"A": "na", "B": "na", "S": "na", "C": "yes", "T": "yes"},
]

# An OMI-shaped framework: three case-scored sections, a graded section 4, and a RoH thread drawn
# from sections 1 and 2 only (the RoH-flagged questions of section 3 must not count).
OMI = Framework.model_validate(
    {
        "id": "omi-test",
        "version": 1,
        "title": "OMI-shaped",
        "grade_scale": ["well_met", "satisfactorily_met", "partly_met", "not_met"],
        "roh_thread_sections": ["1", "2"],
        "conclusion_bands": [
            {"min": 0, "label": "urgent priority for improvement"},
            {"min": 50, "label": "priority for improvement"},
            {"min": 70, "label": "good"},
        ],
        "sections": [
            {
                "id": "1",
                "title": "s1",
                "criteria": [
                    _criterion("1.1", [_q("a1"), _q("a2", roh=True), _q("a3"), _q("s11", summary=True, roh=True)]),
                    _criterion("1.2", [_q("b1"), _q("s12", summary=True)]),
                ],
            },
            {
                "id": "2",
                "title": "s2",
                "criteria": [_criterion("2.1", [_q("c1", roh=True), _q("c2"), _q("s21", summary=True)])],
            },
            {
                "id": "3",
                "title": "s3",
                "criteria": [_criterion("3.1", [_q("d1", roh=True), _q("s31", summary=True, roh=True)])],
            },
            {"id": "4", "title": "s4", "criteria": [_criterion("4.1", [], scored_by="grade")]},
        ],
    }
)

RATING_BANDS = [
    {"min": 80, "label": "outstanding"},
    {"min": 65, "label": "good"},
    {"min": 50, "label": "requires improvement"},
    {"min": 0, "label": "inadequate"},
]

RATINGS = Framework.model_validate(
    {
        "id": "ratings-test",
        "version": 1,
        "title": "ratings",
        "scoring": {"kind": "lowest_key_question", "ratings": RATING_BANDS},
        "sections": [
            {
                "id": "1",
                "title": "s1",
                "criteria": [
                    _criterion("R1", [_q("k1", key=True, roh=True), _q("k2", key=True), _q("n1")]),
                    _criterion("R2", [_q("k3", key=True), _q("k4", key=True)]),
                    _criterion("R3", [_q("k5", key=True), _q("n2", summary=True)]),
                    _criterion("R4", [_q("k6", key=True)]),
                ],
            }
        ],
    }
)


def flatten(result: InspectionScore) -> dict:
    out = {("criterion", c.id): c.score for c in result.criteria}
    out |= {("section", s.id): s.score for s in result.sections}
    out[("thread", None)] = result.roh_thread.score
    return out


def intervals(result: InspectionScore) -> dict:
    out = {("criterion", c.id): c.interval for c in result.criteria}
    out |= {("section", s.id): s.interval for s in result.sections}
    out[("thread", None)] = result.roh_thread.interval
    return out


# -------------------------------------------------------------------------- strategies

MISSING = "<missing>"
JUDGEMENT = st.sampled_from(["yes", "no", "na", MISSING])


def cases_for(framework: Framework, max_cases: int = 12):
    qids = list(framework.questions())

    def build(rows):
        return [{q: v for q, v in zip(qids, row, strict=False) if v != MISSING} for row in rows]

    row = st.lists(JUDGEMENT, min_size=len(qids), max_size=len(qids))
    return st.lists(row, max_size=max_cases).map(build)


FRAMEWORKS = st.sampled_from([OMI, RATINGS, WORKED])


@st.composite
def framework_and_cases(draw, max_cases: int = 12):
    framework = draw(FRAMEWORKS)
    return framework, draw(cases_for(framework, max_cases))


# ------------------------------------------------------------------ (a) worked example


def test_worked_example_exact():
    result = score_inspection(WORKED, WORKED_CASES, resamples=PINNED)
    assert result.cases_assessed == 4
    x, y = result.criteria
    p = {q.id: q.proportion for c in result.criteria for q in c.questions}
    assert p["A"] == pytest.approx(200 / 3, **EXACT)
    assert p["B"] == pytest.approx(50.0, **EXACT)
    assert p["S"] == pytest.approx(200 / 3, **EXACT)
    assert p["C"] == pytest.approx(75.0, **EXACT)
    assert p["T"] == pytest.approx(75.0, **EXACT)
    counts = {q.id: (q.above_line, q.relevant) for c in result.criteria for q in c.questions}
    assert counts == {"A": (2, 3), "B": (1, 2), "S": (2, 3), "C": (3, 4), "T": (3, 4)}
    assert (x.id, y.id) == ("X", "Y")
    assert x.score == pytest.approx(60.0, **EXACT)
    assert y.score == pytest.approx(75.0, **EXACT)
    (section,) = result.sections
    assert section.id == "1"
    assert section.score == pytest.approx(67.5, **EXACT)
    assert display_percent(section.score) == "68%"
    assert result.roh_thread.score == pytest.approx((p["A"] + p["S"]) / 2, **EXACT)
    assert result.roh_thread.score == pytest.approx(200 / 3, **EXACT)
    assert display_percent(result.roh_thread.score) == "67%"
    # Exact arithmetic: the scores are the floats nearest the true values, not merely close.
    assert (x.score, y.score, section.score) == (60.0, 75.0, 67.5)
    assert x.rating is None and x.suggested_conclusion is None  # weighted mean rule, no bands


def test_worked_example_intervals_bracket_scores_and_are_reproducible():
    first = score_inspection(WORKED, WORKED_CASES, resamples=PINNED)
    again = score_inspection(WORKED, WORKED_CASES, resamples=PINNED)
    assert first == again
    for key, (lo, hi) in intervals(first).items():
        assert 0.0 <= lo <= flatten(first)[key] <= hi <= 100.0
    # Each question carries its Wilson interval.
    a = first.criteria[0].questions[0]
    assert a.interval == wilson_interval(2, 3)


def test_worked_example_intervals_pinned():
    """Regression guard: the published intervals of the same data must not drift between releases.

    They depend on numpy's PCG64 stream (numpy is pinned) and on the engine's resampling procedure;
    a deliberate change of either changes these numbers and must be a conscious decision.
    """
    result = score_inspection(WORKED, WORKED_CASES, resamples=PINNED)  # seed=2008
    assert [c.interval for c in result.criteria] == [(0.0, 100.0), (40.0, 100.0)]
    assert result.sections[0].interval == (45.0, 80.0)
    assert result.roh_thread.interval == (0.0, 100.0)


def test_bootstrap_interval_agrees_with_wilson_on_a_large_sample():
    # One proportion behind every statistic: 60 of 100. The percentile bootstrap should then be
    # close to the Wilson interval (50.2, 69.1) of the same proportion.
    cases = [{"A": "yes", "B": "yes", "S": "yes"}] * 60 + [{"A": "no", "B": "no", "S": "no"}] * 40
    result = score_inspection(WORKED, cases, resamples=PINNED)
    wilson_lo, wilson_hi = wilson_interval(60, 100)
    for interval in (result.criteria[0].interval, result.sections[0].interval, result.roh_thread.interval):
        lo, hi = interval
        assert lo == pytest.approx(wilson_lo, abs=2.0)
        assert hi == pytest.approx(wilson_hi, abs=2.0)


def test_percentiles_match_numpy_and_ignore_undefined_resamples():
    rng = np.random.default_rng(7)
    stats = rng.uniform(0, 100, size=(301, 6))
    stats[rng.random(stats.shape) < 0.3] = np.nan
    stats[:, 5] = np.nan  # never defined
    stats[1:, 4] = np.nan  # defined once
    lo, hi = _percentile_intervals(stats)
    for j in range(5):
        column = stats[:, j][~np.isnan(stats[:, j])]
        assert lo[j] == pytest.approx(np.percentile(column, 2.5), rel=0, abs=1e-9)
        assert hi[j] == pytest.approx(np.percentile(column, 97.5), rel=0, abs=1e-9)
    assert lo[4] == hi[4] == stats[0, 4]
    assert np.isnan(lo[5]) and np.isnan(hi[5])


def test_judgement_enum_answers_equal_plain_strings():
    as_enums = [{k: Judgement(v) for k, v in case.items()} for case in WORKED_CASES]
    assert score_inspection(WORKED, as_enums, resamples=FAST) == score_inspection(WORKED, WORKED_CASES, resamples=FAST)


# ----------------------------------------------------------------------- (b) Wilson


def test_wilson_interval_hand_computed():
    # above = 2, relevant = 3, z = 1.959964: z^2 = 3.841458881296, 1 + z^2/n = 2.280486293765333,
    # centre = (2/3 + z^2/6) / 2.2804862937653 = 0.5730838273934467,
    # half = z / 2.2804862937653 * sqrt((2/3)(1/3)/3 + z^2/36) = 0.3654242285856224.
    lo, hi = wilson_interval(2, 3)
    assert lo == pytest.approx(20.765959880782429, rel=0, abs=1e-9)
    assert hi == pytest.approx(93.850805597906916, rel=0, abs=1e-9)
    # 0 of 10: the lower bound is 0 and the upper has the closed form 100 z^2 / (n + z^2).
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(100 * 3.841458881296 / 13.841458881296, rel=0, abs=1e-9)
    symmetric_lo, symmetric_hi = wilson_interval(10, 10)  # the mirror image of 0 of 10
    assert symmetric_hi == 100.0
    assert symmetric_lo == pytest.approx(100 - hi, rel=0, abs=1e-9)
    assert wilson_interval(0, 0) is None


def test_wilson_interval_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
    with pytest.raises(ValueError):
        wilson_interval(-1, 2)


@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_proportion(counts):
    above, relevant = counts
    interval = wilson_interval(above, relevant)
    if relevant == 0:
        assert interval is None
    else:
        lo, hi = interval
        assert 0.0 <= lo <= 100 * above / relevant <= hi <= 100.0


# ------------------------------------------------------------------ display and bands


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (72.5, "73%"),
        (67.5, "68%"),
        (200 / 3, "67%"),
        (72.49, "72%"),
        (0.0, "0%"),
        (0.4, "0%"),
        (100.0, "100%"),
        (99.5, "100%"),
        (np.float64(72.5), "73%"),
        (None, "n/a"),
    ],
)
def test_display_percent(value, shown):
    assert display_percent(value) == shown


def test_display_percent_rejects_nan():
    with pytest.raises(ValueError):
        display_percent(float("nan"))


def test_suggested_conclusion_bands():
    assert suggested_conclusion(OMI, None) is None
    assert suggested_conclusion(OMI, 0.0) == "urgent priority for improvement"
    assert suggested_conclusion(OMI, 49.99) == "urgent priority for improvement"
    assert suggested_conclusion(OMI, 50.0) == "priority for improvement"
    assert suggested_conclusion(OMI, 69.9) == "priority for improvement"
    assert suggested_conclusion(OMI, 70.0) == "good"
    assert suggested_conclusion(OMI, 100.0) == "good"
    assert suggested_conclusion(WORKED, 90.0) is None  # no bands in the document


# -------------------------------------------------------------- rules in small examples


def test_ratings_rule_lowest_key_question():
    cases = [
        {"k1": "yes", "k2": "yes", "n1": "no", "k3": "yes", "k4": "na", "k5": "yes", "n2": "no", "k6": "yes"},
        {"k1": "yes", "k2": "no", "n1": "no", "k3": "yes", "k5": "yes", "n2": "no", "k6": "no"},
        {"k1": "yes", "k2": "yes", "n1": "no", "k3": "yes", "k5": "yes", "n2": "no", "k6": "no"},
        {"k1": "no", "k2": "no", "n1": "no", "k3": "na", "k4": "na", "k5": "no", "n2": "no", "k6": "no"},
    ]
    result = score_inspection(RATINGS, cases, resamples=FAST)
    got = {c.id: (c.score, c.rating) for c in result.criteria}
    assert got == {
        "R1": (50.0, "requires improvement"),  # min(k1 = 75, k2 = 50); the non-key n1 (0) ignored
        "R2": (100.0, "outstanding"),  # k4 never relevant: ignored
        "R3": (75.0, "good"),  # the non-key n2 (0) ignored
        "R4": (25.0, "inadequate"),
    }
    assert result.sections[0].score == pytest.approx((50 + 100 + 75 + 25) / 4, **EXACT)
    assert result.roh_thread.score == pytest.approx(75.0, **EXACT)  # k1 is the only RoH question
    # Band edges: 80 exactly is outstanding, 65 exactly is good.
    edge_cases = [{"k6": "yes"}] * 4 + [{"k6": "no"}] + [{"k1": "yes"}] * 13 + [{"k1": "no"}] * 7
    edge = score_inspection(RATINGS, edge_cases, resamples=FAST)
    by_id = {c.id: c for c in edge.criteria}
    assert (by_id["R4"].score, by_id["R4"].rating) == (80.0, "outstanding")
    assert (by_id["R1"].score, by_id["R1"].rating) == (65.0, "good")
    assert (by_id["R2"].score, by_id["R2"].rating, by_id["R2"].interval) == (None, None, None)


def test_only_q_or_only_p_or_neither():
    only_q = score_inspection(WORKED, [{"A": "yes", "B": "no", "S": "na"}], resamples=FAST)
    assert only_q.criteria[0].score == 50.0  # Q alone: mean(100, 0)
    assert only_q.criteria[1].score is None  # Y: nothing relevant
    assert only_q.criteria[1].interval is None
    assert only_q.sections[0].score == 50.0  # mean over the defined criteria only
    only_p = score_inspection(WORKED, [{"S": "no"}, {"S": "yes"}], resamples=FAST)
    assert only_p.criteria[0].score == 50.0  # P alone
    assert only_p.roh_thread.score == 50.0


def test_graded_criteria_omitted_sections_listed_and_thread_sections():
    cases = [{"d1": "no", "s31": "no", "a2": "yes", "s11": "yes", "c1": "no"}]
    result = score_inspection(OMI, cases, resamples=FAST)
    assert [c.id for c in result.criteria] == ["1.1", "1.2", "2.1", "3.1"]
    assert [s.id for s in result.sections] == ["1", "2", "3"]
    # Thread from sections 1 and 2 only: mean(a2 = 100, s11 = 100, c1 = 0); d1 and s31 left out.
    assert result.roh_thread.score == pytest.approx(200 / 3, **EXACT)
    # Questions are listed in framework order, summary included.
    assert [q.id for q in result.criteria[0].questions] == ["a1", "a2", "a3", "s11"]
    everywhere = OMI.model_copy(update={"roh_thread_sections": None})
    assert score_inspection(everywhere, cases, resamples=FAST).roh_thread.score == 40.0


def test_suggested_conclusion_on_criteria():
    cases = [{"b1": "yes", "s12": "yes"}, {"b1": "no", "s12": "yes"}]  # 1.2 = 0.8*50 + 0.2*100 = 60
    by_id = {c.id: c for c in score_inspection(OMI, cases, resamples=FAST).criteria}
    assert by_id["1.2"].score == 60.0
    assert by_id["1.2"].suggested_conclusion == "priority for improvement"
    assert by_id["1.1"].suggested_conclusion is None  # no score, no suggestion


def test_no_cases():
    for framework in (WORKED, OMI, RATINGS):
        result = score_inspection(framework, [], resamples=FAST)
        assert result.cases_assessed == 0
        assert all(c.score is None and c.interval is None and c.rating is None for c in result.criteria)
        assert all(q.relevant == 0 and q.proportion is None and q.interval is None for c in result.criteria for q in c.questions)
        assert all(s.score is None and s.interval is None for s in result.sections)
        assert result.roh_thread.score is None and result.roh_thread.interval is None


def test_framework_with_only_graded_criteria():
    graded = Framework.model_validate(
        {
            "id": "graded-only",
            "version": 1,
            "title": "graded",
            "grade_scale": ["met", "not_met"],
            "sections": [{"id": "4", "title": "s4", "criteria": [_criterion("4.1", [], scored_by="grade")]}],
        }
    )
    result = score_inspection(graded, [{"anything": "yes"}, {}], resamples=FAST)
    assert result == InspectionScore(2, [], [], result.roh_thread)
    assert result.roh_thread.score is None and result.roh_thread.interval is None


def test_bad_input():
    with pytest.raises(ValueError, match="'maybe'"):
        score_inspection(WORKED, [{"A": "yes"}, {"A": "maybe"}], resamples=FAST)
    with pytest.raises(ValueError):
        score_inspection(WORKED, WORKED_CASES, resamples=0)
    # Ids the framework does not score are ignored; None is an unanswered question.
    extra = [{**case, "not-a-question": "whatever", "B": None} for case in WORKED_CASES]
    plain = [{k: v for k, v in case.items() if k != "B"} for case in WORKED_CASES]
    assert score_inspection(WORKED, extra, resamples=FAST) == score_inspection(WORKED, plain, resamples=FAST)


# ---------------------------------------------------------------------- national view


def test_compare_with_mean():
    mean, rows = compare_with_mean(
        {
            "a": (70.0, (60.0, 80.0)),  # straddles the mean
            "b": (50.0, (45.0, 55.0)),  # wholly below
            "c": (90.0, (81.0, 95.0)),  # wholly above
            "d": (None, None),  # no score: not in the mean
            "e": (70.0, (70.0, 75.0)),  # touches the mean: not "above"
        }
    )
    assert mean == pytest.approx((70 + 50 + 90 + 70) / 4, **EXACT)
    assert rows == [
        AreaComparison("a", 70.0, (60.0, 80.0), None),
        AreaComparison("b", 50.0, (45.0, 55.0), "below"),
        AreaComparison("c", 90.0, (81.0, 95.0), "above"),
        AreaComparison("d", None, None, None),
        AreaComparison("e", 70.0, (70.0, 75.0), None),
    ]
    assert compare_with_mean({}) == (None, [])
    assert compare_with_mean({"x": (None, None)}) == (None, [AreaComparison("x", None, None, None)])


# ---------------------------------------------------------------- (c) properties

PROPERTY = settings(max_examples=60, deadline=None)


@PROPERTY
@given(framework_and_cases())
def test_matches_reference_and_stays_in_range(example):
    framework, cases = example
    result = score_inspection(framework, cases, resamples=FAST)
    assert result.cases_assessed == len(cases)
    expected = expected_scores(framework, cases).flat()
    got = flatten(result)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == (None if value is None else float(value)), key
    for key, interval in intervals(result).items():
        score = got[key]
        assert score is None or 0.0 <= score <= 100.0
        if score is None:
            assert interval is None
        else:  # a bootstrap interval contains its score
            lo, hi = interval
            assert 0.0 <= lo <= score <= hi <= 100.0
    for criterion in result.criteria:
        for q in criterion.questions:
            assert q.proportion == (None if q.relevant == 0 else 100 * q.above_line / q.relevant)
            if q.interval is not None:
                assert q.interval[0] <= q.proportion <= q.interval[1]


@PROPERTY
@given(framework_and_cases(), st.integers(1, 25), st.integers(0, 2**32 - 1))
def test_intervals_bracket_scores_whatever_the_resamples(example, resamples, seed):
    # With few resamples the percentile interval often misses the point estimate (one resample
    # gives a single value); the engine widens it so that it always brackets its score.
    framework, cases = example
    result = score_inspection(framework, cases, resamples=resamples, seed=seed)
    scores = flatten(result)
    for key, interval in intervals(result).items():
        if scores[key] is None:
            assert interval is None
        else:
            assert 0.0 <= interval[0] <= scores[key] <= interval[1] <= 100.0


@PROPERTY
@given(framework_and_cases(), st.randoms(use_true_random=False))
def test_independent_of_case_order(example, random):
    framework, cases = example
    shuffled = list(cases)
    random.shuffle(shuffled)
    # Scores AND bootstrap intervals identical, to the bit.
    assert score_inspection(framework, shuffled, resamples=FAST) == score_inspection(framework, cases, resamples=FAST)


@PROPERTY
@given(framework_and_cases(), st.booleans())
def test_all_na_case_changes_no_score(example, explicit):
    framework, cases = example
    blank = {q: "na" for q in framework.questions()} if explicit else {}
    before = score_inspection(framework, cases, resamples=FAST)
    after = score_inspection(framework, [*cases, blank], resamples=FAST)
    assert after.cases_assessed == before.cases_assessed + 1
    assert flatten(after) == flatten(before)
    # Question counts, proportions and Wilson intervals are unchanged too. The bootstrap intervals
    # may move: the blank case is still an assessed case, and resampling it changes the weights.
    assert [c.questions for c in after.criteria] == [c.questions for c in before.criteria]
    assert [c.rating for c in after.criteria] == [c.rating for c in before.criteria]


def _all_yes_examples(framework: Framework):
    unanswered = st.sets(st.sampled_from(list(framework.questions())))
    return st.tuples(st.just(framework), st.integers(1, 15), unanswered)


@PROPERTY
@given(FRAMEWORKS.flatmap(_all_yes_examples))
def test_all_yes_scores_100(example):
    framework, n, unanswered = example
    cases = [{q: "yes" for q in framework.questions() if q not in unanswered} for _ in range(n)]
    result = score_inspection(framework, cases, resamples=FAST)
    for key, score in flatten(result).items():
        assert score in (None, 100.0), key
        if score is not None:
            assert intervals(result)[key] == (100.0, 100.0)


@PROPERTY
@given(framework_and_cases(max_cases=8), st.integers(0, 2**32 - 1))
def test_vectorised_statistic_matches_reference_on_resampled_data(example, seed):
    """The bootstrap statistic, computed on weighted counts, equals the rules applied to the
    resample spelled out case by case (this checks the engine's internal vectorised path)."""
    framework, cases = example
    if not cases:
        return
    plan = Plan(framework)
    matrix = plan.matrix(plan.encode_rows(cases))
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(cases), [1 / len(cases)] * len(cases), size=5)
    yes = weights @ (matrix == 1).astype(np.float64)
    rel = weights @ (matrix >= 0).astype(np.float64)
    stats = plan.statistics(yes, rel)
    keys = list(expected_scores(framework, cases).flat())  # the engine's column order
    for row, w in zip(stats, weights, strict=False):
        resample = [case for case, k in zip(cases, w, strict=False) for _ in range(k)]
        expected = expected_scores(framework, resample).flat()
        for key, value in zip(keys, row, strict=False):
            if expected[key] is None:
                assert np.isnan(value), key
            else:
                assert value == pytest.approx(float(expected[key]), rel=0, abs=1e-9), key


def test_kept_draws_are_the_draws_made_afresh_and_read_only() -> None:
    kept = _draw_counts(37, 500, 2008)
    assert kept is _draw_counts(37, 500, 2008)
    assert np.array_equal(kept, _new_draw_counts(37, 500, 2008))
    assert (kept.sum(axis=1) == 37).all()  # every resample draws as many cases as there are
    assert kept.nbytes == 37 * 500  # a byte a count: a case is drawn at most 37 times
    with pytest.raises(ValueError):
        kept[0, 0] = 0
    big = _KEEP_DRAWS_UP_TO  # too large to keep: drawn afresh, the same all the same
    assert _draw_counts(big, 2, 1) is not _draw_counts(big, 2, 1)
    assert _draw_counts(256, 2, 1).dtype == np.float32  # a count of 256 would not fit a byte
