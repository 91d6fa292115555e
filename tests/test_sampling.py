"""The case sample: drawing it from a caseload, checking its composition, reading a caseload CSV."""

import random

import pytest
from pydantic import ValidationError

from services.cases.logic.caseload import CaseloadError
from services.cases.logic.composition import composition
from services.cases.logic.draw import SampleInfeasible, draw_sample
from services.cases.logic.quotas import QUOTAS, female_target
from services.cases.logic.spreadsheet import parse_caseload_csv
from shared.schemas.cases import CaseAttributes, CaseCreate
from shared.schemas.enums import AssessorRole, CaseType
from shared.schemas.sampling import SampleComposition, SampleMix
from shared.testing.factories import generate_caseload


def _meets(case: CaseAttributes, quota: str) -> bool:
    return {
        "high_roh": case.roh_level in ("high", "very_high"),
        "ppo": case.ppo,
        "approved_premises": case.approved_premises,
        "statutory_victim_contact": case.statutory_victim_contact,
        "minority_ethnic": case.ethnicity not in ("white", "unknown"),
    }[quota]


def _case(ref: str, case_type: str = "community", **kw) -> CaseAttributes:
    return CaseAttributes(
        reference=ref,
        case_type=case_type,
        roh_level=kw.pop("roh_level", "low"),
        tier=kw.pop("tier", 1),
        **kw,
    )


@pytest.fixture(scope="module")
def caseload() -> list[CaseAttributes]:
    return generate_caseload(20_000, seed=1)


@pytest.fixture(scope="module")
def drawn(caseload):
    return draw_sample(caseload, SampleMix(), seed=42)


# --- the generator ------------------------------------------------------------------------------


def test_generated_caseload_has_realistic_proportions(caseload):
    n = len(caseload)
    assert n == 20_000
    assert len({c.reference for c in caseload}) == n

    def share(pred):
        return sum(map(pred, caseload)) / n

    assert share(lambda c: c.case_type == "licence") == pytest.approx(0.35, abs=0.02)
    assert share(lambda c: c.case_type == "community") == pytest.approx(0.55, abs=0.02)
    assert share(lambda c: c.case_type == "custody") == pytest.approx(0.10, abs=0.01)
    assert share(lambda c: _meets(c, "high_roh")) == pytest.approx(0.15, abs=0.015)
    assert share(lambda c: c.ppo) == pytest.approx(0.04, abs=0.006)
    assert share(lambda c: c.approved_premises) == pytest.approx(0.02, abs=0.005)
    assert share(lambda c: c.statutory_victim_contact) == pytest.approx(0.08, abs=0.01)
    assert share(lambda c: c.gender == "female") == pytest.approx(0.11, abs=0.01)
    assert share(lambda c: _meets(c, "minority_ethnic")) == pytest.approx(0.34, abs=0.015)
    assert {c.tier for c in caseload} == {1, 2, 3, 4}
    assert generate_caseload(50, seed=1) == generate_caseload(50, seed=1)
    assert generate_caseload(50, seed=1) != generate_caseload(50, seed=2)


# --- the mix ------------------------------------------------------------------------------------


def test_default_mix_is_the_standard_one():
    mix = SampleMix()
    assert mix.case_types == {CaseType.licence: 40, CaseType.community: 60, CaseType.custody: 10}
    assert (mix.min_total, mix.max_total, mix.total) == (110, 120, 110)
    assert mix.minimums.model_dump() == {
        "high_roh": 30,
        "ppo": 10,
        "approved_premises": 5,
        "statutory_victim_contact": 15,
        "minority_ethnic": 15,
    }
    assert SampleMix.model_validate_json(mix.model_dump_json()) == mix


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"case_types": {"licence": 40, "community": 60, "custody": 30}}, "add up to 130"),
        ({"case_types": {"licence": 40, "community": 50}}, "add up to 90"),
        ({"case_types": {"licence": -1, "community": 111}}, "greater than or equal to 0"),
        ({"min_total": 120, "max_total": 110}, "min_total (120) exceeds max_total (110)"),
        ({"minimums": {"ppo": 111}}, "minimums.ppo (111) exceeds the sample size (110)"),
        ({"minimums": {"ppo": -1}}, "greater than or equal to 0"),
        ({"case_types": {"prison": 110}}, "Input should be"),
    ],
)
def test_mix_validation(kwargs, needle):
    with pytest.raises(ValidationError, match=r".*" + needle.replace("(", r"\(").replace(")", r"\)")):
        SampleMix(**kwargs)


