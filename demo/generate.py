"""The demo's case sample and assessments, generated from its data file: seeded, reproducible, and
such that the live scores reproduce the published figures to the whole percent.

Pure: data file and framework document in, import rows out. Three steps:
1. the cases: attributes laid out to the file's counts, with seeded circumstances (flags) that
   decide which questions each case is relevant to;
2. a yes count per question: aimed at the figures the report quotes, or near its criterion's score,
   then settled by a small deterministic search until every criterion score and the RoH thread
   round (half up) to the published whole percent;
3. which relevant cases are above the line: a seeded choice of that many.
"""

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shared.schemas.enums import CaseType
from shared.schemas.frameworks import Criterion, Framework, Question

DATA_FILE = Path(__file__).parent / "west-midlands-2008.yaml"
MARGIN = 0.3  # a settled score lies within this of its whole percent, well inside the rounding band
SPREAD = 12.0  # how far a question's aim may lie from its criterion's score


def load(path: Path = DATA_FILE) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def round_half_up(value: float) -> int:
    """Whole percent as the report shows it (72.5 shows as 73)."""
    return math.floor(value + 0.5)


@dataclass
class DemoCase:
    reference: str
    case_type: str
    roh_level: str
    tier: int
    ppo: bool = False
    approved_premises: bool = False
    statutory_victim_contact: bool = False
    gender: str = "male"
    ethnicity: str = "white"
    assessor_role: str = "inspector"
    flags: set[str] = field(default_factory=set)

    def attributes(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "case_type": self.case_type,
            "roh_level": self.roh_level,
            "tier": self.tier,
            "ppo": self.ppo,
            "approved_premises": self.approved_premises,
            "statutory_victim_contact": self.statutory_victim_contact,
            "gender": self.gender,
            "ethnicity": self.ethnicity,
            "assessor_role": self.assessor_role,
        }


_RISK_WEIGHT = {"very_high": 6.0, "high": 4.0, "medium": 1.5, "low": 1.0}
_TIERS = {"very_high": (4, 4), "high": (3, 4), "medium": (2, 3), "low": (1, 2)}


def _pick(rng: random.Random, pool: Sequence[DemoCase], count: int, weight: Mapping[str, float] | None = None) -> list[DemoCase]:
    """``count`` cases of ``pool``, weighted by RoH level where given (weighted sampling without replacement)."""
    if count > len(pool):
        raise ValueError(f"{count} cases wanted from {len(pool)}")
    keyed = sorted(pool, key=lambda c: rng.random() ** (1.0 / (weight or {}).get(c.roh_level, 1.0)), reverse=True)
    return keyed[:count]


def _meets(case: DemoCase, key: str, value: Any) -> bool:
    if key == "case_types":
        return case.case_type in value
    if key == "roh_levels":
        return case.roh_level in value
    if key == "tiers":
        return case.tier in value
    if key in ("ppo", "approved_premises", "statutory_victim_contact"):
        return bool(getattr(case, key) == value)
    if key == "flags":
        return set(value) <= case.flags
    if key == "count":  # how many cases carry a flag, not a condition on one case
        return True
    raise ValueError(f"unknown condition {key!r}")


def _matches(case: DemoCase, condition: Mapping[str, Any]) -> bool:
    """Whether a case meets a data-file condition (case types, RoH levels, tiers, attributes, flags)."""
    return all(_meets(case, key, value) for key, value in condition.items())


