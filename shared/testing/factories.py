"""Synthetic data for tests and benchmarks: caseloads and assessed samples with realistic proportions."""

import random
from typing import Any

import numpy as np

from shared.schemas.cases import CaseAttributes
from shared.schemas.enums import CaseType, Ethnicity, Gender, RohLevel

ATTRIBUTES: dict[str, list[Any]] = {
    "case_type": ["licence"] * 40 + ["community"] * 60 + ["custody"] * 20,
    "roh_level": ["low", "medium", "high", "very_high"],
    "tier": [1, 2, 3, 4],
    "gender": ["male", "male", "male", "female"],
    "ethnicity": ["white", "white", "black", "asian", "mixed"],
    "assessor_role": ["inspector", "inspector", "area_assessor"],
}


def generated_rows(document: dict[str, Any], count: int, seed: int) -> list[dict[str, Any]]:
    """A sample of ``count`` assessed cases with answers fitting each case's type."""
    rng = random.Random(seed)
    questions = [q for s in document["sections"] for c in s["criteria"] for q in c["questions"]]
    rows = []
    for number in range(count):
        case_type = ATTRIBUTES["case_type"][number % 120]
        answers = {}
        for q in questions:
            if q["applies_to"] is not None and case_type not in q["applies_to"]:
                continue
            draw = rng.random()
            if draw < 0.85:  # some questions stay unanswered
                answers[q["id"]] = "yes" if draw < 0.55 else ("no" if draw < 0.75 else "na")
        rows.append(
            {
                "reference": f"G{seed}-{number:04}",
                "case_type": case_type,
                "roh_level": rng.choice(ATTRIBUTES["roh_level"]),
                "tier": rng.choice(ATTRIBUTES["tier"]),
                "ppo": rng.random() < 0.15,
                "approved_premises": rng.random() < 0.08,
                "statutory_victim_contact": rng.random() < 0.25,
                "gender": rng.choice(ATTRIBUTES["gender"]),
                "ethnicity": rng.choice(ATTRIBUTES["ethnicity"]),
                "assessor_role": rng.choice(ATTRIBUTES["assessor_role"]),
                "answers": answers,
            }
        )
    return rows


def generate_caseload(size: int, seed: int) -> list[CaseAttributes]:
    """A synthetic caseload with realistic proportions, for tests and benchmarks.

    About 35% licence, 55% community, 10% custody; 15% high or very high RoH (more in custody
    and licence cases); tiers 1-4 rising with RoH; 4% PPO; 2% approved premises residents (on
    licence, a few on community orders); 8% statutory victim contact (mostly custody and
    licence); 11% female; 34% black and minority ethnic, 2% of unknown ethnicity. References
    are ``C`` and a zero-padded number.
    """
    rng = np.random.default_rng(seed)
    types = np.array([CaseType.licence, CaseType.community, CaseType.custody], dtype=object)
    t = rng.choice(3, size=size, p=[0.35, 0.55, 0.10])
    # P(high/very high RoH) per type: licence .22, community .09, custody .25 -> ~15% overall.
    p_high = np.array([0.22, 0.09, 0.25])[t]
    u = rng.random(size)
    roh = np.where(
        u < p_high * 0.8,
        2,  # high
        np.where(u < p_high, 3, np.where(u < p_high + (1 - p_high) * 0.45, 1, 0)),
    )
    rohs = np.array(list(RohLevel), dtype=object)
    # Tier rises with RoH.
    tier_p = np.array(
        [
            [0.45, 0.35, 0.15, 0.05],
            [0.15, 0.40, 0.35, 0.10],
            [0.02, 0.13, 0.45, 0.40],
            [0.0, 0.05, 0.35, 0.60],
        ]
    )
    cum = tier_p.cumsum(1)[roh]
    tier = (rng.random(size)[:, None] > cum).sum(1) + 1
    tier = np.minimum(tier, 4)
    ppo = rng.random(size) < 0.04
    ap = rng.random(size) < np.array([0.045, 0.008, 0.0])[t]
    svc = rng.random(size) < np.array([0.16, 0.015, 0.2])[t]
    genders = np.array([Gender.male, Gender.female, Gender.other, Gender.unknown], dtype=object)
    g = rng.choice(4, size=size, p=[0.882, 0.11, 0.002, 0.006])
    ethnicities = np.array(list(Ethnicity), dtype=object)  # white black asian mixed other unknown
    e = rng.choice(6, size=size, p=[0.64, 0.14, 0.13, 0.045, 0.025, 0.02])
    width = max(6, len(str(size)))
    return [
        CaseAttributes(
            reference=f"C{i:0{width}d}",
            case_type=types[t[i]],
            roh_level=rohs[roh[i]],
            tier=int(tier[i]),
            ppo=bool(ppo[i]),
            approved_premises=bool(ap[i]),
            statutory_victim_contact=bool(svc[i]),
            gender=genders[g[i]],
            ethnicity=ethnicities[e[i]],
        )
        for i in range(size)
    ]