def test_mix_fills_missing_case_types_with_zero():
    mix = SampleMix(case_types={"community": 110})
    assert mix.case_types == {CaseType.community: 110, CaseType.licence: 0, CaseType.custody: 0}


# --- drawing ------------------------------------------------------------------------------------


def test_draw_meets_every_quota(caseload, drawn):
    mix = SampleMix()
    sel = drawn.selected
    assert drawn.seed == 42 and drawn.caseload_size == 20_000
    assert len(sel) == 110 and len({c.reference for c in sel}) == 110
    assert {c.reference for c in sel} <= {c.reference for c in caseload}
    for case_type, needed in mix.case_types.items():
        assert sum(c.case_type == case_type for c in sel) == needed
    for quota in QUOTAS:
        assert sum(_meets(c, quota) for c in sel) >= getattr(mix.minimums, quota), quota
    target = female_target(sum(c.gender == "female" for c in caseload), len(caseload), 110)
    assert abs(sum(c.gender == "female" for c in sel) - target) <= mix.female_tolerance
    assert drawn.composition.warnings == []
    assert drawn.composition.total == 110
    assert drawn.composition.counts["case_type"] == {"community": 60, "licence": 40, "custody": 10}
    assert [c.reference for c in sel] == sorted(c.reference for c in sel)


def test_draw_is_reproducible_and_order_independent(caseload, drawn):
    refs = [c.reference for c in drawn.selected]
    assert [c.reference for c in draw_sample(caseload, SampleMix(), seed=42).selected] == refs
    shuffled = list(caseload)
    random.Random(5).shuffle(shuffled)
    assert [c.reference for c in draw_sample(shuffled, SampleMix(), seed=42).selected] == refs
    other = {c.reference for c in draw_sample(caseload, SampleMix(), seed=43).selected}
    assert other != set(refs)
    assert len(other & set(refs)) < 60  # a different draw, not a small perturbation


def test_draw_across_seeds_and_mixes(caseload):
    mixes = [
        SampleMix(),
        SampleMix(
            case_types={"licence": 50, "community": 55, "custody": 15},
            minimums={
                "high_roh": 45,
                "ppo": 20,
                "approved_premises": 10,
                "statutory_victim_contact": 25,
            },
            female_tolerance=0,
        ),
        SampleMix(
            case_types={"community": 110},
            minimums={"approved_premises": 3, "statutory_victim_contact": 5},
        ),
    ]
    females = sum(c.gender == "female" for c in caseload)
    for mix in mixes:
        for seed in range(5):
            d = draw_sample(caseload, mix, seed)
            assert d.composition.warnings == [], (mix, seed)
            sel = d.selected
            for case_type, needed in mix.case_types.items():
                assert sum(c.case_type == case_type for c in sel) == needed
            for quota in QUOTAS:
                assert sum(_meets(c, quota) for c in sel) >= getattr(mix.minimums, quota)
            target = female_target(females, len(caseload), mix.total)
            assert abs(sum(c.gender == "female" for c in sel) - target) <= mix.female_tolerance


def test_draw_accepts_cases_with_an_assessor_role(caseload):
    cases = [CaseCreate(**c.model_dump(), assessor_role=AssessorRole.area_assessor) for c in caseload[:3000]]
    d = draw_sample(cases, SampleMix(), seed=3)
    assert d.composition.counts["assessor_role"]["area_assessor"] == 110


def test_duplicate_references_are_refused(caseload):
    cases = [*list(caseload[:500]), caseload[10]]
    with pytest.raises(CaseloadError) as info:
        draw_sample(cases, SampleMix(), seed=1)
    assert {e.row for e in info.value.errors} == {11, 501}
    assert caseload[10].reference in str(info.value)


def test_negative_seed_is_refused(caseload):
    with pytest.raises(ValueError):
        draw_sample(caseload[:1000], SampleMix(), seed=-1)


# --- infeasible caseloads -----------------------------------------------------------------------


def _problems(caseload, mix=None) -> dict[str, object]:
    with pytest.raises(SampleInfeasible) as info:
        draw_sample(caseload, mix or SampleMix(), seed=1)
    return {p.quota: p for p in info.value.problems} | {"_str": str(info.value)}


def test_too_few_custody_cases(caseload):
    custody = [c for c in caseload if c.case_type == "custody"]
    cases = [c for c in caseload if c.case_type != "custody"] + custody[:5]
    problems = _problems(cases)
    p = problems["case_types.custody"]
    assert (p.required, p.actual) == (10, 5)
    assert p.message == "the caseload has 5 custody cases; the mix needs 10"
    assert "the caseload has 5 custody cases; the mix needs 10" in problems["_str"]