def cases(data: Mapping[str, Any]) -> list[DemoCase]:
    """The sample: every count of the data file exact, the rest seeded."""
    sample = data["sample"]
    rng = random.Random(data["seed"])
    types = [t for t, n in sample["case_types"].items() for _ in range(n)]
    made = [DemoCase(reference=f"WM08-{i + 1:03}", case_type=t, roh_level="low", tier=1) for i, t in enumerate(types)]
    # RoH: higher levels more often among licence and custody cases.
    type_weight = {"licence": 3.0, "custody": 3.0, "community": 1.0}
    pool = list(made)
    for level in ("very_high", "high", "medium"):
        chosen = sorted(pool, key=lambda c: rng.random() ** (1.0 / type_weight[c.case_type]), reverse=True)[
            : sample["roh_levels"][level]
        ]
        for c in chosen:
            c.roh_level = level
        pool = [c for c in pool if c not in chosen]
    if len(pool) != sample["roh_levels"]["low"]:
        raise ValueError("roh_levels do not add up to the sample")
    for c in made:
        low, high = _TIERS[c.roh_level]
        c.tier = rng.randint(low, high)
    for c in _pick(rng, made, sample["ppo"], _RISK_WEIGHT):
        c.ppo = True
    custodial = [c for c in made if c.case_type in ("licence", "custody")]
    for c in _pick(rng, custodial, sample["statutory_victim_contact"], _RISK_WEIGHT):
        c.statutory_victim_contact = True
    licences = [c for c in made if c.case_type == "licence"]
    for c in _pick(rng, licences, sample["approved_premises"], _RISK_WEIGHT):
        c.approved_premises = True
    for c in _pick(rng, made, sample["female"]):
        c.gender = "female"
    ethnicities = [e for e, n in sample["ethnicity"].items() for _ in range(n)]
    if len(ethnicities) != len(made):
        raise ValueError("ethnicity counts do not add up to the sample")
    rng.shuffle(ethnicities)
    for c, e in zip(made, ethnicities, strict=True):
        c.ethnicity = e
    for c in _pick(rng, made, sample["area_assessed"]):
        c.assessor_role = "area_assessor"
    for name, condition in sample["flags"].items():
        eligible = [c for c in made if _matches(c, condition)]
        for c in _pick(rng, eligible, condition["count"], _RISK_WEIGHT):
            c.flags.add(name)
    return made


def relevance_rule(data: Mapping[str, Any], criterion: Criterion, question: Question) -> Mapping[str, Any]:
    rules: Mapping[str, Any] = data.get("relevance", {})
    return rules.get(question.id) or rules.get(f"{criterion.id}.*") or {}


def relevant_cases(data: Mapping[str, Any], sample: Sequence[DemoCase], framework: Framework) -> dict[str, list[DemoCase]]:
    """Per question of sections 1-3, the cases it is judged on (every other case answers na)."""
    relevant: dict[str, list[DemoCase]] = {}
    for criterion in framework.criteria():
        if criterion.scored_by != "cases":
            continue
        for question in criterion.questions:
            rule = relevance_rule(data, criterion, question)
            relevant[question.id] = [c for c in sample if question.applies(CaseType(c.case_type)) and _matches(c, rule)]
    return relevant


@dataclass
class _Model:
    """Yes counts per question and the figures they give, recomputed after each move."""

    framework: Framework
    relevant: dict[str, int]
    roh_ids: list[str]
    yes: dict[str, int]

    def proportion(self, question_id: str) -> float:
        return 100.0 * self.yes[question_id] / self.relevant[question_id]

    def criterion_score(self, criterion: Criterion) -> float:
        """The scoring rule of spec/scoring.md: w_q * mean of the individual questions + w_s * the summary question."""
        individual = [self.proportion(q.id) for q in criterion.questions if not q.summary and self.relevant[q.id]]
        summary = [self.proportion(q.id) for q in criterion.questions if q.summary and self.relevant[q.id]]
        mean = sum(individual) / len(individual) if individual else None
        if mean is not None and summary:
            return self.framework.weights.questions * mean + self.framework.weights.summary * summary[0]
        if mean is not None:
            return mean
        if summary:
            return summary[0]
        raise ValueError(f"criterion {criterion.id} has no relevant case in the demo sample")

    def roh_thread(self) -> float:
        defined = [self.proportion(q) for q in self.roh_ids if self.relevant[q]]
        return sum(defined) / len(defined)


