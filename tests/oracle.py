"""The tests' one independent recomputation of scores: shared/spec/scoring.md transcribed plainly, in exact arithmetic.

The engine's tests and the API's tests both compare with it; it shares no code with the engine.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from shared.schemas.frameworks import Framework

Answers = Mapping[str, str]


@dataclass(frozen=True)
class Expected:
    """Scores by id (None where nothing was relevant), in framework order."""

    criteria: dict[str, Fraction | None]
    sections: dict[str, Fraction | None]
    thread: Fraction | None

    def flat(self) -> dict[tuple[str, str | None], Fraction | None]:
        """Every score under one key, in the engine's column order: criteria, sections, the thread."""
        out: dict[tuple[str, str | None], Fraction | None] = {("criterion", k): v for k, v in self.criteria.items()}
        out |= {("section", k): v for k, v in self.sections.items()}
        out[("thread", None)] = self.thread
        return out


def proportion(question_id: str, cases: Sequence[Answers]) -> Fraction | None:
    """Percent of the relevant (yes or no) judgements that are yes."""
    relevant = sum(1 for answers in cases if answers.get(question_id) in ("yes", "no"))
    above = sum(1 for answers in cases if answers.get(question_id) == "yes")
    return Fraction(100 * above, relevant) if relevant else None


def _mean(values: Iterable[Fraction | None]) -> Fraction | None:
    defined = [v for v in values if v is not None]
    return sum(defined, Fraction(0)) / len(defined) if defined else None


def _weighted(q_mean: Fraction | None, p: Fraction | None, w_q: Fraction, w_s: Fraction) -> Fraction | None:
    """The criterion score: Q and P weighted, or whichever of them is defined."""
    if q_mean is None:
        return p
    if p is None:
        return q_mean
    return w_q * q_mean + w_s * p


def expected_scores(framework: Framework, cases: Sequence[Answers]) -> Expected:
    w_q, w_s = Fraction(str(framework.weights.questions)), Fraction(str(framework.weights.summary))
    lowest_key = framework.scoring.kind == "lowest_key_question"
    criteria: dict[str, Fraction | None] = {}
    sections: dict[str, Fraction | None] = {}
    thread: list[str] = []
    for section in framework.sections:
        scored = [c for c in section.criteria if c.scored_by == "cases"]
        for criterion in scored:
            score: Fraction | None
            if lowest_key:
                keys = [p for q in criterion.questions if q.key and (p := proportion(q.id, cases)) is not None]
                score = min(keys) if keys else None
            else:
                q_mean = _mean(proportion(q.id, cases) for q in criterion.questions if not q.summary)
                (summary,) = [q for q in criterion.questions if q.summary]
                score = _weighted(q_mean, proportion(summary.id, cases), w_q, w_s)
            criteria[criterion.id] = score
            if framework.roh_thread_sections is None or section.id in framework.roh_thread_sections:
                thread += [q.id for q in criterion.questions if q.roh]
        if scored:
            sections[section.id] = _mean(criteria[c.id] for c in scored)
    return Expected(criteria, sections, _mean(proportion(q, cases) for q in thread))