def test_too_few_approved_premises_residents(caseload):
    ap = [c for c in caseload if c.approved_premises]
    cases = [c for c in caseload if not c.approved_premises] + ap[:2]
    problems = _problems(cases)
    p = problems["minimums.approved_premises"]
    assert (p.required, p.actual) == (5, 2)
    assert p.message == "the caseload has 2 approved premises residents; the minimum is 5"


def test_every_failing_quota_is_explained(caseload):
    cases = [c for c in caseload if c.case_type != "custody" and not c.ppo][:3000]
    cases += [c for c in caseload if c.case_type == "custody"][:6]
    cases += [c for c in caseload if c.ppo and c.case_type != "custody"][:4]
    problems = _problems(cases)
    assert problems["case_types.custody"].message == "the caseload has 6 custody cases; the mix needs 10"
    ppo_have = sum(c.ppo for c in cases)
    assert problems["minimums.ppo"].message == f"the caseload has {ppo_have} PPO cases; the minimum is 10"


def test_minimum_that_cannot_fit_in_the_case_type_places(caseload):
    # 40 high RoH cases, but 30 of them community: with 60 community places that is fine; make
    # them custody instead, where only 10 places exist.
    low = [c for c in caseload if not _meets(c, "high_roh")]
    high_custody = [c for c in caseload if _meets(c, "high_roh") and c.case_type == "custody"][:30]
    high_licence = [c for c in caseload if _meets(c, "high_roh") and c.case_type == "licence"][:2]
    problems = _problems(low + high_custody + high_licence)
    p = problems["minimums.high_roh"]
    assert (p.required, p.actual) == (30, 12)
    assert "the caseload has 32 high/very high RoH cases but only 12 fit within the case-type mix" in p.message
    assert "custody: 30 for 10 places" in p.message
    assert p.message.endswith("the minimum is 30")


def test_minimums_jointly_impossible(caseload):
    # High RoH and PPO cases exist only in custody, never both in one case: each minimum of 10
    # fits the 10 custody places on its own, but not together.
    cases = []
    for c in caseload:
        data = c.model_dump()
        if c.case_type != "custody":
            data.update(roh_level="low", ppo=False)
        elif _meets(c, "high_roh"):
            data.update(ppo=False)
        cases.append(CaseAttributes(**data))
    mix = SampleMix(minimums={"high_roh": 10, "ppo": 10})
    problems = _problems(cases, mix)
    p = problems["minimums.high_roh,minimums.ppo"]
    assert (p.required, p.actual) == (20, 10)
    assert "high/very high RoH cases (10) and PPO cases (10) add up to 20" in p.message
    assert "can supply at most 10" in p.message
    assert "minimums.high_roh" not in problems and "minimums.ppo" not in problems


def test_joint_shortfall_found_by_the_search_is_reported():
    # Passes every provable bound; infeasible only through the female quota and the minimums
    # together: the one female (custody) case is not a PPO, the one custody place needs a PPO.
    cases = [
        _case("L1", "licence", gender="male"),
        _case("C1", "community", gender="male"),
        _case("C2", "community", gender="male"),
        _case("K1", "custody", ppo=True, gender="male"),
        _case("K2", "custody", gender="female"),
    ]
    mix = SampleMix(
        case_types={"licence": 1, "community": 1, "custody": 1},
        min_total=1,
        max_total=3,
        minimums={
            "high_roh": 0,
            "ppo": 1,
            "approved_premises": 0,
            "statutory_victim_contact": 0,
            "minority_ethnic": 0,
        },
        female_tolerance=0,
    )
    # round(1/5 * 3) = 1 female needed: only K2, which leaves the PPO minimum unmet.
    with pytest.raises(SampleInfeasible) as info:
        draw_sample(cases, mix, seed=0)
    [p] = info.value.problems
    assert (p.quota, p.required, p.actual) == ("female", 1, 0)
    assert "best sample found" in p.message and "needs 1 (±0)" in p.message