def yes_counts(data: Mapping[str, Any], framework: Framework, relevant: Mapping[str, Sequence[DemoCase]]) -> dict[str, int]:
    """A yes count per question such that every criterion score and the RoH thread settle on the published figures."""
    rng = random.Random(data["seed"] + 1)
    targets: Mapping[str, int] = data["scores"]
    thread_target = float(data["roh_thread"])
    figures: Mapping[str, float] = data.get("question_figures", {})
    criteria = [c for c in framework.criteria() if c.scored_by == "cases"]
    thread_sections = set(framework.roh_thread_sections or [s.id for s in framework.sections])
    roh_ids = [
        q.id
        for s in framework.sections
        if s.id in thread_sections
        for c in s.criteria
        if c.scored_by == "cases"
        for q in c.questions
        if q.roh
    ]
    counts = {q: len(cs) for q, cs in relevant.items()}
    aims: dict[str, float] = {}
    for criterion in criteria:
        target = targets[criterion.id]
        for question in criterion.questions:
            noise = 0.0 if question.summary else rng.uniform(-SPREAD, SPREAD)
            aims[question.id] = figures.get(question.id, min(98.0, max(5.0, target + noise)))
    model = _Model(framework, counts, roh_ids, {q: round(aims[q] / 100 * n) for q, n in counts.items()})

    owner = {q.id: c for c in criteria for q in c.questions}
    roh = set(roh_ids)

    def criterion_term(criterion: Criterion) -> float:
        return max(0.0, abs(model.criterion_score(criterion) - targets[criterion.id]) - MARGIN / 2) ** 2

    def thread_term() -> float:
        return 4 * max(0.0, abs(model.roh_thread() - thread_target) - MARGIN / 2) ** 2

    def aim_term(q: str) -> float:
        # A light pull towards each question's aim keeps the figures plausible.
        return 1e-3 * (model.proportion(q) - aims[q]) ** 2

    def move_terms(q: str) -> float:
        """The part of the badness a move on question ``q`` can change."""
        return criterion_term(owner[q]) + (thread_term() if q in roh else 0.0) + aim_term(q)

    def settled() -> bool:
        return all(abs(model.criterion_score(c) - targets[c.id]) < MARGIN for c in criteria) and (
            abs(model.roh_thread() - thread_target) < MARGIN
        )

    # The figures the report quotes stay as quoted; the others carry the search.
    movable = sorted(q for q, n in counts.items() if n and q not in figures)
    for _ in range(20_000):
        if settled():
            break
        best: tuple[float, str, int] | None = None
        for q in movable:
            before = move_terms(q)
            for step in (-1, 1):
                if not 0 <= model.yes[q] + step <= counts[q]:
                    continue
                model.yes[q] += step
                change = move_terms(q) - before
                model.yes[q] -= step
                if change < -1e-12 and (best is None or change < best[0]):
                    best = (change, q, step)
        if best is None:
            raise RuntimeError("the search for yes counts is stuck: no move improves the figures")
        _, q, step = best
        model.yes[q] += step
    else:
        raise RuntimeError("the search for yes counts did not settle")
    return dict(model.yes)


def import_rows(data: Mapping[str, Any], framework: Framework) -> list[dict[str, Any]]:
    """The bulk import body's rows: every case with its attributes and its full set of answers."""
    sample = cases(data)
    relevant = relevant_cases(data, sample, framework)
    counts = yes_counts(data, framework, relevant)
    rng = random.Random(data["seed"] + 2)
    answers: dict[str, dict[str, str]] = {c.reference: {} for c in sample}
    for question_id, judged in relevant.items():
        above = {c.reference for c in rng.sample(list(judged), counts[question_id])}
        for c in sample:
            answers[c.reference][question_id] = "na"
        for c in judged:
            answers[c.reference][question_id] = "yes" if c.reference in above else "no"
    return [c.attributes() | {"answers": answers[c.reference]} for c in sample]


def inspection_body(data: Mapping[str, Any]) -> dict[str, Any]:
    """The inspection to plan: the data file's area and fieldwork, with a sample mix that holds its sample."""
    case_types: dict[str, int] = dict(data["sample"]["case_types"])
    total = sum(case_types.values())
    return dict(data["inspection"]) | {
        "sample_mix": {"case_types": case_types, "min_total": min(110, total), "max_total": max(120, total)}
    }