def test_tight_but_feasible_caseload_is_drawn():
    # Needs a swap after the greedy pass: the custody case serving most minimums is male, the
    # female quota needs the custody female case, and PPO slack must come from community.
    cases = [
        _case("K1", "custody", roh_level="high", ppo=True, ethnicity="black"),
        _case("K2", "custody", ethnicity="black", gender="female"),
        _case("K3", "custody", approved_premises=True, ppo=True),
        _case("K4", "custody", roh_level="high", gender="female"),
        _case("K5", "custody"),
        _case("L1", "licence", roh_level="high", ppo=True, statutory_victim_contact=True),
        _case("L2", "licence", ethnicity="black"),
        _case("L3", "licence", roh_level="high", statutory_victim_contact=True),
        _case("C1", "community", roh_level="high", ethnicity="black"),
        _case("C2", "community", roh_level="high", ppo=True, statutory_victim_contact=True),
        _case("C3", "community", statutory_victim_contact=True),
        _case("C4", "community"),
    ]
    mix = SampleMix(
        case_types={"licence": 3, "community": 1, "custody": 1},
        min_total=1,
        max_total=5,
        minimums={
            "high_roh": 2,
            "ppo": 2,
            "approved_premises": 0,
            "statutory_victim_contact": 0,
            "minority_ethnic": 2,
        },
        female_tolerance=0,
    )
    for seed in range(20):
        d = draw_sample(cases, mix, seed)
        assert d.composition.warnings == []
        sel = d.selected
        assert sum(c.ppo for c in sel) >= 2 and sum(_meets(c, "minority_ethnic") for c in sel) >= 2
        assert sum(c.gender == "female" for c in sel) == female_target(2, len(cases), 5) == 1


def test_female_count_out_of_reach():
    cases = [_case(f"F{i}", "community", gender="female") for i in range(10)]
    cases += [_case(f"M{i}", "licence", gender="male") for i in range(90)]
    mix = SampleMix(
        case_types={"licence": 5, "community": 5},
        min_total=1,
        max_total=10,
        minimums={
            "high_roh": 0,
            "ppo": 0,
            "approved_premises": 0,
            "statutory_victim_contact": 0,
            "minority_ethnic": 0,
        },
        female_tolerance=1,
    )
    # round(10% x 10) = 1 (±1); the community places are all female cases: at least 5.
    with pytest.raises(SampleInfeasible) as info:
        draw_sample(cases, mix, seed=0)
    [p] = info.value.problems
    assert p.quota == "female" and (p.required, p.actual) == (2, 5)
    assert "forces at least 5 female offenders" in p.message


# --- composition --------------------------------------------------------------------------------


def test_composition_of_a_short_sample(drawn):
    mix = SampleMix()
    short = [c for c in drawn.selected if c.case_type != "custody"][:95]
    short = [c for c in short if not c.approved_premises]
    comp = composition(short, mix)
    assert isinstance(comp, SampleComposition)
    by_quota = {w.quota: w for w in comp.warnings}
    assert by_quota["total"].required == 110 and by_quota["total"].actual == len(short)
    assert by_quota["total"].message == f"the sample has {len(short)} cases; the mix needs 110-120"
    assert by_quota["case_types.custody"].message == "the sample has 0 custody cases; the mix needs 10"
    assert by_quota["minimums.approved_premises"].message == ("the sample has 0 approved premises residents; the minimum is 5")
    assert "female" not in by_quota
    assert comp.counts["case_type"]["custody"] == 0
    assert sum(comp.counts["gender"].values()) == len(short)
    assert set(comp.counts["tier"]) == {"1", "2", "3", "4"}
    assert set(comp.counts["ppo"]) == {"true", "false"}
    assert "assessor_role" not in comp.counts


def test_composition_counts_every_attribute():
    cases = [
        _case(
            "A",
            "custody",
            roh_level="very_high",
            tier=4,
            ppo=True,
            gender="female",
            ethnicity="asian",
        ),
        _case("B", "licence", roh_level="high", tier=3, approved_premises=True, ethnicity="unknown"),
    ]
    mix = SampleMix(
        case_types={"licence": 1, "community": 0, "custody": 1},
        min_total=2,
        max_total=2,
        minimums={
            "high_roh": 2,
            "ppo": 1,
            "approved_premises": 1,
            "statutory_victim_contact": 0,
            "minority_ethnic": 2,
        },
    )
    comp = composition(cases, mix, female_share=0.5)
    assert comp.counts["roh_level"] == {"low": 0, "medium": 0, "high": 1, "very_high": 1}
    assert comp.counts["tier"] == {"1": 0, "2": 0, "3": 1, "4": 1}
    assert comp.counts["approved_premises"] == {"true": 1, "false": 1}
    assert comp.counts["ethnicity"]["unknown"] == 1
    # "unknown" ethnicity is not a minority: 1 of 2.
    [w] = comp.warnings
    assert (w.quota, w.required, w.actual) == ("minimums.minority_ethnic", 2, 1)
    # with the caseload's female share, the female count is checked too
    assert {w.quota for w in composition(cases, mix, female_share=0.0).warnings} == {"minimums.minority_ethnic"}
    comp = composition(cases, mix.model_copy(update={"female_tolerance": 0}), female_share=0.0)
    assert "female" in {w.quota for w in comp.warnings}


def test_composition_accepts_plain_objects_with_assessor_role():
    class Row:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    rows = [
        Row(
            reference="A",
            case_type="community",
            roh_level="high",
            tier=2,
            ppo=False,
            approved_premises=False,
            statutory_victim_contact=False,
            gender="male",
            ethnicity="white",
            assessor_role="inspector",
        ),
        Row(
            reference="B",
            case_type="licence",
            roh_level="low",
            tier=1,
            ppo=True,
            approved_premises=False,
            statutory_victim_contact=True,
            gender="female",
            ethnicity="black",
            assessor_role=None,
        ),
    ]
    comp = composition(rows, SampleMix())
    assert comp.counts["assessor_role"] == {"inspector": 1, "area_assessor": 0, "unassigned": 1}
    assert comp.counts["case_type"]["licence"] == 1
    assert comp.total == 2


# --- CSV ----------------------------------------------------------------------------------------

HEADER = "reference,case_type,roh_level,tier,ppo,approved_premises,statutory_victim_contact,gender,ethnicity"


def test_parse_good_csv():
    text = (
        "\ufeff"
        + HEADER.upper().replace(",", " , ")
        + "\r\n"
        + "\r\n".join(
            [
                "A1,community,Very High,2,YES,no,0,Female,white",
                "A2,Licence,low,1,true,False,1,male,black",
                "",
                "A3,custody,medium,4,0,1,no,,",
            ]
        )
    )
    cases = parse_caseload_csv(text)
    assert [c.reference for c in cases] == ["A1", "A2", "A3"]
    assert cases[0].roh_level == "very_high" and cases[0].ppo is True and cases[0].gender == "female"
    assert cases[1].case_type == "licence" and cases[1].statutory_victim_contact is True
    assert cases[2].approved_premises is True and cases[2].gender == "unknown"
    # optional columns may be left out
    assert parse_caseload_csv("reference,case_type,roh_level,tier\nX,custody,high,3\n")[0].ethnicity == "unknown"


def test_parse_bad_csv_names_every_bad_row_and_field():
    text = "\n".join(
        [
            HEADER,
            "A1,community,low,2,yes,no,no,male,white",  # row 2: good
            "A2,licence,low,5,maybe,false,1,male,black",  # row 3: tier, ppo
            "A3,prison,medium,x,true,,,,",  # row 4: case_type, tier
            ",custody,low,1,0,0,0,male,asian",  # row 5: reference
            "A1,custody,low,1,0,0,0,male,asian",  # row 6: repeated reference
            "A6,custody,low",  # row 7: too few cells
            "A7,custody,high,1,no,no,no,martian,white",  # row 8: gender
            "A8,community,low,1,no,no,no,male,white",  # row 9: good
        ]
    )
    with pytest.raises(CaseloadError) as info:
        parse_caseload_csv(text)
    found = {(e.row, e.field) for e in info.value.errors}
    assert found == {
        (3, "tier"),
        (3, "ppo"),
        (4, "case_type"),
        (4, "tier"),
        (5, "reference"),
        (6, "reference"),
        (7, None),
        (8, "gender"),
    }
    by = {(e.row, e.field): e for e in info.value.errors}
    assert by[(3, "ppo")].value == "maybe"
    assert by[(6, "reference")].message == "reference repeats row 2"
    assert "expected 9 cells, found 3" in by[(7, None)].message
    assert "row 4, case_type" in str(info.value)


def test_parse_csv_header_errors():
    with pytest.raises(CaseloadError) as info:
        parse_caseload_csv("reference,case_type,colour,notes\nA,community,red,x\n")
    errors = info.value.errors
    assert all(e.row == 1 for e in errors)
    text = str(info.value)
    assert "'colour'" in text and "'notes'" in text
    assert "missing required column(s): roh_level, tier" in text
    with pytest.raises(CaseloadError, match="no header row"):
        parse_caseload_csv("")
    with pytest.raises(CaseloadError, match="repeated column"):
        parse_caseload_csv("reference,case_type,roh_level,tier,tier\n")


def test_parsed_csv_round_trips_a_generated_caseload():
    cases = generate_caseload(300, seed=9)
    lines = [HEADER] + [
        ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in c.model_dump(mode="json").values()) for c in cases
    ]
    assert parse_caseload_csv("\n".join(lines)) == cases
